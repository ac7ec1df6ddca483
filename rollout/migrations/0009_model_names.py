from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("rollout", "0008_live_state")]

    operations: list[migrations.operations.base.Operation] = [
        # The admin said "Webhook deliverys" (issue 12).
        migrations.AlterModelOptions(
            name="webhookdelivery",
            options={"ordering": ("-created_at", "-id"),
                     "verbose_name_plural": "webhook deliveries"},
        ),
    ]
