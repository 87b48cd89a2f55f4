"""Many measures or stays changed in one request, all or nothing (docs/quarantine-measures.md,
"Many at once"): measures ended early (`measures_end`), people leaving a site for the home phase of
their schedule (`stays_leave`). Both take a valid time for the whole batch, check every row
first, write columnar (one UPDATE per 10,000 rows, one audit event per row written at once)
and tell the running counts and the health codes once. Checking many people in is
`sites.services.stays_arrive`.
"""

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.history import changes_of
from fangkong.audit.services import EventRow, actor_columns, events_record_bulk
from fangkong.core import changes
from fangkong.core.access import Cap, require
from fangkong.core.bulk import StatusBatch, chunks
from fangkong.core.db import in_ids
from fangkong.core.errors import need_reason
from fangkong.epi.cases.services import check_happened
from fangkong.quarantine.measures import release
from fangkong.quarantine.measures.selectors import COMMUNITY_WIDTH, measures_for_user
from fangkong.quarantine.measures.services import (
    BEFORE_LAST_CHANGE,
    CLOSED_BEFORE_START,
    LEFT_BEFORE_ARRIVAL,
    require_keeper,
)
from fangkong.quarantine.models import (
    STAY_OPEN,
    DueTestStatus,
    Measure,
    MeasureStatus,
    Room,
    RoomStatus,
    ScheduledTest,
    Stay,
    StayStatus,
)
from fangkong.quarantine.sites.selectors import room_label
from fangkong.quarantine.sites.services import stay_rows, stays_missing

LOOKUP_BATCH = 1_000


def _last_changes(ids: Sequence[int]) -> dict[str, dt.datetime]:
    """Each measure's last recorded status change (one query a thousand)."""
    last: dict[str, dt.datetime] = {}
    for chunk in chunks(ids, LOOKUP_BATCH):
        last.update(
            changes_of("quarantine.measure", ["status"])
            .filter(object_id__in=[str(pk) for pk in chunk])
            .values("object_id")
            .annotate(last=Max("at"))
            .values_list("object_id", "last")
        )
    return last


MEASURE_COLUMNS = ("pk", "status", "person_id", "division_key", "person__name", "started_at")


def _measure_rows(actor: Any, ids: list[int] | None, selection: Any) -> list[tuple[Any, ...]]:
    mine = measures_for_user(actor)
    qs = mine if selection is None else mine.filter(pk__in=selection.values("pk"))
    qs = Measure.objects.filter(pk__in=qs.values("pk")).select_for_update(of=("self",))
    qs = qs.order_by("pk")
    if ids is None:
        return list(qs.values_list(*MEASURE_COLUMNS))
    rows: list[tuple[Any, ...]] = []
    for chunk in chunks(ids):
        rows.extend(qs.filter(pk__in=in_ids(chunk)).values_list(*MEASURE_COLUMNS))
    return rows


@transaction.atomic
def measures_end(
    *,
    actor: Any,
    reason: str,
    ids: Iterable[int] | None = None,
    selection: Any = None,
    closed_at: dt.datetime | None = None,
) -> StatusBatch:
    """End many measures early (as `services.measure_end_early` ends one), saying why: the
    measures `ids`, or every measure of `selection` (the measures list's filter, from
    `selectors.measure_search`). `closed_at`: when (valid time for the batch, now if not given).

    All or nothing: an id outside the actor's measures, a measure closed otherwise, or one the
    time would date before its start, its last recorded status change or its person's
    check-in refuses the batch, naming each such id. Measures already ended are `unchanged`.
    People still at a site leave their room (released; an allocation not yet taken up is
    cancelled) and rooms left empty await disinfection, as for one measure.
    """
    require_keeper(actor)
    reason = need_reason(reason)
    at = check_happened("closed_at", closed_at)
    wanted = None if ids is None else sorted(set(ids))
    rows = _measure_rows(actor, wanted, selection)
    batch = StatusBatch()
    if wanted is not None:
        found = {r[0] for r in rows}
        for missing in (i for i in wanted if i not in found):
            batch.refused[missing] = _("No measure with this id in your jurisdiction")
    moving = []
    for row in rows:
        pk, status = row[0], row[1]
        if status == MeasureStatus.ENDED:
            batch.unchanged.append(pk)
        elif status != MeasureStatus.ACTIVE:
            batch.refused[pk] = _("This measure is already closed (%(status)s)") % {
                "status": MeasureStatus(status).label
            }
        elif at < row[5]:
            batch.refused[pk] = _(CLOSED_BEFORE_START)
        else:
            moving.append(row)
    last = _last_changes([r[0] for r in moving])
    moving_ok = []
    for row in moving:
        if str(row[0]) in last and at < last[str(row[0])]:
            batch.refused[row[0]] = _(BEFORE_LAST_CHANGE)
        else:
            moving_ok.append(row)
    people = [r[2] for r in moving_ok]
    stays = _open_stays(people)
    measure_of_person = {r[2]: r[0] for r in moving_ok}
    for s in stays:
        if s[6] is not None and at < s[6]:
            batch.refused[measure_of_person[s[3]]] = _(LEFT_BEFORE_ARRIVAL)
    if batch.refused or not moving_ok:
        return batch
    batch.changed = [r[0] for r in moving_ok]
    _leave(actor, stays, StayStatus.RELEASED, reason, at)
    counted = changes.changing("measure", batch.changed)
    for chunk in chunks(batch.changed):
        Measure.objects.filter(pk__in=in_ids(chunk)).update(
            status=MeasureStatus.ENDED, closed_at=at, close_reason=reason[:300]
        )
        ScheduledTest.objects.filter(
            measure_id__in=in_ids(chunk), status=DueTestStatus.DUE
        ).delete()
    user_id, actor_name = actor_columns(actor)
    events_record_bulk(
        EventRow(
            at=at,
            actor=user_id,
            actor_name=actor_name,
            action="measure.closed",
            object_type="quarantine.measure",
            object_id=str(pk),
            object_label=name[:200],
            person_id=person_id,
            division_key=key,
            field="status",
            from_value=MeasureStatus.ACTIVE,
            to_value=MeasureStatus.ENDED,
            reason=reason[:300],
        )
        for pk, _old, person_id, key, name, _started in moving_ok
    )
    counted.done()
    changes.changed("person", sorted(set(people)))  # health codes, once
    return batch


STAY_LEAVE_COLUMNS = (
    "pk",
    "status",
    "room_id",
    "person_id",
    "division_key",
    "person__name",
    "checked_in_at",
    "room__building",
    "room__number",
)


def _open_stays(people: Sequence[int]) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for chunk in chunks(sorted(set(people))):
        qs = Stay.objects.filter(person_id__in=in_ids(chunk), status__in=STAY_OPEN)
        out.extend(qs.select_for_update(of=("self",)).values_list(*STAY_LEAVE_COLUMNS))
    return out


def _leave(
    actor: Any, stays: list[tuple[Any, ...]], status: str, reason: str, at: dt.datetime
) -> None:
    """The people of `stays` (`STAY_LEAVE_COLUMNS`) leave their rooms at `at`: those in end as
    `status`, allocations not taken up are cancelled; rooms left empty await disinfection (or
    are free again if nobody had arrived), closed rooms stay closed. Columnar, audited."""
    if not stays:
        return
    rooms = sorted({s[2] for s in stays})
    arrived = [s[0] for s in stays if s[1] == StayStatus.IN]
    expected = [s[0] for s in stays if s[1] != StayStatus.IN]
    counted = changes.changing("stay", rooms)  # the command dashboard's running counts
    for chunk in chunks(arrived):
        Stay.objects.filter(pk__in=in_ids(chunk)).update(status=status, checked_out_at=at)
    for chunk in chunks(expected):
        Stay.objects.filter(pk__in=in_ids(chunk)).update(status=StayStatus.CANCELLED)
    counted.done()
    leaving = {s[0] for s in stays}
    still = set(
        Stay.objects.filter(room_id__in=in_ids(rooms), status__in=STAY_OPEN)
        .exclude(pk__in=in_ids(sorted(leaving)))
        .values_list("room_id", flat=True)
    )
    had_arrivals: dict[int, bool] = defaultdict(bool)
    for s in stays:
        had_arrivals[s[2]] |= s[1] == StayStatus.IN
    room_rows = list(
        Room.objects.filter(pk__in=in_ids([r for r in rooms if r not in still]))
        .exclude(status=RoomStatus.CLOSED)
        .select_for_update()
        .values_list("pk", "status", "building", "number", "division_key")
    )
    room_changes = []
    for pk, old, building, number, key in room_rows:
        new = RoomStatus.CLEANING if had_arrivals[pk] else RoomStatus.AVAILABLE
        if new != old:
            room_changes.append((pk, old, new, room_label(building, number), key))
    for new in (RoomStatus.CLEANING, RoomStatus.AVAILABLE):
        ids = [r[0] for r in room_changes if r[2] == new]
        for chunk in chunks(ids):
            Room.objects.filter(pk__in=in_ids(chunk)).update(status=new)
    user_id, actor_name = actor_columns(actor)
    events_record_bulk(
        [
            *(
                EventRow(
                    at=at,
                    actor=user_id,
                    actor_name=actor_name,
                    action="stay.ended",
                    object_type="quarantine.stay",
                    object_id=str(s[0]),
                    object_label=f"{s[5]} @ {room_label(s[7], s[8])}"[:200],
                    person_id=s[3],
                    division_key=s[4],
                    field="status",
                    from_value=s[1],
                    to_value=status if s[1] == StayStatus.IN else StayStatus.CANCELLED,
                    reason=reason[:300],
                )
                for s in stays
            ),
            *(
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
                    reason=reason[:300],
                )
                for pk, old, new, label, key in room_changes
            ),
        ]
    )


@transaction.atomic
def stays_leave(
    *,
    actor: Any,
    ids: Iterable[int] | None = None,
    selection: Any = None,
    at: dt.datetime | None = None,
    today: dt.date | None = None,
) -> StatusBatch:
    """People whose centralised phase is over leave the site for the home phase of their
    schedule (as `release.measure_release_from_site` does one): the stays `ids`, or every stay
    of `selection`, checked out at `at` (valid time for the batch, now if not given).

    All or nothing: an id not at the actor's sites, a person who may not leave yet (the site
    phase not over, a test missing or positive, no home phase: the release rules), or a time
    before their check-in refuses the batch naming each id. Stays already ended as released
    are `unchanged`. Measures go on; the person's community takes over.
    """
    require(actor, Cap.QUARANTINE_MANAGE)
    at = check_happened("checked_out_at", at)
    today = today or timezone.localdate()
    wanted = None if ids is None else sorted(set(ids))
    rows = stay_rows(actor, wanted, selection)
    batch = StatusBatch()
    stays_missing(batch, wanted, rows)
    candidates = [r for r in rows if r[1] == StayStatus.IN]
    for r in rows:
        if r[1] == StayStatus.RELEASED:
            batch.unchanged.append(r[0])
        elif r[1] != StayStatus.IN:
            batch.refused[r[0]] = _("%(person)s is not in a site room (%(status)s)") % {
                "person": r[5],
                "status": StayStatus(r[1]).label,
            }
    by_stay = {
        s.pk: s
        for s in Stay.objects.filter(pk__in=in_ids([r[0] for r in candidates])).select_related(
            "measure", "site"
        )
    }
    leaving: list[tuple[Any, ...]] = []
    handed: list[tuple[Any, ...]] = []
    for r in candidates:
        stay = by_stay[r[0]]
        if r[10] is not None and at < r[10]:
            batch.refused[r[0]] = _(LEFT_BEFORE_ARRIVAL)
            continue
        if stay.measure is None:
            batch.refused[r[0]] = _("This stay has no measure")
            continue
        reasons = release.site_release_refusals(stay.measure, stay, today=today)
        if reasons:
            batch.refused[r[0]] = " ".join(reasons)
            continue
        phases = release.site_phase(stay.measure)
        assert phases is not None
        leaving.append((r[0], r[1], r[2], r[3], r[4], r[5], r[10], r[6], r[7]))
        handed.append((stay, phases))
    if batch.refused or not leaving:
        return batch
    batch.changed = [s[0] for s in leaving]
    reason = _("Centralised phase over: home phase with the community")
    _leave(actor, leaving, StayStatus.RELEASED, reason, at)
    user_id, actor_name = actor_columns(actor)
    events_record_bulk(
        EventRow(
            at=at,
            actor=user_id,
            actor_name=actor_name,
            action="measure.handed_to_community",
            object_type="quarantine.measure",
            object_id=str(stay.measure_id),
            object_label=name[:200],
            person_id=stay.person_id,
            division_key=stay.measure.division_key,
            field="phase",
            from_value=phases.phase.get_kind_display(),
            to_value=phases.home.get_kind_display(),
            reason=reason,
            data=json.dumps(
                {
                    "site": stay.site.name,
                    "community": stay.measure.division_key[:COMMUNITY_WIDTH],
                },
                ensure_ascii=False,
            ),
        )
        for (stay, phases), name in zip(handed, (r[5] for r in leaving), strict=True)
    )
    changes.changed("person", sorted({s[3] for s in leaving}))  # health codes, once
    return batch
