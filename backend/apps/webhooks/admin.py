import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from apps.webhooks import addresses, services
from apps.webhooks.exceptions import WebhooksError
from apps.webhooks.models import (
    EventType,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from common.admin import ReadOnlyAdminMixin

SECRET_TEMPLATE = "webhooks/admin/secret.html"


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=2000, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "events", "include_contact", "enabled"]

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            addresses.check_url(url)
        except WebhooksError as refusal:
            raise ValidationError(refusal.detail) from None
        return url


def _secret_page(request, endpoint, *, title: str):
    """The one page that shows a secret (never stored in a message cookie)."""
    return TemplateResponse(
        request,
        SECRET_TEMPLATE,
        {
            "title": title,
            "endpoint": endpoint,
            "secret": endpoint.secret,
            "change_url": reverse(
                "admin:webhooks_webhookendpoint_change", args=[endpoint.pk]
            ),
            "site_header": admin.site.site_header,
            "has_permission": True,
        },
    )


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Endpoints: created and changed through the webhooks services, so the
    URL is checked and the secret shown once, as in the API."""

    form = WebhookEndpointForm
    list_display = ["url", "description", "enabled", "failing_since", "disabled_at"]
    list_filter = ["enabled"]
    search_fields = ["url", "description"]
    readonly_fields = [
        "failing_since",
        "disabled_at",
        "disabled_reason",
        "previous_secret_expires_at",
        "created_at",
    ]
    actions = ["send_test_event", "rotate_secret"]

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        if change:
            changed = {name: data[name] for name in form.changed_data if name in data}
            saved = services.webhook_endpoint_update(endpoint=obj, **changed)
        else:
            saved = services.webhook_endpoint_create(**data)
        obj.pk, obj.secret = saved.pk, saved.secret

    def delete_model(self, request, obj):
        services.webhook_endpoint_delete(endpoint=obj)

    def response_add(self, request, obj, post_url_continue=None):
        return _secret_page(request, obj, title=_("Webhook endpoint added"))

    def has_test_permission(self, request):
        return request.user.has_perm("webhooks.send_webhook_test")

    def has_rotate_permission(self, request):
        return request.user.has_perm("webhooks.rotate_webhook_secret")

    @admin.action(description=_("Send a test event"), permissions=["test"])
    def send_test_event(self, request, queryset):
        for endpoint in queryset:
            try:
                services.webhook_endpoint_send_test(endpoint=endpoint)
            except WebhooksError as error:
                self.message_user(
                    request, f"{endpoint}: {error.detail}", messages.ERROR
                )
            else:
                self.message_user(
                    request,
                    _(
                        "%(endpoint)s: a test event is queued; it is sent within "
                        "a minute (see Webhook deliveries)."
                    )
                    % {"endpoint": endpoint},
                    messages.SUCCESS,
                )

    @admin.action(description=_("Rotate the secret"), permissions=["rotate"])
    def rotate_secret(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(
                request, _("Rotate one endpoint's secret at a time."), messages.ERROR
            )
            return None
        endpoint = services.webhook_endpoint_rotate_secret(endpoint=queryset.get())
        return _secret_page(request, endpoint, title=_("Webhook secret rotated"))


class WebhookAttemptInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ["attempted_at", "status_code", "duration_ms", "error", "response_excerpt"]
    readonly_fields = fields


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every message and every attempt's answer; "Send again" re-queues."""

    list_display = [
        "created_at",
        "event_type",
        "endpoint",
        "booking",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
    ]
    list_filter = ["status", "event_type", "endpoint"]
    list_select_related = ["endpoint", "booking"]
    search_fields = ["message_id", "booking__reference", "endpoint__url"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "endpoint",
        "event_type",
        "message_id",
        "status",
        "attempts",
        "next_attempt_at",
        "retry_until",
        "last_status_code",
        "last_error",
        "booking",
        "bank_transaction",
        "created_at",
        "delivered_at",
        "payload",
    ]
    fields = readonly_fields
    inlines = [WebhookAttemptInline]
    actions = ["send_again"]

    @admin.display(description=_("Body"))
    def payload(self, delivery):
        return format_html(
            "<pre>{}</pre>",
            json.dumps(json.loads(delivery.body), indent=2, ensure_ascii=False),
        )

    def has_resend_permission(self, request):
        return request.user.has_perm("webhooks.resend_webhookdelivery")

    @admin.action(
        description=_("Send selected deliveries again"), permissions=["resend"]
    )
    def send_again(self, request, queryset):
        queued = 0
        for delivery in queryset:
            try:
                services.webhook_delivery_resend(delivery=delivery)
                queued += 1
            except WebhooksError as error:
                self.message_user(
                    request, f"{delivery.message_id}: {error.detail}", messages.ERROR
                )
        if queued:
            self.message_user(
                request,
                ngettext(
                    "%(count)d delivery queued to be sent again.",
                    "%(count)d deliveries queued to be sent again.",
                    queued,
                )
                % {"count": queued},
                messages.SUCCESS,
            )
