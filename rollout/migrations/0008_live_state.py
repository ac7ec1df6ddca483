import django.db.models.deletion
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def make_lock_row(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    apps.get_model("rollout", "LiveLock").objects.get_or_create(id=1)


class Migration(migrations.Migration):
    dependencies = [("rollout", "0007_simulation_jobs")]

    operations = [
        migrations.CreateModel(
            name="LiveLock",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, primary_key=True,
                                                        serialize=False)),
                ("taken_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={"verbose_name": "live state lock"},
        ),
        migrations.RunPython(make_lock_row, migrations.RunPython.noop),
        migrations.CreateModel(
            name="LiveStateRecord",
            fields=[
                ("at_activation", models.BigIntegerField(primary_key=True, serialize=False)),
                ("data", models.BinaryField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
        ),
        migrations.CreateModel(
            name="RouteTableRecord",
            fields=[
                ("version", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE,
                                                 primary_key=True, related_name="+",
                                                 serialize=False, to="rollout.version")),
                ("data", models.BinaryField()),
                ("built_ms", models.FloatField(default=0.0)),
            ],
        ),
    ]
