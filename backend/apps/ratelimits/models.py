"""Fixed-window request counters the throttles share across every worker."""

from django.db import models


class Counter(models.Model):
    """Requests one client made to one scope in one window.

    Times are Unix seconds, so the one upsert in services.py is the same SQL on
    SQLite and PostgreSQL with no datetime adaptation. `window_end` is what the
    purge reads (Retry-After comes from the window in memory); no index on it:
    the purge scans a table that holds about one row per active client and
    scope, every minute.
    """

    pk = models.CompositePrimaryKey("key", "window_start")
    key = models.CharField(max_length=100)
    window_start = models.BigIntegerField()
    window_end = models.BigIntegerField()
    hits = models.PositiveIntegerField()

    def __str__(self):
        return f"{self.key} @{self.window_start}: {self.hits}"
