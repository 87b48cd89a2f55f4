"""Reads about people under measures: who sees what, the measures list, test days as tasks.
Writes are in `services` (starting, ending, a test day sampled), the daily job in `daily`, daily
checks and alerts in `checks`, transfers in `transfers`, release in `release`.

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

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils.translation import gettext as _

from fangkong.audit.models import Event
from fangkong.core.access import Cap, key_filter, require, scope_key, scoped
from fangkong.core.errors import field_error
from fangkong.lab.models import Outcome, Tube
from fangkong.places.models import KEY_LENGTH, Division, Level
from fangkong.quarantine.models import (
    STAY_OPEN,
    DueTestStatus,
    HealthAlert,
    HealthCheck,
    Measure,
    MeasurePhase,
    MeasureStatus,
    PhaseKind,
    ScheduledTest,
    Site,
    Stay,
    StayStatus,
)
from fangkong.quarantine.sites.selectors import is_site_manager, sites_for

HOME_KINDS = (PhaseKind.HOME_QUARANTINE, PhaseKind.HOME_MONITORING)
SITE_KINDS = (PhaseKind.CENTRALISED, PhaseKind.CENTRALISED_OR_HOME)
TAKEN = (DueTestStatus.SAMPLED, DueTestStatus.NEGATIVE, DueTestStatus.POSITIVE)
COMMUNITY_WIDTH = KEY_LENGTH[Level.COMMUNITY]
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


def sites_for_measures(user: Any) -> QuerySet[Site]:
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


def due_home(user: Any, site: Site, today: dt.date) -> QuerySet[Stay]:
    """The people in a room at `site` whose centralised phase is over and whose schedule goes
    on at home: who may leave for the home phase today."""
    due = measure_search(user, today=today, site=site.pk, due=True)
    due = due.filter(Q(site_phase_over=True), ends_on__gt=today)
    return Stay.objects.filter(site=site, status=StayStatus.IN, measure__in=due.values("pk"))


def measure_history(measure: Measure) -> list[Any]:
    """Events on the measure and on its stays, tests, checks, alerts and transfers.

    Read without the event scope: whoever may see the measure may see its history, also when
    the events are kept under a site's jurisdiction.
    """
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
