"""The admin's Personal data pages: past erasures, and a form that erases or
exports one guest's data (the same services as the API)."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from apps.privacy import services
from apps.privacy.models import ErasureRecord
from common.admin import ReadOnlyAdminMixin

ERASE, EXPORT = "erase", "export"
PERMISSIONS = {
    ERASE: "privacy.erase_personal_data",
    EXPORT: "privacy.export_personal_data",
}


class ContactRequestForm(forms.Form):
    action = forms.ChoiceField(label=_("What to do"))
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=32)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        help_text=_("For an erasure: why (the guest's request, its date)."),
    )

    def __init__(self, *args, actions, **kwargs):
        super().__init__(*args, **kwargs)
        labels = {
            ERASE: _("Erase their data"),
            EXPORT: _("Export their data (JSON)"),
        }
        self.fields["action"].choices = [(a, labels[a]) for a in actions]

    def clean(self):
        data = super().clean()
        if bool(data.get("email")) == bool(data.get("phone")):
            raise forms.ValidationError(_("Give an email or a phone number (one)."))
        if data.get("action") == ERASE and not data.get("reason"):
            self.add_error("reason", _("Say why the data is erased."))
        return data


@admin.register(ErasureRecord)
class ErasureRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "source", "requested_by", "bookings_erased", "reason")
    list_filter = ("source",)
    readonly_fields = [field.name for field in ErasureRecord._meta.fields]
    change_list_template = "admin/privacy/erasurerecord/change_list.html"

    def _actions(self, request) -> list[str]:
        return [a for a, perm in PERMISSIONS.items() if request.user.has_perm(perm)]

    def get_urls(self):
        return [
            path(
                "request/",
                self.admin_site.admin_view(self.request_view),
                name="privacy_erasurerecord_request",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_act": self._actions(request)}
        return super().changelist_view(request, extra_context)

    def request_view(self, request):
        actions = self._actions(request)
        if not actions:
            raise PermissionDenied
        form = ContactRequestForm(request.POST or None, actions=actions)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            if not request.user.has_perm(PERMISSIONS[data["action"]]):
                raise PermissionDenied
            contact = {"email": data.get("email", ""), "phone": data.get("phone", "")}
            if data["action"] == EXPORT:
                export = services.personal_data_export(**contact)
                response = HttpResponse(
                    json.dumps(export, indent=2, ensure_ascii=False),
                    content_type="application/json",
                )
                response["Content-Disposition"] = (
                    'attachment; filename="personal-data.json"'
                )
                response["Cache-Control"] = "private, no-store"
                return response
            result = services.personal_data_erase(
                **contact, reason=data["reason"], actor=request.user
            )
            kept = ", ".join(f"{k['reference']} ({k['reason']})" for k in result.kept)
            done = _("Anonymised %(count)d bookings") % {"count": len(result.erased)}
            if kept:
                done += _("; kept %(kept)s") % {"kept": kept}
            done += (
                _(". Nothing was left of this contact.") if result.nothing_left else "."
            )
            messages.success(request, done)
            return HttpResponseRedirect(
                reverse("admin:privacy_erasurerecord_change", args=[result.record.pk])
            )
        return TemplateResponse(
            request,
            "admin/privacy/erasurerecord/request.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Erase or export a guest's personal data"),
                "opts": self.opts,
                "form": form,
            },
        )
