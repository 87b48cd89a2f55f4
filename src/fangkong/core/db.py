"""Small database helpers shared by the apps."""

import json
from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import Expression, RawSQL
from django.db.models.functions import Collate

LOOKUP_BATCH = 1000  # longer IN lists make PostgreSQL scan the table instead of the index

_TOP = "\U0010ffff"


def prefix_q(field: str, prefix: str) -> Q:
    """`field` starts with `prefix`, in the form each database can answer from a B-tree index.

    PostgreSQL: LIKE 'p%' (Django adds a pattern-ops index for indexed CharFields).
    SQLite: LIKE is case-insensitive and skips the index, so use a binary range instead.
    """
    if prefix == "":
        return Q()
    if connection.vendor == "sqlite":
        return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + _TOP})
    return Q(**{f"{field}__startswith": prefix})


def bytewise(field: str) -> Expression | F:
    """`field` compared byte by byte: COLLATE "C" on PostgreSQL (SQLite is bytewise already).

    Prefix filters and ORDER BY on this expression walk the expression indexes created in
    people/migrations/0003_search_indexes.py.
    """
    if connection.vendor == "postgresql":
        return Collate(F(field), "C")
    return F(field)


def prefix_ordered[M: Any](qs: QuerySet[M], field: str, prefix: str) -> QuerySet[M]:
    """Rows whose `field` starts with `prefix`, in that field's byte order, then by id."""
    if connection.vendor == "postgresql":
        qs = qs.alias(prefix_key=bytewise(field)).filter(prefix_key__startswith=prefix)
    else:
        qs = qs.filter(prefix_q(field, prefix))
    return qs.order_by(bytewise(field).asc(), "id")


def in_ids(ids: Iterable[int]) -> RawSQL:
    """The ids as a subquery bound to one parameter, for `filter(field__in=in_ids(ids))`.

    Thousands of ids cost one array (PostgreSQL) or one JSON text (SQLite, `json_each`) instead
    of one bound parameter each: no parameter limit, no per-value preparation.
    """
    values = [int(i) for i in ids]
    if connection.vendor == "postgresql":
        # The array as its text form, cast by the server: psycopg's quoting of a Python list
        # costs ~20 ms per 10,000 ids, the join of their digits ~1 ms.
        return RawSQL("SELECT unnest(%s::bigint[])", ("{" + ",".join(map(str, values)) + "}",))
    return RawSQL("SELECT value FROM json_each(%s)", (json.dumps(values),))
