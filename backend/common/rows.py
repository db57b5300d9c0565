"""Rows of a hand-written SQL statement, read the way the ORM reads its own.

A statement whose text is built once (bookings' slot lock, the guests' slot
page) skips the ORM's query building and compiling, but its values must come
back as a queryset's would: SQLite returns datetimes as text and booleans as
0 and 1, and only the fields' converters turn them into Python values.
"""

from collections.abc import Sequence
from functools import cache

from django.db import connection


@cache
def _converters(vendor: str, fields: tuple) -> tuple:
    del vendor  # part of the cache key only: the converters depend on it
    result = []
    for field in fields:
        column = field.get_col(field.model._meta.db_table)
        converters = tuple(
            connection.ops.get_db_converters(column)
            + column.get_db_converters(connection)
        )
        result.append((column, converters))
    return tuple(result)


def converted(fields: tuple, values: Sequence) -> list:
    """`values` (one per field, in order) as the ORM would return them."""
    result = []
    for value, (column, converters) in zip(
        values, _converters(connection.vendor, fields), strict=True
    ):
        for converter in converters:
            value = converter(value, column, connection)
        result.append(value)
    return result


def needs_conversion(fields: tuple) -> bool:
    """Whether any of `fields` has a converter on this database (on
    PostgreSQL, the driver's values are already the ORM's for most fields)."""
    return any(converters for _, converters in _converters(connection.vendor, fields))


def instance(model, fields: tuple, values: Sequence):
    """A model instance from one row's values of `fields`, as a queryset makes it."""
    return model.from_db(
        connection.alias, [field.attname for field in fields], converted(fields, values)
    )
