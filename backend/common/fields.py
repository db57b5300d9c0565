"""Serializer fields every app's API shares."""

import re

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

_DIGITS = re.compile(r"[0-9]+")
# JavaScript's largest safe integer: every client can hold every id exactly
# (a bigint's 2**63 - 1 made generators type ids as BigInt and send strings).
LARGEST_ID = 2**53 - 1
# The one id type of the schema: path ids, filters, request and response ids.
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": LARGEST_ID}


@extend_schema_field(ID_SCHEMA)
class IdField(serializers.IntegerField):
    """A primary key in a query string, checked for shape only.

    Whether it names a row is left to the query that uses it, so a request
    reads each id once. Digits only: Python's int() would also take "1_0" or
    full-width digits, which name no id a client was ever given.
    """

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=LARGEST_ID, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str) and not _DIGITS.fullmatch(data.strip()):
            self.fail("invalid")
        return super().to_internal_value(data)


def json_integer(data):
    """An integer as JSON Schema counts one: 12, or 12.0 (the same number in
    JSON; Python's json module reads it as a float). None for anything else,
    booleans included."""
    if isinstance(data, bool):
        return None
    if isinstance(data, float) and data.is_integer():
        return int(data)
    return data if isinstance(data, int) else None


class BodyIdField(IdField):
    """A primary key in a JSON body: a JSON number, as the schema says (a
    numeric string was accepted, so clients that sent strings never knew)."""

    default_error_messages = {"invalid": _("An id is a JSON number, such as 12.")}

    def to_internal_value(self, data):
        number = json_integer(data)
        if number is None:
            self.fail("invalid")
        return super().to_internal_value(number)


def unknown_id_message(pk) -> str:
    """What an id that names nothing is told: DRF's own words for it."""
    template = serializers.PrimaryKeyRelatedField.default_error_messages[
        "does_not_exist"
    ]
    return str(template).format(pk_value=pk)


@extend_schema_field(ID_SCHEMA)
class IdRelatedField(serializers.PrimaryKeyRelatedField):
    """A related row named by its id, a JSON number (see BodyIdField).
    ModelSerializers with writable relations name it as their
    `serializer_related_field`."""

    def to_internal_value(self, data):
        number = json_integer(data)
        if number is None:
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 1 <= number <= LARGEST_ID:
            self.fail("does_not_exist", pk_value=number)
        return super().to_internal_value(number)


# Euros as the API writes them: digits, then optionally a point and 1 or 2
# decimals. No sign, no exponent, never "" or "-" (the generated pattern
# allowed those), and a JSON string, never a number a client may round.
MONEY_PATTERN = r"^\d{1,8}(?:\.\d{1,2})?$"
_MONEY = re.compile(MONEY_PATTERN)


@extend_schema_field(
    {
        "type": "string",
        "format": "decimal",
        "pattern": MONEY_PATTERN,
        "examples": ["25.00"],
    }
)
class MoneyField(serializers.DecimalField):
    default_error_messages = {
        "invalid": 'Give an amount as a string such as "25.00": digits, '
        "optionally a point and one or two decimals."
    }

    def __init__(self, **kwargs):
        super().__init__(max_digits=10, decimal_places=2, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not _MONEY.fullmatch(data):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field({"type": "boolean"})
class JsonBooleanField(serializers.BooleanField):
    """true or false, as JSON says it (DRF also took 0, 1, "yes" and "on")."""

    default_error_messages = {"invalid": _("Must be true or false.")}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


TIME_PATTERN = r"^(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9])?$"
_TIME = re.compile(TIME_PATTERN)


@extend_schema_field({"type": "string", "pattern": TIME_PATTERN, "examples": ["09:30"]})
class TimeOfDayField(serializers.TimeField):
    """A wall-clock time, HH:MM or HH:MM:SS, as the schema's pattern says (its
    `format: time` is RFC 3339's, with an offset, which DRF refused)."""

    def to_internal_value(self, data):
        if not isinstance(data, str) or not _TIME.fullmatch(data):
            self.fail("invalid", format="HH:MM")
        return super().to_internal_value(data)


class StaffUsernameField(serializers.SlugRelatedField):
    """Who did it, by username (read-only): its own help text, not the one
    Django's user model gives the username input ("Required. 150 characters
    or fewer...")."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text", "The staff user's username; null when none is recorded."
        )
        super().__init__(
            slug_field="username", read_only=True, allow_null=True, **kwargs
        )


class AnyOfFields:
    """Serializer mixin: at least one of `any_of_fields` is sent, not blank.

    The serializer's `validate` enforces it; the schema states it as an
    `anyOf` of `required` beside the properties (common.schema), a form
    client generators read as one class with every field.
    """

    any_of_fields: tuple[str, ...] = ()


class AudienceField(serializers.Field):
    """Which side of a guest/staff resource a body is: `staff` or `public`.

    Guests and staff read the same URLs in two shapes; this read-only field
    names the shape, so a client picks it by the schema's discriminator
    instead of guessing from which fields are present.
    """

    def __init__(self, audience: str, **kwargs):
        self.audience = audience
        kwargs.update(read_only=True, source="*")
        super().__init__(**kwargs)

    def to_representation(self, value) -> str:
        return self.audience


def refuse_coerced_json_types():
    """Text fields take a JSON string and many-relations a JSON array, as the
    schema types them: DRF turned `0` into "0" and read `{}` as an empty list,
    so a body the schema forbids was stored. Run once, from CommonConfig."""
    text_to_internal = serializers.CharField.to_internal_value
    many_to_internal = serializers.ManyRelatedField.to_internal_value

    def char_to_internal(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return text_to_internal(self, data)

    def many_to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("not_a_list", input_type=type(data).__name__)
        return many_to_internal(self, data)

    serializers.CharField.to_internal_value = char_to_internal
    serializers.ManyRelatedField.to_internal_value = many_to_internal_value
