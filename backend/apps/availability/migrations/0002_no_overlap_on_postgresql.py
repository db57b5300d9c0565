"""On PostgreSQL, forbid overlapping slots of one staff member in the database.

The domain layer already refuses overlaps under a lock on the staff row; this
exclusion constraint is the backstop for writes that bypass it. SQLite has no
equivalent, so there the migration does nothing.
"""

from django.db import migrations

CONSTRAINT = "availability_no_overlap_per_staff"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        f"ALTER TABLE availability_availability ADD CONSTRAINT {CONSTRAINT} "
        "EXCLUDE USING gist (staff_id WITH =, "
        "tstzrange(start_time, end_time, '[)') WITH &&)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER TABLE availability_availability DROP CONSTRAINT IF EXISTS {CONSTRAINT}"
    )


class Migration(migrations.Migration):
    dependencies = [("availability", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
