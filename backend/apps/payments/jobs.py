"""The payments app's periodic jobs (see common.jobs)."""

from common.jobs import ScheduledJob


def apply_bank_statements() -> str:
    from apps.payments.background import (
        bank_statement_imports_apply_queued,
        statement_files_purge,
    )

    applied = bank_statement_imports_apply_queued()
    purged = statement_files_purge()
    return f"Applied {applied} queued statements; forgot {purged} previewed files."


JOBS = [
    # Before sending: a payment it confirms is emailed in the same run.
    ScheduledJob(
        name="apply_bank_statements",
        run=apply_bank_statements,
        order=40,
        every_seconds=60,
        interval_env="BANK_STATEMENT_INTERVAL_SECONDS",
    ),
]
