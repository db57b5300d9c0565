"""`field__in_ids=[...]`: a filter on many integer keys, sent as one value.

`field__in=ids` writes one placeholder per id, and each is prepared by the
field, then found again and quoted by psycopg (client-side binding): for an
expiry batch's thousand ids, five times a batch, that cost more than the
statements themselves. On PostgreSQL `in_ids` sends the ids as one array
literal, `= ANY('{1,2,3}'::bigint[])`, quoted once; elsewhere it is `in`.
"""

from collections.abc import Iterable

from django.db.models import ForeignKey, IntegerField
from django.db.models.lookups import In


def id_array(ids: Iterable[int]) -> str:
    """The PostgreSQL array literal of integer keys (cast it: `%s::bigint[]`)."""
    # int() refuses anything but a whole number, so nothing else is quoted.
    return "{" + ",".join(map(str, map(int, ids))) + "}"


class InIds(In):
    lookup_name = "in_ids"

    def get_prep_lookup(self):
        # Keys are ints already; `int` refuses anything else, as the field's
        # own preparation would.
        if self.rhs_is_direct_value():
            return [int(key) for key in self.rhs if key is not None]
        return super().get_prep_lookup()

    def as_postgresql(self, compiler, connection):
        if not self.rhs_is_direct_value():
            return super().as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::bigint[])", (*lhs_params, id_array(self.rhs))


def register() -> None:
    # IntegerField covers the auto keys (Big)AutoField too.
    for field_class in (IntegerField, ForeignKey):
        field_class.register_lookup(InIds)
