"""Request parsers that turn hostile bodies into 400s rather than 500s."""

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

TOO_DEEP = "The JSON body is nested too deeply."


def json_depth_exceeds(data, limit: int) -> bool:
    """Whether `data` nests lists and objects deeper than `limit` (iteratively)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with a nesting limit (BOOKING_MAX_JSON_DEPTH).

    Python's decoder recurses once per level, so `[[[[…]]]]` a hundred
    thousand deep raises RecursionError: that, and anything merely deeper
    than any request of ours needs, is a 400.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        if json_depth_exceeds(data, settings.BOOKING_MAX_JSON_DEPTH):
            raise ParseError(TOO_DEEP)
        return data
