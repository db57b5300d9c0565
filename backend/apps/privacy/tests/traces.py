"""Where a guest's data is left: every table and text column, searched."""

from django.db import connection


def _like_operand(column_sql: str) -> str:
    # PostgreSQL casts bytea to its hex form (searched as hex below), text and
    # jsonb to their text; SQLite casts a blob to its bytes as text.
    return f"LOWER(CAST({column_sql} AS TEXT))"


def traces_of(needles: list[str]) -> list[str]:
    """Every `table.column: needle` whose value holds one of `needles`
    (case-insensitive, in text, JSON and binary columns alike)."""
    found = []
    forms = []
    for needle in needles:
        forms.append((needle, needle.lower()))
        # How PostgreSQL shows a bytea cast to text: \x and hex digits.
        forms.append((needle, needle.encode().hex()))
    introspection = connection.introspection
    with connection.cursor() as cursor:
        for table in introspection.table_names(cursor):
            quoted_table = connection.ops.quote_name(table)
            for column in introspection.get_table_description(cursor, table):
                operand = _like_operand(connection.ops.quote_name(column.name))
                for needle, form in forms:
                    cursor.execute(
                        f"SELECT 1 FROM {quoted_table} WHERE {operand} LIKE %s LIMIT 1",
                        [f"%{form}%"],
                    )
                    if cursor.fetchone():
                        found.append(f"{table}.{column.name}: {needle}")
    return found
