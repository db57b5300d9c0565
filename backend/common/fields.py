"""Serializer fields every app's API shares."""

import re

from rest_framework import serializers

_DIGITS = re.compile(r"[0-9]+")


class IdField(serializers.IntegerField):
    """A primary key, checked for shape only: a positive integer a bigint holds.

    Whether it names a row is left to the query that uses it, so a request
    reads each id once. Digits only: Python's int() would also take "1_0" or
    full-width digits, which name no id a client was ever given.
    """

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=2**63 - 1, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str) and not _DIGITS.fullmatch(data.strip()):
            self.fail("invalid")
        return super().to_internal_value(data)


def unknown_id_message(pk) -> str:
    """What an id that names nothing is told: DRF's own words for it."""
    template = serializers.PrimaryKeyRelatedField.default_error_messages[
        "does_not_exist"
    ]
    return str(template).format(pk_value=pk)
