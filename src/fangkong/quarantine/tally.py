"""The command dashboard's running counts of quarantine stays (by room) and control measures:
what each adds to the figures, moment by moment (`fangkong.tally` keeps the sums).

Stays and measures count by their own valid times (a stay from its check-in to its check-out,
a measure from `started_at` to `closed_at`: docs/architecture.md "Two times on every fact")
and today's status (docs/command.md, "As of a moment"); a room counts once per area however
many people are inside.
"""

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from fangkong.audit.history import CHUNK, DAY, Sql, as_day, as_moment, chunks
from fangkong.core.bulk import table_columns
from fangkong.core.db import in_ids
from fangkong.epi.tally import KEY_WIDTH, WIDTHS, Figure
from fangkong.quarantine.models import Measure, Room, Stay, StayStatus

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
        sql, q = Sql(), Sql.q
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
        return self._units((r[0], r[1], r[2], r[3], as_moment(r[4]), as_moment(r[5])) for r in rows)

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
    started: dt.datetime
    closed: dt.datetime | None
    starts_on: dt.date
    ends_on: dt.date


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_default_timezone())


class Measures:
    name = "measure"
    columns = ("id", "division_key", "category", "started_at", "closed_at", "starts_on", "ends_on")

    def _units(self, rows: Iterable[Sequence[Any]]) -> list[MeasureUnit]:
        return [
            MeasureUnit(pk, key[:KEY_WIDTH], category, started, closed, starts_on, ends_on)
            for pk, key, category, started, closed, starts_on, ends_on in rows
        ]

    def load(self, ids: Sequence[int], *, lock: bool = False) -> list[MeasureUnit]:
        qs = Measure.objects.filter(pk__in=in_ids(ids)).order_by("pk")
        return self._units((qs.select_for_update() if lock else qs).values_list(*self.columns))

    def chunks(self) -> Iterator[list[MeasureUnit]]:
        return chunks(Measure.objects.values_list(*self.columns), self._units)

    def changing(self, prefix: str, lo: dt.datetime, hi: dt.datetime) -> list[MeasureUnit]:
        """Measures started or closed in (lo, hi], or whose first or last day begins or ends
        there (a midnight within it): one query."""
        sql, q = Sql(), Sql.q
        local = timezone.get_default_timezone()
        first, last = lo.astimezone(local).date(), hi.astimezone(local).date()
        days = [
            first + dt.timedelta(days=i)
            for i in range((last - first).days + 1)
            if lo < _midnight(first + dt.timedelta(days=i)) <= hi
        ]
        mine = sql.prefix(q("division_key"), prefix)  # first: parameters bind in reading order
        when = f"{sql.between(q('started_at'), lo, hi)} OR {sql.between(q('closed_at'), lo, hi)}"
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
            (r[0], r[1], r[2], as_moment(r[3]), as_moment(r[4]), as_day(r[5]), as_day(r[6]))
            for r in rows
        )

    def moments(self, u: MeasureUnit) -> list[dt.datetime]:
        out = [u.started, _midnight(u.starts_on), _midnight(u.ends_on + dt.timedelta(days=1))]
        if u.closed is not None:
            out.append(u.closed)
        return out

    def state(self, u: MeasureUnit, at: dt.datetime) -> list[Figure]:
        if u.started > at or (u.closed is not None and u.closed <= at):
            return []
        day = at.astimezone(timezone.get_default_timezone()).date()
        if not u.starts_on <= day <= u.ends_on:
            return []
        return [(0, u.key, "measures"), (0, u.key, f"measure_{u.category}")]


SUBJECTS = (Stays(), Measures())
