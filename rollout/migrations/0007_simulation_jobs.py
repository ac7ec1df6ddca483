from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("rollout", "0006_observation_tokens")]

    operations: list[migrations.operations.base.Operation] = []
