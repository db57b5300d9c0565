from django.db import migrations

from apps.staff.roles import sync_role_groups_migration


class Migration(migrations.Migration):
    """Front desk and Manager see the waiting list and offer slots by hand."""

    dependencies = [
        ("waitlist", "0001_initial"),
        ("staff", "0002_staff_roles"),
        ("schedules", "0002_role_permissions"),
        ("webhooks", "0002_role_permissions"),
        ("exports", "0001_export_permissions"),
        ("privacy", "0002_role_permissions"),
    ]

    operations = [
        migrations.RunPython(sync_role_groups_migration, migrations.RunPython.noop)
    ]
