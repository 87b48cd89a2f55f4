"""Small database helpers shared by the apps."""

from django.db import connection
from django.db.models import Q

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
