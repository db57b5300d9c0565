from django.db import migrations

from apps.staff.roles import sync_role_groups_migration


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("staff", "0001_initial"),
        ("services", "0001_initial"),
        ("availability", "0002_no_overlap_on_postgresql"),
        ("bookings", "0009_booking_transition_permissions"),
    ]

    operations = [
        migrations.RunPython(sync_role_groups_migration, migrations.RunPython.noop)
    ]
