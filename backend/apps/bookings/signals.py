"""What the booking domain announces; side-effect apps listen, bookings calls none.

`booking_events_recorded` is sent by `apps.bookings.services.events`, the one
place that records a `BookingEvent`, inside the transaction of the change:
once per transition (one event) and once per expiry batch (many). Every
event carries its booking (`event.booking`, with service, staff and slot
loaded). A receiver writes what must commit with the change (an outbox row)
and nothing slow; if it raises, the change rolls back with it. `notify_guest`
is False when the business chose not to tell the guest (an expiry run with
`--no-email`).
"""

from django.dispatch import Signal

booking_events_recorded = Signal()

# Sent by the desk page (the admin) with `day`, the business's today: each
# receiver returns a panel to show, {"id", "title", "rows", "empty"}, or None.
# An app with something for the front desk's day (the closures and absences of
# the business calendar) adds it here, and the desk imports none of them.
desk_panels = Signal()

# Sent, in the transaction that stores it, when a guest is given a link to
# manage a booking whose reference was locked by failed proofs
# (apps.bookings.guest_access): `booking`, `token` (the secret itself, never
# stored) and `expires_at`. The receiver emails it to the booking's address.
booking_access_link_issued = Signal()
