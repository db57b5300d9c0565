from django.db import migrations

from apps.staff.roles import sync_role_groups_migration


class Migration(migrations.Migration):
    """Every staff role reads the business settings; Manager changes them."""

    dependencies = [
        ("business", "0001_business_settings"),
        ("webhooks", "0002_role_permissions"),
        ("schedules", "0002_role_permissions"),
        ("payments", "0003_background_imports"),
        ("notifications", "0006_access_link_kind"),
        ("staff", "0002_staff_roles"),
    ]

    operations = [
        migrations.RunPython(sync_role_groups_migration, migrations.RunPython.noop)
    ]
