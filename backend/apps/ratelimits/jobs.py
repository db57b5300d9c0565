"""The throttles' periodic job (see common.jobs)."""

import time

from common.jobs import ScheduledJob


def purge_rate_limits() -> str:
    from apps.ratelimits.services import ratelimit_counters_purge

    return f"Purged {ratelimit_counters_purge(now=time.time())} rate-limit counters"


JOBS = [
    ScheduledJob(
        name="purge_rate_limits",
        run=purge_rate_limits,
        order=90,
        every_seconds=300,
    ),
]
