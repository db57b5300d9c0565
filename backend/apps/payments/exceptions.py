"""Domain errors of bank reconciliation, rendered by common.api's one handler."""

from common.exceptions import DomainError


class PaymentsError(DomainError):
    """Base of this app's errors (a DomainError: code, status, optional field)."""


class StatementUnreadable(PaymentsError):
    status_code = 400
    code = "statement_unreadable"
    field = "file"
    default_detail = "The bank statement cannot be read."


class StatementTooLarge(PaymentsError):
    status_code = 400
    code = "statement_too_large"
    field = "file"
    default_detail = "The file is larger than the configured limit."


class TransactionNotOpen(PaymentsError):
    code = "transaction_not_open"
    default_detail = "This bank transaction is not waiting for this action."


class NoSuggestion(PaymentsError):
    code = "no_suggestion"
    default_detail = "This bank transaction has no suggested booking."


class SlotNoLongerBookable(PaymentsError):
    code = "slot_not_bookable"
    default_detail = "The slot of the cancelled booking can no longer be booked."


class PaymentBelowPrice(PaymentsError):
    code = "payment_below_price"
    default_detail = "The amount paid is below the price of the new booking."


class RefundAccountMissing(PaymentsError):
    status_code = 400
    code = "refund_account_missing"
    default_detail = (
        "No refund can be exported: set the business's IBAN and beneficiary "
        "(admin: Business settings)."
    )
