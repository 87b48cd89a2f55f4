"""Care of people under measures: who sees what, the measures list, starting and ending a
measure by hand, test days as tasks, the daily job (missed tests and check-ins, results).
Daily checks and alerts are in `checks`, transfers in `transfers`, release in `release`.

Scope. Everything hangs off the measure: a user sees a measure when the person lives in their
jurisdiction or stays (or stayed) at a site in it; a site manager (role "quarantine") sees only
the measures of people at the sites where they are on the staff. Test days, checks, alerts and
transfers are visible exactly when their measure is.

Results. A scheduled test links a tube of the lab module; what the tube says about the person is
read through `tube_result` (and `positive_tube_q` for queries) only, so a change in how the lab
stores results is a change here alone.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.services import EventRow, actor_columns, event_record, events_record_bulk
from fangkong.core import dates
from fangkong.core.access import Cap, can, in_scope, key_filter, require, scope_key, scoped
from fangkong.core.bulk import copy_rows
from fangkong.core.errors import field_error
from fangkong.epi.hooks import facts_changed
from fangkong.lab.models import Outcome, Tube, TubeMember
from fangkong.lab.rounds.services import clean_barcode
from fangkong.people.idnumber import IdNumberError, parse_id_number
from fangkong.people.models import Resident
from fangkong.places.models import KEY_LENGTH, Division, Level
from fangkong.quarantine.measures import measure_close, measure_start
from fangkong.quarantine.models import (
    STAY_OPEN,
    DueTestStatus,
    HealthAlert,
    HealthCheck,
    Measure,
    MeasurePhase,
    MeasureStatus,
    PhaseKind,
    Room,
    RoomStatus,
    ScheduledTest,
    Site,
    Stay,
    StayStatus,
)
from fangkong.quarantine.sites import is_site_manager, sites_for
from fangkong.tally import services as tally

HOME_KINDS = (PhaseKind.HOME_QUARANTINE, PhaseKind.HOME_MONITORING)
SITE_KINDS = (PhaseKind.CENTRALISED, PhaseKind.CENTRALISED_OR_HOME)
TAKEN = (DueTestStatus.SAMPLED, DueTestStatus.NEGATIVE, DueTestStatus.POSITIVE)
COMMUNITY_WIDTH = KEY_LENGTH[Level.COMMUNITY]
ONE_DAY = dt.timedelta(days=1)
TEST, CHECK, ALERT = "quarantine.scheduledtest", "quarantine.healthcheck", "quarantine.healthalert"


# Results ---------------------------------------------------------------------------------------


def tube_result(tube: Tube | None) -> str:
    """What a tube says about its person: "negative", "positive" or "" (no result yet).

    A positive pool is nobody's result: its members are retested singly, so it stays pending.
    Load tubes with select_related("tube__result") to spare a query per tube.
    """
    result = getattr(tube, "result", None)  # the lab's Result row, once there is one
    if tube is None or result is None:
        return ""
    if result.outcome == Outcome.NEGATIVE:
        return DueTestStatus.NEGATIVE
    return DueTestStatus.POSITIVE if tube.capacity == 1 else ""


def positive_tube_q(prefix: str = "tube__") -> Q:
    """`tube_result(...) == "positive"` as a query condition (keep the two in step)."""
    return Q(**{f"{prefix}result__outcome": Outcome.POSITIVE, f"{prefix}capacity": 1})


def negative_tube_q(prefix: str = "tube__") -> Q:
    return Q(**{f"{prefix}result__outcome": Outcome.NEGATIVE})


def test_state(test: ScheduledTest) -> str:
    """due, sampled (result pending), negative, positive or missed."""
    if test.status == DueTestStatus.SAMPLED and test.tube_id is not None:
        return tube_result(test.tube) or DueTestStatus.SAMPLED
    return test.status


# Scope -------------------------------------------------------------------------------------------


def site_ids_for(user: Any) -> list[int] | None:
    """The sites a site manager works at (`sites.sites_for`); None for any other role, whose
    jurisdiction alone decides."""
    if not is_site_manager(user):
        return None
    return list(sites_for(user).values_list("pk", flat=True))


def _stays_seen(user: Any, site_ids: list[int] | None) -> QuerySet[Stay]:
    if site_ids is None:
        return scoped(Stay.objects.all(), user)
    return Stay.objects.filter(site_id__in=site_ids)


def measures_for_user(user: Any) -> QuerySet[Measure]:
    require(user, Cap.QUARANTINE_VIEW)
    site_ids = site_ids_for(user)
    at_sites = Q(pk__in=_stays_seen(user, site_ids).exclude(measure=None).values("measure_id"))
    if site_ids is None:
        return Measure.objects.filter(key_filter(scope_key(user)) | at_sites)
    return Measure.objects.filter(at_sites)


def measure_for_user(user: Any, pk: int) -> Measure:
    try:
        return measures_for_user(user).select_related("person__division").get(pk=pk)
    except Measure.DoesNotExist:
        raise Http404 from None


def sites_for_care(user: Any) -> QuerySet[Site]:
    """Sites whose people the user may check and transfer."""
    require(user, Cap.QUARANTINE_VIEW)
    site_ids = site_ids_for(user)
    if site_ids is None:
        return scoped(Site.objects.filter(active=True), user)
    return Site.objects.filter(pk__in=site_ids)


def check_measure(actor: Any, measure: Measure, *, active: bool = True) -> None:
    if not measures_for_user(actor).filter(pk=measure.pk).exists():
        raise field_error("measure", _("This measure is outside your jurisdiction"))
    if active and measure.status != MeasureStatus.ACTIVE:
        raise field_error(
            "measure",
            _("This measure is closed (%(status)s)") % {"status": measure.get_status_display()},
        )


def open_stay(person_id: int) -> Stay | None:
    return (
        Stay.objects.filter(person_id=person_id, status__in=STAY_OPEN)
        .select_related("site", "room")
        .first()
    )


# The measures list ------------------------------------------------------------------------------


def with_today(qs: QuerySet[Measure], today: dt.date) -> QuerySet[Measure]:
    """Annotate each measure with today's phase, the site the person is at and missed work."""
    stays = Stay.objects.filter(person_id=OuterRef("person_id"), status__in=STAY_OPEN)
    phase = MeasurePhase.objects.filter(
        measure=OuterRef("pk"), first_day__lte=today, last_day__gte=today
    )
    return qs.annotate(
        phase_today=Subquery(phase.values("kind")[:1]),
        site_now=Subquery(stays.values("site_id")[:1]),
        site_name=Subquery(stays.values("site__name")[:1]),
        room_now=Subquery(stays.values("room__number")[:1]),
        missed_tests=Exists(
            ScheduledTest.objects.filter(measure=OuterRef("pk"), status=DueTestStatus.MISSED)
        ),
        missed_checks=Exists(HealthCheck.objects.filter(measure=OuterRef("pk"), missed=True)),
        site_phase_over=Exists(
            MeasurePhase.objects.filter(
                measure=OuterRef("pk"), kind__in=SITE_KINDS, last_day__lte=today
            )
        ),
    )


def measure_search(
    user: Any,
    *,
    today: dt.date,
    category: str = "",
    phase: str = "",
    where: str = "",
    site: int | None = None,
    due: bool = False,
    missed: bool = False,
    status: str = MeasureStatus.ACTIVE,
) -> QuerySet[Measure]:
    """The measures list: filters by category, today's phase ("none": no phase today), where
    the person is (site / home), one site, due for release (site or final) and missed work."""
    qs = with_today(measures_for_user(user), today)
    if status:
        qs = qs.filter(status=status)
    if category:
        qs = qs.filter(category=category)
    if phase:
        qs = qs.filter(Q(phase_today=None if phase == "none" else phase))
    if where:
        qs = qs.filter(Q(site_now__isnull=where == "home"))
    if site is not None:
        qs = qs.filter(Q(site_now=site))
    if due:
        qs = qs.filter(
            Q(ends_on__lte=today) | Q(site_now__isnull=False, site_phase_over=True),
            status=MeasureStatus.ACTIVE,
        )
    if missed:
        qs = qs.filter(Q(missed_tests=True) | Q(missed_checks=True))
    return qs.select_related("person").order_by("ends_on", "id")


def measure_history(measure: Measure) -> list[Any]:
    """Events on the measure and on its stays, tests, checks, alerts and transfers.

    Read without the event scope: whoever may see the measure may see its history, also when
    the events are kept under a site's jurisdiction.
    """
    from fangkong.audit.models import Event

    related = [
        ("quarantine.measure", [measure.pk]),
        ("quarantine.stay", list(measure.stays.values_list("pk", flat=True))),
        ("quarantine.transfer", list(measure.transfers.values_list("pk", flat=True))),
        ("quarantine.scheduledtest", list(measure.tests.values_list("pk", flat=True))),
        (
            "quarantine.healthalert",
            list(
                HealthAlert.objects.filter(check_record__measure=measure).values_list(
                    "pk", flat=True
                )
            ),
        ),
    ]
    condition = Q(pk__in=[])
    for object_type, ids in related:
        if ids:
            condition |= Q(object_type=object_type, object_id__in=[str(i) for i in ids])
    condition |= Q(object_type="quarantine.healthcheck", person_id=measure.person_id)
    return list(Event.objects.filter(condition).order_by("-at", "-id")[:200])


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
) -> Measure:
    """Community staff put a resident of their jurisdiction under a measure by ID number."""
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
def measure_end_early(*, actor: Any, measure: Measure, reason: str) -> Measure:
    """End a measure before its schedule is over (wrong person, policy exemption, …)."""
    require_keeper(actor)
    check_measure(actor, measure)
    if not (reason or "").strip():
        raise field_error("reason", _("Give a reason"))
    stay = open_stay(measure.person_id)
    if stay is not None:
        stay_end(actor=actor, stay=stay, status=StayStatus.RELEASED, reason=reason)
    return measure_close(actor=actor, measure=measure, status=MeasureStatus.ENDED, reason=reason)


def stay_end(
    *, actor: Any, stay: Stay, status: str, reason: str, at: dt.datetime | None = None
) -> Stay:
    """The person leaves the room; the room awaits disinfection once nobody is left in it.

    An allocation the person never arrived for is cancelled and frees the room at once.
    """
    at = at or timezone.now()
    room = Room.objects.select_for_update().get(pk=stay.room_id)
    arrived = stay.status == StayStatus.IN
    old = stay.status
    counted = tally.change("stay", [stay.room_id])  # the command dashboard's running counts
    stay.status = status if arrived else StayStatus.CANCELLED
    stay.checked_out_at = at if arrived else None
    stay.save(update_fields=["status", "checked_out_at"])
    counted.done()
    event_record(
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
            actor=actor,
            action="room.status_changed",
            obj=room,
            field="status",
            from_value=before,
            to_value=new_status,
            reason=reason,
        )
    return stay


# Test days as tasks -----------------------------------------------------------------------------


@dataclass
class TaskGroup:
    kind: str  # "site" or "community"
    key: str  # the site's id or the community's division key
    name: str
    tests: list[ScheduledTest] = field(default_factory=list)

    @property
    def open(self) -> int:
        return sum(1 for t in self.tests if t.status in (DueTestStatus.DUE, DueTestStatus.MISSED))


def tests_for_user(user: Any) -> QuerySet[ScheduledTest]:
    qs = ScheduledTest.objects.filter(measure__in=measures_for_user(user).values("pk"))
    site_ids = site_ids_for(user)
    if site_ids is not None:  # a site manager's tasks are the people at their sites
        here = Stay.objects.filter(site_id__in=site_ids, status__in=STAY_OPEN)
        qs = qs.filter(person_id__in=here.values("person_id"))
    return qs


def test_for_user(user: Any, pk: int) -> ScheduledTest:
    try:
        return tests_for_user(user).select_related("measure", "person", "tube__result").get(pk=pk)
    except ScheduledTest.DoesNotExist:
        raise Http404 from None


def group_by_place(tests: list[Any], person_of: Any = None) -> list[TaskGroup]:
    """Group rows by where the person is: the site of their open stay, else their community."""
    person_of = person_of or (lambda row: row.person)
    ids = {person_of(t).pk for t in tests}
    sites = {
        s.person_id: s.site
        for s in Stay.objects.filter(person_id__in=ids, status__in=STAY_OPEN).select_related("site")
    }
    keys = {person_of(t).division_key[:COMMUNITY_WIDTH] for t in tests}
    names = dict(Division.objects.filter(key__in=keys).values_list("key", "name"))
    groups: dict[tuple[str, str], TaskGroup] = {}
    for t in tests:
        person = person_of(t)
        site = sites.get(person.pk)
        if site is not None:
            g = groups.setdefault(
                ("site", str(site.pk)), TaskGroup("site", str(site.pk), site.name)
            )
        else:
            key = person.division_key[:COMMUNITY_WIDTH]
            g = groups.setdefault(
                ("community", key), TaskGroup("community", key, names.get(key, key))
            )
        g.tests.append(t)
    return sorted(groups.values(), key=lambda g: (g.kind != "site", g.name))


def test_tasks(user: Any, day: dt.date) -> list[TaskGroup]:
    """The day's sampling tasks per site and per community."""
    qs = tests_for_user(user).filter(due_on=day).select_related("person", "measure", "tube__result")
    return group_by_place(list(qs.order_by("person__name", "id")))


def missed_tests(user: Any) -> list[TaskGroup]:
    """Tests of active measures that were not taken on their day, per site and community."""
    qs = tests_for_user(user).filter(
        status=DueTestStatus.MISSED, measure__status=MeasureStatus.ACTIVE
    )
    return group_by_place(list(qs.select_related("person", "measure").order_by("due_on", "id")))


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


# The daily job ----------------------------------------------------------------------------------


def event_row(
    actor: Any,
    now: dt.datetime,
    action: str,
    obj: tuple[str, int, str],
    person_id: int,
    key: str,
    change: tuple[str, str, str] = ("", "", ""),
    reason: str = "",
) -> EventRow:
    """One row for `events_record_bulk`: obj = (type, id, label), change = (field, from, to)."""
    user_id, name = actor_columns(actor)
    object_type, pk, label = obj
    field_name, old, new = change
    return EventRow(
        at=now,
        actor=user_id,
        actor_name=name,
        action=action,
        object_type=object_type,
        object_id=str(pk),
        object_label=label[:200],
        person_id=person_id,
        division_key=key,
        field=field_name,
        from_value=old,
        to_value=str(new)[:300],
        reason=reason[:300],
    )


@transaction.atomic
def tests_mark_missed(today: dt.date) -> int:
    """Tests still due after their day become missed (one update, one event each)."""
    qs = ScheduledTest.objects.filter(
        status=DueTestStatus.DUE, due_on__lt=today, measure__status=MeasureStatus.ACTIVE
    )
    rows = list(qs.values_list("pk", "person_id", "division_key", "due_on"))
    if not rows:
        return 0
    ScheduledTest.objects.filter(pk__in=[r[0] for r in rows]).update(status=DueTestStatus.MISSED)
    now = timezone.now()
    events_record_bulk(
        event_row(
            None,
            now,
            "test.missed",
            (TEST, pk, f"{person} {due}"),
            person,
            key,
            ("status", DueTestStatus.DUE, DueTestStatus.MISSED),
        )
        for pk, person, key, due in rows
    )
    facts_changed([r[1] for r in rows])
    return len(rows)


CHECK_FIELDS = (
    "measure",
    "person",
    "day",
    "temperature",
    "symptoms",
    "symptom_other",
    "abnormal",
    "missed",
    "note",
    "recorded_at",
    "division_key",
)


@transaction.atomic
def checkins_mark_missed(today: dt.date) -> int:
    """Each day of a home phase before `today` with no check gets a "missed" check row.

    Counted from the day the measure was started (not the anchor) and only for people not in a
    site room; rows are written columnar, with one event each.
    """
    phases = (
        MeasurePhase.objects.filter(
            kind__in=HOME_KINDS, first_day__lt=today, measure__status=MeasureStatus.ACTIVE
        )
        .exclude(
            measure__person_id__in=Stay.objects.filter(status__in=STAY_OPEN).values("person_id")
        )
        .values_list(
            "measure_id",
            "measure__person_id",
            "measure__division_key",
            "first_day",
            "last_day",
            "measure__created_at",
        )
    )
    wanted: list[tuple[int, int, str, dt.date]] = []
    for measure_id, person_id, key, first, last, created in phases:
        day = max(first, timezone.localdate(created))
        while day <= min(last, today - ONE_DAY):
            wanted.append((measure_id, person_id, key, day))
            day += ONE_DAY
    if not wanted:
        return 0
    have = set(
        HealthCheck.objects.filter(
            measure_id__in={w[0] for w in wanted}, day__gte=min(w[3] for w in wanted)
        ).values_list("measure_id", "day")
    )
    missing = [w for w in wanted if (w[0], w[3]) not in have]
    if not missing:
        return 0
    now = timezone.now()
    copy_rows(
        HealthCheck,
        CHECK_FIELDS,
        ((m, p, day, None, "[]", "", False, True, "", now, key) for m, p, key, day in missing),
    )
    pairs = {(m, day) for m, _p, _k, day in missing}
    written = [
        row
        for row in HealthCheck.objects.filter(
            missed=True, measure_id__in={p[0] for p in pairs}, day__gte=min(p[1] for p in pairs)
        ).values_list("pk", "person_id", "division_key", "day", "measure_id")
        if (row[4], row[3]) in pairs
    ]
    events_record_bulk(
        event_row(
            None,
            now,
            "health_check.missed",
            (CHECK, pk, f"{person} {day}"),
            person,
            key,
            ("missed", "", "true"),
        )
        for pk, person, key, day, _m in written
    )
    return len(missing)


@transaction.atomic
def tests_sync_results() -> int:
    """Store the tube's result on tests taken and not yet resulted (negative / positive)."""
    taken = ScheduledTest.objects.filter(status=DueTestStatus.SAMPLED, tube__isnull=False)
    changed = 0
    now = timezone.now()
    events = []
    for state, condition in (
        (DueTestStatus.NEGATIVE, negative_tube_q()),
        (DueTestStatus.POSITIVE, positive_tube_q()),
    ):
        rows = list(taken.filter(condition).values_list("pk", "person_id", "division_key"))
        ScheduledTest.objects.filter(pk__in=[r[0] for r in rows]).update(
            status=state, resulted_at=now
        )
        changed += len(rows)
        events += [
            event_row(
                None,
                now,
                "test.resulted",
                (TEST, pk, str(person)),
                person,
                key,
                ("status", DueTestStatus.SAMPLED, state),
            )
            for pk, person, key in rows
        ]
    events_record_bulk(events)
    return changed


def quarantine_daily(today: dt.date | None = None) -> dict[str, int]:
    """Run once a day (after midnight): results in, missed tests and missed check-ins."""
    today = today or timezone.localdate()
    return {
        "results": tests_sync_results(),
        "missed_tests": tests_mark_missed(today),
        "missed_checkins": checkins_mark_missed(today),
    }
