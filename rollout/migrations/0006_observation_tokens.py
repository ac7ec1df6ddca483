from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("rollout", "0005_role_groups")]

    operations: list[migrations.operations.base.Operation] = []
