from django.db import migrations

from apps.staff.roles import sync_role_groups_migration


class Migration(migrations.Migration):
    """Front desk sees bank statements; Manager imports and reconciles them."""

    dependencies = [
        ("payments", "0001_initial"),
        ("staff", "0002_staff_roles"),
    ]

    operations = [
        migrations.RunPython(sync_role_groups_migration, migrations.RunPython.noop)
    ]
