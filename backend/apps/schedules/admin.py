"""The business calendar in the admin: every write goes through services.py,
so the admin applies the API's rules, locks and consequences. A closure over
bookings first shows them on a confirmation page and asks what to do."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from apps.schedules import services
from apps.schedules.models import MINUTES_PER_DAY, Closure, WorkingHours, clock
from common.exceptions import DomainError

ON_CONFLICT_LABELS = {
    services.KEEP: _("Keep them: the closure covers only the free time"),
    services.CANCEL: _(
        "Cancel them and email each guest why, with a link to book again"
    ),
    services.OFFER_RESCHEDULE: _(
        "Email confirmed guests their link to choose another time (unpaid "
        "bookings are cancelled)"
    ),
}


def as_validation_error(error: DomainError, renamed=None) -> ValidationError:
    """A domain error as a form error, on the form's name for its field."""
    field = error.field if error.status_code == 400 else None
    field = (renamed or {}).get(field, field)
    return ValidationError({field: error.detail} if field else error.detail)


class ClockFormField(forms.Field):
    """A wall-clock time, "HH:MM" from 00:00 to 24:00, as minutes after midnight."""

    widget = forms.TextInput(attrs={"size": 5, "maxlength": 5})

    def __init__(self, **kwargs):
        super().__init__(help_text=_('"HH:MM", up to "24:00"'), **kwargs)

    def prepare_value(self, value):
        return clock(value) if isinstance(value, int) else value

    def to_python(self, value):
        value = (value or "").strip()
        if not value:
            return None
        hours, colon, minutes = value.partition(":")
        if not (colon and hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
            raise ValidationError(_('Give a time as "HH:MM".'))
        total = int(hours) * 60 + int(minutes)
        if int(minutes) > 59 or total > MINUTES_PER_DAY:
            raise ValidationError(_("A time from 00:00 to 24:00."))
        return total


class WorkingHoursAdminForm(forms.ModelForm):
    start_minute = ClockFormField(label=_("Start"))
    end_minute = ClockFormField(label=_("End"))

    class Meta:
        model = WorkingHours
        fields = [
            "staff",
            "weekday",
            "start_minute",
            "end_minute",
            "slot_minutes",
            "buffer_minutes",
            "valid_from",
            "valid_until",
        ]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            services.working_hours_validate(
                staff_id=cleaned["staff"].pk,
                **{
                    name: cleaned.get(name)
                    for name in self.Meta.fields
                    if name not in ("staff", "buffer_minutes")
                },
                rule=self.instance if self.instance.pk else None,
            )
        except DomainError as error:
            raise as_validation_error(
                error, {"start": "start_minute", "end": "end_minute"}
            ) from error
        return cleaned


@admin.register(WorkingHours)
class WorkingHoursAdmin(admin.ModelAdmin):
    form = WorkingHoursAdminForm
    list_display = [
        "staff",
        "weekday",
        "start",
        "end",
        "slot_minutes",
        "buffer_minutes",
        "valid_from",
        "valid_until",
    ]
    list_filter = ["staff", "weekday"]
    list_select_related = ["staff"]

    def save_model(self, request, obj, form, change):
        data = {
            name: form.cleaned_data[name] for name in WorkingHoursAdminForm.Meta.fields
        }
        try:
            if change:
                services.working_hours_update(rule=obj, changes=data)
            else:
                obj.pk = services.working_hours_create(**data).pk
        except DomainError as error:
            # Only when another change won a race after the form's check.
            messages.error(request, _("Not saved: %(error)s") % {"error": error.detail})

    def delete_model(self, request, obj):
        services.working_hours_delete(rule=obj)

    def delete_queryset(self, request, queryset):
        for rule in queryset:
            services.working_hours_delete(rule=rule)


class ClosureAdminForm(forms.ModelForm):
    class Meta:
        model = Closure
        fields = ["starts_at", "ends_at", "staff", "kind", "public_note"]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            services.closure_validate(
                starts_at=cleaned["starts_at"],
                ends_at=cleaned["ends_at"],
                kind=cleaned["kind"],
                staff=cleaned.get("staff"),
            )
        except DomainError as error:
            raise as_validation_error(error) from error
        return cleaned


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    """Holidays, closed days and absences; bookings inside one are shown on a
    confirmation page, and nothing happens until a choice is made there."""

    form = ClosureAdminForm
    list_display = ["starts_at", "ends_at", "staff", "kind", "public_note"]
    list_filter = ["kind", "staff", ("starts_at", admin.DateFieldListFilter)]
    list_select_related = ["staff"]
    search_fields = ["public_note", "staff__name"]
    date_hierarchy = "starts_at"
    readonly_fields = ["created_by", "created_at", "updated_at"]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and "on_conflict" not in request.POST:
            confirmation = self._confirmation(request, object_id)
            if confirmation is not None:
                return confirmation
        return super().changeform_view(request, object_id, form_url, extra_context)

    def _confirmation(self, request, object_id):
        """The page listing the bookings inside the closure, or None when it
        holds none (or the form has errors, which the normal page shows)."""
        obj = self.get_object(request, object_id) if object_id else None
        allowed = (
            self.has_change_permission(request, obj)
            if obj is not None
            else self.has_add_permission(request)
        )
        if not allowed:
            raise PermissionDenied
        form = self.get_form(request, obj, change=obj is not None)(
            request.POST, instance=obj
        )
        if not form.is_valid():
            return None
        data = form.cleaned_data
        conflicts = services.closure_conflicts(
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            staff=data.get("staff"),
            # As stored: the form has already written the new times into obj.
            closure=Closure.objects.filter(pk=obj.pk).first() if obj else None,
        )
        if not conflicts:
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Bookings inside this closure"),
            "opts": self.model._meta,
            "original": obj,
            "closure": data,
            "kind_label": Closure.Kind(data["kind"]).label,
            "bookings": conflicts,
            "fields": [
                (name, value)
                for name, values in request.POST.lists()
                if name not in ("csrfmiddlewaretoken", "on_conflict")
                for value in values
            ],
            "choices": list(ON_CONFLICT_LABELS.items()),
        }
        return TemplateResponse(
            request, "admin/schedules/closure/confirm_conflicts.html", context
        )

    def save_model(self, request, obj, form, change):
        data = {
            name: form.cleaned_data.get(name) for name in ClosureAdminForm.Meta.fields
        }
        on_conflict = request.POST.get("on_conflict") or None
        if on_conflict not in (None, *services.ON_CONFLICT_CHOICES):
            on_conflict = None
        try:
            if change:
                services.closure_update(
                    closure=obj,
                    changes=data,
                    on_conflict=on_conflict,
                    actor=request.user,
                )
            else:
                obj.pk = services.closure_create(
                    **data, on_conflict=on_conflict, actor=request.user
                ).closure.pk
        except DomainError as error:
            # A booking made between the confirmation and this save.
            messages.error(request, _("Not saved: %(error)s") % {"error": error.detail})

    def delete_model(self, request, obj):
        services.closure_delete(closure=obj)

    def delete_queryset(self, request, queryset):
        for closure in queryset:
            services.closure_delete(closure=closure)
