from django.utils.translation import gettext_lazy as _

from common.exceptions import InvalidInput


class ContactRequired(InvalidInput):
    code = "contact_required"
    default_detail = _("Give an email or a phone number (one of them).")


class ContactUnusable(InvalidInput):
    code = "contact_unusable"
    default_detail = _("This is not an email address or phone number we can look up.")


class PrivacyLinkInvalid(InvalidInput):
    code = "privacy_link_invalid"
    default_detail = _(
        "This link is not valid any more (used, expired or mistyped). Ask for a "
        "new one on the booking page."
    )
