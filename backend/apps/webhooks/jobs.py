"""The webhooks app's periodic jobs (see common.jobs)."""

from common.jobs import ScheduledJob


def send_webhooks() -> str:
    from apps.webhooks.sending import webhooks_send_due

    return webhooks_send_due().summary()


def purge_webhook_deliveries() -> str:
    from apps.webhooks.services import webhook_deliveries_prune

    return f"Deleted {webhook_deliveries_prune()} webhook deliveries past retention."


JOBS = [
    # After expiry and reminders (what they cause is sent in the same run),
    # before send_notifications, so an endpoint disabled now has its email
    # to the managers sent in this run too.
    ScheduledJob(
        name="send_webhooks",
        run=send_webhooks,
        order=70,
        every_seconds=30,
        interval_env="BOOKING_WEBHOOK_INTERVAL_SECONDS",
    ),
    ScheduledJob(
        name="purge_webhook_deliveries",
        run=purge_webhook_deliveries,
        order=95,
        every_seconds=3600,
    ),
]
