"""Stays of a situation import: who was in which room of which site, from when to when.

Natural key: the person, the site and the check-in time. A stay already registered is matched
and left alone; a person with another open stay is refused. The check-out is not before the
check-in, and neither before the site opened. A stay belongs to the person's measure: the one
in the measures sheet or the one registered in force at the check-in; a person under no
measure then gets none invented — the stay is written without a measure and flagged for a
person to start one on the person's page (the preview lists them). A child (younger than the
policy's `quarantine.child_with_guardian_under_age`) is expected in the room of an adult of the
same household during the stay; one alone is flagged for a person to decide.

Written columnar: the stays (in the room, or released at the check-out), their
`stay.checked_in` and `stay.ended` events dated when they happened, and each room's status
(occupied while someone is in it, awaiting disinfection once the last left) with its
`room.status_changed` event dated when it changed.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from fangkong.audit.services import EventRow, actor_columns, events_record_bulk
from fangkong.command.situation.base import (
    E_DUPLICATE_KEY,
    Context,
    Kind,
    Line,
    before_last,
    last_changes,
    later_fact,
)
from fangkong.command.situation.cases import person_missing
from fangkong.command.situation.measures import MeasureRef, load_people
from fangkong.command.situation.sites import load_sites, site_missing
from fangkong.core import changes, dates
from fangkong.core.bulk import copy_rows
from fangkong.core.db import LOOKUP_BATCH, in_ids
from fangkong.core.tabular import E_REQUIRED, Columns
from fangkong.people.importing.validation import lookup
from fangkong.people.models import Resident
from fangkong.quarantine.models import STAY_OPEN, Measure, Room, RoomStatus, Stay, StayStatus

E_NO_ROOM = gettext_noop("No such room at this site in the rooms sheet or registered")
E_ROOM_ROW = gettext_noop("This room's row in the rooms sheet is wrong (see its errors)")
E_OPEN_STAY = gettext_noop("This person already has an open stay")
E_TWICE_OPEN = gettext_noop("Row %(row)s already leaves this person in a room")
E_OUT_BEFORE_IN = gettext_noop("The check-out cannot be before the check-in")
E_BEFORE_OPENED = gettext_noop("The site had not opened yet")
E_MEASURE_ROW = gettext_noop("This person's row in the measures sheet is wrong (see its errors)")

D_STAY_KNOWN = gettext_noop("Already registered: matched by person, site and check-in, kept")
D_BUILDING = gettext_noop("Not given: the site's room without a building")
F_NO_MEASURE = gettext_noop(
    "Under no measure at the check-in (none in the measures sheet or registered): the stay is "
    "written without one; start the person's measure on their page"
)
F_CROWDED = gettext_noop(
    "%(n)s people at once in a room of %(beds)s beds: check the room's beds or the stays"
)
F_CHILD_ALONE = gettext_noop(
    "Younger than %(age)s and no adult of the same household in the same room: decide who "
    "stays with them"
)


@dataclass
class StayRow:
    id_number: str
    site: str
    building: str
    room: str
    checked_in_at: dt.datetime
    checked_out_at: dt.datetime | None
    measure: MeasureRef | None = None
    known: bool = False
    ending: tuple[int, int] | None = None  # (stay, room) a registered stay the line ends


def _child(born: dt.date, today: dt.date, age: int) -> bool:
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return years < age


class Stays(Kind):
    name = "stays"
    title = gettext_lazy("Stays")
    columns = Columns(
        names=("id_number", "site_code", "building", "room", "checked_in_at", "checked_out_at"),
        chinese={
            "id_number": "身份证号",
            "site_code": "隔离点编码",
            "building": "楼栋",
            "room": "房间号",
            "checked_in_at": "入住时间",
            "checked_out_at": "离开时间",
        },
        aliases={
            "id_number": ("身份证号", "身份证号码", "idnumber", "id"),
            "site_code": ("隔离点编码", "隔离点", "sitecode", "site"),
            "building": ("楼栋", "楼号", "building"),
            "room": ("房间号", "房号", "room"),
            "checked_in_at": ("入住时间", "入住", "checkedinat", "checkin"),
            "checked_out_at": ("离开时间", "解除隔离时间", "退房时间", "checkedoutat", "checkout"),
        },
        required=("id_number", "site_code", "room", "checked_in_at"),
    )
    sample = (("411002198005170014", "XC-GL-01", "A", "502", "2022-05-03 15:00", ""),)

    def notes(self) -> dict[str, str]:
        return {
            "id_number": _("The person's ID number: in the people sheet or already registered"),
            "site_code": _("The site's code: in the sites sheet or already registered"),
            "building": _("Building, as in the rooms sheet"),
            "room": _("Room number, as in the rooms sheet"),
            "checked_in_at": _("When the person checked in, such as 2022-05-03 15:00"),
            "checked_out_at": _("When the person left; empty while they are in the room"),
        }

    def parse(self, line: Line) -> None:
        id_number = line.cell("id_number").replace(" ", "").upper()
        for canon in ("id_number", "site_code", "room", "checked_in_at"):
            if not line.cell(canon):
                line.error(canon, E_REQUIRED)
        came, left = line.moment("checked_in_at"), line.moment("checked_out_at")
        if line.errors or came is None:
            return
        line.value = StayRow(
            id_number=id_number,
            site=line.cell("site_code").upper(),
            building=line.cell("building"),
            room=line.cell("room"),
            checked_in_at=came,
            checked_out_at=left,
        )

    def check(self, lines: list[Line], ctx: Context) -> None:
        found = ctx.found
        rows = [ln.value for ln in lines if ln.value]
        load_people({r.id_number for r in rows} - set(ctx.people), ctx)
        load_sites({r.site for r in rows} - set(ctx.sites), ctx)
        self._load_rooms(rows, ctx)
        known, open_elsewhere = self._existing(rows, ctx)
        registered_measures = self._measures(rows, ctx)
        first: dict[tuple[str, str, dt.datetime], int] = {}
        open_row: dict[str, int] = {}
        ending: dict[int, Line] = {}
        for line in lines:
            found.rows[self.name] += 1
            row: StayRow | None = line.value
            if row is None:
                continue
            key = (row.id_number, row.site, row.checked_in_at)
            if key in first:
                line.error("checked_in_at", E_DUPLICATE_KEY, {"key": "入住时间", "row": first[key]})
                continue
            first[key] = line.number
            person = ctx.people.get(row.id_number)
            if person is None:
                line.error("id_number", person_missing(ctx, row.id_number))
                continue
            site = ctx.sites.get(row.site)
            if site is None:
                line.error("site_code", site_missing(ctx, row.site))
                continue
            room_key = (row.site, row.building, row.room)
            if room_key not in ctx.rooms:
                wrong = room_key in ctx.wrong_rooms
                line.error("room", E_ROOM_ROW if wrong else E_NO_ROOM)
                continue
            if key in known:
                row.known = True
                pk, status, left, room_id = known[key]
                if (status == StayStatus.IN or left is not None) and later_fact(
                    line,
                    "checked_out_at",
                    given=row.checked_out_at,
                    known=left,
                    after=((row.checked_in_at, _(E_OUT_BEFORE_IN)),),
                    tolerance=ctx.tolerance,
                ):
                    row.ending = (pk, room_id)  # still in the room, as recorded
                    ending[pk] = line
                elif not line.errors:
                    found.unchanged[self.name] += 1
                    found.default(self.name, "id_number", D_STAY_KNOWN)
                continue
            self._check_times(line, row, ctx, site.opened_at, person.birth_date)
            if row.checked_out_at is None:
                if row.id_number in open_elsewhere:
                    line.error("id_number", E_OPEN_STAY)
                elif row.id_number in open_row:
                    line.error("checked_out_at", E_TWICE_OPEN, {"row": open_row[row.id_number]})
                open_row.setdefault(row.id_number, line.number)
            if line.errors:
                continue
            if not line.cell("building"):
                found.default(self.name, "building", D_BUILDING)
            row.measure = self._measure(row, ctx, registered_measures)
            if row.measure is None:
                if row.id_number in ctx.wrong_measures:
                    line.error("id_number", E_MEASURE_ROW)
                    continue
                found.flag(self.name, line.number, person.name, _(F_NO_MEASURE))
            found.new[self.name] += 1
            label = StayStatus.IN if row.checked_out_at is None else StayStatus.RELEASED
            found.status(self.name, str(StayStatus(label).label))
            found.district(self.name, site.division_key)
        self._ending(ending, ctx)
        self._children(lines, ctx)
        self._crowded(lines, ctx)

    def _ending(self, ending: dict[int, Line], ctx: Context) -> None:
        """The registered stays the lines end (check-outs not before their last recorded
        change), counted as changed: released when they ended."""
        last = last_changes("quarantine.stay", list(ending))
        for pk, line in ending.items():
            row: StayRow = line.value
            assert row.checked_out_at is not None
            before_last(line, "checked_out_at", row.checked_out_at, last.get(pk))
            if line.errors:
                row.ending = None
                continue
            ctx.found.changed[self.name] += 1
            ctx.found.status(self.name, str(StayStatus.RELEASED.label))
            ctx.found.district(self.name, ctx.sites[row.site].division_key)

    def _load_rooms(self, rows: list[StayRow], ctx: Context) -> None:
        missing = {(r.site, r.building, r.room) for r in rows} - set(ctx.rooms)
        sites = {ctx.sites[s].pk: s for s, _b, _r in missing if s in ctx.sites and ctx.sites[s].pk}
        if not sites:
            return
        fields = ("site_id", "building", "number", "pk", "beds")
        for s, b, n, pk, beds in lookup(Room, "site_id", list(sites), fields):
            ctx.rooms.setdefault((sites[s], b, n), pk)
            ctx.beds.setdefault((sites[s], b, n), beds)

    def _existing(
        self, rows: list[StayRow], ctx: Context
    ) -> tuple[dict[tuple[str, str, dt.datetime], tuple[Any, ...]], set[str]]:
        """The stays already registered for these people by natural key (with their id,
        status, check-out and room), and the people with an open stay."""
        known: dict[tuple[str, str, dt.datetime], tuple[Any, ...]] = {}
        open_: set[str] = set()
        fields = (
            *("person__id_number", "site__code", "checked_in_at", "status"),
            *("pk", "checked_out_at", "room_id"),
        )
        numbers = sorted({r.id_number for r in rows})
        for number, site, came, status, pk, left, room in lookup(
            Stay, "person__id_number", numbers, fields
        ):
            if came is not None:
                known[(number, site, came)] = (pk, status, left, room)
            if status in STAY_OPEN:
                open_.add(number)
        return known, open_

    def _measures(self, rows: list[StayRow], ctx: Context) -> dict[str, list[MeasureRef]]:
        out: dict[str, list[MeasureRef]] = defaultdict(list)
        numbers = sorted({r.id_number for r in rows} - set(ctx.measures))
        fields = ("person__id_number", "pk", "started_at", "closed_at")
        for number, pk, started, closed in lookup(Measure, "person__id_number", numbers, fields):
            out[number].append(MeasureRef(pk, started, closed))
        return out

    def _measure(
        self, row: StayRow, ctx: Context, registered: dict[str, list[MeasureRef]]
    ) -> MeasureRef | None:
        """The person's measure in force at the check-in (the sheet's, else a registered one)."""
        came = row.checked_in_at
        arrival_day = timezone.localtime(came + ctx.tolerance).date()
        candidates = [ctx.measures[row.id_number]] if row.id_number in ctx.measures else []
        candidates += registered.get(row.id_number, [])
        for m in candidates:
            begun = timezone.localtime(m.started_at).date() <= arrival_day  # that day at latest
            if begun and (m.closed_at is None or m.closed_at >= came):
                return m
        return None

    def _check_times(
        self, line: Line, row: StayRow, ctx: Context, opened: dt.datetime, born: dt.date
    ) -> None:
        try:
            dates.check_happened(
                "checked_in_at",
                row.checked_in_at,
                tolerance=ctx.tolerance,
                born=born,
                after=((opened, _(E_BEFORE_OPENED)),),
            )
            if row.checked_out_at is not None:
                dates.check_happened(
                    "checked_out_at",
                    row.checked_out_at,
                    tolerance=ctx.tolerance,
                    after=((row.checked_in_at, _(E_OUT_BEFORE_IN)),),
                )
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                for message in messages:
                    line.error(name, message)

    def _children(self, lines: list[Line], ctx: Context) -> None:
        """Flag a child whose stay no adult of the same household shares (same room, their
        times overlapping)."""
        age = ctx.rules.quarantine.child_with_guardian_under_age
        today = timezone.localdate()
        good = [ln for ln in lines if ln.value and not ln.errors and not ln.value.known]
        children = [
            ln for ln in good if _child(ctx.people[ln.value.id_number].birth_date, today, age)
        ]
        if not children:
            return
        numbers = sorted({ln.value.id_number for ln in good} - set(ctx.households))
        fields = ("id_number", "household__code")
        for number, code in lookup(Resident, "id_number", numbers, fields):
            if code:
                ctx.households[number] = code
        by_room: dict[tuple[str, str, str], list[StayRow]] = defaultdict(list)
        for ln in good:
            r = ln.value
            by_room[(r.site, r.building, r.room)].append(r)
        for ln in children:
            r = ln.value
            household = ctx.households.get(r.id_number)
            end = r.checked_out_at or dt.datetime.max.replace(tzinfo=dt.UTC)
            if not any(
                household
                and ctx.households.get(o.id_number) == household
                and not _child(ctx.people[o.id_number].birth_date, today, age)
                and o.checked_in_at <= r.checked_in_at + ctx.tolerance
                and (o.checked_out_at is None or o.checked_out_at >= end)
                for o in by_room[(r.site, r.building, r.room)]
            ):
                name = ctx.people[r.id_number].name
                ctx.found.flag(self.name, ln.number, name, _(F_CHILD_ALONE) % {"age": age})

    def _crowded(self, lines: list[Line], ctx: Context) -> None:
        """Flag a room that the lines fill beyond its beds at some moment (the first line to
        do so): the city's rooms may hold more than the registry says, a person decides."""
        by_room: dict[tuple[str, str, str], list[Line]] = defaultdict(list)
        for ln in lines:
            if ln.value and not ln.errors:
                r = ln.value
                by_room[(r.site, r.building, r.room)].append(ln)
        for key, group in by_room.items():
            beds = ctx.beds.get(key)
            if beds is None or len(group) <= beds:
                continue
            moves = []
            for ln in group:
                r = ln.value
                moves.append((r.checked_in_at, 1, ln))
                if r.checked_out_at is not None:
                    moves.append((r.checked_out_at, -1, ln))
            inside = 0
            for _at, step, ln in sorted(moves, key=lambda m: (m[0], m[1])):
                inside += step
                if inside > beds:
                    name = ctx.people[ln.value.id_number].name
                    params = {"n": inside, "beds": beds}
                    ctx.found.flag(self.name, ln.number, name, _(F_CROWDED) % params)
                    break

    def write(self, lines: list[Line], ctx: Context) -> None:
        ending: list[StayRow] = [ln.value for ln in lines if ln.value and ln.value.ending]
        rows: list[StayRow] = [ln.value for ln in lines if ln.value and not ln.value.known]
        rooms = self._end(ending, ctx) | self._add(rows, ctx)
        if rooms:
            ctx.events += self._rooms(sorted(rooms), ctx)

    def _end(self, rows: list[StayRow], ctx: Context) -> set[int]:
        """Check the registered stays out when the lines say they ended (released then),
        one event each dated then; the rooms they were in."""
        if not rows:
            return set()
        ended = {r.ending[0]: r for r in rows if r.ending}
        room_ids = sorted({r.ending[1] for r in rows if r.ending})
        counted = changes.changing("stay", room_ids)
        Stay.objects.bulk_update(
            [
                Stay(pk=pk, status=StayStatus.RELEASED, checked_out_at=r.checked_out_at)
                for pk, r in ended.items()
            ],
            ["status", "checked_out_at"],
            batch_size=2000,
        )
        counted.done()
        user_id, actor_name = actor_columns(ctx.actor)
        ctx.events += events_record_bulk(
            EventRow(
                at=_at(r.checked_out_at),
                actor=user_id,
                actor_name=actor_name,
                action="stay.ended",
                object_type="quarantine.stay",
                object_id=str(pk),
                object_label=f"{ctx.people[r.id_number].name} @ {_room(r)}"[:200],
                person_id=ctx.people[r.id_number].pk,
                division_key=ctx.sites[r.site].division_key,
                field="status",
                from_value=StayStatus.IN,
                to_value=StayStatus.RELEASED,
                reason=ctx.reason,
            )
            for pk, r in ended.items()
        )
        ctx.person_ids.update(_pk(ctx.people[r.id_number].pk) for r in rows)
        return set(room_ids)

    def _add(self, rows: list[StayRow], ctx: Context) -> set[int]:
        """Write the new stays (columnar), one event per check-in and check-out; their rooms."""
        if not rows:
            return set()
        room_of = {r.id_number: ctx.rooms[(r.site, r.building, r.room)] for r in rows}
        room_ids = sorted({pk for pk in room_of.values()})
        counted = changes.changing("stay", room_ids)
        copy_rows(
            Stay,
            STAY_FIELDS,
            (
                (
                    ctx.people[r.id_number].pk,
                    _measure_pk(r, ctx),
                    ctx.rooms[(r.site, r.building, r.room)],
                    ctx.sites[r.site].pk,
                    StayStatus.IN if r.checked_out_at is None else StayStatus.RELEASED,
                    r.checked_in_at,
                    r.checked_in_at,
                    r.checked_out_at,
                    ctx.sites[r.site].division_key,
                )
                for r in rows
            ),
        )
        counted.done()
        people = sorted({_pk(ctx.people[r.id_number].pk) for r in rows})
        stored: dict[tuple[int, dt.datetime], int] = {}
        for start in range(0, len(people), LOOKUP_BATCH):
            batch = people[start : start + LOOKUP_BATCH]
            for pk, person_id, came in Stay.objects.filter(person_id__in=in_ids(batch)).values_list(
                "pk", "person_id", "checked_in_at"
            ):
                stored[(person_id, _at(came))] = pk
        ctx.events += events_record_bulk(self._events(rows, stored, ctx))
        ctx.person_ids.update(people)
        return set(room_ids)

    def _events(self, rows: list[StayRow], stored: dict[Any, int], ctx: Context) -> Any:
        user_id, actor_name = actor_columns(ctx.actor)
        for r in rows:
            person = ctx.people[r.id_number]
            room = _room(r)
            common: dict[str, Any] = {
                "actor": user_id,
                "actor_name": actor_name,
                "object_type": "quarantine.stay",
                "object_id": str(stored[(_pk(person.pk), r.checked_in_at)]),
                "object_label": f"{person.name} @ {room}"[:200],
                "person_id": person.pk,
                "division_key": ctx.sites[r.site].division_key,
                "field": "status",
                "reason": ctx.reason,
            }
            yield EventRow(
                at=r.checked_in_at,
                action="stay.checked_in",
                from_value=StayStatus.PLANNED,
                to_value=StayStatus.IN,
                **common,
            )
            if r.checked_out_at is not None:
                yield EventRow(
                    at=r.checked_out_at,
                    action="stay.ended",
                    from_value=StayStatus.IN,
                    to_value=StayStatus.RELEASED,
                    **common,
                )

    def _rooms(self, room_ids: list[int], ctx: Context) -> int:
        """Each room's status from its stays, its changes dated when they happened: occupied
        from the first check-in, awaiting disinfection from the last check-out when nobody
        is left (derived once for the batch)."""
        stays: dict[int, list[tuple[dt.datetime, dt.datetime | None]]] = defaultdict(list)
        for start in range(0, len(room_ids), LOOKUP_BATCH):
            batch = room_ids[start : start + LOOKUP_BATCH]
            for room_id, came, left in Stay.objects.filter(
                Q(room_id__in=in_ids(batch)), checked_in_at__isnull=False
            ).values_list("room_id", "checked_in_at", "checked_out_at"):
                stays[room_id].append((_at(came), left))
        rooms = {
            pk: (status, key, label)
            for pk, status, key, label in Room.objects.filter(pk__in=in_ids(room_ids)).values_list(
                "pk", "status", "division_key", "number"
            )
        }
        user_id, actor_name = actor_columns(ctx.actor)
        events: list[EventRow] = []
        updates: dict[str, list[int]] = defaultdict(list)
        for pk, (status, key, label) in rooms.items():
            if status == RoomStatus.CLOSED:
                continue
            spans = stays[pk]
            first_in = min(came for came, _left in spans)
            inside = any(left is None for _came, left in spans)
            moves = []
            if status != RoomStatus.OCCUPIED:
                moves.append((status, RoomStatus.OCCUPIED, first_in))
            if not inside:
                last_out = max(left for _came, left in spans if left is not None)
                moves.append((RoomStatus.OCCUPIED, RoomStatus.CLEANING, last_out))
            if not moves:
                continue
            updates[moves[-1][1]].append(pk)
            for old, new, at in moves:
                events.append(
                    EventRow(
                        at=at,
                        actor=user_id,
                        actor_name=actor_name,
                        action="room.status_changed",
                        object_type="quarantine.room",
                        object_id=str(pk),
                        object_label=label,
                        division_key=key,
                        field="status",
                        from_value=old,
                        to_value=new,
                        reason=ctx.reason,
                    )
                )
        for status, ids in updates.items():
            for start in range(0, len(ids), LOOKUP_BATCH):
                Room.objects.filter(pk__in=in_ids(ids[start : start + LOOKUP_BATCH])).update(
                    status=status
                )
        return events_record_bulk(events)


def _measure_pk(r: StayRow, ctx: Context) -> int | None:
    """The stay's measure: a registered one, or the one this import just started."""
    if r.measure is None:
        return None
    return r.measure.pk if r.measure.pk is not None else ctx.measures[r.id_number].pk


def _room(r: StayRow) -> str:
    return f"{r.building}-{r.room}" if r.building else r.room


def _pk(pk: int | None) -> int:
    assert pk is not None
    return pk


def _at(at: dt.datetime | None) -> dt.datetime:
    assert at is not None
    return at


STAY_FIELDS = (
    "person",
    "measure",
    "room",
    "site",
    "status",
    "allocated_at",
    "checked_in_at",
    "checked_out_at",
    "division_key",
)


KIND = Stays()
