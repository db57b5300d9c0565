"""Large statements, applied by a job; previewed files kept for the admin.

A statement with more than BANK_STATEMENT_BACKGROUND_CREDITS credits is read
and checked in the request (a malformed one is still a 400 that writes
nothing), stored on its import row as checked credits, and applied here by
the job `apply_bank_statements` (run_scheduled_jobs or Celery beat), which
reports progress on the row. A worker that dies leaves the row `running`
with an old heartbeat; the next run takes it over, and the credits already
applied keep their outcome (their dedup keys are already stored).
"""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from apps.payments.models import BankStatementImport, StatementFile
from apps.payments.services import ImportResult, apply_credits
from apps.payments.statements.lines import credit_from_json
from common.db import write_transaction

Status = BankStatementImport.Status
# A running import whose worker has not reported for this long is taken over.
STALLED_AFTER = timedelta(minutes=10)
PREVIEW_KEPT_FOR = timedelta(days=1)


def bank_statement_imports_apply_queued(*, now=None) -> int:
    """Apply every queued (or stalled) import, oldest first; returns how many."""
    applied = 0
    while (statement_import := _claim(now=now or timezone.now())) is not None:
        result = ImportResult(file_format=statement_import.file_format, dry_run=False)
        result.counts.update(
            debits_ignored=statement_import.summary.get("debits_ignored", 0)
        )
        result.statement_import = statement_import
        credits = [credit_from_json(data) for data in statement_import.pending_credits]
        apply_credits(result, credits, actor=statement_import.imported_by, now=None)
        applied += 1
    return applied


def _claim(*, now) -> BankStatementImport | None:
    with write_transaction():
        statement_import = (
            BankStatementImport.objects.select_for_update(
                skip_locked=True, of=("self",)
            )
            .filter(
                Q(status=Status.QUEUED)
                | Q(status=Status.RUNNING, heartbeat_at__lt=now - STALLED_AFTER),
                pending_credits__isnull=False,
            )
            .select_related("imported_by")
            .order_by("pk")
            .first()
        )
        if statement_import is None:
            return None
        statement_import.status = Status.RUNNING
        statement_import.heartbeat_at = now
        statement_import.save(update_fields=["status", "heartbeat_at"])
    return statement_import


def statement_file_keep(*, content: bytes, sha256: str, file_name: str, user) -> None:
    """Keep a previewed file for its uploader's Apply step (by its hash)."""
    StatementFile.objects.update_or_create(
        uploaded_by=user,
        sha256=sha256,
        defaults={"content": content, "file_name": file_name[:255]},
    )


def statement_file_read(*, sha256: str, user) -> tuple[bytes, str] | None:
    """The uploader's previewed file with this hash (content, name), if kept."""
    kept = StatementFile.objects.filter(uploaded_by=user, sha256=sha256).first()
    if kept is None:
        return None
    return bytes(kept.content), kept.file_name


def statement_file_forget(*, sha256: str, user) -> None:
    """Forget a previewed file once it was applied."""
    StatementFile.objects.filter(uploaded_by=user, sha256=sha256).delete()


def statement_files_purge(*, now=None) -> int:
    """Forget previewed files nobody applied within a day (they name payers)."""
    cutoff = (now or timezone.now()) - PREVIEW_KEPT_FOR
    deleted, _ = StatementFile.objects.filter(created_at__lt=cutoff).delete()
    return deleted
