from typing import Any

from django.db import migrations

# The roles of rollout.services.roles.Role, written out: a migration must not change when the
# code does. `observer` is the service account role that posts KPI observations (DESIGN 11).
ROLE_GROUPS = ("viewer", "editor", "approver", "operator", "observer")


def create_role_groups(apps: Any, schema_editor: Any) -> None:
    group_model = apps.get_model("auth", "Group")
    for name in ROLE_GROUPS:
        group_model.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("rollout", "0004_api_tokens")]

    operations = [
        migrations.RunPython(create_role_groups, migrations.RunPython.noop),
    ]
