from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("rollout", "0007_simulation_jobs")]

    operations: list[migrations.operations.base.Operation] = []
