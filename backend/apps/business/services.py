"""The one write of the business settings."""

from django.db import transaction
from django.utils import timezone

from apps.business import selectors
from apps.business.models import BusinessSettings
from apps.business.validators import compact_bic, compact_iban
from common.db import write_transaction


def business_settings_update(*, changes: dict, actor) -> BusinessSettings:
    """Save `changes` (validated by the caller's form or serializer) over the
    settings in force; the first save stores the environment's defaults with
    them. Readers in this process see the change as soon as it commits."""
    with write_transaction():
        row = (
            BusinessSettings.objects.select_for_update()
            .filter(pk=BusinessSettings.SINGLETON_ID)
            .first()
        ) or selectors.business_settings_row()
        for name, value in changes.items():
            setattr(row, name, value)
        row.iban = compact_iban(row.iban)
        row.bic = compact_bic(row.bic)
        row.updated_at = timezone.now()
        row.updated_by = actor if getattr(actor, "is_authenticated", False) else None
        row.save()
        # Forget now and again once committed: a read between the two could
        # have cached the old values.
        selectors.forget()
        transaction.on_commit(selectors.forget)
    return row
