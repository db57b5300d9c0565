"""The admin's history: an entry names the object as its __str__ read then
(an email's recipient, for one) and lists changed fields."""

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from apps.bookings.models import Booking
from apps.notifications.models import Notification
from apps.payments.models import BankTransaction
from apps.privacy.contacts import scrub_text
from apps.privacy.registry import Shredder, Target


class AdminLogShredder(Shredder):
    name = "admin_log"
    verbose_name = "Admin history entries about these bookings and their emails"
    fields = ("admin.LogEntry.object_repr", "admin.LogEntry.change_message")

    def export(self, target: Target) -> list[dict]:
        return []  # staff's actions, not the guest's data

    def shred(self, target: Target, *, now) -> int:
        ids = target.booking_ids
        logged = set(LogEntry.objects.values_list("content_type", flat=True).distinct())
        about = Q()
        for model, pks in (
            (Booking, ids),
            (Notification, Notification.objects.filter(booking_id__in=ids)),
            (
                BankTransaction,
                BankTransaction.objects.filter(
                    Q(booking_id__in=ids) | Q(suggested_booking_id__in=ids)
                ),
            ),
        ):
            content_type = ContentType.objects.get_for_model(model)
            if content_type.pk not in logged:
                continue  # none of this kind in the history: spare the query
            keys = [
                str(pk)
                for pk in (
                    pks if isinstance(pks, list) else pks.values_list("pk", flat=True)
                )
            ]
            if keys:
                about |= Q(
                    content_type=content_type,
                    object_id__in=keys,
                )
        if not about:
            return 0
        needles = target.needles
        changed = []
        for entry in LogEntry.objects.filter(about):
            repr_, message = (
                scrub_text(entry.object_repr, needles),
                scrub_text(entry.change_message, needles),
            )
            if (repr_, message) != (entry.object_repr, entry.change_message):
                entry.object_repr, entry.change_message = repr_, message
                changed.append(entry)
        LogEntry.objects.bulk_update(changed, ["object_repr", "change_message"])
        return len(changed)
