from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from apps.availability import services
from apps.availability.models import Availability
from apps.staff.models import Staff
from common.dates import validate_allowed_date
from common.exceptions import DomainError


def as_validation_error(error: DomainError) -> ValidationError:
    field = error.field if error.status_code == 400 else None
    return ValidationError({field: error.detail} if field else error.detail)


class AvailabilityAdminForm(forms.ModelForm):
    class Meta:
        model = Availability
        fields = ["staff", "start_time", "end_time"]

    def clean(self):
        cleaned = super().clean()
        staff, start, end = (
            cleaned.get("staff"),
            cleaned.get("start_time"),
            cleaned.get("end_time"),
        )
        if staff and start and end:
            existing = self.instance if self.instance.pk else None
            if existing is not None:
                existing = Availability.objects.get(pk=existing.pk)
            try:
                services.availability_validate(
                    staff_id=staff.pk,
                    start_time=start,
                    end_time=end,
                    availability=existing,
                )
            except DomainError as error:
                raise as_validation_error(error) from error
        return cleaned


WEEKDAY_CHOICES = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class GenerateSlotsForm(forms.Form):
    staff = forms.ModelChoiceField(
        label=_("Staff member"), queryset=Staff.objects.filter(is_active=True)
    )
    first_day = forms.DateField(
        label=_("First day"),
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_allowed_date],
    )
    last_day = forms.DateField(
        label=_("Last day"),
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_allowed_date],
    )
    day_start = forms.TimeField(
        label=_("Day start"), initial="09:00", help_text=_("Business timezone")
    )
    day_end = forms.TimeField(label=_("Day end"), initial="17:00")
    every_minutes = forms.IntegerField(
        label=_("Every (minutes)"), min_value=5, max_value=24 * 60, initial=60
    )
    buffer_minutes = forms.IntegerField(
        label=_("Buffer (minutes)"),
        required=False,
        min_value=0,
        max_value=24 * 60,
        initial=0,
        help_text=_("Minutes left free between consecutive slots."),
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Weekdays"),
        choices=WEEKDAY_CHOICES,
        coerce=int,
        initial=[0, 1, 2, 3, 4],
        widget=forms.CheckboxSelectMultiple,
    )

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("first_day"), cleaned.get("last_day")
        if first and last and last < first:
            raise ValidationError({"last_day": _("Must not be before the first day.")})
        if first and last and (last - first).days > 366:
            raise ValidationError({"last_day": _("At most one year at a time.")})
        start, end = cleaned.get("day_start"), cleaned.get("day_end")
        if start and end and end <= start:
            raise ValidationError({"day_end": _("Must be after the start.")})
        return cleaned


@admin.register(Availability)
class AvailabilityAdmin(admin.ModelAdmin):
    """Slots. Writes go through the booking domain layer, under its locks."""

    form = AvailabilityAdminForm
    list_display = [
        "staff",
        "start_time",
        "end_time",
        "is_booked",
        "is_closed",
        "source",
    ]
    list_filter = [
        "is_booked",
        "is_closed",
        "source",
        "staff",
        ("start_time", admin.DateFieldListFilter),
    ]
    list_select_related = ["staff"]
    search_fields = ["staff__name"]
    date_hierarchy = "start_time"
    readonly_fields = ["is_booked", "is_closed", "source", "created_at", "updated_at"]
    change_list_template = "admin/availability/availability/change_list.html"

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_booked:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            if change:
                services.availability_update(
                    availability=obj,
                    changes={
                        "staff": data["staff"],
                        "start_time": data["start_time"],
                        "end_time": data["end_time"],
                    },
                )
            else:
                obj.pk = services.availability_create(
                    staff=data["staff"],
                    start_time=data["start_time"],
                    end_time=data["end_time"],
                ).pk
        except DomainError as error:
            # Only when another change won a race after the form's check.
            messages.error(request, _("Not saved: %(error)s") % {"error": error.detail})

    def delete_model(self, request, obj):
        try:
            services.availability_delete(availability=obj)
        except DomainError as error:
            messages.error(request, f"{obj}: {error.detail}")

    def delete_queryset(self, request, queryset):
        for slot in queryset:
            self.delete_model(request, slot)

    def get_urls(self):
        generate = path(
            "generate/",
            self.admin_site.admin_view(self.generate_slots_view),
            name="availability_availability_generate",
        )
        return [generate, *super().get_urls()]

    def generate_slots_view(self, request):
        """Create many slots at once, as the create_slots command does."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = GenerateSlotsForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            created = services.availability_generate(
                staff=data["staff"],
                first_day=data["first_day"],
                last_day=data["last_day"],
                day_start=data["day_start"],
                day_end=data["day_end"],
                every_minutes=data["every_minutes"],
                weekdays=frozenset(data["weekdays"]),
                buffer_minutes=data["buffer_minutes"] or 0,
            )
            messages.success(
                request,
                _(
                    "Created %(count)d slots for %(staff)s (slots overlapping "
                    "existing ones were skipped)."
                )
                % {"count": created, "staff": data["staff"]},
            )
            return redirect(reverse("admin:availability_availability_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Generate slots"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(
            request, "admin/availability/availability/generate_slots.html", context
        )
