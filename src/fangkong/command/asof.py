"""Figures as they stood at a past moment ("as of 8:00 on 7 May"), after later changes.

A row keeps only its current state; every change of a status is an audit event with its time
and the value before (`from_value`). The state of a row at T is therefore its current state,
unless the row changed after T: then it is the value before its first change after T. This
reads back from now, so it needs no event for the first state (bulk loads write none) and
costs what has changed since T, not the size of the history.

Events write values as their label in the language of the request that made the change (or
as the code): `value_codes` reads every spelling back to the code.

Grouped figures (`grouped_at`) take two queries: every row by its current values, then only
the rows changed after the earliest moment, by their values now and then (one pass over the
events after it, which the index on `audit_event.at` finds, joined to the rows by id). Lists
use the same rule as a correlated subquery per row (`value_at`, on the index of
`audit_event (object_type, object_id)`), which serves a page or a streamed export.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, models
from django.db.models import CharField, Count, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Cast, Coalesce

from fangkong.audit.labels import value_codes  # one reading of event values for all
from fangkong.audit.models import Event


def spellings(choices: type[models.TextChoices], code: str) -> list[str]:
    """Every way events may write `code` (for filters)."""
    return sorted(s for s, c in value_codes(choices).items() if c == code)


def _changes_after(object_type: str, field: str, at: dt.datetime) -> QuerySet[Event]:
    return Event.objects.filter(object_type=object_type, field=field, at__gt=at).exclude(
        from_value=""
    )


def value_at(
    model: type[models.Model], field: str, at: dt.datetime, *, outer: str = "pk"
) -> Coalesce:
    """`field` of each row as it was at `at` (an expression to annotate a list with)."""
    first = (
        _changes_after(model._meta.label_lower, field, at)
        .filter(object_id=Cast(OuterRef(outer), output_field=CharField()))
        .order_by("at", "id")
        .values("from_value")[:1]
    )
    return Coalesce(Subquery(first), F(field), output_field=CharField())


@dataclass(frozen=True)
class Tracked:
    """A column of the result: `field` as it was at `at`, read back to its code."""

    field: str
    at: dt.datetime
    choices: type[models.TextChoices]


def _first_changes_sql(object_type: str, field: str, at: dt.datetime) -> tuple[str, list[Any]]:
    quote = connection.ops.quote_name
    table = quote(Event._meta.db_table)
    sql = (
        f"SELECT {quote('object_id')} AS oid, {quote('from_value')} AS was FROM ("
        f"SELECT {quote('object_id')}, {quote('from_value')}, ROW_NUMBER() OVER ("
        f"PARTITION BY {quote('object_id')} ORDER BY {quote('at')}, {quote('id')}) AS rn "
        f"FROM {table} WHERE {quote('object_type')} = %s AND {quote('field')} = %s "
        f"AND {quote('at')} > %s AND {quote('from_value')} <> '') ranked WHERE rn = 1"
    )
    return sql, [object_type, field, connection.ops.adapt_datetimefield_value(at)]


def grouped_at(
    qs: QuerySet[Any],
    *,
    group: dict[str, Any],
    tracked: dict[str, Tracked],
) -> list[dict[str, Any]]:
    """Count the rows of `qs` by the `group` expressions and the `tracked` fields at their
    moments. Returns dicts of group and tracked names (codes) with `n`.

    Two queries: every row by its current values (one grouped scan, no join), then only the
    rows changed after the earliest moment, by their values now and at each moment (their
    first changes joined in); the second moves those rows from their current group to the
    group they were in. Its cost follows what changed since then, not the size of the table.
    """
    fields = sorted({t.field for t in tracked.values()})
    exprs = {f"g_{n}": F(e) if isinstance(e, str) else e for n, e in group.items()}
    now_rows = qs.order_by().annotate(**exprs).values(*exprs, *fields).annotate(n=Count("pk"))
    width = len(group)
    merged: dict[tuple[Any, ...], int] = {}
    for r in now_rows:
        key = (*(_plain(r[g]) for g in exprs), *(r[t.field] for t in tracked.values()))
        merged[key] = merged.get(key, 0) + r["n"]
    for row in _changed_rows(qs, exprs, fields, tracked):
        now = dict(zip(fields, row[width : width + len(fields)], strict=True))
        then = row[width + len(fields) : -1]
        groups = tuple(_plain(v) for v in row[:width])
        old = (*groups, *(now[t.field] for t in tracked.values()))
        new = (
            *groups,
            *(
                value_codes(t.choices).get(v, v)
                for v, t in zip(then, tracked.values(), strict=True)
            ),
        )
        merged[old] = merged.get(old, 0) - row[-1]
        merged[new] = merged.get(new, 0) + row[-1]
    names = [*group, *tracked]
    return [{**dict(zip(names, key, strict=True)), "n": n} for key, n in merged.items() if n]


def _plain(value: Any) -> Any:
    """Dates as ISO text: the ORM and a raw cursor give them alike on every database."""
    return value.isoformat() if isinstance(value, dt.date) else value


def _changed_rows(
    qs: QuerySet[Any], exprs: dict[str, Any], fields: list[str], tracked: dict[str, Tracked]
) -> list[Sequence[Any]]:
    """Rows changed after the earliest moment: groups, current fields, fields at each moment,
    count (one query: one pass over those events, joined to the rows by id)."""
    quote = connection.ops.quote_name
    base = qs.order_by().annotate(row_id=F("pk"), **exprs)
    base_sql, base_params = base.values("row_id", *exprs, *fields).query.sql_with_params()
    firsts_sql, firsts_params = _firsts_sql(qs.model._meta.label_lower, list(tracked.values()))
    columns = [f"b.{quote(n)}" for n in [*exprs, *fields]]
    for i, t in enumerate(tracked.values()):
        columns.append(f"COALESCE(x.was{i}, b.{quote(t.field)})")
    positions = ", ".join(str(i + 1) for i in range(len(columns)))
    sql = (
        f"SELECT {', '.join(columns)}, COUNT(*) FROM ({base_sql}) b "
        f"JOIN ({firsts_sql}) x ON x.oid = b.{quote('row_id')} GROUP BY {positions}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*base_params, *firsts_params])
        return cursor.fetchall()


def _firsts_sql(object_type: str, tracked: list[Tracked]) -> tuple[str, list[Any]]:
    """Per object changed after the earliest moment: for each tracked (field, moment), the
    value before its first change after that moment (NULL if none).

    One pass over those events in (object, field, time) order: an event is the first after a
    moment when it is after it and the event before it (LAG) is not."""
    quote = connection.ops.quote_name
    adapt = connection.ops.adapt_datetimefield_value
    col = {n: quote(n) for n in ("object_id", "object_type", "field", "from_value", "at", "id")}
    fields = sorted({t.field for t in tracked})
    picks, params = [], []
    for i, t in enumerate(tracked):
        picks.append(
            f"MAX(CASE WHEN fld = %s AND happened > %s AND (before IS NULL OR before <= %s) "
            f"THEN was END) AS was{i}"
        )
        params.extend([t.field, adapt(t.at), adapt(t.at)])
    marks = ", ".join("%s" for _ in fields)
    oid = f"CAST({col['object_id']} AS BIGINT)"
    inner = (
        f"SELECT {oid} AS oid, {col['field']} AS fld, {col['from_value']} AS was, "
        f"{col['at']} AS happened, LAG({col['at']}) OVER (PARTITION BY {oid}, {col['field']} "
        f"ORDER BY {col['at']}, {col['id']}) AS before "
        f"FROM {quote(Event._meta.db_table)} WHERE {col['object_type']} = %s "
        f"AND {col['field']} IN ({marks}) AND {col['at']} > %s AND {col['from_value']} <> ''"
    )
    earliest = min(t.at for t in tracked)
    params.extend([object_type, *fields, adapt(earliest)])
    return f"SELECT oid, {', '.join(picks)} FROM ({inner}) e GROUP BY oid", params
