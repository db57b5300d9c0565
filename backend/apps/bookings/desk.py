"""The Desk's pages beyond the day list: a new booking, Cancel and Complete
that ask first, the reschedule picker and a staff member's week.

Plain server-rendered forms (no script): every change goes through the same
domain functions as the API, and a refusal comes back as the admin's message.
"""

from datetime import date, timedelta
from itertools import groupby

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.availability.models import Availability
from apps.availability.selectors import availability_bookable
from apps.bookings import selectors, services
from apps.bookings.models import BookingEvent, DeskPayment
from apps.bookings.phones import phone_to_e164
from apps.services.models import Service
from apps.staff.models import Staff
from common.dates import local_day_bounds
from common.exceptions import DomainError

CANCEL_REASONS = [
    ("Cancelled by the guest.", _("The guest cancelled")),
    ("The guest is ill.", _("The guest is ill")),
    ("The staff member is unavailable.", _("The staff member is unavailable")),
    ("The business is closed.", _("The business is closed")),
    ("", _("Other (write it below)")),
]


class DayField(forms.DateField):
    widget = forms.DateInput(attrs={"type": "date"})


def free_times(*, service_id: int, day: date, exclude_id: int | None = None):
    """Bookable start times of `service_id` on `day`, grouped by staff member:
    [(staff, [slot, ...]), ...]."""
    slots = (
        availability_bookable(service_id=service_id, day=day)
        .select_related("staff")
        .order_by("staff__name", "staff_id", "start_time")
    )
    if exclude_id is not None:
        slots = slots.exclude(pk=exclude_id)
    return [(staff, list(group)) for staff, group in groupby(slots, lambda s: s.staff)]


class SlotPickerForm(forms.Form):
    """A day (a calendar) and one of its free start times."""

    day = DayField(label=_("Day"), required=False)
    availability = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean_day(self):
        day = self.cleaned_data["day"]
        if day and day < timezone.localdate():
            raise forms.ValidationError(_("Choose today or a later day."))
        return day


class NewBookingForm(SlotPickerForm):
    service = forms.ModelChoiceField(
        queryset=Service.objects.filter(is_active=True).order_by("name"),
        label=_("Service"),
    )
    customer_name = forms.CharField(label=_("Guest's name"), max_length=120)
    customer_phone = forms.CharField(label=_("Phone"), max_length=32)
    customer_email = forms.EmailField(
        label=_("Email (optional)"),
        required=False,
        help_text=_("With an email the guest gets the confirmation."),
    )
    payment = forms.ChoiceField(
        label=_("Payment"),
        choices=[("", _("Await the payment (bank transfer)")), *DeskPayment.choices],
        required=False,
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    field_order = ["service", "day"]

    def clean_customer_phone(self):
        phone = phone_to_e164(self.cleaned_data["customer_phone"])
        if phone is None:
            raise forms.ValidationError(_("Enter a valid phone number."))
        return phone


class CancelForm(forms.Form):
    reason_choice = forms.ChoiceField(
        label=_("Reason"), choices=CANCEL_REASONS, widget=forms.RadioSelect, initial=""
    )
    reason_text = forms.CharField(
        label=_("In your words"), required=False, max_length=500
    )
    refund_due = forms.BooleanField(
        label=_("A refund is owed (it goes into the refunds export)"), required=False
    )
    notify_guest = forms.BooleanField(
        label=_("Email the guest"), required=False, initial=True
    )

    def clean(self):
        data = super().clean()
        reason = " ".join(
            part
            for part in (data.get("reason_choice"), data.get("reason_text", "").strip())
            if part
        )
        if not reason:
            raise forms.ValidationError(_("Give a reason."))
        data["reason"] = reason
        return data


def _context(model_admin, request, title, **extra):
    return {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": model_admin.model._meta,
        "desk_url": reverse("admin:bookings_booking_desk"),
        **extra,
    }


def _refused(model_admin, request, booking_reference, error: DomainError):
    model_admin.message_user(
        request, f"{booking_reference}: {error.detail}", messages.ERROR
    )


def new_booking_view(model_admin, request):
    """A guest at the counter or on the phone: service, day, time, contact,
    and the payment taken now or awaited."""
    if not (
        request.user.has_perm("bookings.add_booking")
        and model_admin.has_view_permission(request)
    ):
        raise PermissionDenied
    form = NewBookingForm(request.POST or request.GET or None)
    times = []
    if form.is_bound:
        form.is_valid()
        service, day = form.cleaned_data.get("service"), form.cleaned_data.get("day")
        if service and day:
            times = free_times(service_id=service.pk, day=day)
        chosen = form.cleaned_data.get("availability")
        if "book" not in request.POST:
            # Choosing the day and time: the guest's details come next.
            for name in ("customer_name", "customer_phone", "payment"):
                form.errors.pop(name, None)
        if request.method == "POST" and "book" in request.POST and not chosen:
            form.add_error(None, _("Choose a free time."))
        if request.method == "POST" and "book" in request.POST and form.is_valid():
            payment = form.cleaned_data["payment"]
            if payment and not request.user.has_perm("bookings.verify_payment"):
                raise PermissionDenied
            try:
                booking = services.booking_create(
                    service_id=service.pk,
                    availability_id=chosen,
                    customer_name=form.cleaned_data["customer_name"],
                    customer_email=form.cleaned_data["customer_email"],
                    customer_phone=form.cleaned_data["customer_phone"],
                    notes=form.cleaned_data["notes"],
                    paid_at_desk=payment,
                    actor=request.user,
                    source=BookingEvent.Source.STAFF,
                )
            except DomainError as error:
                form.add_error(None, str(error.detail))
            else:
                done = (
                    _("confirmed, paid") if payment else _("booked, awaiting payment")
                )
                model_admin.message_user(
                    request, f"{booking.reference}: {done}.", messages.SUCCESS
                )
                return redirect("admin:bookings_booking_change", booking.pk)
    return TemplateResponse(
        request,
        "admin/bookings/desk_new.html",
        _context(
            model_admin,
            request,
            _("New booking"),
            form=form,
            times=times,
            chosen=_int(request.POST.get("availability")),
        ),
    )


def _field_of(error: DomainError, form) -> str | None:
    field = getattr(error, "field", None)
    return field if field in form.fields else None


def _int(value) -> int | None:
    return int(value) if str(value or "").isdigit() else None


def cancel_view(model_admin, request, booking_id):
    """Ask for a reason, a refund owed (paid bookings) and whether to tell
    the guest; then cancel in one step."""
    if not request.user.has_perm("bookings.cancel_booking"):
        raise PermissionDenied
    booking = get_object_or_404(selectors.booking_list(), pk=booking_id)
    form = CancelForm(request.POST or None)
    paid = booking.payment_verified_at is not None
    if request.method == "POST" and form.is_valid():
        try:
            services.booking_cancel(
                booking=booking,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                refund_due=paid and form.cleaned_data["refund_due"],
                notify_guest=form.cleaned_data["notify_guest"],
            )
        except DomainError as error:
            _refused(model_admin, request, booking.reference, error)
        else:
            done = (
                _("%(reference)s: cancelled. A refund is due.")
                if form.cleaned_data["refund_due"]
                else _("%(reference)s: cancelled.")
            )
            model_admin.message_user(
                request, done % {"reference": booking.reference}, messages.SUCCESS
            )
        return redirect("admin:bookings_booking_desk")
    return TemplateResponse(
        request,
        "admin/bookings/desk_confirm.html",
        _context(
            model_admin,
            request,
            _("Cancel %(reference)s?") % {"reference": booking.reference},
            booking=booking,
            form=form,
            paid=paid,
            operation="cancel",
        ),
    )


def complete_view(model_admin, request, booking_id):
    """Mark completed, after a confirmation; refused before the start."""
    if not request.user.has_perm("bookings.complete_booking"):
        raise PermissionDenied
    booking = get_object_or_404(selectors.booking_list(), pk=booking_id)
    if request.method == "POST":
        try:
            services.booking_complete(booking=booking, actor=request.user)
        except DomainError as error:
            _refused(model_admin, request, booking.reference, error)
        else:
            model_admin.message_user(
                request,
                _("%(reference)s: completed.") % {"reference": booking.reference},
                messages.SUCCESS,
            )
        return redirect("admin:bookings_booking_desk")
    return TemplateResponse(
        request,
        "admin/bookings/desk_confirm.html",
        _context(
            model_admin,
            request,
            _("Mark %(reference)s completed?") % {"reference": booking.reference},
            booking=booking,
            operation="complete",
            started=booking.availability.has_started(timezone.now()),
        ),
    )


def reschedule_view(model_admin, request, booking_id):
    """A calendar day and the free times for the booking's service."""
    if not model_admin.has_reschedule_permission(request):
        raise PermissionDenied
    booking = get_object_or_404(selectors.booking_list(), pk=booking_id)
    data = request.POST or request.GET or None
    form = SlotPickerForm(
        data,
        initial={"day": timezone.localdate(booking.availability.start_time)},
    )
    day = form.cleaned_data["day"] if form.is_bound and form.is_valid() else None
    day = day or timezone.localdate(booking.availability.start_time)
    if request.method == "POST" and form.is_valid():
        target = Availability.objects.filter(
            pk=form.cleaned_data.get("availability") or 0
        ).first()
        if target is None:
            form.add_error("availability", _("Choose a free time."))
        else:
            try:
                services.booking_reschedule(
                    booking=booking, availability=target, actor=request.user
                )
            except DomainError as error:
                form.add_error(_field_of(error, form), str(error.detail))
            else:
                model_admin.message_user(
                    request,
                    _("%(reference)s: rescheduled.") % {"reference": booking.reference},
                    messages.SUCCESS,
                )
                return redirect("admin:bookings_booking_desk")
    return TemplateResponse(
        request,
        "admin/bookings/reschedule.html",
        _context(
            model_admin,
            request,
            _("Reschedule %(reference)s") % {"reference": booking.reference},
            booking=booking,
            form=form,
            day=day,
            times=free_times(
                service_id=booking.service_id,
                day=day,
                exclude_id=booking.availability_id,
            ),
            change_url=reverse("admin:bookings_booking_change", args=[booking.pk]),
        ),
    )


def week_view(model_admin, request):
    """One staff member's week: bookings and the free gaps between them."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    staff_members = list(Staff.objects.filter(is_active=True).order_by("name"))
    chosen = _int(request.GET.get("staff"))
    member = next((s for s in staff_members if s.pk == chosen), None)
    member = member or (staff_members[0] if staff_members else None)
    try:
        first_day = date.fromisoformat(request.GET.get("start", ""))
    except ValueError:
        first_day = timezone.localdate()
    days = []
    if member is not None:
        days = _week_days(member, first_day)
    return TemplateResponse(
        request,
        "admin/bookings/desk_week.html",
        _context(
            model_admin,
            request,
            _("Week of %(name)s") % {"name": member.name} if member else _("Week"),
            staff_members=staff_members,
            member=member,
            first_day=first_day,
            previous_week=first_day - timedelta(days=7),
            next_week=first_day + timedelta(days=7),
            days=days,
        ),
    )


def _week_days(member: Staff, first_day: date):
    bookings = selectors.desk_week(staff_id=member.pk, first_day=first_day)
    start, _ = local_day_bounds(first_day)
    end, _ = local_day_bounds(first_day + timedelta(days=7))
    free = Availability.objects.filter(
        staff=member,
        is_booked=False,
        is_closed=False,
        start_time__gte=max(start, timezone.now()),
        start_time__lt=end,
    ).order_by("start_time")
    entries = [
        (booking.availability.start_time, "booking", booking) for booking in bookings
    ]
    entries += [(gap[0], "gap", gap) for gap in _gaps(free)]
    entries.sort(key=lambda entry: (entry[0], entry[1]))
    days = []
    for offset in range(7):
        day = first_day + timedelta(days=offset)
        days.append(
            (
                day,
                [
                    (kind, item)
                    for moment, kind, item in entries
                    if timezone.localdate(moment) == day
                ],
            )
        )
    return days


def _gaps(free_slots):
    """Consecutive free slots merged: [(start, end), ...]."""
    gaps = []
    for slot in free_slots:
        if gaps and gaps[-1][1] == slot.start_time:
            gaps[-1] = (gaps[-1][0], slot.end_time)
        else:
            gaps.append((slot.start_time, slot.end_time))
    return gaps
