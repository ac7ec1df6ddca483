import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """Observations record the API token that posted them; gate results the observation they
    were judged on."""

    dependencies = [("rollout", "0005_role_groups")]

    operations = [
        migrations.AddField(
            model_name="kpisnapshot",
            name="token",
            field=models.ForeignKey(blank=True, null=True,
                                    on_delete=django.db.models.deletion.SET_NULL,
                                    related_name="observations", to="rollout.apitoken"),
        ),
        migrations.AddField(
            model_name="gateresult",
            name="observation",
            field=models.ForeignKey(blank=True, null=True,
                                    on_delete=django.db.models.deletion.SET_NULL,
                                    related_name="+", to="rollout.kpisnapshot"),
        ),
    ]
