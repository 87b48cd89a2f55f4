"""Measures: start one for a person, re-plan when the profile changes, close it.

Every measure is planned by `schedules.plan` from the active profile's rule for its category;
the plan's phases and test days are stored (`MeasurePhase`, `ScheduledTest`) so that sites and
communities get their tasks and a later profile switch can say what changed. Starting, re-planning
and closing are audited events on the measure, with the profile as their basis.

Also the writes made by hand on the measures pages: a home measure started by ID number, a measure
ended early, a stay ended with its measure, a test day marked sampled. Reads are in `selectors`.
"""

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from fangkong.audit.history import last_change_at
from fangkong.audit.services import EventRow, actor_columns, event_record, events_record_bulk
from fangkong.core import changes, dates
from fangkong.core.access import (
    Cap,
    acting_user,
    can,
    in_scope,
    require,
)
from fangkong.core.bulk import copy_rows
from fangkong.core.db import in_ids
from fangkong.core.errors import field_error
from fangkong.epi.cases.services import check_happened
from fangkong.lab.models import Tube, TubeMember
from fangkong.lab.rounds.services import clean_barcode
from fangkong.people.idnumber import IdNumberError, parse_id_number
from fangkong.people.models import Resident
from fangkong.policy import accessor
from fangkong.policy.models import PolicyProfile
from fangkong.policy.schema import CATEGORIES, Category
from fangkong.quarantine.measures import schedules
from fangkong.quarantine.measures.selectors import check_measure, open_stay
from fangkong.quarantine.models import (
    STAY_OPEN,
    DueTestStatus,
    Measure,
    MeasurePhase,
    MeasureStatus,
    Room,
    RoomStatus,
    ScheduledTest,
    Stay,
    StayStatus,
)
from fangkong.quarantine.models import Category as CategoryChoice

PROFILE_CHANGED = gettext_lazy("The active policy profile changed")  # a re-plan's reason
STARTED_BEFORE_ANCHOR = gettext_noop("A measure starts on or after the day it is counted from")
CLOSED_BEFORE_START = gettext_noop("The measure had not started yet")
BEFORE_LAST_CHANGE = gettext_noop("This is before the measure's last recorded status change")
LEFT_BEFORE_ARRIVAL = gettext_noop("The person cannot leave before they checked in")


def _changed(person_ids: Iterable[int]) -> None:
    """Tell whoever derives state from people's facts (the health code) that these changed."""
    changes.changed("person", person_ids)


def basis_of(profile: PolicyProfile) -> str:
    return f"{profile.name_zh} ({profile.source})"[:300]


def category_label(category: str) -> str:
    if category in CategoryChoice.values:
        return str(CategoryChoice(category).label)
    return category


def _plan_for(
    category: str, anchor: dt.date, today: dt.date, born: dt.date | None = None
) -> tuple[Any, schedules.Plan]:
    if not category or category not in CATEGORIES:
        raise field_error("category", _("Choose the person's category: it decides the schedule"))
    policy = accessor.current()
    rule = policy.rules.measure(category)
    if not rule.identified or not (rule.phases or rule.lapse_tests):
        raise field_error(
            "category",
            _("The active policy (%(profile)s) sets no measures for %(category)s")
            % {"profile": policy.profile.name, "category": category_label(category)},
        )
    dates.check_date("anchor_on", anchor, born=born, today=today)
    planned = schedules.plan(rule, anchor, today=today)
    if planned.ends_on is None or planned.ends_on < today:
        raise field_error(
            "anchor_on",
            _("Counted from %(anchor)s, the schedule ended on %(end)s: no measure is needed")
            % {"anchor": anchor.isoformat(), "end": planned.ends_on},
        )
    return policy, planned


def _store_plan(measure: Measure, planned: schedules.Plan) -> None:
    MeasurePhase.objects.bulk_create(
        MeasurePhase(
            measure=measure, order=p.order, kind=p.kind, first_day=p.first_day, last_day=p.last_day
        )
        for p in planned.phases
    )
    ScheduledTest.objects.bulk_create(
        ScheduledTest(
            measure=measure,
            person_id=measure.person_id,
            due_on=t.due_on,
            phase_kind=t.phase_kind,
            day_number=t.day_number,
            division_key=measure.division_key,
        )
        for t in planned.tests
    )


def active_measure(person: Resident) -> Measure | None:
    return Measure.objects.filter(person=person, status=MeasureStatus.ACTIVE).first()


@transaction.atomic
def measure_start(
    *,
    actor: Any,
    person: Resident,
    category: str,
    anchor_on: dt.date,
    source: str = "",
    note: str = "",
    today: dt.date | None = None,
    check_scope: bool = True,
    started_at: dt.datetime | None = None,
) -> Measure:
    """Put `person` under the active profile's measure for `category`, counted from `anchor_on`;
    `started_at`: when the person was placed under it (valid time, now if not given).

    Refused: a person already under an active measure, no category, a category the profile does
    not act on, a schedule already over. `check_scope=False` is for services that have checked
    the caller's authority another way (a site manager allocating a contact from elsewhere).
    """
    if not (can(actor, Cap.MEASURES_KEEP) or can(actor, Cap.QUARANTINE_MANAGE)):
        require(actor, Cap.MEASURES_KEEP)
    if check_scope and not in_scope(actor, person.division_key):
        raise field_error("person", _("No resident with this ID number in your jurisdiction"))
    today = today or timezone.localdate()
    policy, planned = _plan_for(category, anchor_on, today, person.birth_date)
    started_at = check_happened(
        "started_at",
        started_at,
        after=((anchor_on, _(STARTED_BEFORE_ANCHOR)),),
        born=person.birth_date,
    )
    Resident.objects.select_for_update().filter(pk=person.pk).first()  # serialise per person
    current = active_measure(person)
    if current is not None:
        raise field_error(
            "person",
            _("%(person)s is already under a measure (%(category)s since %(since)s)")
            % {
                "person": person.name,
                "category": current.get_category_display(),
                "since": current.starts_on.isoformat(),
            },
        )
    assert planned.starts_on is not None and planned.ends_on is not None
    measure = Measure.objects.create(
        person=person,
        category=category,
        anchor_on=anchor_on,
        starts_on=planned.starts_on,
        ends_on=planned.ends_on,
        profile_code=policy.profile.code,
        profile_version=policy.profile.version,
        source=source[:40],
        note=note[:300],
        division_key=person.division_key,
        started_at=started_at,
        created_by=acting_user(actor),
    )
    _store_plan(measure, planned)
    event_record(
        at=started_at,
        actor=actor,
        action="measure.started",
        obj=measure,
        person_id=person.pk,
        field="status",
        to_value=MeasureStatus.ACTIVE,
        basis=basis_of(policy.profile),
        data={
            "category": category,
            "anchor_on": anchor_on.isoformat(),
            "starts_on": measure.starts_on.isoformat(),
            "ends_on": measure.ends_on.isoformat(),
            "phases": [
                [p.kind, p.first_day.isoformat(), p.last_day.isoformat()] for p in planned.phases
            ],
            "tests": [t.due_on.isoformat() for t in planned.tests],
            "lapsed": planned.lapsed,
            "source": source,
        },
    )
    changes.added("measure", [measure.pk])  # the command dashboard's running counts
    _changed([person.pk])
    return measure


@dataclass(frozen=True)
class MeasureStart:
    """One person to put under a measure in `measures_start_bulk`."""

    person_id: int
    division_key: str  # where the person lives: the community owns the home phases
    anchor_on: dt.date
    source: str = ""
    name: str = ""  # for the event's label, as `measure_start` writes it
    started_at: dt.datetime | None = None  # when this one started, if not the batch's time


def _event_data(category: str, start: MeasureStart, planned: schedules.Plan) -> str:
    assert planned.starts_on is not None and planned.ends_on is not None
    return json.dumps(
        {
            "category": category,
            "anchor_on": start.anchor_on.isoformat(),
            "starts_on": planned.starts_on.isoformat(),
            "ends_on": planned.ends_on.isoformat(),
            "phases": [
                [p.kind, p.first_day.isoformat(), p.last_day.isoformat()] for p in planned.phases
            ],
            "tests": [t.due_on.isoformat() for t in planned.tests],
            "lapsed": planned.lapsed,
            "source": start.source,
        },
        ensure_ascii=False,
    )


@transaction.atomic
def measures_start_bulk(
    *,
    actor: Any,
    category: str,
    starts: Sequence[MeasureStart],
    note: str = "",
    today: dt.date | None = None,
    check_scope: bool = True,
    started_at: dt.datetime | None = None,
) -> dict[int, int]:
    """`measure_start` for many people at once (an allocation batch): the same refusals and the
    same "measure.started" event per person, written in bulk; all or none. `started_at`: when
    (valid time for the batch, now if not given), checked once against the clock and each
    person's anchor day; a start's own `started_at` (an import's rows) is checked and used
    instead.

    Returns person id → measure id.
    """
    if not (can(actor, Cap.MEASURES_KEEP) or can(actor, Cap.QUARANTINE_MANAGE)):
        require(actor, Cap.MEASURES_KEEP)
    if not starts:
        return {}
    today = today or timezone.localdate()
    ids = sorted(s.person_id for s in starts)
    if len(set(ids)) != len(ids):
        raise field_error("person", _("A person is listed twice"))
    if check_scope and any(not in_scope(actor, s.division_key) for s in starts):
        raise field_error("person", _("No resident with this ID number in your jurisdiction"))
    plans = {a: _plan_for(category, a, today) for a in sorted({s.anchor_on for s in starts})}
    latest = max((s.anchor_on for s in starts if s.started_at is None), default=None)
    started = check_happened("started_at", started_at, after=((latest, _(STARTED_BEFORE_ANCHOR)),))
    tolerance = accessor.current().rules.records.tolerance  # read once for the batch
    own = {
        s.person_id: check_happened(
            "started_at",
            s.started_at,
            after=((s.anchor_on, _(STARTED_BEFORE_ANCHOR)),),
            tolerance=tolerance,
        )
        for s in starts
        if s.started_at is not None
    }
    # serialise per person (as `measure_start` does), locking in one order everywhere
    list(
        Resident.objects.select_for_update().filter(pk__in=in_ids(ids)).order_by("pk").values("pk")
    )
    current = (
        Measure.objects.filter(person_id__in=in_ids(ids), status=MeasureStatus.ACTIVE)
        .select_related("person")
        .first()
    )
    if current is not None:
        raise field_error(
            "person",
            _("%(person)s is already under a measure (%(category)s since %(since)s)")
            % {
                "person": current.person.name,
                "category": current.get_category_display(),
                "since": current.starts_on.isoformat(),
            },
        )
    user = acting_user(actor)
    now = connection.ops.adapt_datetimefield_value(timezone.now())  # once, not once a row
    insert_rows(
        Measure,
        (
            "person",
            "category",
            "anchor_on",
            "starts_on",
            "ends_on",
            "status",
            "profile_code",
            "profile_version",
            "source",
            "note",
            "division_key",
            "started_at",
            "created_at",
            "created_by",
        ),
        (
            (
                s.person_id,
                category,
                s.anchor_on,
                plans[s.anchor_on][1].starts_on,
                plans[s.anchor_on][1].ends_on,
                MeasureStatus.ACTIVE,
                plans[s.anchor_on][0].profile.code,
                plans[s.anchor_on][0].profile.version,
                s.source[:40],
                note[:300],
                s.division_key,
                connection.ops.adapt_datetimefield_value(own.get(s.person_id, started)),
                now,
                user.pk if user else None,
            )
            for s in starts
        ),
    )
    measure_of = dict(
        Measure.objects.filter(person_id__in=in_ids(ids), status=MeasureStatus.ACTIVE).values_list(
            "person_id", "id"
        )
    )
    insert_rows(
        MeasurePhase,
        ("measure", "order", "kind", "first_day", "last_day"),
        (
            (measure_of[s.person_id], p.order, p.kind, p.first_day, p.last_day)
            for s in starts
            for p in plans[s.anchor_on][1].phases
        ),
    )
    insert_rows(
        ScheduledTest,
        ("measure", "person", "due_on", "phase_kind", "day_number", "status", "division_key"),
        (
            (
                measure_of[s.person_id],
                s.person_id,
                t.due_on,
                t.phase_kind,
                t.day_number,
                DueTestStatus.DUE,
                s.division_key,
            )
            for s in starts
            for t in plans[s.anchor_on][1].tests
        ),
    )
    user_id, actor_name = actor_columns(actor)
    label = category_label(category)
    events_record_bulk(
        EventRow(
            at=own.get(s.person_id, started),
            actor=user_id,
            actor_name=actor_name,
            action="measure.started",
            object_type=Measure._meta.label_lower,
            object_id=str(measure_of[s.person_id]),
            object_label=f"{s.name} · {label}"[:200],
            person_id=s.person_id,
            division_key=s.division_key,
            field="status",
            to_value=MeasureStatus.ACTIVE,
            basis=basis_of(plans[s.anchor_on][0].profile),
            data=_event_data(category, s, plans[s.anchor_on][1]),
        )
        for s in starts
    )
    changes.added("measure", measure_of.values())
    _changed(ids)
    return measure_of


def insert_rows(
    model: type[models.Model], given: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Columnar insert of `rows` (values of the `given` fields); every other column of the
    table gets its field's default, so a field added later needs no change here."""
    rest = [
        f
        for f in model._meta.concrete_fields
        if not f.primary_key and f.name not in given and f.db_default is models.NOT_PROVIDED
    ]
    tail = tuple(f.get_db_prep_save(f.get_default(), connection) for f in rest)
    names = [*given, *(f.name for f in rest)]
    return copy_rows(model, names, (tuple(row) + tail for row in rows))


@transaction.atomic
def measure_close(
    *,
    actor: Any,
    measure: Measure,
    status: str,
    reason: str,
    basis: str = "",
    certificate_number: str = "",
    closed_at: dt.datetime | None = None,
) -> Measure:
    """End an active measure (released, transferred, ended early); the reason is required.
    `closed_at`: when it ended (valid time, now if not given), not before it started nor
    before its last recorded status change; the event is dated by it."""
    if status not in (MeasureStatus.RELEASED, MeasureStatus.TRANSFERRED, MeasureStatus.ENDED):
        raise field_error("status", _("Choose how the measure ends"))
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", _("Give a reason"))
    locked = Measure.objects.select_for_update().get(pk=measure.pk)
    if locked.status != MeasureStatus.ACTIVE:
        raise field_error(
            "status",
            _("This measure is already closed (%(status)s)")
            % {"status": locked.get_status_display()},
        )
    closed_at = check_closed_at(locked, closed_at)
    old = locked.status
    counted = changes.changing("measure", [locked.pk])
    locked.status = status
    locked.closed_at = closed_at
    locked.close_reason = reason[:300]
    locked.certificate_number = certificate_number
    locked.save(update_fields=["status", "closed_at", "close_reason", "certificate_number"])
    counted.done()
    ScheduledTest.objects.filter(measure=locked, status=DueTestStatus.DUE).delete()
    event_record(
        at=closed_at,
        actor=actor,
        action="measure.closed",
        obj=locked,
        person_id=locked.person_id,
        field="status",
        from_value=old,
        to_value=status,
        reason=reason,
        basis=basis,
    )
    _changed([locked.person_id])
    measure.refresh_from_db()
    return locked


def check_closed_at(
    measure: Measure, closed_at: dt.datetime | None, tolerance: dt.timedelta | None = None
) -> dt.datetime:
    """When `measure` ended (now if not given), refused naming `closed_at` when ahead of the
    clock beyond the policy's tolerance, before the measure started or before its last
    recorded status change."""
    return check_happened(
        "closed_at",
        closed_at,
        after=(
            (measure.started_at, _(CLOSED_BEFORE_START)),
            (last_change_at("quarantine.measure", measure.pk, "status"), _(BEFORE_LAST_CHANGE)),
        ),
        tolerance=tolerance,
    )


# Re-planning when the active profile changes ----------------------------------------------------


def _replan_one(
    measure: Measure, profile: PolicyProfile, rules: Any, actor: Any, today: dt.date
) -> bool:
    """Re-plan one active measure under `rules`; False when nothing changed."""
    category: Category = measure.category  # type: ignore[assignment]
    rule = rules.measure(category)
    old = {
        "profile": f"{measure.profile_code} v{measure.profile_version}",
        "ends_on": measure.ends_on.isoformat(),
        "phases": [
            [p.kind, p.first_day.isoformat(), p.last_day.isoformat()] for p in measure.phases.all()
        ],
        "tests": sorted(
            t.due_on.isoformat() for t in measure.tests.all() if t.status == DueTestStatus.DUE
        ),
    }
    basis = basis_of(profile)
    if not rule.identified or not (rule.phases or rule.lapse_tests):
        measure.status = MeasureStatus.ENDED
        measure.closed_at = timezone.now()
        measure.close_reason = (
            _("The policy now in force (%(profile)s) sets no measures for %(category)s")
            % {"profile": profile.name, "category": category_label(category)}
        )[:300]
        measure.save(update_fields=["status", "closed_at", "close_reason"])
        measure.tests.filter(status=DueTestStatus.DUE).delete()
        event_record(
            actor=actor,
            action="measure.replanned",
            obj=measure,
            person_id=measure.person_id,
            field="status",
            from_value=MeasureStatus.ACTIVE,
            to_value=MeasureStatus.ENDED,
            reason=measure.close_reason,
            basis=basis,
            data={"before": old},
        )
        return True
    # Planned as seen on the day the measure started (a lapse is decided then), tests from today.
    started = timezone.localdate(measure.started_at)
    planned = schedules.plan(rule, measure.anchor_on, today=min(started, today))
    kept = set(measure.tests.exclude(status=DueTestStatus.DUE).values_list("due_on", flat=True))
    new_phases = [[p.kind, p.first_day.isoformat(), p.last_day.isoformat()] for p in planned.phases]
    due = [t for t in planned.tests if t.due_on >= today and t.due_on not in kept]
    new_tests = sorted(t.due_on.isoformat() for t in due)
    if new_phases == old["phases"] and new_tests == old["tests"]:
        measure.profile_code, measure.profile_version = profile.code, profile.version
        measure.save(update_fields=["profile_code", "profile_version"])
        return False
    measure.phases.all().delete()
    MeasurePhase.objects.bulk_create(
        MeasurePhase(
            measure=measure, order=p.order, kind=p.kind, first_day=p.first_day, last_day=p.last_day
        )
        for p in planned.phases
    )
    measure.tests.filter(status=DueTestStatus.DUE).delete()
    ScheduledTest.objects.bulk_create(
        ScheduledTest(
            measure=measure,
            person_id=measure.person_id,
            due_on=t.due_on,
            phase_kind=t.phase_kind,
            day_number=t.day_number,
            division_key=measure.division_key,
        )
        for t in due
    )
    before_end = measure.ends_on
    if planned.ends_on is not None:
        measure.ends_on = planned.ends_on
    if planned.starts_on is not None:
        measure.starts_on = planned.starts_on
    measure.profile_code, measure.profile_version = profile.code, profile.version
    measure.save(update_fields=["starts_on", "ends_on", "profile_code", "profile_version"])
    event_record(
        actor=actor,
        action="measure.replanned",
        obj=measure,
        person_id=measure.person_id,
        field="ends_on",
        from_value=before_end.isoformat(),
        to_value=measure.ends_on.isoformat(),
        reason=str(PROFILE_CHANGED),
        basis=basis,
        data={"before": old, "after": {"phases": new_phases, "tests": new_tests}},
    )
    return True


def measures_replan(*, actor: Any, profile: PolicyProfile, today: dt.date | None = None) -> int:
    """Re-plan every active measure under `profile`; returns how many changed."""
    policy = accessor.load(profile)
    today = today or timezone.localdate()
    changed: list[int] = []
    with transaction.atomic():
        active = (
            Measure.objects.select_for_update()
            .filter(status=MeasureStatus.ACTIVE)
            .prefetch_related("phases", "tests")
        )
        counted = changes.changing("measure", active.values_list("pk", flat=True))
        for measure in active:
            if _replan_one(measure, profile, policy.rules, actor, today):
                changed.append(measure.person_id)
        counted.done()
    _changed(changed)
    return len(changed)


def on_policy_activated(sender: Any, profile: PolicyProfile, actor: Any, **kwargs: Any) -> None:
    measures_replan(actor=actor, profile=profile)


# Starting and ending a measure by hand -----------------------------------------------------------


def resident_by_id_number(actor: Any, raw: str) -> Resident:
    try:
        number = parse_id_number(raw or "").number
    except IdNumberError as exc:
        raise field_error("id_number", exc.args[0]) from None
    person = Resident.objects.filter(id_number=number).first()
    if person is None or not in_scope(actor, person.division_key):
        raise field_error("id_number", _("No resident with this ID number in your jurisdiction"))
    return person


def measure_start_home(
    *,
    actor: Any,
    id_number: str,
    category: str,
    anchor_on: dt.date,
    note: str = "",
    today: dt.date | None = None,
    started_at: dt.datetime | None = None,
) -> Measure:
    """Community staff put a resident of their jurisdiction under a measure by ID number
    (`started_at`: when, valid time, now if not given)."""
    require(actor, Cap.MEASURES_KEEP)
    person = resident_by_id_number(actor, id_number)
    try:
        return measure_start(
            actor=actor,
            person=person,
            category=category,
            anchor_on=anchor_on,
            source="community",
            note=note,
            today=today,
            started_at=started_at,
        )
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and "person" in exc.error_dict:
            raise ValidationError(
                {("id_number" if k == "person" else k): v for k, v in exc.error_dict.items()}
            ) from None
        raise


def require_keeper(actor: Any) -> None:
    if not can(actor, Cap.QUARANTINE_MANAGE):
        require(actor, Cap.MEASURES_KEEP)


@transaction.atomic
def measure_end_early(
    *, actor: Any, measure: Measure, reason: str, closed_at: dt.datetime | None = None
) -> Measure:
    """End a measure before its schedule is over (wrong person, policy exemption, …);
    `closed_at`: when (valid time, now if not given), the person's check-out time too."""
    require_keeper(actor)
    check_measure(actor, measure)
    if not (reason or "").strip():
        raise field_error("reason", _("Give a reason"))
    closed_at = check_closed_at(measure, closed_at)
    stay = open_stay(measure.person_id)
    if stay is not None:
        try:
            stay_end(
                actor=actor, stay=stay, status=StayStatus.RELEASED, reason=reason, at=closed_at
            )
        except ValidationError as exc:
            raise _renamed(exc, "checked_out_at", "closed_at") from None
    return measure_close(
        actor=actor,
        measure=measure,
        status=MeasureStatus.ENDED,
        reason=reason,
        closed_at=closed_at,
    )


def _renamed(exc: ValidationError, old: str, new: str) -> ValidationError:
    if hasattr(exc, "error_dict") and old in exc.error_dict:
        return ValidationError({(new if k == old else k): v for k, v in exc.error_dict.items()})
    return exc


def check_checked_out_at(
    stay: Stay, at: dt.datetime | None, tolerance: dt.timedelta | None = None
) -> dt.datetime:
    """When the person left the room (now if not given), refused naming `checked_out_at` when
    ahead of the clock beyond the policy's tolerance or before they checked in."""
    return check_happened(
        "checked_out_at",
        at,
        after=((stay.checked_in_at, _(LEFT_BEFORE_ARRIVAL)),),
        tolerance=tolerance,
    )


def stay_end(
    *, actor: Any, stay: Stay, status: str, reason: str, at: dt.datetime | None = None
) -> Stay:
    """The person leaves the room; the room awaits disinfection once nobody is left in it.
    `at`: when (valid time, now if not given), not before the check-in; the stay's
    `checked_out_at` and the events are dated by it.

    An allocation the person never arrived for is cancelled and frees the room at once.
    """
    at = check_checked_out_at(stay, at)
    room = Room.objects.select_for_update().get(pk=stay.room_id)
    arrived = stay.status == StayStatus.IN
    old = stay.status
    counted = changes.changing("stay", [stay.room_id])  # the command dashboard's running counts
    stay.status = status if arrived else StayStatus.CANCELLED
    stay.checked_out_at = at if arrived else None
    stay.save(update_fields=["status", "checked_out_at"])
    counted.done()
    event_record(
        at=at,
        actor=actor,
        action="stay.ended",
        obj=stay,
        person_id=stay.person_id,
        field="status",
        from_value=old,
        to_value=stay.status,
        reason=reason,
    )
    others = Stay.objects.filter(room=room, status__in=STAY_OPEN).exclude(pk=stay.pk).exists()
    new_status = RoomStatus.CLEANING if arrived else RoomStatus.AVAILABLE
    if not others and room.status != new_status and room.status != RoomStatus.CLOSED:
        before = room.status
        room.status = new_status
        room.save(update_fields=["status"])
        event_record(
            at=at,
            actor=actor,
            action="room.status_changed",
            obj=room,
            field="status",
            from_value=before,
            to_value=new_status,
            reason=reason,
        )
    return stay


@transaction.atomic
def test_mark_sampled(
    *,
    actor: Any,
    test: ScheduledTest,
    barcode: str = "",
    sampled_at: dt.datetime | None = None,
) -> ScheduledTest:
    """Record that a scheduled test was taken: with the tube's barcode (its result then shows
    here) or just the time. A test missed on its day may still be taken late."""
    require(actor, Cap.SAMPLING)
    test = ScheduledTest.objects.select_for_update().select_related("measure").get(pk=test.pk)
    check_measure(actor, test.measure)
    if test.status not in (DueTestStatus.DUE, DueTestStatus.MISSED):
        raise field_error("status", _("This test is already recorded as taken"))
    now = timezone.now()
    if test.due_on > timezone.localdate(now):
        raise field_error(
            "due_on", _("This test is due on %(day)s") % {"day": test.due_on.isoformat()}
        )
    dates.check_date("sampled_at", sampled_at, born=test.person.birth_date)
    tube = None
    if (barcode or "").strip():
        code = clean_barcode(barcode)
        member = (
            TubeMember.objects.filter(tube__barcode=code, person_id=test.person_id)
            .select_related("tube")
            .first()
        )
        if member is None:
            if not Tube.objects.filter(barcode=code).exists():
                raise field_error("barcode", _("No tube has this barcode"))
            raise field_error(
                "barcode",
                _("Tube %(barcode)s holds no sample of this person") % {"barcode": code},
            )
        tube = member.tube
        sampled_at = sampled_at or member.sampled_at
    old = test.status
    test.status = DueTestStatus.SAMPLED
    test.tube = tube
    test.sampled_at = sampled_at or now
    test.save(update_fields=["status", "tube", "sampled_at"])
    event_record(
        actor=actor,
        action="test.sampled",
        obj=test,
        person_id=test.person_id,
        field="status",
        from_value=old,
        to_value=DueTestStatus.SAMPLED,
        data={"due_on": test.due_on.isoformat(), "tube": tube.barcode if tube else ""},
    )
    return test


def tests_taken_in_tubes(*, actor: Any, member_ids: Iterable[int]) -> int:
    """People sampled into tubes (`TubeMember` ids): the test each one's active measure has due
    on the day of the sample is taken, with that tube, so nobody types the barcode again. A
    test marked sampled by hand without a barcode that day gets the tube. Returns how many
    tests changed (each audited)."""
    members = list(TubeMember.objects.filter(pk__in=list(member_ids)).select_related("tube"))
    if not members:
        return 0
    sample_of = {(m.person_id, timezone.localdate(m.sampled_at)): m for m in members}
    tests = list(
        ScheduledTest.objects.select_for_update(of=("self",))
        .filter(
            models.Q(status=DueTestStatus.DUE)
            | models.Q(status=DueTestStatus.SAMPLED, tube__isnull=True),
            person_id__in={p for p, _day in sample_of},
            due_on__in={day for _p, day in sample_of},
            measure__status=MeasureStatus.ACTIVE,
        )
        .order_by("id")
    )
    taken = []
    for test in tests:
        member = sample_of.get((test.person_id, test.due_on))
        if member is None:
            continue
        barcode = member.tube.barcode
        change: dict[str, Any]
        if test.status == DueTestStatus.DUE:
            change = {
                "field": "status",
                "from_value": DueTestStatus.DUE,
                "to_value": DueTestStatus.SAMPLED,
            }
            test.sampled_at = member.sampled_at
        else:  # taken by hand that day, without the barcode
            change = {"field": "tube", "from_value": "", "to_value": barcode}
        test.status = DueTestStatus.SAMPLED
        test.tube = member.tube
        test.save(update_fields=["status", "tube", "sampled_at"])
        event_record(
            actor=actor,
            action="test.sampled",
            obj=test,
            person_id=test.person_id,
            reason=_("Sampled into tube %(barcode)s") % {"barcode": barcode},
            data={"due_on": test.due_on.isoformat(), "tube": barcode},
            **change,
        )
        taken.append(test.person_id)
    _changed(taken)
    return len(taken)


def on_people_sampled(change: changes.Change) -> None:
    """Lab sampling announced new tube members (`lab.rounds.services.SAMPLED`)."""
    tests_taken_in_tubes(actor=change.actor, member_ids=change.ids)
