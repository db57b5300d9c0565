from django.contrib import admin, messages

from apps.bookings import services
from apps.bookings.models import Booking, BookingEvent
from common.exceptions import DomainError

CONTACT_FIELDS = ["customer_name", "customer_email", "customer_phone", "notes"]
RECORD_FIELDS = [
    "reference",
    "status",
    "service",
    "staff",
    "availability",
    "amount_due",
    "payment_expires_at",
    "payment_verified_at",
    "payment_verified_by",
    "cancel_reason",
    "created_at",
    "updated_at",
]


class BookingEventInline(admin.TabularInline):
    model = BookingEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "from_status", "to_status", "source", "actor", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    """Bookings for the front desk. Every change goes through services.py,
    so the admin applies the same rules, locks and audit trail as the API."""

    list_display = [
        "reference",
        "customer_name",
        "service",
        "staff",
        "slot_start",
        "status",
        "payment_expires_at",
    ]
    list_filter = [
        "status",
        "service",
        "staff",
        ("availability__start_time", admin.DateFieldListFilter),
    ]
    list_select_related = ["service", "staff", "availability"]
    search_fields = ["reference", "customer_name", "customer_email", "customer_phone"]
    date_hierarchy = "availability__start_time"
    fields = [*RECORD_FIELDS[:5], *CONTACT_FIELDS, *RECORD_FIELDS[5:]]
    inlines = [BookingEventInline]
    actions = ["verify_payment", "cancel_bookings", "mark_completed"]

    @admin.display(description="Starts", ordering="availability__start_time")
    def slot_start(self, booking):
        return booking.availability.start_time if booking.availability else None

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status == Booking.Status.COMPLETED:
            return [*RECORD_FIELDS, *CONTACT_FIELDS]
        return RECORD_FIELDS

    def has_add_permission(self, request):
        # Bookings are made through the API (the guest site or, for staff,
        # POST /api/bookings/ in the browsable API): it locks the slot.
        return False

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.status == Booking.Status.COMPLETED:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        self._apply(
            request,
            [obj],
            lambda booking: services.booking_update(
                booking=booking, actor=request.user, changes=changes
            ),
            done=None,
        )

    def delete_model(self, request, obj):
        self._apply(
            request,
            [obj],
            lambda booking: services.booking_delete(
                booking=booking, actor=request.user
            ),
            done=None,
        )

    def delete_queryset(self, request, queryset):
        for booking in queryset:
            self.delete_model(request, booking)

    @admin.action(description="Verify payment of selected bookings")
    def verify_payment(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda booking: services.booking_verify_payment(
                booking=booking, actor=request.user
            ),
            done="confirmed",
        )

    @admin.action(description="Cancel selected bookings")
    def cancel_bookings(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda booking: services.booking_cancel(
                booking=booking, actor=request.user, reason="Cancelled by staff."
            ),
            done="cancelled",
        )

    @admin.action(description="Mark selected bookings completed")
    def mark_completed(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda booking: services.booking_complete(
                booking=booking, actor=request.user
            ),
            done="completed",
        )

    def _apply(self, request, bookings, operation, *, done):
        """Run a domain operation per booking; refusals become admin messages."""
        succeeded = 0
        for booking in bookings:
            try:
                operation(booking)
                succeeded += 1
            except DomainError as error:
                self.message_user(
                    request, f"{booking.reference}: {error.detail}", messages.ERROR
                )
        if done and succeeded:
            self.message_user(
                request, f"{succeeded} booking(s) {done}.", messages.SUCCESS
            )
