from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("rollout", "0004_api_tokens")]

    operations: list[migrations.operations.base.Operation] = []
