"""The admin's Exports page: the same files as the API, with a Download button."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from apps.bookings.models import Booking
from apps.exports import selectors, services, writers
from apps.exports.models import Export
from apps.exports.serializers import (
    BookingExportQuerySerializer,
    PaymentExportQuerySerializer,
)
from apps.services.models import Service
from apps.staff.models import Staff

QUERIES = {
    services.BOOKINGS: BookingExportQuerySerializer,
    services.PAYMENTS: PaymentExportQuerySerializer,
}
BASES = [
    (selectors.APPOINTMENT, _("Appointment date")),
    (selectors.CREATED, _("Date booked")),
    (selectors.PAID, _("Date paid (payments only)")),
]
KIND_LABELS = {services.BOOKINGS: _("Bookings"), services.PAYMENTS: _("Payments")}


class ExportForm(forms.Form):
    kind = forms.ChoiceField(label=_("Export"))
    date_from = forms.DateField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To (included)"), widget=forms.DateInput(attrs={"type": "date"})
    )
    file_format = forms.ChoiceField(
        label=_("Format"),
        choices=[
            (writers.XLSX, _("Excel (xlsx)")),
            (writers.CSV_SEMICOLON, _("CSV with semicolons and decimal commas")),
            (writers.CSV, _("CSV with commas")),
        ],
    )
    date_basis = forms.ChoiceField(label=_("Dates are"), choices=BASES, required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Any status")), *Booking.Status.choices],
        required=False,
    )
    staff = forms.ModelChoiceField(
        Staff.objects.all(), label=_("Staff member"), required=False
    )
    service = forms.ModelChoiceField(
        Service.objects.all(), label=_("Service"), required=False
    )

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(kind, KIND_LABELS[kind]) for kind in kinds]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        params = {
            "from": data["date_from"],
            "to": data["date_to"],
            "format": data["file_format"],
        }
        for name in ("date_basis", "status"):
            if data.get(name):
                params[name] = data[name]
        for name in ("staff", "service"):
            if data.get(name):
                params[name] = data[name].pk
        query = QUERIES[data["kind"]](data=params)
        if not query.is_valid():
            raise forms.ValidationError(
                [
                    f"{field}: {' '.join(map(str, e))}"
                    for field, e in query.errors.items()
                ]
            )
        data["query"] = query
        return data


@admin.register(Export)
class ExportAdmin(admin.ModelAdmin):
    """No rows to list: the model's page is the export form."""

    def _kinds(self, request) -> list[str]:
        return [
            kind
            for kind, permission in services.PERMISSIONS.items()
            if request.user.has_perm(permission)
        ]

    def has_module_permission(self, request):
        return bool(self._kinds(request))

    def has_view_permission(self, request, obj=None):
        return bool(self._kinds(request))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "",
                self.admin_site.admin_view(self.changelist_view),
                name="{}_{}_changelist".format(*info),
            )
        ]

    def changelist_view(self, request, extra_context=None):
        kinds = self._kinds(request)
        if not kinds:
            raise PermissionDenied
        form = ExportForm(request.GET or None, kinds=kinds)
        if form.is_bound and form.is_valid():
            query = form.cleaned_data["query"]
            export = services.export_file(
                kind=form.cleaned_data["kind"],
                query=query.export_query(),
                file_format=query.validated_data["format"],
                include_contact=services.may_see_contact(request.user),
            )
            response = StreamingHttpResponse(
                export.chunks, content_type=export.content_type
            )
            response["Content-Disposition"] = (
                f'attachment; filename="{export.filename}"'
            )
            return response
        return TemplateResponse(
            request,
            "admin/exports/export.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Export for the accountant"),
                "opts": self.opts,
                "form": form,
            },
        )
