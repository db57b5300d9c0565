"""Staff roles: which permissions each group holds, and the one function syncing them.

The table below is the only place a role's rights are decided. The data
migrations call `sync_role_groups`, so every deployment's groups match it;
an app that adds permissions (a new transition, an import) adds them here
and ships a migration that calls `sync_role_groups` again. Superusers hold
every permission and need no group.
"""

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Q

FRONT_DESK = "Front desk"
MANAGER = "Manager"
# The names `createstaffuser --role` accepts.
ROLES = {"desk": FRONT_DESK, "manager": MANAGER}

_FRONT_DESK_PERMISSIONS = frozenset(
    {
        "services.view_service",
        "staff.view_staff",
        "availability.view_availability",
        "bookings.view_booking",
        "bookings.view_bookingevent",
        # Contact fields and notes; a status change also needs its transition.
        "bookings.change_booking",
        # Booking a caller by phone or at the counter (the Desk's New booking,
        # or the API): staff source, no guest limits, email optional.
        "bookings.add_booking",
        "bookings.verify_payment",
        "bookings.cancel_booking",
        "bookings.complete_booking",
        "bookings.reschedule_booking",
        # Bank statements: see what came in and how it was matched.
        "payments.view_bankstatementimport",
        "payments.view_banktransaction",
        # The email outbox: what was sent to whom, and what failed.
        "notifications.view_notification",
        "notifications.view_notificationattachment",
        "notifications.view_reminder",
        # The business calendar: who works when, and who is away.
        "schedules.view_workinghours",
        "schedules.view_closure",
        # The business's settings: read (the desk quotes its IBAN, phone).
        "business.view_businesssettings",
        # The waiting list: who waits for which day, and offering a slot.
        "waitlist.view_waitlistentry",
        "waitlist.view_waitlistoffer",
        "waitlist.offer_slot",
    }
)

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    FRONT_DESK: _FRONT_DESK_PERMISSIONS,
    MANAGER: _FRONT_DESK_PERMISSIONS
    | {
        "services.add_service",
        "services.change_service",
        "services.delete_service",
        "staff.add_staff",
        "staff.change_staff",
        "staff.delete_staff",
        # add_availability also allows generating slots in bulk.
        "availability.add_availability",
        "availability.change_availability",
        "availability.delete_availability",
        "bookings.delete_booking",
        "payments.import_bank_statement",
        "payments.reconcile_bank_transaction",
        "notifications.resend_notification",
        "notifications.view_staffcalendarfeed",
        "notifications.rotate_calendar_token",
        # Webhooks: the endpoints, their secrets and what was sent to them.
        "webhooks.view_webhookendpoint",
        "webhooks.add_webhookendpoint",
        "webhooks.change_webhookendpoint",
        "webhooks.delete_webhookendpoint",
        "webhooks.rotate_webhook_secret",
        "webhooks.send_webhook_test",
        "webhooks.view_webhookdelivery",
        "webhooks.view_webhookattempt",
        "webhooks.resend_webhookdelivery",
        # The accountant's exports, with the guests' names and emails.
        "exports.export_bookings",
        "exports.export_payments",
        # Name, payment details, sender address: the one settings page.
        "business.change_businesssettings",
        "exports.export_guest_contact",
        # Guests' requests under the GDPR: erase or export their data, and
        # the record of past erasures (never the contact itself).
        "privacy.erase_personal_data",
        "privacy.export_personal_data",
        "privacy.view_erasurerecord",
        # change_workinghours also allows running the horizon job at once.
        "schedules.add_workinghours",
        "schedules.change_workinghours",
        "schedules.delete_workinghours",
        "schedules.add_closure",
        "schedules.change_closure",
        "schedules.delete_closure",
    },
}


class MissingPermission(LookupError):
    pass


def sync_role_groups(*, apps=global_apps, using: str = DEFAULT_DB_ALIAS, strict=True):
    """Create the role groups and give each exactly the permissions of the table.

    `strict` raises on a permission that does not exist (a typo in the
    table). Migrations pass `strict=False` with their historical models: a
    permission of an app migrated later is granted by that app's migration.
    """
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, wanted in ROLE_PERMISSIONS.items():
        matching = Q()
        for perm in wanted:
            app_label, codename = perm.split(".", 1)
            matching |= Q(content_type__app_label=app_label, codename=codename)
        found = list(
            Permission.objects.using(using)
            .filter(matching)
            .values_list("pk", "content_type__app_label", "codename")
        )
        missing = wanted - {f"{label}.{codename}" for _, label, codename in found}
        if missing and strict:
            raise MissingPermission(f"{name}: no such permission {sorted(missing)}")
        group, _ = Group.objects.using(using).get_or_create(name=name)
        group.permissions.set([pk for pk, _, _ in found])


def sync_role_groups_migration(apps, schema_editor):
    """A data migration's RunPython: the permissions, then the groups.

    Permissions are normally created after all migrations (post_migrate);
    they are created here so the groups can be given them on a fresh database.
    """
    from django.contrib.auth.management import create_permissions

    alias = schema_editor.connection.alias
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps, using=alias)
        app_config.models_module = None
    sync_role_groups(apps=apps, using=alias, strict=False)


def role_group(role: str):
    """The group of a role key (`desk`, `manager`), synced first."""
    from django.contrib.auth.models import Group

    sync_role_groups()
    return Group.objects.get(name=ROLES[role])
