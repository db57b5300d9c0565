from django.contrib.auth.management import create_permissions
from django.db import migrations

from apps.staff.roles import sync_role_groups


def sync_roles(apps, schema_editor):
    # Permissions are normally created after all migrations (post_migrate);
    # create them now so the groups can be given them on a fresh database.
    alias = schema_editor.connection.alias
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps, using=alias)
        app_config.models_module = None
    sync_role_groups(apps=apps, using=alias, strict=False)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("staff", "0001_initial"),
        ("services", "0001_initial"),
        ("availability", "0002_no_overlap_on_postgresql"),
        ("bookings", "0007_booking_transition_permissions"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
