from django.db import migrations

from apps.staff.roles import sync_role_groups_migration


class Migration(migrations.Migration):
    """Manager erases and exports guests' personal data; Front desk does not."""

    dependencies = [
        ("privacy", "0001_erasure_record"),
        ("webhooks", "0002_role_permissions"),
        ("staff", "0002_staff_roles"),
    ]

    operations = [
        migrations.RunPython(sync_role_groups_migration, migrations.RunPython.noop)
    ]
