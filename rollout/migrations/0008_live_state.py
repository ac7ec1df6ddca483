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
    ]
