"""Allocation: propose rooms for a batch of people, review the proposal, confirm it whole.

An operator picks people (waiting close contacts, or pasted ID numbers) and a category. The
engine proposes a room for each person from the free rooms of the operator's sites (`sites_for`)
and stores the proposal as a draft `AllocationBatch`, so nothing is lost if the browser closes.
The rules come from the active profile (`rules.quarantine`):

- one person per room (`one_person_per_room`; when off, single adults of one sex may share a
  room up to its beds);
- members of one household in the batch share a room when `household_together` and a free room
  has the beds; otherwise they are split;
- a child younger than `child_with_guardian_under_age` is always placed with an adult of the
  household; with no adult in the batch the child is not placed, and the reason says so;
- people on the key-person ledger as disabled or elderly living alone get accessible rooms;
- the nearest site with a free room first: straight-line distance from the home community to
  the site when both have coordinates (a site without its own uses its place's), otherwise by
  jurisdiction (same community, street, district, city). Sites at a known distance come first.

People who cannot be placed are listed with the reason. Confirmation is one transaction: the
rooms are locked (SELECT … FOR UPDATE on PostgreSQL; SQLite runs one writer at a time), every
room must still be free, and then stays, measures (`measures_start_bulk`), room statuses and
audit events are written in bulk. If any room was taken meanwhile nothing is written and the
operator proposes again; a room is never booked twice.

The engine works on plain lists loaded with a few set-based queries and ranks sites with NumPy,
so a batch of 10,000 people is proposed in well under two seconds (bench/allocation.py).
The engine (`engine.propose`) and the ranking (`ranking.rank_sites`) are pure; this module is
the shell around them: it loads, calls them, stores the batch and writes the audit events.
"""

import datetime as dt
import gc
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.services import EventRow, actor_columns, event_record, events_record_bulk
from fangkong.core import changes
from fangkong.core.access import NO_SCOPE, Cap, acting_user, require, scope_key, scoped
from fangkong.core.db import in_ids
from fangkong.core.errors import field_error
from fangkong.epi.cases.services import check_happened
from fangkong.people.display import age_on
from fangkong.people.models import KeyCategory, KeyPerson, Resident
from fangkong.policy import accessor
from fangkong.quarantine.allocation.engine import (
    ADULT_AGE,
    R_FUTURE,
    R_HOME_ONLY,
    R_MEASURE,
    R_OVER,
    R_REMOVED,
    R_STAY,
    R_UNKNOWN,
    Person,
    Rules,
    propose,
    unplaced_entry,
)
from fangkong.quarantine.allocation.ranking import site_rankings
from fangkong.quarantine.allocation.selectors import batches_for, category_rule
from fangkong.quarantine.measures import schedules
from fangkong.quarantine.measures.services import (
    MeasureStart,
    category_label,
    insert_rows,
    measures_start_bulk,
)
from fangkong.quarantine.models import (
    STAY_OPEN,
    AllocationBatch,
    Measure,
    MeasureStatus,
    Room,
    RoomStatus,
    Stay,
    StayStatus,
)
from fangkong.quarantine.sites.selectors import room_label, sites_for

NEEDS_ACCESSIBLE = (KeyCategory.DISABLED, KeyCategory.ELDERLY_ALONE)
CENTRALISED_PHASES = {"centralised", "centralised_or_home"}
MAX_PEOPLE = 20000

# Proposing ------------------------------------------------------------------------------


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Pause the cyclic garbage collector while tens of thousands of small objects are made:
    its full passes over a large heap otherwise take half the time of a proposal."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _rules() -> Rules:
    q = accessor.current().rules.quarantine
    return Rules(q.one_person_per_room, q.household_together, q.child_with_guardian_under_age)


def _load_people(
    actor: Any, anchors: dict[int, dt.date], rule: Any, today: dt.date
) -> tuple[list[Person], list[dict[str, Any]]]:
    """The people who may be placed, and the others with the reason."""
    ids = sorted(anchors)
    rows = list(
        scoped(Resident.objects.filter(pk__in=in_ids(ids)), actor).values_list(
            "id", "division_key", "household_id", "relation", "birth_date", "sex"
        )
    )
    busy: dict[int, dict[str, Any]] = {}
    for pid, category, since in Measure.objects.filter(
        person_id__in=in_ids(ids), status=MeasureStatus.ACTIVE
    ).values_list("person_id", "category", "starts_on"):
        label = category_label(category)
        busy[pid] = unplaced_entry(pid, R_MEASURE, {"category": label, "since": since.isoformat()})
    for pid, site in Stay.objects.filter(
        person_id__in=in_ids(ids), status__in=STAY_OPEN
    ).values_list("person_id", "site__name"):
        busy[pid] = unplaced_entry(pid, R_STAY, {"site": site})
    access = set(
        KeyPerson.objects.filter(
            resident_id__in=in_ids(ids), category__in=NEEDS_ACCESSIBLE
        ).values_list("resident_id", flat=True)
    )
    unplaced = [
        unplaced_entry(pid, R_UNKNOWN, anchor=anchors[pid])
        for pid in sorted(set(ids) - {r[0] for r in rows})
    ]
    verdicts = {a: _schedule_problem(rule, a, today) for a in set(anchors.values())}
    people = []
    for pid, key, household, relation, born, sex in rows:
        anchor, problem = anchors[pid], verdicts[anchors[pid]]
        if pid in busy:
            unplaced.append({**busy[pid], "anchor": anchor.isoformat()})
        elif problem is not None:
            unplaced.append(unplaced_entry(pid, problem[0], problem[1], anchor=anchor))
        else:
            age = age_on(born, today)
            people.append(Person(pid, key, household, relation, age, sex, anchor, pid in access))
    return people, unplaced


def _schedule_problem(
    rule: Any, anchor: dt.date, today: dt.date
) -> tuple[str, dict[str, Any]] | None:
    if anchor > today:
        return R_FUTURE, {"anchor": anchor.isoformat()}
    planned = schedules.plan(rule, anchor, today=today)
    if planned.ends_on is None or planned.ends_on < today:
        return R_OVER, {"anchor": anchor.isoformat(), "end": str(planned.ends_on)}
    first = planned.phases[0] if planned.phases else None
    if first is None or first.kind not in CENTRALISED_PHASES or first.last_day < today:
        end = first.last_day.isoformat() if first else ""
        return R_HOME_ONLY, {"anchor": anchor.isoformat(), "end": end}
    return None


def _free_rooms(actor: Any) -> tuple[list[tuple[int, int, int, bool]], list[tuple[Any, ...]]]:
    sites = list(
        sites_for(actor, Cap.QUARANTINE_MANAGE)
        .filter(active=True)
        .order_by("pk")
        .values_list("id", "division_key", "latitude", "longitude")
    )
    housed = Stay.objects.filter(room=OuterRef("pk"), status__in=STAY_OPEN)
    rooms = list(
        Room.objects.filter(site_id__in=[s[0] for s in sites], status=RoomStatus.AVAILABLE)
        .filter(~Exists(housed))
        .order_by("site_id", "building", "floor", "number")
        .values_list("id", "site_id", "beds", "accessible")
    )
    return rooms, sites


@_without_cycle_collection()
@transaction.atomic
def allocation_propose(
    *,
    actor: Any,
    category: str,
    people: dict[int, dt.date],
    unplaced: Sequence[dict[str, Any]] = (),
    today: dt.date | None = None,
    source: str = "",
) -> AllocationBatch:
    """Propose rooms for `people` (person id → the date their schedule counts from); the
    proposal is saved as a draft batch for review."""
    require(actor, Cap.QUARANTINE_MANAGE)
    rule = category_rule(category)
    if not people and not unplaced:
        raise field_error("people", _("There is nobody to allocate"))
    if len(people) > MAX_PEOPLE:
        raise field_error(
            "people", _("Allocate at most %(max)s people at once") % {"max": MAX_PEOPLE}
        )
    today = today or timezone.localdate()
    candidates, refused = _load_people(actor, people, rule, today)
    rooms, sites = _free_rooms(actor)
    rankings = site_rankings(candidates, sites)
    proposal = propose(candidates, rooms, [s[0] for s in sites], rankings, _rules())
    prefix = scope_key(actor)
    batch = AllocationBatch.objects.create(
        category=category,
        created_by=acting_user(actor),
        plan=proposal.lines,
        unplaced=[*unplaced, *refused, *proposal.unplaced],
        division_key="" if prefix == NO_SCOPE else prefix,
    )
    event_record(
        actor=actor,
        action="allocation.proposed",
        obj=batch,
        data={
            "category": category,
            "source": source,
            "placed": len(batch.plan),
            "unplaced": len(batch.unplaced),
            "free_rooms": len(rooms),
        },
    )
    return batch


# Batches --------------------------------------------------------------------------------


def _lock_draft(actor: Any, batch: AllocationBatch) -> AllocationBatch:
    locked = batches_for(actor).select_for_update().filter(pk=batch.pk).first()
    if locked is None:
        raise field_error("batch", _("Not found, or outside your jurisdiction"))
    if locked.status != AllocationBatch.Status.DRAFT:
        raise field_error(
            "batch",
            _("This allocation is already %(status)s") % {"status": locked.get_status_display()},
        )
    return locked


@transaction.atomic
def allocation_remove(
    *, actor: Any, batch: AllocationBatch, person_ids: Iterable[int]
) -> AllocationBatch:
    """Take people out of a draft; a child may not be left without the adult placed with them."""
    locked = _lock_draft(actor, batch)
    removing = set(person_ids)
    if not removing & {line["person"] for line in locked.plan}:
        raise field_error("people", _("Choose the people to take out of the proposal"))
    kept = [line for line in locked.plan if line["person"] not in removing]
    touched = {line["group"] for line in locked.plan if line["person"] in removing}
    left = [line for line in kept if line["group"] in touched]
    if left:
        _check_guardians(left)
    removed = [line for line in locked.plan if line["person"] in removing]
    locked.plan = kept
    locked.unplaced = [
        *locked.unplaced,
        *(
            unplaced_entry(line["person"], R_REMOVED, anchor=dt.date.fromisoformat(line["anchor"]))
            for line in removed
        ),
    ]
    locked.save(update_fields=["plan", "unplaced"])
    event_record(
        actor=actor,
        action="allocation.lines_removed",
        obj=locked,
        data={"people": sorted(line["person"] for line in removed)},
    )
    return locked


def _check_guardians(lines: list[dict[str, Any]]) -> None:
    """Refuse to leave a child in a room without an adult of the same group."""
    child_age = _rules().child_age
    today = timezone.localdate()
    people = {
        pid: (name, age_on(born, today))
        for pid, name, born in Resident.objects.filter(
            pk__in=[line["person"] for line in lines]
        ).values_list("id", "name", "birth_date")
    }
    oldest: dict[int, int] = defaultdict(int)
    for line in lines:
        oldest[line["group"]] = max(oldest[line["group"]], people[line["person"]][1])
    for line in lines:
        name, age = people[line["person"]]
        if age < child_age and oldest[line["group"]] < ADULT_AGE:
            raise field_error(
                "people",
                _(
                    "Take %(child)s out too, or keep the adult: a child under %(age)s stays "
                    "with an adult of the household"
                )
                % {"child": name, "age": child_age},
            )


@transaction.atomic
def allocation_cancel(*, actor: Any, batch: AllocationBatch, reason: str = "") -> AllocationBatch:
    locked = _lock_draft(actor, batch)
    locked.status = AllocationBatch.Status.CANCELLED
    locked.save(update_fields=["status"])
    event_record(
        actor=actor,
        action="allocation.cancelled",
        obj=locked,
        field="status",
        from_value=AllocationBatch.Status.DRAFT,
        to_value=AllocationBatch.Status.CANCELLED,
        reason=(reason or "").strip()[:300],
    )
    return locked


@transaction.atomic
def allocation_repropose(
    *, actor: Any, batch: AllocationBatch, today: dt.date | None = None
) -> AllocationBatch:
    """Propose again for the same people (e.g. after a confirmation was refused)."""
    locked = _lock_draft(actor, batch)
    people = {line["person"]: dt.date.fromisoformat(line["anchor"]) for line in locked.plan}
    carried = []
    for entry in locked.unplaced:
        if entry.get("message") == R_REMOVED:
            continue
        if entry.get("person") and entry.get("anchor"):
            people[entry["person"]] = dt.date.fromisoformat(entry["anchor"])
        elif not entry.get("person"):
            carried.append(entry)
    allocation_cancel(actor=actor, batch=locked, reason=_("Proposed again"))
    return allocation_propose(
        actor=actor,
        category=locked.category,
        people=people,
        unplaced=carried,
        today=today,
        source=f"batch:{locked.pk}",
    )


def allocation_confirm(
    *,
    actor: Any,
    batch: AllocationBatch,
    today: dt.date | None = None,
    allocated_at: dt.datetime | None = None,
) -> AllocationBatch:
    """Book the proposal whole: stays, measures, rooms occupied, events; or nothing.
    `allocated_at`: when the rooms were allocated and the measures started (valid time, now
    if not given; not ahead of the clock beyond the policy's tolerance)."""
    try:
        return _confirm(actor, batch, today or timezone.localdate(), allocated_at)
    except IntegrityError:  # a person got a measure or a room from elsewhere at the same moment
        raise field_error(
            "batch",
            _(
                "Someone in this proposal was allocated or put under a measure meanwhile: "
                "nothing was booked. Propose again."
            ),
        ) from None


@_without_cycle_collection()
@transaction.atomic
def _confirm(
    actor: Any, batch: AllocationBatch, today: dt.date, allocated_at: dt.datetime | None
) -> AllocationBatch:
    require(actor, Cap.QUARANTINE_MANAGE)
    allocated = check_happened("allocated_at", allocated_at)
    locked = _lock_draft(actor, batch)
    lines = locked.plan
    if not lines:
        raise field_error("batch", _("Nobody is left in this proposal"))
    rule = category_rule(locked.category)
    late = [
        a
        for a in {line["anchor"] for line in lines}
        if _schedule_problem(rule, dt.date.fromisoformat(a), today) is not None
    ]
    if late:
        raise field_error(
            "batch",
            _(
                "Counted from %(anchors)s, centralised quarantine is no longer due today: "
                "propose again"
            )
            % {"anchors": ", ".join(sorted(late))},
        )
    rooms = _lock_rooms(actor, sorted({line["room"] for line in lines}))
    person_ids = sorted(line["person"] for line in lines)
    people = {
        pid: (name, key)
        for pid, name, key in Resident.objects.filter(pk__in=in_ids(person_ids)).values_list(
            "id", "name", "division_key"
        )
    }
    housed = Stay.objects.filter(person_id__in=in_ids(person_ids), status__in=STAY_OPEN).first()
    if housed is not None:
        raise field_error(
            "batch",
            _("%(person)s was allocated a room meanwhile: nothing was booked. Propose again.")
            % {"person": housed.person.name},
        )
    measure_of = measures_start_bulk(
        actor=actor,
        category=locked.category,
        starts=[
            MeasureStart(
                person_id=line["person"],
                division_key=people[line["person"]][1],
                anchor_on=dt.date.fromisoformat(line["anchor"]),
                source=f"allocation:{locked.pk}",
                name=people[line["person"]][0],
            )
            for line in lines
        ],
        today=today,
        check_scope=False,
        started_at=allocated,
    )
    now = timezone.now()
    stamp = connection.ops.adapt_datetimefield_value(allocated)  # once, not once a row
    counted = changes.changing("stay", rooms)  # the command dashboard's running counts
    insert_rows(
        Stay,
        ("person", "measure", "room", "site", "batch", "status", "allocated_at", "division_key"),
        (
            (
                line["person"],
                measure_of[line["person"]],
                line["room"],
                rooms[line["room"]][1],
                locked.pk,
                StayStatus.PLANNED,
                stamp,
                rooms[line["room"]][5],
            )
            for line in lines
        ),
    )
    counted.done()
    stay_of = dict(Stay.objects.filter(batch=locked).values_list("person_id", "id"))
    Room.objects.filter(pk__in=in_ids(rooms)).update(status=RoomStatus.OCCUPIED)
    _audit_stays(actor, locked, lines, stay_of, measure_of, rooms, people, stamp)
    locked.status = AllocationBatch.Status.CONFIRMED
    locked.confirmed_at = now
    locked.save(update_fields=["status", "confirmed_at"])
    event_record(
        actor=actor,
        action="allocation.confirmed",
        obj=locked,
        field="status",
        from_value=AllocationBatch.Status.DRAFT,
        to_value=AllocationBatch.Status.CONFIRMED,
        data={
            "people": len(lines),
            "rooms": len(rooms),
            "sites": len({r[1] for r in rooms.values()}),
            "category": locked.category,
        },
    )
    return locked


def _lock_rooms(actor: Any, room_ids: list[int]) -> dict[int, tuple[Any, ...]]:
    """Lock the batch's rooms in one order (no deadlock between two operators); every one must
    still be free and at one of the actor's sites in use."""
    allowed = set(
        sites_for(actor, Cap.QUARANTINE_MANAGE).filter(active=True).values_list("pk", flat=True)
    )
    rows = (
        Room.objects.select_for_update()
        .filter(pk__in=in_ids(room_ids))
        .order_by("pk")
        .values_list("pk", "site_id", "status", "building", "number", "division_key")
    )
    rooms = {row[0]: row for row in rows}
    housed = set(
        Stay.objects.filter(room_id__in=in_ids(room_ids), status__in=STAY_OPEN).values_list(
            "room_id", flat=True
        )
    )
    taken = [
        pk
        for pk in room_ids
        if pk not in rooms
        or rooms[pk][1] not in allowed
        or rooms[pk][2] != RoomStatus.AVAILABLE
        or pk in housed
    ]
    if taken:
        labels = [room_label(rooms[pk][3], rooms[pk][4]) for pk in taken[:10] if pk in rooms]
        raise field_error(
            "rooms",
            _(
                "%(n)s room(s) of this proposal were taken or closed meanwhile (%(rooms)s): "
                "nothing was booked. Propose again."
            )
            % {"n": len(taken), "rooms": ", ".join(labels) or "—"},
        )
    return rooms


def _audit_stays(
    actor: Any,
    batch: AllocationBatch,
    lines: list[dict[str, Any]],
    stay_of: dict[int, int],
    measure_of: dict[int, int],
    rooms: dict[int, tuple[Any, ...]],
    people: dict[int, tuple[str, str]],
    now: Any,
) -> None:
    """One "stay.allocated" event per person, written in one columnar insert."""
    user_id, actor_name = actor_columns(actor)

    def row(line: dict[str, Any]) -> EventRow:
        person, room = line["person"], rooms[line["room"]]
        label = room_label(room[3], room[4])
        data = {"batch": batch.pk, "site": room[1], "room": room[0], "measure": measure_of[person]}
        return EventRow(
            at=now,
            actor=user_id,
            actor_name=actor_name,
            action="stay.allocated",
            object_type="quarantine.stay",
            object_id=str(stay_of[person]),
            object_label=f"{people[person][0]} @ {label}"[:200],
            person_id=person,
            division_key=room[5],
            field="room",
            to_value=label,
            data=json.dumps(data),
        )

    events_record_bulk(row(line) for line in lines)
