"""Domain errors of the waiting list (see common.exceptions for the shape)."""

from django.utils.translation import gettext_lazy as _

from common.exceptions import DomainError, InvalidInput


class UnknownService(InvalidInput):
    code = "unknown_service"
    field = "service"
    default_detail = _("No service with this id takes bookings.")


class UnknownStaff(InvalidInput):
    code = "unknown_staff"
    field = "staff"
    default_detail = _("No active staff member with this id offers this service.")


class DatesOutOfRange(InvalidInput):
    code = "dates_out_of_range"
    field = "date_from"
    default_detail = _("The days must run from today to at most 90 days ahead.")


class InvalidTimeWindow(InvalidInput):
    code = "invalid_time_window"
    field = "time_to"
    default_detail = _("time_to must be after time_from.")


class TooManyEntries(DomainError):
    code = "waitlist_limit_reached"
    default_detail = _(
        "You are already waiting for as many times as one guest may; leave one "
        "of them (the link is in its email) to wait for another."
    )


class UnknownToken(DomainError):
    status_code = 404
    code = "waitlist_link_unknown"
    default_detail = _("This link is not valid. Please use the link from the email.")


class OfferClosed(DomainError):
    code = "offer_closed"
    default_detail = _("This offer was already answered or withdrawn.")


class OfferExpired(DomainError):
    code = "offer_expired"
    default_detail = _("This offer ran out and passed to the next guest waiting.")


class EntryClosed(DomainError):
    code = "entry_closed"
    default_detail = _("This waiting-list entry is no longer waiting.")


class NoMatchingSlot(DomainError):
    code = "no_matching_slot"
    default_detail = _("No free time matches this entry right now.")
