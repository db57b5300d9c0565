from django.db import migrations

from apps.staff.roles import sync_role_groups_migration


class Migration(migrations.Migration):
    """Manager manages webhook endpoints and sends deliveries again; Manager
    exports bookings and payments (apps.exports' permissions, granted here
    too, since the roles are synced as a whole)."""

    dependencies = [
        ("webhooks", "0001_endpoints_deliveries_attempts"),
        ("exports", "0001_export_permissions"),
        ("notifications", "0004_staff_alert_kind"),
        ("staff", "0002_staff_roles"),
    ]

    operations = [
        migrations.RunPython(sync_role_groups_migration, migrations.RunPython.noop)
    ]
