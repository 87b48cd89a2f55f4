"""Registry rows as they were at any moment, read back through their audited changes.

A row's tracked field had, at moment T, the value before its first audited change after T,
else its current value (`value_at`). These helpers load rows with their changes in bulk (one
query, or two streams read side by side) for the subjects each source app counts for the
command dashboard's running counts (`epi/tally.py`, `quarantine/tally.py`, read by
`fangkong.tally`), and for the command figures as of a moment (`command/asof.py`).
`Sql` writes the hand-made statements of those hot paths.
"""

import bisect
import datetime as dt
import itertools
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models
from django.db.models import BigIntegerField, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils.dateparse import parse_datetime

from fangkong.audit.labels import value_codes
from fangkong.audit.models import Event
from fangkong.core.bulk import table_columns

DAY = dt.timedelta(days=1)
TOP = "\U0010ffff"  # after every key (as in fangkong.core.db)
CHUNK = 5_000


def value_at(times: list[dt.datetime], was: list[str], now: str, at: dt.datetime) -> str:
    """The value at `at`: before the first change after it, else the current one."""
    i = bisect.bisect_right(times, at)
    return was[i] if i < len(times) else now


@dataclass(slots=True)
class History:
    """One field's audited changes of a row, in (time, id) order: when, and the value before."""

    times: list[dt.datetime] = field(default_factory=list)
    was: list[str] = field(default_factory=list)


def histories(
    rows: Iterable[tuple[Any, str, dt.datetime, str]], fields: dict[str, type[models.TextChoices]]
) -> dict[tuple[int, str], History]:
    out: dict[tuple[int, str], History] = defaultdict(History)
    for oid, name, at, was in rows:
        h = out[(int(oid), name)]
        h.times.append(at)
        h.was.append(value_codes(fields[name]).get(was, was))
    return out


def changes_of(object_type: str, names: Sequence[str]) -> QuerySet[Event]:
    """Audited changes of these fields (an event with no value before is a creation)."""
    return Event.objects.filter(object_type=object_type, field__in=list(names)).exclude(
        from_value=""
    )


def text_in(ids: Sequence[int]) -> RawSQL:
    """Ids as text (`audit_event.object_id`), one bound parameter, as `core.db.in_ids`."""
    values = [str(int(i)) for i in ids]
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::text[])", (values,))
    return RawSQL("SELECT value FROM json_each(%s)", (json.dumps(values),))


def histories_of(
    object_type: str, fields: dict[str, type[models.TextChoices]], ids: Any
) -> dict[tuple[int, str], History]:
    """The changes of rows `ids` (a list of text ids, or a subquery giving them)."""
    rows = (
        changes_of(object_type, list(fields))
        .filter(object_id__in=ids)
        .order_by("at", "id")
        .values_list("object_id", "field", "at", "from_value")
    )
    return histories(rows, fields)


class Sql:
    """A statement written by hand for the reader's hot path (no ORM compiling): quoted
    names, parameters adapted as the ORM would, values read back alike on both databases.
    Each helper appends its parameters as it writes its placeholders, so a statement must be
    put together in reading order."""

    def __init__(self) -> None:
        self.params: list[Any] = []

    @staticmethod
    def q(name: str) -> str:
        return connection.ops.quote_name(name)

    def p(self, value: Any) -> str:
        if isinstance(value, dt.datetime):
            value = connection.ops.adapt_datetimefield_value(value)
        self.params.append(value)
        return "%s"

    def among(self, values: Iterable[Any]) -> str:
        return ", ".join(self.p(v) for v in values)

    def prefix(self, column: str, prefix: str) -> str:
        """`column` starts with `prefix` (as `fangkong.core.db.prefix_q`: LIKE on PostgreSQL,
        a range on SQLite, either way the index)."""
        if not prefix:
            return "1 = 1"
        if connection.vendor == "postgresql":
            escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            return f"{column} LIKE {self.p(escaped + '%')}"
        return f"{column} >= {self.p(prefix)} AND {column} < {self.p(prefix + TOP)}"

    def between(self, column: str, lo: dt.datetime, hi: dt.datetime) -> str:
        return f"({column} > {self.p(lo)} AND {column} <= {self.p(hi)})"

    def and_a_day_before(self, column: str, lo: dt.datetime, hi: dt.datetime) -> str:
        return f"({self.between(column, lo, hi)} OR {self.between(column, lo - DAY, hi - DAY)})"

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(sql, self.params)
            return cursor.fetchall()


def as_moment(value: Any) -> Any:
    """A timestamp as SQLite's raw cursor may give it (text, or naive UTC): aware UTC."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value


def as_day(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date()
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def with_changes(
    sql: Sql,
    table: type[models.Model],
    columns: Sequence[str],
    picked: str,
    object_type: str,
    fields: dict[str, type[models.TextChoices]],
) -> tuple[list[tuple[Any, ...]], dict[tuple[int, str], History]]:
    """Rows of `table` whose ids `picked` (a SELECT of ids) gives, each with its audited
    changes (one query: the rows, their events joined)."""
    q = sql.q
    names = ", ".join(f"k.{q(c)}" for c in table_columns(table, columns))
    event = q(Event._meta.db_table)
    sql_text = (
        f"WITH picked AS ({picked}) "
        f"SELECT {names}, e.{q('field')}, e.{q('at')}, e.{q('from_value')} "
        f"FROM {q(table._meta.db_table)} k "
        f"LEFT JOIN {event} e ON e.{q('object_type')} = {sql.p(object_type)} "
        f"AND e.{q('object_id')} = CAST(k.{q('id')} AS VARCHAR(64)) "
        f"AND e.{q('field')} IN ({sql.among(fields)}) AND e.{q('from_value')} <> '' "
        f"WHERE k.{q('id')} IN (SELECT id FROM picked) "
        f"ORDER BY k.{q('id')}, e.{q('at')}, e.{q('id')}"
    )
    width = len(columns)
    rows: dict[int, tuple[Any, ...]] = {}
    changes = []
    for row in sql.rows(sql_text):
        rows.setdefault(row[0], row[:width])
        if row[width] is not None:
            changes.append((row[0], row[width], as_moment(row[width + 1]), row[width + 2]))
    return list(rows.values()), histories(changes, fields)


def changed_since(
    sql: Sql, object_type: str, names: Iterable[str], lo: dt.datetime, hi: dt.datetime
) -> str:
    """SELECT of the ids of rows changed in (lo, hi] or the same hour a day before."""
    q = sql.q
    return (
        f"SELECT CAST({q('object_id')} AS BIGINT) AS id FROM {q(Event._meta.db_table)} "
        f"WHERE {q('object_type')} = {sql.p(object_type)} AND {q('field')} IN "
        f"({sql.among(names)}) AND {q('from_value')} <> '' "
        f"AND {sql.and_a_day_before(q('at'), lo, hi)}"
    )


def chunks(qs: QuerySet[Any], build: Callable[[list[Any]], list[Any]]) -> Iterator[list[Any]]:
    """Rows of `qs` (values_list, id first) in id order, CHUNK at a time, built into units."""
    last = 0
    while True:
        rows = list(qs.filter(pk__gt=last).order_by("pk")[:CHUNK])
        if not rows:
            return
        last = rows[-1][0]
        yield build(rows)


def with_histories(
    qs: QuerySet[Any], object_type: str, fields: dict[str, type[models.TextChoices]]
) -> Iterator[tuple[list[Any], dict[tuple[int, str], History]]]:
    """Every row of `qs` (values_list, id first) in id order, CHUNK at a time, with the
    changes of those rows: two streams read side by side (one pass over the events)."""
    rows = qs.order_by("pk").iterator(chunk_size=CHUNK)
    events = iter(
        changes_of(object_type, list(fields))
        .annotate(tally_id=Cast("object_id", BigIntegerField()))
        .order_by("tally_id", "at", "id")
        .values_list("tally_id", "field", "at", "from_value")
        .iterator(chunk_size=4 * CHUNK)
    )
    pending = next(events, None)
    while batch := list(itertools.islice(rows, CHUNK)):
        last = batch[-1][0]
        mine = []
        while pending is not None and pending[0] <= last:
            mine.append(pending)
            pending = next(events, None)
        yield batch, histories(mine, fields)


def last_change_at(object_type: str, object_id: Any, name: str) -> dt.datetime | None:
    """When the row's field last changed (its latest audited change, by valid time): a new
    change may not be dated before it, or the history could not be read back (`value_at`)."""
    return (
        changes_of(object_type, [name])
        .filter(object_id=str(object_id))
        .order_by("-at", "-id")
        .values_list("at", flat=True)
        .first()
    )
