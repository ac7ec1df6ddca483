import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("rollout", "0006_observation_tokens")]

    operations = [
        migrations.CreateModel(
            name="SimulationJob",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("demand", models.JSONField(blank=True, null=True)),
                ("request_key", models.CharField(max_length=64)),
                ("state", models.CharField(choices=[("pending", "pending"),
                                                    ("running", "running"),
                                                    ("done", "done"), ("failed", "failed")],
                                           default="pending", max_length=8)),
                ("result", models.JSONField(blank=True, null=True)),
                ("error", models.TextField(blank=True)),
                ("attempts", models.PositiveSmallIntegerField(default=0)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("started_at", models.DateTimeField(blank=True, null=True)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                ("baseline", models.ForeignKey(blank=True, null=True,
                                               on_delete=django.db.models.deletion.CASCADE,
                                               related_name="+", to="rollout.version")),
                ("requested_by", models.ForeignKey(blank=True, null=True,
                                                   on_delete=django.db.models.deletion.SET_NULL,
                                                   related_name="+",
                                                   to=settings.AUTH_USER_MODEL)),
                ("version", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                              related_name="simulation_jobs",
                                              to="rollout.version")),
            ],
            options={
                "indexes": [models.Index(fields=["request_key", "-created_at"],
                                         name="simulation_job_request")],
                "constraints": [models.UniqueConstraint(
                    condition=models.Q(("state__in", ("pending", "running"))),
                    fields=("request_key",), name="simulation_job_once_active")],
            },
        ),
    ]
