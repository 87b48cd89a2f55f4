"""What each registry row adds to the command figures, moment by moment.

A unit (a case, a contact, a room with its stays, a control measure) has a state at every
moment T: the figures it counts in as the registry held it at T, by the rules of the command
dashboard (docs/command.md, "As of a moment"): rows count from their creation; statuses are
read back through the audit events (the value before the first change after T, else the
current one); stays and measures by their own timestamps and today's status. `state(T)` is
written straight from those rules, for T and for T − 24 hours ("new", "before", "released in
the 24 hours").

A state only changes at a unit's moments: its creation, each audited change, each timestamp,
and each of those plus 24 hours. The tally holds, at each moment, the state there minus the
state before. Every writer replaces a unit's old deltas with its new ones (`services.change`
… `.done()`), so the tally is always the sum over the units as the database holds them now,
which is what the plain queries count: the rebuild computes the same sum from scratch.

Contacts are kept by degree and status only: what else the dashboard shows of them comes
from the sums at T and 24 hours before (`fangkong.command.tallied`).
"""

import bisect
import datetime as dt
import functools
import itertools
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings
from django.db import connection, models
from django.db.models import BigIntegerField, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime

from fangkong.audit.models import Event
from fangkong.core.bulk import table_columns
from fangkong.core.db import in_ids
from fangkong.epi.models import Case, CaseKind, CaseStatus, Contact, ContactStatus
from fangkong.quarantine.models import Measure, Room, Stay, StayStatus
from fangkong.tally.store import KEY_WIDTH, WIDTHS, Deltas, hour_of

DAY = dt.timedelta(days=1)
TOP = "\U0010ffff"  # after every key (as in fangkong.core.db)
CHUNK = 5_000

# (width, key, figure): width 0 for a figure of the row's own place (any view cuts the key),
# else a figure counted per area of that key width (rooms in use).
Figure = tuple[int, str, str]


@functools.cache
def value_codes(choices: type[models.TextChoices]) -> dict[str, str]:
    """Code, and label in every language, of each value → the code (events write labels)."""
    out: dict[str, str] = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for member in choices:
                out.setdefault(str(member.label), member.value)
    for member in choices:
        out[member.value] = member.value
    return out


def _value(times: list[dt.datetime], was: list[str], now: str, at: dt.datetime) -> str:
    """The value at `at`: before the first change after it, else the current one."""
    i = bisect.bisect_right(times, at)
    return was[i] if i < len(times) else now


@dataclass(slots=True)
class History:
    """One field's audited changes of a row, in (time, id) order: when, and the value before."""

    times: list[dt.datetime] = field(default_factory=list)
    was: list[str] = field(default_factory=list)


def _histories(
    rows: Iterable[tuple[Any, str, dt.datetime, str]], fields: dict[str, type[models.TextChoices]]
) -> dict[tuple[int, str], History]:
    out: dict[tuple[int, str], History] = defaultdict(History)
    for oid, name, at, was in rows:
        h = out[(int(oid), name)]
        h.times.append(at)
        h.was.append(value_codes(fields[name]).get(was, was))
    return out


def _changes(object_type: str, names: Sequence[str]) -> QuerySet[Event]:
    """Audited changes of these fields (an event with no value before is a creation)."""
    return Event.objects.filter(object_type=object_type, field__in=list(names)).exclude(
        from_value=""
    )


def _text_in(ids: Sequence[int]) -> RawSQL:
    """Ids as text (`audit_event.object_id`), one bound parameter, as `core.db.in_ids`."""
    values = [str(int(i)) for i in ids]
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::text[])", (values,))
    return RawSQL("SELECT value FROM json_each(%s)", (json.dumps(values),))


def _histories_of(
    object_type: str, fields: dict[str, type[models.TextChoices]], ids: Any
) -> dict[tuple[int, str], History]:
    """The changes of rows `ids` (a list of text ids, or a subquery giving them)."""
    rows = (
        _changes(object_type, list(fields))
        .filter(object_id__in=ids)
        .order_by("at", "id")
        .values_list("object_id", "field", "at", "from_value")
    )
    return _histories(rows, fields)


class _Sql:
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


def _moment(value: Any) -> Any:
    """A timestamp as SQLite's raw cursor may give it (text, or naive UTC): aware UTC."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value


def _day(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date()
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _with_changes(
    sql: _Sql,
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
            changes.append((row[0], row[width], _moment(row[width + 1]), row[width + 2]))
    return list(rows.values()), _histories(changes, fields)


def _changed_since(
    sql: _Sql, object_type: str, names: Iterable[str], lo: dt.datetime, hi: dt.datetime
) -> str:
    """SELECT of the ids of rows changed in (lo, hi] or the same hour a day before."""
    q = sql.q
    return (
        f"SELECT CAST({q('object_id')} AS BIGINT) AS id FROM {q(Event._meta.db_table)} "
        f"WHERE {q('object_type')} = {sql.p(object_type)} AND {q('field')} IN "
        f"({sql.among(names)}) AND {q('from_value')} <> '' "
        f"AND {sql.and_a_day_before(q('at'), lo, hi)}"
    )


class Subject(Protocol):
    name: str

    def load(self, ids: Sequence[int], *, lock: bool = False) -> list[Any]: ...

    def chunks(self) -> Iterator[list[Any]]: ...

    def changing(self, prefix: str, lo: dt.datetime, hi: dt.datetime) -> list[Any]: ...

    def moments(self, unit: Any) -> list[dt.datetime]: ...

    def state(self, unit: Any, at: dt.datetime) -> list[Figure]: ...


def _chunks(qs: QuerySet[Any], build: Callable[[list[Any]], list[Any]]) -> Iterator[list[Any]]:
    """Rows of `qs` (values_list, id first) in id order, CHUNK at a time, built into units."""
    last = 0
    while True:
        rows = list(qs.filter(pk__gt=last).order_by("pk")[:CHUNK])
        if not rows:
            return
        last = rows[-1][0]
        yield build(rows)


def _with_histories(
    qs: QuerySet[Any], object_type: str, fields: dict[str, type[models.TextChoices]]
) -> Iterator[tuple[list[Any], dict[tuple[int, str], History]]]:
    """Every row of `qs` (values_list, id first) in id order, CHUNK at a time, with the
    changes of those rows: two streams read side by side (one pass over the events)."""
    rows = qs.order_by("pk").iterator(chunk_size=CHUNK)
    events = iter(
        _changes(object_type, list(fields))
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
        yield batch, _histories(mine, fields)


# Cases -----------------------------------------------------------------------------------------


@dataclass(slots=True)
class CaseUnit:
    id: int
    key: str
    where: str
    created: dt.datetime
    transferred: dt.datetime | None
    kind: str
    status: str
    onset: dt.date | None
    reported: dt.date
    kinds: History
    statuses: History


class Cases:
    name = "case"
    columns = (
        "id",
        "division_key",
        "found_where",
        "created_at",
        "transferred_at",
        "kind",
        "status",
        "onset_on",
        "reported_on",
    )
    tracked: dict[str, type[models.TextChoices]] = {"kind": CaseKind, "status": CaseStatus}

    def _units(self, rows: Sequence[Sequence[Any]], ids: Any) -> list[CaseUnit]:
        return self._build(rows, _histories_of("epi.case", self.tracked, ids))

    def _build(
        self, rows: Sequence[Sequence[Any]], history: dict[tuple[int, str], History]
    ) -> list[CaseUnit]:
        empty = History()
        return [
            CaseUnit(
                id=pk,
                key=key[:KEY_WIDTH],
                where=where,
                created=created,
                transferred=transferred,
                kind=kind,
                status=status,
                onset=onset,
                reported=reported,
                kinds=history.get((pk, "kind"), empty),
                statuses=history.get((pk, "status"), empty),
            )
            for pk, key, where, created, transferred, kind, status, onset, reported in rows
        ]

    def load(self, ids: Sequence[int], *, lock: bool = False) -> list[CaseUnit]:
        qs = Case.objects.filter(pk__in=in_ids(ids)).order_by("pk")
        rows = list((qs.select_for_update() if lock else qs).values_list(*self.columns))
        return self._units(rows, _text_in(ids))

    def chunks(self) -> Iterator[list[CaseUnit]]:
        rows = Case.objects.values_list(*self.columns)
        for batch, history in _with_histories(rows, "epi.case", self.tracked):
            yield self._build(batch, history)

    def changing(self, prefix: str, lo: dt.datetime, hi: dt.datetime) -> list[CaseUnit]:
        """Cases whose state may differ between `lo` and `hi` (within an hour): registered,
        transferred or changed then or a day before (one query)."""
        sql, q = _Sql(), _Sql.q
        table = q(Case._meta.db_table)
        mine = sql.prefix(q("division_key"), prefix)
        picked = (
            f"SELECT id FROM {table} WHERE {mine} AND "
            f"{sql.and_a_day_before(q('created_at'), lo, hi)} UNION "
            f"SELECT id FROM {table} WHERE {sql.prefix(q('division_key'), prefix)} AND "
            f"{sql.and_a_day_before(q('transferred_at'), lo, hi)} UNION "
            + _changed_since(sql, "epi.case", self.tracked, lo, hi)
        )
        rows, history = _with_changes(sql, Case, self.columns, picked, "epi.case", self.tracked)
        mine_only = [r for r in rows if r[1].startswith(prefix)]
        converted = [
            (r[0], r[1], r[2], _moment(r[3]), _moment(r[4]), r[5], r[6], _day(r[7]), _day(r[8]))
            for r in mine_only
        ]
        return self._build(converted, history)

    def moments(self, u: CaseUnit) -> list[dt.datetime]:
        out = [u.created, u.created + DAY, *u.statuses.times, *u.kinds.times]
        out.extend(t + DAY for t in u.kinds.times)
        if u.transferred is not None:
            out.extend((u.transferred, u.transferred + DAY))
        return out

    def state(self, u: CaseUnit, at: dt.datetime) -> list[Figure]:
        if u.created > at:
            return []
        since = at - DAY
        key, where = u.key, u.where
        kind = _value(u.kinds.times, u.kinds.was, u.kind, at)
        names = ["cases", kind, f"{kind}_{where}"]
        if u.created > since:
            names += ["cases_new", f"{kind}_new", f"{kind}_new_{where}"]
        elif kind == CaseKind.CONFIRMED and (
            _value(u.kinds.times, u.kinds.was, u.kind, since) == CaseKind.ASYMPTOMATIC
        ):
            names.append("reclassified_new")
        if u.transferred is not None and u.transferred <= at:
            names.append("transferred")
            if u.transferred > since:
                names.append("transferred_new")
        names.append(f"case_{_value(u.statuses.times, u.statuses.was, u.status, at)}")
        if u.onset is not None:
            names.append(f"onset|{u.onset.isoformat()}|{kind}")
        names.append(f"reported|{u.reported.isoformat()}|{kind}")
        return [(0, key, n) for n in names]


# Contacts --------------------------------------------------------------------------------------


@dataclass(slots=True)
class ContactUnit:
    id: int
    key: str
    degree: str
    created: dt.datetime
    status: str
    statuses: History


class Contacts:
    name = "contact"
    columns = ("id", "division_key", "degree", "created_at", "status")
    tracked: dict[str, type[models.TextChoices]] = {"status": ContactStatus}

    def _units(self, rows: Sequence[Sequence[Any]], ids: Any) -> list[ContactUnit]:
        return self._build(rows, _histories_of("epi.contact", self.tracked, ids))

    def _build(
        self, rows: Sequence[Sequence[Any]], history: dict[tuple[int, str], History]
    ) -> list[ContactUnit]:
        empty = History()
        return [
            ContactUnit(
                pk, key[:KEY_WIDTH], degree, created, status, history.get((pk, "status"), empty)
            )
            for pk, key, degree, created, status in rows
        ]

    def load(self, ids: Sequence[int], *, lock: bool = False) -> list[ContactUnit]:
        qs = Contact.objects.filter(pk__in=in_ids(ids)).order_by("pk")
        rows = list((qs.select_for_update() if lock else qs).values_list(*self.columns))
        return self._units(rows, _text_in(ids))

    def chunks(self) -> Iterator[list[ContactUnit]]:
        rows = Contact.objects.values_list(*self.columns)
        for batch, history in _with_histories(rows, "epi.contact", self.tracked):
            yield self._build(batch, history)

    def changing(self, prefix: str, lo: dt.datetime, hi: dt.datetime) -> list[ContactUnit]:
        """Contacts identified or changed in (lo, hi] or a day before (one query)."""
        sql, q = _Sql(), _Sql.q
        picked = (
            f"SELECT id FROM {q(Contact._meta.db_table)} WHERE "
            f"{sql.prefix(q('division_key'), prefix)} AND "
            f"{sql.and_a_day_before(q('created_at'), lo, hi)} UNION "
            + _changed_since(sql, "epi.contact", self.tracked, lo, hi)
        )
        rows, history = _with_changes(
            sql, Contact, self.columns, picked, "epi.contact", self.tracked
        )
        converted = [
            (r[0], r[1], r[2], _moment(r[3]), r[4]) for r in rows if r[1].startswith(prefix)
        ]
        return self._build(converted, history)

    def moments(self, u: ContactUnit) -> list[dt.datetime]:
        return [u.created, *u.statuses.times]

    def state(self, u: ContactUnit, at: dt.datetime) -> list[Figure]:
        """A contact counts by degree and status; what a reader derives from these (in all,
        not yet under control, new in the day, status a day before) it takes from the sums at
        the moment and a day before (`fangkong.command.tallied`)."""
        if u.created > at:
            return []
        status = _value(u.statuses.times, u.statuses.was, u.status, at)
        return [(0, u.key, f"{u.degree}_{status}")]


# Stays, by room --------------------------------------------------------------------------------


@dataclass(slots=True)
class StayRow:
    id: int
    room: int
    key: str
    status: str
    checked_in: dt.datetime | None
    checked_out: dt.datetime | None

    def inside(self, at: dt.datetime) -> bool:
        return (
            self.checked_in is not None
            and self.checked_in <= at
            and (self.checked_out is None or self.checked_out > at)
        )


@dataclass(slots=True)
class RoomUnit:
    """A room and its stays: people count per stay, a room in use once however many inside."""

    id: int
    stays: list[StayRow]


class Stays:
    name = "stay"
    columns = ("id", "room_id", "division_key", "status", "checked_in_at", "checked_out_at")

    @staticmethod
    def _units(rows: Iterable[Sequence[Any]]) -> list[RoomUnit]:
        rooms: dict[int, RoomUnit] = {}
        for row in sorted(rows, key=lambda r: (r[1], r[0])):
            pk, room, key, status, checked_in, checked_out = row
            stay = StayRow(pk, room, key[:KEY_WIDTH], status, checked_in, checked_out)
            rooms.setdefault(room, RoomUnit(room, [])).stays.append(stay)
        return list(rooms.values())

    def load(self, ids: Sequence[int], *, lock: bool = False) -> list[RoomUnit]:
        """Units by room id (every stay of each room)."""
        if lock:
            rooms = Room.objects.select_for_update().filter(pk__in=in_ids(ids)).order_by("pk")
            list(rooms.values_list("pk", flat=True))
        rows = Stay.objects.filter(room_id__in=in_ids(ids)).values_list(*self.columns)
        units = {u.id: u for u in self._units(rows)}
        return [units.get(i, RoomUnit(i, [])) for i in ids]

    def chunks(self) -> Iterator[list[RoomUnit]]:
        last = 0
        while True:
            rooms = list(
                Room.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:CHUNK]
            )
            if not rooms:
                return
            last = rooms[-1]
            rows = Stay.objects.filter(room_id__gte=rooms[0], room_id__lte=last)
            yield self._units(rows.values_list(*self.columns))

    def changing(self, prefix: str, lo: dt.datetime, hi: dt.datetime) -> list[RoomUnit]:
        """Rooms someone entered or left in (lo, hi], with all their stays; and stays that
        began or ended a day before (their "new" and "before" figures change now)."""
        sql, q = _Sql(), _Sql.q
        table = q(Stay._meta.db_table)
        names = ", ".join(q(c) for c in table_columns(Stay, self.columns))
        came, left, key = q("checked_in_at"), q("checked_out_at"), q("division_key")
        # (the statement is written in reading order: each part binds its parameters)
        rows = sql.rows(
            f"SELECT {names} FROM {table} WHERE {sql.prefix(key, prefix)} "
            f"AND {q('room_id')} IN (SELECT {q('room_id')} FROM {table} "
            f"WHERE {sql.prefix(key, prefix)} "
            f"AND ({sql.between(came, lo, hi)} OR {sql.between(left, lo, hi)})) UNION "
            f"SELECT {names} FROM {table} WHERE {sql.prefix(key, prefix)} AND "
            f"({sql.between(came, lo - DAY, hi - DAY)} OR {sql.between(left, lo - DAY, hi - DAY)})"
        )
        return self._units((r[0], r[1], r[2], r[3], _moment(r[4]), _moment(r[5])) for r in rows)

    def moments(self, u: RoomUnit) -> list[dt.datetime]:
        out: list[dt.datetime] = []
        for s in u.stays:
            for t in (s.checked_in, s.checked_out):
                if t is not None:
                    out.extend((t, t + DAY))
        return out

    def state(self, u: RoomUnit, at: dt.datetime) -> list[Figure]:
        since = at - DAY
        out: list[Figure] = []
        occupied: set[str] = set()
        for s in u.stays:
            if s.checked_in is None or s.checked_in > at:
                continue
            key, out_at = s.key, s.checked_out
            if s.inside(at):
                occupied.add(key)
                out.append((0, key, "people"))
                if s.checked_in > since:
                    out.append((0, key, "admitted_new"))
            if s.inside(since):
                out.append((0, key, "people_before"))
            if out_at is not None and out_at <= at:
                if s.status == StayStatus.RELEASED:
                    out.append((0, key, "released"))
                    if out_at > since:
                        out.append((0, key, "released_new"))
                elif s.status == StayStatus.TRANSFERRED and out_at > since:
                    out.append((0, key, "transferred_out_new"))
        for width in WIDTHS:
            for area in {k[:width] for k in occupied}:
                out.append((width, area, "rooms_occupied"))
        return out


# Control measures ------------------------------------------------------------------------------


@dataclass(slots=True)
class MeasureUnit:
    id: int
    key: str
    category: str
    created: dt.datetime
    closed: dt.datetime | None
    starts_on: dt.date
    ends_on: dt.date


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_default_timezone())


class Measures:
    name = "measure"
    columns = ("id", "division_key", "category", "created_at", "closed_at", "starts_on", "ends_on")

    def _units(self, rows: Iterable[Sequence[Any]]) -> list[MeasureUnit]:
        return [
            MeasureUnit(pk, key[:KEY_WIDTH], category, created, closed, starts_on, ends_on)
            for pk, key, category, created, closed, starts_on, ends_on in rows
        ]

    def load(self, ids: Sequence[int], *, lock: bool = False) -> list[MeasureUnit]:
        qs = Measure.objects.filter(pk__in=in_ids(ids)).order_by("pk")
        return self._units((qs.select_for_update() if lock else qs).values_list(*self.columns))

    def chunks(self) -> Iterator[list[MeasureUnit]]:
        return _chunks(Measure.objects.values_list(*self.columns), self._units)

    def changing(self, prefix: str, lo: dt.datetime, hi: dt.datetime) -> list[MeasureUnit]:
        """Measures created or closed in (lo, hi], or whose first or last day begins or ends
        there (a midnight within it): one query."""
        sql, q = _Sql(), _Sql.q
        local = timezone.get_default_timezone()
        first, last = lo.astimezone(local).date(), hi.astimezone(local).date()
        days = [
            first + dt.timedelta(days=i)
            for i in range((last - first).days + 1)
            if lo < _midnight(first + dt.timedelta(days=i)) <= hi
        ]
        mine = sql.prefix(q("division_key"), prefix)  # first: parameters bind in reading order
        when = f"{sql.between(q('created_at'), lo, hi)} OR {sql.between(q('closed_at'), lo, hi)}"
        if days:
            ends = [d - dt.timedelta(days=1) for d in days]
            when += (
                f" OR {q('starts_on')} IN ({sql.among(days)})"
                f" OR {q('ends_on')} IN ({sql.among(ends)})"
            )
        names = ", ".join(q(c) for c in table_columns(Measure, self.columns))
        rows = sql.rows(
            f"SELECT {names} FROM {q(Measure._meta.db_table)} WHERE {mine} AND ({when})"
        )
        return self._units(
            (r[0], r[1], r[2], _moment(r[3]), _moment(r[4]), _day(r[5]), _day(r[6])) for r in rows
        )

    def moments(self, u: MeasureUnit) -> list[dt.datetime]:
        out = [u.created, _midnight(u.starts_on), _midnight(u.ends_on + dt.timedelta(days=1))]
        if u.closed is not None:
            out.append(u.closed)
        return out

    def state(self, u: MeasureUnit, at: dt.datetime) -> list[Figure]:
        if u.created > at or (u.closed is not None and u.closed <= at):
            return []
        day = at.astimezone(timezone.get_default_timezone()).date()
        if not u.starts_on <= day <= u.ends_on:
            return []
        return [(0, u.key, "measures"), (0, u.key, f"measure_{u.category}")]


SUBJECTS: dict[str, Subject] = {s.name: s for s in (Cases(), Contacts(), Stays(), Measures())}


# Deltas ----------------------------------------------------------------------------------------


def _figures(subject: Subject, unit: Any, at: dt.datetime) -> dict[Figure, int]:
    out: dict[Figure, int] = {}
    for fig in subject.state(unit, at):
        out[fig] = out.get(fig, 0) + 1
    return out


def unit_deltas(subject: Subject, units: Iterable[Any], into: Deltas, sign: int = 1) -> Deltas:
    """Add each unit's deltas (times `sign`): at each of its moments, its state there minus
    its state before."""
    state, moments = subject.state, subject.moments
    for unit in units:
        before: dict[Figure, int] = {}
        for at in sorted(set(moments(unit))):
            now: dict[Figure, int] = {}
            for fig in state(unit, at):
                now[fig] = now.get(fig, 0) + 1
            if now == before:
                continue
            hour = hour_of(at)
            for fig, n in now.items():
                n -= before.get(fig, 0)
                if n:
                    key = (hour, fig[0], fig[1], fig[2])
                    into[key] = into.get(key, 0) + sign * n
            for fig, n in before.items():
                if fig not in now:
                    key = (hour, fig[0], fig[1], fig[2])
                    into[key] = into.get(key, 0) - sign * n
            before = now
    return into


def change_between(
    subject: Subject, units: Iterable[Any], lo: dt.datetime, hi: dt.datetime
) -> Counter[Figure]:
    """What the units add to the figures from `lo` to `hi`: their state at `hi` minus at `lo`."""
    out: Counter[Figure] = Counter()
    for unit in units:
        out.update(_figures(subject, unit, hi))
        out.subtract(_figures(subject, unit, lo))
    return out
