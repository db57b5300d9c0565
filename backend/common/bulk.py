"""Many rows in one INSERT whose values travel as one JSON document.

Django binds parameters on the client here (no server-side binding, so
nothing depends on a pooler keeping prepared statements). `bulk_create`'s
PostgreSQL path then sends each column as an array literal, and psycopg
builds those literals in Python, escaping every string of every row with a
regular expression: for an expiry batch's thousand outbox rows that quoting
cost more than the database's own work. One JSON document is quoted as one
string, and PostgreSQL turns it back into rows (`json_populate_recordset`).

SQLite binds natively and gains nothing, so it keeps `bulk_create`.

One row (`insert_row`): the ORM compiles its INSERT on every save; the hot
paths (a booking, its audit event, an idempotency key's answer) reuse one
statement text per model instead.
"""

import functools
import json
from datetime import date, datetime, time
from decimal import Decimal
from typing import TypeVar
from uuid import UUID

from django.db import connection
from django.db.models import Model
from django.utils.functional import Promise

# Fewer rows than this go through bulk_create: one row's quoting is cheap.
MIN_ROWS = 2

M = TypeVar("M", bound=Model)


def _plain(value):
    if isinstance(value, datetime | date | time):
        # Full precision (DjangoJSONEncoder would cut microseconds).
        return value.isoformat()
    if isinstance(value, Decimal | UUID | Promise):
        return str(value)
    raise TypeError(f"{type(value).__name__} has no JSON form for a bulk insert")


def bulk_insert(objs: list[M]) -> list[M]:
    """Insert `objs` (all of one model, none saved) in one statement and set
    their primary keys; the same result as `Model.objects.bulk_create(objs)`.

    Field defaults are applied by the model's constructor, as bulk_create
    relies on too.
    """
    if not objs:
        return objs
    model = type(objs[0])
    meta = model._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    if (
        connection.vendor != "postgresql"
        or len(objs) < MIN_ROWS
        # Values a field sets as it saves (auto_now): bulk_create knows how.
        or any(getattr(field, "auto_now_add", False) for field in fields)
        or any(getattr(field, "auto_now", False) for field in fields)
    ):
        return model.objects.bulk_create(objs)
    # The attributes as they are (a JSONField's value is the JSON it holds);
    # `_plain` writes what JSON has no form for. No per-field preparation: for
    # a thousand rows of fifteen fields it cost more than the insert.
    names = [(field.column, field.attname) for field in fields]
    rows = [{column: getattr(obj, name) for column, name in names} for obj in objs]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    table = quote(meta.db_table)
    sql = (
        f"INSERT INTO {table} ({columns}) SELECT {columns} FROM"
        f" json_populate_recordset(NULL::{table}, %s) WITH ORDINALITY AS rows"
        # Rows go in (and come back) in the list's order, as bulk_create's do.
        f" ORDER BY rows.ordinality RETURNING {quote(meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [json.dumps(rows, default=_plain)])
        keys = [row[0] for row in cursor.fetchall()]
    for obj, key in zip(objs, keys, strict=True):
        obj.pk = key
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


@functools.cache
def _insert_statement(model: type[Model], vendor: str) -> tuple[str, tuple]:
    """One model's single-row INSERT, built once per database."""
    del vendor  # part of the cache key only
    meta = model._meta
    fields = tuple(field for field in meta.concrete_fields if not field.primary_key)
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(meta.db_table)}"
        f" ({', '.join(quote(field.column) for field in fields)})"
        f" VALUES ({', '.join(['%s'] * len(fields))})"
        f" RETURNING {quote(meta.pk.column)}"
    )
    return sql, fields


def insert_row(obj: M) -> M:
    """Insert one unsaved instance and set its primary key: what
    `obj.save(force_insert=True)` does for a model with an auto primary key,
    with the statement's text built once per model instead of compiled on
    every save. Values are prepared by each field as the ORM prepares them
    (`pre_save`, so auto_now works; `get_db_prep_save`). No model signals are
    sent: nothing in the project listens to them, and the domain announces
    its own events. A value the database must compute (a `db_default` left
    unset, an expression) goes through the ORM.
    """
    sql, fields = _insert_statement(type(obj), connection.vendor)
    values = [field.pre_save(obj, True) for field in fields]
    if any(hasattr(value, "resolve_expression") for value in values):
        obj.save(force_insert=True)
        return obj
    prepared = [
        field.get_db_prep_save(value, connection)
        for field, value in zip(fields, values, strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, prepared)
        obj.pk = cursor.fetchone()[0]
    obj._state.adding = False
    obj._state.db = connection.alias
    return obj
