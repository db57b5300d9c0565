"""Staff API tokens move from plain text (DRF authtoken) to knox digests.

Existing tokens keep working until STAFF_API_TOKEN_DAYS after this runs; the
plain-text table is dropped. Not reversible: the keys are no longer known.
"""

from django.db import migrations


def hash_legacy_tokens(apps, schema_editor):
    from apps.staff.tokens import legacy_tokens_migrate

    legacy_tokens_migrate(
        apps.get_model("knox", "AuthToken"), schema_editor=schema_editor
    )


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0002_staff_roles"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    operations = [migrations.RunPython(hash_legacy_tokens, migrations.RunPython.noop)]
