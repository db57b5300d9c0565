from datetime import timedelta
from itertools import groupby

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from apps.bookings import desk, selectors, services
from apps.bookings.models import Booking, BookingEvent
from apps.bookings.signals import desk_panels
from common.admin import ReadOnlyAdminMixin
from common.exceptions import DomainError

# The admin index shows a link to the desk above the models.
admin.site.index_template = "admin/bookings/index_with_desk.html"

# The permission each booking operation needs, in the admin as in the API.
OPERATION_PERMISSIONS = {
    "verify": "bookings.verify_payment",
    "cancel": "bookings.cancel_booking",
    "complete": "bookings.complete_booking",
    "reschedule": "bookings.reschedule_booking",
}

# What an action reports, by outcome (the plural follows "count").
DONE = {
    "confirmed": ngettext_lazy(
        "%(count)d booking confirmed.", "%(count)d bookings confirmed.", "count"
    ),
    "cancelled": ngettext_lazy(
        "%(count)d booking cancelled.", "%(count)d bookings cancelled.", "count"
    ),
    "completed": ngettext_lazy(
        "%(count)d booking completed.", "%(count)d bookings completed.", "count"
    ),
}

CONTACT_FIELDS = [
    "customer_name",
    "customer_email",
    "customer_phone",
    "notes",
    "locale",
]
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


class BookingEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = BookingEvent
    extra = 0
    can_delete = False
    fields = [
        "created_at",
        "kind",
        "from_status",
        "to_status",
        "source",
        "actor",
        "note",
    ]
    readonly_fields = fields


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
    actions = [
        "verify_payment",
        "cancel_bookings",
        "mark_completed",
        "reschedule_booking",
    ]

    @admin.display(description=_("Starts"), ordering="availability__start_time")
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

    # Admin actions declare the permission they need; these hooks answer it
    # from the same model permissions the API checks.
    def has_verify_permission(self, request):
        return request.user.has_perm(OPERATION_PERMISSIONS["verify"])

    def has_cancel_permission(self, request):
        return request.user.has_perm(OPERATION_PERMISSIONS["cancel"])

    def has_complete_permission(self, request):
        return request.user.has_perm(OPERATION_PERMISSIONS["complete"])

    def has_reschedule_permission(self, request):
        return request.user.has_perm(OPERATION_PERMISSIONS["reschedule"])

    @admin.action(
        description=_("Verify payment of selected bookings"), permissions=["verify"]
    )
    def verify_payment(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda booking: services.booking_verify_payment(
                booking=booking, actor=request.user
            ),
            done="confirmed",
        )

    @admin.action(description=_("Cancel selected bookings"), permissions=["cancel"])
    def cancel_bookings(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda booking: services.booking_cancel(
                booking=booking, actor=request.user, reason="Cancelled by staff."
            ),
            done="cancelled",
        )

    @admin.action(
        description=_("Mark selected bookings completed"), permissions=["complete"]
    )
    def mark_completed(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda booking: services.booking_complete(
                booking=booking, actor=request.user
            ),
            done="completed",
        )

    @admin.action(
        description=_("Reschedule the selected booking"), permissions=["reschedule"]
    )
    def reschedule_booking(self, request, queryset):
        bookings = list(queryset[:2])
        if len(bookings) != 1:
            self.message_user(
                request, _("Select exactly one booking to reschedule."), messages.ERROR
            )
            return None
        return redirect("admin:bookings_booking_reschedule", bookings[0].pk)

    # --- the desk ---------------------------------------------------------------

    def get_urls(self):
        extra = [
            path(
                "desk/",
                self.admin_site.admin_view(self.desk_view),
                name="bookings_booking_desk",
            ),
            path(
                "desk/new/",
                self.admin_site.admin_view(self._desk_page(desk.new_booking_view)),
                name="bookings_booking_desk_new",
            ),
            path(
                "desk/week/",
                self.admin_site.admin_view(self._desk_page(desk.week_view)),
                name="bookings_booking_desk_week",
            ),
            path(
                "<int:booking_id>/reschedule/",
                self.admin_site.admin_view(self._desk_page(desk.reschedule_view)),
                name="bookings_booking_reschedule",
            ),
            path(
                "<int:booking_id>/cancel/",
                self.admin_site.admin_view(self._desk_page(desk.cancel_view)),
                name="bookings_booking_desk_cancel",
            ),
            path(
                "<int:booking_id>/complete/",
                self.admin_site.admin_view(self._desk_page(desk.complete_view)),
                name="bookings_booking_desk_complete",
            ),
        ]
        return [*extra, *super().get_urls()]

    def _desk_page(self, view):
        def page(request, *args, **kwargs):
            return view(self, request, *args, **kwargs)

        return page

    def desk_view(self, request):
        """The business's day: unpaid bookings, today's and tomorrow's
        appointments, a reference search, and what the timeout cancelled."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            self._desk_operation(request)
            return redirect("admin:bookings_booking_desk")
        reference = request.GET.get("reference", "").strip()
        found = []
        if reference:
            exact = selectors.booking_by_reference(reference)
            if exact is not None:
                return redirect("admin:bookings_booking_change", exact.pk)
            found = selectors.desk_search(reference)
            if not found:
                self.message_user(
                    request,
                    _(
                        "No booking matches %(reference)r (reference, name, "
                        "phone or email)."
                    )
                    % {"reference": reference},
                    messages.ERROR,
                )
        now = timezone.now()
        today = timezone.localdate(now)
        appointments = selectors.desk_appointments(first_day=today, days=2)
        days = []
        for day_offset in (0, 1):
            day = today + timedelta(days=day_offset)
            of_day = [
                booking
                for booking in appointments
                if timezone.localdate(booking.availability.start_time) == day
            ]
            by_staff = [
                (staff, list(bookings))
                for staff, bookings in groupby(of_day, key=lambda b: b.staff)
            ]
            days.append((day, by_staff))
        user = request.user
        context = {
            **self.admin_site.each_context(request),
            "title": _("Desk"),
            "opts": self.model._meta,
            "now": now,
            "unpaid": selectors.desk_unpaid(),
            "days": days,
            "expired": selectors.desk_recently_expired(now=now),
            "panels": [
                panel
                for _, panel in desk_panels.send(sender=Booking, day=today)
                if panel
            ],
            "reference": reference,
            "found": found,
            "can_add": user.has_perm("bookings.add_booking"),
            "row_limit": selectors.DESK_ROW_LIMIT,
            "can": {
                name: user.has_perm(perm)
                for name, perm in OPERATION_PERMISSIONS.items()
            },
        }
        return TemplateResponse(request, "admin/bookings/desk.html", context)

    def _desk_operation(self, request):
        operation = request.POST.get("operation", "")
        if operation not in ("verify", "cancel", "complete"):
            self.message_user(request, _("Unknown operation."), messages.ERROR)
            return
        if not request.user.has_perm(OPERATION_PERMISSIONS[operation]):
            self.message_user(
                request,
                _("You do not have permission to do that."),
                messages.ERROR,
            )
            return
        booking_id = request.POST.get("booking", "")
        booking = (
            Booking.objects.filter(pk=booking_id).first()
            if booking_id.isdigit()
            else None
        )
        if booking is None:
            self.message_user(
                request, _("That booking no longer exists."), messages.ERROR
            )
            return
        run, done = {
            "verify": (
                lambda b: services.booking_verify_payment(
                    booking=b, actor=request.user
                ),
                _("confirmed"),
            ),
            "cancel": (
                lambda b: services.booking_cancel(
                    booking=b, actor=request.user, reason="Cancelled by staff."
                ),
                _("cancelled"),
            ),
            "complete": (
                lambda b: services.booking_complete(booking=b, actor=request.user),
                _("completed"),
            ),
        }[operation]
        try:
            run(booking)
        except DomainError as error:
            self.message_user(
                request, f"{booking.reference}: {error.detail}", messages.ERROR
            )
            return
        self.message_user(request, f"{booking.reference}: {done}.", messages.SUCCESS)

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
                request,
                DONE[done] % {"count": succeeded},
                messages.SUCCESS,
            )
