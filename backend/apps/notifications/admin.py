from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from apps.notifications import services
from apps.notifications.exceptions import NotificationDomainError
from apps.notifications.models import (
    Notification,
    NotificationAttachment,
    Reminder,
    StaffCalendarFeed,
)
from common.admin import ReadOnlyAdminMixin


class NotificationAttachmentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = NotificationAttachment
    extra = 0
    can_delete = False
    fields = ["filename", "content_type"]
    readonly_fields = fields


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The outbox, read-only: what was queued, sent, or gave up, and why."""

    list_display = [
        "created_at",
        "kind",
        "recipient",
        "booking",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "short_error",
    ]
    list_filter = ["status", "kind"]
    list_select_related = ["booking"]
    search_fields = ["recipient", "booking__reference", "subject"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "kind",
        "booking",
        "recipient",
        "subject",
        "body_text",
        "body_html",
        "ics_sequence",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
    ]
    fields = readonly_fields
    inlines = [NotificationAttachmentInline]
    actions = ["send_again"]

    @admin.display(description=_("Error"))
    def short_error(self, notification):
        error = notification.last_error
        return error if len(error) <= 80 else f"{error[:79]}…"

    def has_resend_permission(self, request):
        return request.user.has_perm("notifications.resend_notification")

    @admin.action(
        description=_("Send selected failed notifications again"),
        permissions=["resend"],
    )
    def send_again(self, request, queryset):
        queued = 0
        for notification in queryset:
            try:
                services.notification_resend(notification=notification)
                queued += 1
            except NotificationDomainError as error:
                self.message_user(
                    request,
                    f"{notification.pk} ({notification.status}): {error.detail}",
                    messages.ERROR,
                )
        if queued:
            self.message_user(
                request,
                ngettext(
                    "%(count)d notification queued to be sent again.",
                    "%(count)d notifications queued to be sent again.",
                    queued,
                )
                % {"count": queued},
                messages.SUCCESS,
            )


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["booking", "kind", "due_at", "status", "done_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["booking"]
    search_fields = ["booking__reference"]
    readonly_fields = ["booking", "kind", "due_at", "status", "notification", "done_at"]
    fields = readonly_fields
    deletable = True


def _feed_path(feed: StaffCalendarFeed) -> str:
    path = reverse("staff-calendar-feed", kwargs={"staff_id": feed.staff_id})
    return f"{path}?token={feed.token}"


@admin.register(StaffCalendarFeed)
class StaffCalendarFeedAdmin(admin.ModelAdmin):
    """Private calendar feeds. Adding one for a staff member creates its
    token; rotating it makes the old URL stop working at once."""

    list_select_related = ["staff"]
    search_fields = ["staff__name"]
    actions = ["rotate_tokens"]

    def get_list_display(self, request):
        def feed_url(feed):
            return format_html(
                "<code>{}</code>", request.build_absolute_uri(_feed_path(feed))
            )

        feed_url.short_description = _("Feed URL (keep it private)")
        return ["staff", "rotated_at", feed_url]

    def get_fields(self, request, obj=None):
        return ["staff"] if obj is None else ["staff", "rotated_at", "feed_path"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["staff", "rotated_at", "feed_path"]

    @admin.display(description=_("Feed URL path (keep it private)"))
    def feed_path(self, feed):
        return format_html("<code>{}</code>", _feed_path(feed))

    def save_model(self, request, obj, form, change):
        if change:
            return  # nothing is editable once created; rotate instead
        created = services.staff_calendar_feed_rotate(staff=obj.staff)
        obj.pk, obj.token, obj.rotated_at = (
            created.pk,
            created.token,
            created.rotated_at,
        )

    def has_add_permission(self, request):
        return request.user.has_perm("notifications.rotate_calendar_token")

    def has_change_permission(self, request, obj=None):
        return False

    def has_rotate_permission(self, request):
        return request.user.has_perm("notifications.rotate_calendar_token")

    @admin.action(
        description=_("Rotate the selected feed tokens"), permissions=["rotate"]
    )
    def rotate_tokens(self, request, queryset):
        rotated = 0
        for feed in queryset.select_related("staff"):
            services.staff_calendar_feed_rotate(staff=feed.staff)
            rotated += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d feed token rotated; the old URL no longer works.",
                "%(count)d feed tokens rotated; the old URLs no longer work.",
                rotated,
            )
            % {"count": rotated},
            messages.SUCCESS,
        )
