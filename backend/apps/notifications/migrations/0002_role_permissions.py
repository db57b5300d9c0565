from django.db import migrations

from apps.staff.roles import sync_role_groups_migration


class Migration(migrations.Migration):
    """Front desk sees the outbox; Manager sends failed emails again and
    manages the staff calendar feeds."""

    dependencies = [
        ("notifications", "0001_outbox_reminders_calendar_feeds"),
        ("staff", "0002_staff_roles"),
        ("payments", "0002_role_permissions"),
    ]

    operations = [
        migrations.RunPython(sync_role_groups_migration, migrations.RunPython.noop)
    ]
