from common.exceptions import InvalidInput


class ContactRequired(InvalidInput):
    code = "contact_required"
    default_detail = "Give an email or a phone number (one of them)."


class ContactUnusable(InvalidInput):
    code = "contact_unusable"
    default_detail = "This is not an email address or phone number we can look up."
