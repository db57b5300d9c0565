"""Drop the database cache table that 0005 once created and nothing reads.

The throttles moved to their own counters (apps.ratelimits); the project no
longer configures a database cache, so the table only held stale rows.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0012_bookingevent_kind"),
    ]

    operations = [
        migrations.RunSQL("DROP TABLE IF EXISTS django_cache", migrations.RunSQL.noop),
    ]
