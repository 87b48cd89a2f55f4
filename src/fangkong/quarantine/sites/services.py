"""Writes on quarantine sites, their rooms and the stays in them.

Registering a site, rooms in bulk (generated floor by floor, or imported from a file by
`rooms_import`; adding the same rooms again changes nothing), a room's status (available, closed,
awaiting disinfection; "occupied" only follows stays), the site's staff, checking people in and
moving a person to another room. Each change is an audit event. Who may see what is in
`selectors`.
"""

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from fangkong.accounts.models import User
from fangkong.accounts.services import staff_set
from fangkong.audit.history import changes_of, last_change_at
from fangkong.audit.services import EventRow, actor_columns, event_record, events_record_bulk
from fangkong.core import changes
from fangkong.core.access import Cap, in_scope, require
from fangkong.core.bulk import StatusBatch, chunks
from fangkong.core.db import in_ids
from fangkong.core.errors import field_error, need_reason
from fangkong.epi.cases.services import check_happened
from fangkong.places.models import Division
from fangkong.quarantine.models import (
    STAY_OPEN,
    Room,
    RoomStatus,
    Site,
    SiteKind,
    Stay,
    StayStatus,
)
from fangkong.quarantine.sites.selectors import (
    is_site_manager,
    require_site,
    room_label,
    sites_for,
)

SITE_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,19}$")
PHONE_RE = re.compile(r"^[0-9+][0-9 -]{4,19}$")
MAX_BEDS = 12  # a room, not a dormitory hall: larger numbers are typing mistakes
FLOORS = (-9, 999)
MAX_ROOMS_AT_ONCE = 5000
MAX_IMPORT_ROWS = 20000
CHUNK = 1000

# Manual status changes a site may make; "occupied" follows stays (allocation, release, moves).
MANUAL_STATUS: dict[str, set[str]] = {
    RoomStatus.AVAILABLE: {RoomStatus.CLOSED, RoomStatus.CLEANING},
    RoomStatus.CLEANING: {RoomStatus.AVAILABLE, RoomStatus.CLOSED},
    RoomStatus.CLOSED: {RoomStatus.AVAILABLE, RoomStatus.CLEANING},
    RoomStatus.OCCUPIED: set(),
}

ROOM_BEFORE_LAST_CHANGE = gettext_noop("This is before the room's last recorded status change")
SITE_BEFORE_LAST_CHANGE = gettext_noop("This is before the site's last recorded change")
CLOSED_BEFORE_OPENING = gettext_noop("The site had not opened yet")
ARRIVED_BEFORE_ALLOCATION = gettext_noop("The person cannot arrive before the room was allocated")
ARRIVED_BEFORE_MEASURE = gettext_noop("The person cannot arrive before their measure started")


# Sites --------------------------------------------------------------------------------------


def _coordinates(latitude: float | None, longitude: float | None) -> None:
    if (latitude is None) != (longitude is None):
        field = "longitude" if longitude is None else "latitude"
        raise field_error(field, _("Give both latitude and longitude, or neither"))
    if latitude is not None and not -90 <= latitude <= 90:
        raise field_error("latitude", _("Latitude is between -90 and 90"))
    if longitude is not None and not -180 <= longitude <= 180:
        raise field_error("longitude", _("Longitude is between -180 and 180"))


@transaction.atomic
def site_register(
    *,
    actor: Any,
    code: str,
    name: str,
    kind: str,
    division: Division,
    address: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    phone: str = "",
    opened_at: dt.datetime | None = None,
) -> Site:
    """Register a quarantine site in the actor's jurisdiction (a site manager staffs it);
    `opened_at`: when it opened (valid time, now if not given)."""
    require(actor, Cap.QUARANTINE_MANAGE)
    code = (code or "").strip().upper()
    if not SITE_CODE_RE.match(code):
        raise field_error("code", _("A site code is up to 20 letters, digits, dots or dashes"))
    if Site.objects.filter(code=code).exists():
        raise field_error("code", _("A quarantine site with this code already exists"))
    name = (name or "").strip()
    if not name:
        raise field_error("name", _("Name the site"))
    if kind not in SiteKind.values:
        raise field_error("kind", _("Choose the kind of site"))
    if not in_scope(actor, division.key):
        raise field_error("division", _("This place is outside your jurisdiction"))
    _coordinates(latitude, longitude)
    phone = (phone or "").strip()
    if phone and not PHONE_RE.match(phone):
        raise field_error("phone", _("Write the phone number with digits only"))
    opened_at = check_happened("opened_at", opened_at)
    site = Site.objects.create(
        code=code,
        name=name[:120],
        kind=kind,
        address=(address or "").strip()[:200],
        division=division,
        division_key=division.key,
        latitude=latitude,
        longitude=longitude,
        phone=phone,
        opened_at=opened_at,
    )
    if is_site_manager(actor):
        site.staff.add(actor)
    event_record(
        at=opened_at,
        actor=actor,
        action="site.registered",
        obj=site,
        data={"code": code, "kind": kind, "place": division.code},
    )
    return site


@transaction.atomic
def site_staff_set(*, actor: Any, site: Site, usernames: Iterable[str]) -> tuple[int, int]:
    """Make exactly these users the site's staff; returns (added, removed)."""
    require(actor, Cap.QUARANTINE_MANAGE)
    require_site(actor, site)

    def keeps_oneself(users: list[User], wanted: list[str]) -> None:
        if is_site_manager(actor) and actor.username not in wanted:
            raise field_error("staff", _("You cannot remove yourself from the site's staff"))

    return staff_set(
        actor=actor, obj=site, usernames=usernames, action="site.staff_changed", check=keeps_oneself
    )


# How an event writes the site's `active` flag (the figures read it back: `in_use_at`).
SITE_STATES = {"in_use": gettext_lazy("In use"), "closed": gettext_lazy("Closed or suspended")}


def site_state(active: bool) -> str:
    return "in_use" if active else "closed"


@transaction.atomic
def site_set_in_use(
    *, actor: Any, site: Site, active: bool, reason: str, at: dt.datetime | None = None
) -> Site:
    """Close or suspend a site (nobody may be allocated or inside), or open it again, saying
    why; `at`: when (valid time, now if not given), not before it opened nor before its last
    recorded change. The event dates the change: figures as of a moment read it back."""
    require(actor, Cap.QUARANTINE_MANAGE)
    require_site(actor, site)
    reason = need_reason(reason)
    locked = Site.objects.select_for_update().get(pk=site.pk)
    at = check_happened(
        "at",
        at,
        after=(
            (locked.opened_at, _(CLOSED_BEFORE_OPENING)),
            (last_change_at("quarantine.site", locked.pk, "active"), _(SITE_BEFORE_LAST_CHANGE)),
        ),
    )
    if locked.active == active:
        return locked
    if not active and Stay.objects.filter(site=locked, status__in=STAY_OPEN).exists():
        raise field_error(
            "active", _("People are allocated to or staying at this site: move or release them")
        )
    locked.active = active
    locked.closed_at = None if active else at
    locked.save(update_fields=["active", "closed_at"])
    event_record(
        at=at,
        actor=actor,
        action="site.reopened" if active else "site.closed",
        obj=locked,
        field="active",
        from_value=site_state(not active),
        to_value=site_state(active),
        reason=reason,
    )
    site.active, site.closed_at = locked.active, locked.closed_at
    return locked


# Rooms --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoomSpec:
    building: str
    floor: int
    number: str
    beds: int = 1
    accessible: bool = False

    @property
    def label(self) -> str:
        return room_label(self.building, self.number)


@dataclass
class RoomsAdded:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def rooms_generate(
    *,
    building: str,
    floors: tuple[int, int],
    positions: tuple[int, int],
    beds: int = 1,
    accessible: Iterable[int] = (),
) -> list[RoomSpec]:
    """Rooms of a building floor by floor: floor 2, positions 1–20 → rooms 201 … 220.

    `accessible` lists the positions that are accessible on every floor (e.g. 1 and 2).
    """
    low, high = floors
    first, last = positions
    if low > high:
        raise field_error("floor_to", _("The last floor is below the first"))
    if first > last:
        raise field_error("room_to", _("The last room is before the first"))
    if first < 1 or last > 99:
        raise field_error("room_to", _("Rooms on a floor are numbered 1 to 99"))
    if not FLOORS[0] <= low <= high <= FLOORS[1]:
        raise field_error("floor_to", _("Floors are numbered %(low)s to %(high)s") % floor_range())
    count = (high - low + 1) * (last - first + 1)
    if count > MAX_ROOMS_AT_ONCE:
        raise field_error(
            "room_to",
            _("That is %(n)s rooms; add at most %(max)s at once")
            % {"n": count, "max": MAX_ROOMS_AT_ONCE},
        )
    access = set(accessible)
    building = (building or "").strip()
    return [
        RoomSpec(building, floor, _number(floor, pos), beds, pos in access)
        for floor in range(low, high + 1)
        if floor != 0
        for pos in range(first, last + 1)
    ]


def floor_range() -> dict[str, int]:
    return {"low": FLOORS[0], "high": FLOORS[1]}


def _number(floor: int, position: int) -> str:
    return f"B{-floor}{position:02d}" if floor < 0 else f"{floor}{position:02d}"


def _check_spec(spec: RoomSpec) -> dict[str, str]:
    """Problems of one room, by field (empty when the room is fine)."""
    errors: dict[str, str] = {}
    if not spec.number or len(spec.number) > 20:
        errors["number"] = _("A room number has 1 to 20 characters")
    if len(spec.building) > 20:
        errors["building"] = _("A building name has at most 20 characters")
    if not FLOORS[0] <= spec.floor <= FLOORS[1]:
        errors["floor"] = _("Floors are numbered %(low)s to %(high)s") % floor_range()
    if not 1 <= spec.beds <= MAX_BEDS:
        errors["beds"] = _("A room has 1 to %(max)s beds") % {"max": MAX_BEDS}
    return errors


@transaction.atomic
def rooms_add(
    *, actor: Any, site: Site, rooms: Sequence[RoomSpec], source: str = "form"
) -> RoomsAdded:
    """Add rooms to a site; rooms it already has keep their status (beds, floor and access are
    brought up to date), so adding the same list twice changes nothing."""
    require(actor, Cap.QUARANTINE_MANAGE)
    require_site(actor, site)
    if not rooms:
        raise field_error("rooms", _("There are no rooms to add"))
    if len(rooms) > MAX_IMPORT_ROWS:
        raise field_error(
            "rooms", _("Add at most %(max)s rooms at once") % {"max": MAX_IMPORT_ROWS}
        )
    seen: set[tuple[str, str]] = set()
    for index, spec in enumerate(rooms):
        problems = _check_spec(spec)
        if problems:
            name, message = next(iter(problems.items()))
            raise field_error(name, f"{spec.label or index + 1}: {message}")
        if (spec.building, spec.number) in seen:
            raise field_error("number", _("Room %(room)s is listed twice") % {"room": spec.label})
        seen.add((spec.building, spec.number))
    result = _rooms_write(site, rooms)
    event_record(
        actor=actor,
        action="rooms.added",
        obj=site,
        to_value=str(result.created),
        data={
            "source": source,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
        },
    )
    return result


def _rooms_write(site: Site, rooms: Sequence[RoomSpec]) -> RoomsAdded:
    existing = {(r.building, r.number): r for r in Room.objects.filter(site=site)}
    result = RoomsAdded()
    new: list[Room] = []
    changed: list[Room] = []
    for spec in rooms:
        room = existing.get((spec.building, spec.number))
        if room is None:
            new.append(
                Room(
                    site=site,
                    building=spec.building,
                    floor=spec.floor,
                    number=spec.number,
                    beds=spec.beds,
                    accessible=spec.accessible,
                    division_key=site.division_key,
                )
            )
        elif (room.floor, room.beds, room.accessible) != (spec.floor, spec.beds, spec.accessible):
            room.floor, room.beds, room.accessible = spec.floor, spec.beds, spec.accessible
            changed.append(room)
        else:
            result.unchanged += 1
    Room.objects.bulk_create(new, batch_size=CHUNK)
    Room.objects.bulk_update(changed, ["floor", "beds", "accessible"], batch_size=CHUNK)
    result.created, result.updated = len(new), len(changed)
    return result


# Room status --------------------------------------------------------------------------------


@transaction.atomic
def rooms_set_status(
    *,
    actor: Any,
    rooms: Sequence[Room],
    status: str,
    reason: str = "",
    changed_at: dt.datetime | None = None,
) -> int:
    """Close, reopen or mark rooms disinfected; each change is an audit event. All or none.
    `changed_at`: when (valid time, now if not given), the events' time; refused naming it
    when ahead of the clock or before a room's last recorded status change."""
    require(actor, Cap.QUARANTINE_MANAGE)
    if status not in RoomStatus.values:
        raise field_error("status", _("Unknown room status"))
    if status == RoomStatus.OCCUPIED:
        raise field_error("status", _("A room becomes occupied when someone is allocated to it"))
    ids = sorted({r.pk for r in rooms})
    if not ids:
        raise field_error("rooms", _("Choose at least one room"))
    allowed = set(
        sites_for(actor, Cap.QUARANTINE_MANAGE).values_list("pk", flat=True)
    )  # the actor's sites
    locked = list(Room.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    for room in locked:
        if room.site_id not in allowed:
            raise field_error("site", _("This site is not one you manage"))
    busy = set(
        Stay.objects.filter(room_id__in=ids, status__in=STAY_OPEN).values_list("room_id", flat=True)
    )
    for room in locked:
        label = room_label(room.building, room.number)
        if room.pk in busy or room.status == RoomStatus.OCCUPIED:
            raise field_error(
                "status",
                _("%(room)s is occupied: move or release the people in it first") % {"room": label},
            )
        if status not in MANUAL_STATUS[room.status] and status != room.status:
            raise field_error(
                "status",
                _("%(room)s cannot go from %(old)s to %(new)s")
                % {
                    "room": label,
                    "old": room.get_status_display(),
                    "new": RoomStatus(status).label,
                },
            )
    changing = [r for r in locked if r.status != status]
    if not changing:
        return 0
    now = check_happened("changed_at", changed_at)
    if changed_at is not None:
        last = (
            changes_of("quarantine.room", ["status"])
            .filter(object_id__in=[str(r.pk) for r in changing], at__gt=now)
            .exists()
        )
        if last:
            raise field_error("changed_at", _(ROOM_BEFORE_LAST_CHANGE))
    Room.objects.filter(pk__in=[r.pk for r in changing]).update(status=status)
    user_id, actor_name = actor_columns(actor)
    events_record_bulk(
        EventRow(
            at=now,
            actor=user_id,
            actor_name=actor_name,
            action="room.status_changed",
            object_type="quarantine.room",
            object_id=str(r.pk),
            object_label=room_label(r.building, r.number),
            division_key=r.division_key,
            field="status",
            from_value=r.status,
            to_value=status,
            reason=(reason or "").strip()[:300],
        )
        for r in changing
    )
    return len(changing)


def room_set_status(
    *,
    actor: Any,
    room: Room,
    status: str,
    reason: str = "",
    changed_at: dt.datetime | None = None,
) -> Room:
    rooms_set_status(actor=actor, rooms=[room], status=status, reason=reason, changed_at=changed_at)
    room.refresh_from_db()
    return room


# Stays: check-in, move ----------------------------------------------------------------------


STAY_COLUMNS = (
    "pk",
    "status",
    "room_id",
    "person_id",
    "division_key",
    "person__name",
    "room__building",
    "room__number",
    "allocated_at",
    "measure__started_at",
    "checked_in_at",
)


def stay_rows(actor: Any, ids: Sequence[int] | None, selection: Any) -> list[tuple[Any, ...]]:
    """`STAY_COLUMNS` of the chosen stays at the actor's sites (the stays `ids`, or all of
    `selection`), locked until the change is written."""
    mine = Stay.objects.filter(site__in=sites_for(actor, Cap.QUARANTINE_MANAGE))
    qs = mine if selection is None else mine.filter(pk__in=selection.values("pk"))
    qs = qs.select_for_update(of=("self",)).order_by("pk")
    if ids is None:
        return list(qs.values_list(*STAY_COLUMNS))
    rows: list[tuple[Any, ...]] = []
    for chunk in chunks(ids):
        rows.extend(qs.filter(pk__in=in_ids(chunk)).values_list(*STAY_COLUMNS))
    return rows


def stays_missing(batch: StatusBatch, ids: Sequence[int] | None, rows: list[tuple[Any, ...]]):
    """Ids not found at the actor's sites are refused (an outsider learns nothing more)."""
    if ids is None:
        return
    found = {r[0] for r in rows}
    for pk in ids:
        if pk not in found:
            batch.refused[pk] = _("No stay with this id at your sites")


@transaction.atomic
def stays_arrive(
    *,
    actor: Any,
    ids: Iterable[int] | None = None,
    selection: Any = None,
    at: dt.datetime | None = None,
) -> StatusBatch:
    """People allocated to rooms arrive: planned → in, at `at` (valid time for the whole
    batch, now if not given): the stays `ids`, or every stay of `selection` (e.g. everyone
    expected at a site).

    All or nothing: an id not at the actor's sites, a stay that is not expected, or an arrival
    dated before the stay's allocation or its measure's start refuses the batch, naming each
    such id, and nothing is written. People already in are `unchanged` (running the same
    check-in twice changes nothing). The rest change in one UPDATE per 10,000 stays, with one
    audit event each written at once and the running counts told once.
    """
    require(actor, Cap.QUARANTINE_MANAGE)
    at = check_happened("checked_in_at", at)
    wanted = None if ids is None else sorted(set(ids))
    rows = stay_rows(actor, wanted, selection)
    batch = StatusBatch()
    stays_missing(batch, wanted, rows)
    moving = []
    for row in rows:
        pk, status, name = row[0], row[1], row[5]
        allocated, started = row[8], row[9]
        if status == StayStatus.IN:
            batch.unchanged.append(pk)
        elif status != StayStatus.PLANNED:
            batch.refused[pk] = _("%(person)s is not expected (%(status)s)") % {
                "person": name,
                "status": StayStatus(status).label,
            }
        elif at < allocated:
            batch.refused[pk] = _(ARRIVED_BEFORE_ALLOCATION)
        elif started is not None and at < started:
            batch.refused[pk] = _(ARRIVED_BEFORE_MEASURE)
        else:
            moving.append(row)
    if batch.refused or not moving:
        return batch
    batch.changed = [r[0] for r in moving]
    rooms = sorted({r[2] for r in moving})
    counted = changes.changing("stay", rooms)  # the command dashboard's running counts
    for chunk in chunks(batch.changed):
        Stay.objects.filter(pk__in=in_ids(chunk)).update(status=StayStatus.IN, checked_in_at=at)
    counted.done()
    for chunk in chunks(rooms):
        Room.objects.filter(pk__in=in_ids(chunk)).update(status=RoomStatus.OCCUPIED)
    user_id, actor_name = actor_columns(actor)
    events_record_bulk(
        EventRow(
            at=at,
            actor=user_id,
            actor_name=actor_name,
            action="stay.checked_in",
            object_type="quarantine.stay",
            object_id=str(pk),
            object_label=f"{name} @ {room_label(building, number)}"[:200],
            person_id=person_id,
            division_key=key,
            field="status",
            from_value=StayStatus.PLANNED,
            to_value=StayStatus.IN,
        )
        for pk, _status, _room, person_id, key, name, building, number, *_rest in moving
    )
    return batch


def stays_check_in(*, actor: Any, stays: Sequence[Stay], at: dt.datetime | None = None) -> int:
    """Check in the stays chosen on a page (all or none): `stays_arrive`, where someone
    already in is refused as not expected."""
    ids = sorted({s.pk for s in stays})
    if not ids:
        raise field_error("stays", _("Choose at least one person"))
    require(actor, Cap.QUARANTINE_MANAGE)
    if (
        Stay.objects.filter(pk__in=in_ids(ids))
        .exclude(site__in=sites_for(actor, Cap.QUARANTINE_MANAGE))
        .exists()
    ):
        raise field_error("site", _("This site is not one you manage"))
    inside = Stay.objects.filter(pk__in=in_ids(ids), status=StayStatus.IN).select_related("person")
    for stay in inside[:1]:
        raise field_error(
            "stays",
            _("%(person)s is not expected (%(status)s)")
            % {"person": stay.person.name, "status": stay.get_status_display()},
        )
    batch = stays_arrive(actor=actor, ids=ids, at=at)
    if batch.refused:  # dated too early (the time's fault), or no longer expected
        messages = sorted(set(batch.refused.values()))
        dated = {_(ARRIVED_BEFORE_ALLOCATION), _(ARRIVED_BEFORE_MEASURE)}
        field = "checked_in_at" if set(messages) <= dated else "stays"
        raise field_error(field, " ".join(messages))
    return len(batch.changed)


def stay_check_in(*, actor: Any, stay: Stay, at: dt.datetime | None = None) -> Stay:
    stays_check_in(actor=actor, stays=[stay], at=at)
    stay.refresh_from_db()
    return stay


@transaction.atomic
def stay_move(
    *, actor: Any, stay: Stay, room: Room, reason: str, moved_at: dt.datetime | None = None
) -> Stay:
    """Move a person to another free room (at this or another of the actor's sites).

    The old stay ends as "moved" and a new one starts in the new room; the old room awaits
    disinfection once its last occupant has left (or is free again if nobody had arrived).
    `moved_at`: when the move happened (valid time, now if not given), not before the person
    arrived (or was allocated the room), nor before the stay's last recorded change, nor
    ahead of the clock beyond the policy's tolerance.
    """
    require(actor, Cap.QUARANTINE_MANAGE)
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", _("Give a reason"))
    allowed = set(sites_for(actor, Cap.QUARANTINE_MANAGE).values_list("pk", flat=True))
    old = (
        Stay.objects.select_for_update(of=("self",))
        .select_related("person", "room")
        .get(pk=stay.pk)
    )
    if old.site_id not in allowed:
        raise field_error("site", _("This site is not one you manage"))
    if old.status not in STAY_OPEN:
        raise field_error(
            "stay",
            _("%(person)s is no longer here (%(status)s)")
            % {"person": old.person.name, "status": old.get_status_display()},
        )
    ids = sorted({old.room_id, room.pk})
    locked = {r.pk: r for r in Room.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    target = locked[room.pk]
    if target.pk == old.room_id:
        raise field_error("room", _("The person is already in this room"))
    if target.site_id not in allowed:
        raise field_error("room", _("This site is not one you manage"))
    if target.status != RoomStatus.AVAILABLE or (
        Stay.objects.filter(room=target, status__in=STAY_OPEN).exists()
    ):
        raise field_error(
            "room",
            _("%(room)s is not free (%(status)s)")
            % {
                "room": room_label(target.building, target.number),
                "status": target.get_status_display(),
            },
        )
    was_in = old.status == StayStatus.IN
    now = check_happened(
        "moved_at",
        moved_at,
        after=(
            (
                old.checked_in_at if was_in else old.allocated_at,
                _("A move cannot be before the person arrived")
                if was_in
                else _("A move cannot be before the room was allocated"),
            ),
            (
                last_change_at("quarantine.stay", old.pk, "status"),
                _("This is before the stay's last recorded change"),
            ),
        ),
    )
    counted = changes.changing("stay", [old.room_id, target.pk])
    old.status, old.checked_out_at = StayStatus.MOVED, now
    old.save(update_fields=["status", "checked_out_at"])
    new = Stay.objects.create(
        person_id=old.person_id,
        measure_id=old.measure_id,
        room=target,
        site_id=target.site_id,
        batch_id=old.batch_id,
        status=StayStatus.IN if was_in else StayStatus.PLANNED,
        allocated_at=now,
        checked_in_at=now if was_in else None,
        division_key=target.division_key,
    )
    counted.done()
    target.status = RoomStatus.OCCUPIED
    target.save(update_fields=["status"])
    source = locked[old.room_id]
    if not Stay.objects.filter(room=source, status__in=STAY_OPEN).exists():
        source.status = RoomStatus.CLEANING if was_in else RoomStatus.AVAILABLE
        source.save(update_fields=["status"])
    event_record(
        at=now,
        actor=actor,
        action="stay.moved",
        obj=new,
        person_id=old.person_id,
        field="room",
        from_value=f"{old.site_id}:{room_label(source.building, source.number)}",
        to_value=f"{target.site_id}:{room_label(target.building, target.number)}",
        reason=reason[:300],
        data={"from_stay": old.pk, "from_room": source.pk, "to_room": target.pk},
    )
    return new
