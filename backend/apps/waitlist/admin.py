"""The waiting list in the admin: entries by day and service, offers made,
and "Offer the first free time" for entries staff pick."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from apps.waitlist.models import WaitlistEntry, WaitlistOffer
from apps.waitlist.services import waitlist_offer_make
from apps.waitlist.services.offers import candidate_slot_ids
from common.admin import ReadOnlyAdminMixin
from common.exceptions import DomainError


class WaitlistOfferInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = WaitlistOffer
    fields = ["availability", "status", "held", "expires_at", "made_by", "booking"]
    readonly_fields = fields
    extra = 0


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "service",
        "staff",
        "date_from",
        "date_to",
        "time_from",
        "time_to",
        "name",
        "status",
    ]
    list_filter = ["status", "service", "staff", "date_from"]
    list_select_related = ["service", "staff"]
    search_fields = ["name", "email", "phone"]
    date_hierarchy = "date_from"
    ordering = ["created_at", "id"]
    inlines = [WaitlistOfferInline]
    actions = ["offer_first_free_time"]

    @admin.action(
        description=_("Offer the first free time that fits"),
        permissions=["offer_slot"],
    )
    def offer_first_free_time(self, request, queryset):
        offered, missed = 0, 0
        for entry in queryset.select_related("service"):
            for slot_id in candidate_slot_ids(entry):
                try:
                    waitlist_offer_make(
                        entry_id=entry.pk, availability_id=slot_id, made_by=request.user
                    )
                except DomainError:
                    continue
                offered += 1
                break
            else:
                missed += 1
        if offered:
            self.message_user(
                request,
                ngettext(
                    "Offered a time to %(count)d entry.",
                    "Offered a time to %(count)d entries.",
                    offered,
                )
                % {"count": offered},
            )
        if missed:
            self.message_user(
                request,
                ngettext(
                    "%(count)d entry got no offer: not waiting, or no free time fits.",
                    "%(count)d entries got no offer: not waiting, or no free time "
                    "fits.",
                    missed,
                )
                % {"count": missed},
                messages.WARNING,
            )

    def has_offer_slot_permission(self, request):
        return request.user.has_perm("waitlist.offer_slot")


@admin.register(WaitlistOffer)
class WaitlistOfferAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "entry", "availability", "status", "expires_at"]
    list_filter = ["status", "held"]
    list_select_related = ["entry", "availability__staff"]
    ordering = ["-created_at"]
