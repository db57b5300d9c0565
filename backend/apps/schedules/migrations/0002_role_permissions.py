from django.db import migrations

from apps.staff.roles import sync_role_groups_migration


class Migration(migrations.Migration):
    """Front desk sees working hours and closures; Manager writes them."""

    dependencies = [
        ("schedules", "0001_initial"),
        ("staff", "0002_staff_roles"),
        ("payments", "0002_role_permissions"),
        ("notifications", "0005_reschedule_offer"),
        ("webhooks", "0002_role_permissions"),
        ("exports", "0001_export_permissions"),
        ("bookings", "0015_fill_booking_slots"),
    ]

    operations = [
        migrations.RunPython(sync_role_groups_migration, migrations.RunPython.noop)
    ]
