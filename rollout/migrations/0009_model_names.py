from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("rollout", "0008_live_state")]

    operations: list[migrations.operations.base.Operation] = []
