"""One settings page: the changelist opens the single row's form."""

from django.contrib import admin
from django.db import models
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.business import selectors, services
from apps.business.models import BusinessSettings


@admin.register(BusinessSettings)
class BusinessSettingsAdmin(admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "name_en",
                    "welcome_text",
                    "welcome_text_en",
                    "phone",
                    "address",
                    "website",
                ]
            },
        ),
        (
            _("Payments"),
            {
                "fields": [
                    "payment_instructions",
                    "payment_instructions_en",
                    "iban",
                    "bic",
                    "beneficiary",
                ]
            },
        ),
        (_("Emails"), {"fields": ["sender_email", "reply_to"]}),
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        url = reverse(
            "admin:business_businesssettings_change",
            args=[BusinessSettings.SINGLETON_ID],
        )
        return redirect(url)

    def get_object(self, request, object_id, from_field=None):
        # Before the first save the form shows the environment's defaults.
        return selectors.business_settings_row()

    def save_model(self, request, obj, form, change):
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        saved = services.business_settings_update(changes=changes, actor=request.user)
        obj.pk = saved.pk
