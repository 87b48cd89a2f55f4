"""Reads of health plans, scoped to the caller's jurisdiction (the people of their area), and
the list of standing needs falling due in the next days."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from fangkong.audit.models import Event
from fangkong.care.models import CareRequest, HealthPlan, NeedOccurrence, StandingNeed
from fangkong.care.plans.schedule import days_due
from fangkong.core.access import Cap, require, scoped
from fangkong.policy.accessor import current


def plans_for_user(user: Any) -> QuerySet[HealthPlan]:
    require(user, Cap.CARE_COMMUNITY)
    return scoped(HealthPlan.objects.all(), user)


def plan_for_user(user: Any, pk: int) -> HealthPlan:
    try:
        return plans_for_user(user).select_related("person", "contact_hospital").get(pk=pk)
    except HealthPlan.DoesNotExist:
        raise Http404 from None


def plan_visible(user: Any, pk: int) -> bool:
    return plans_for_user(user).filter(pk=pk).exists()


def needs_of(plan: HealthPlan) -> QuerySet[StandingNeed]:
    return plan.needs.select_related("facility").order_by("id")


def need_for_user(user: Any, pk: int) -> StandingNeed:
    require(user, Cap.CARE_COMMUNITY)
    try:
        return scoped(StandingNeed.objects.all(), user).select_related("plan").get(pk=pk)
    except StandingNeed.DoesNotExist:
        raise Http404 from None


def plan_history(plan: HealthPlan) -> QuerySet[Event]:
    need_ids = [str(pk) for pk in plan.needs.values_list("pk", flat=True)]
    return Event.objects.filter(
        object_type__in=("care.healthplan", "care.standingneed"),
        object_id__in=[str(plan.pk), *need_ids],
        person_id=plan.person_id,
    )[:50]


@dataclass(frozen=True)
class Due:
    day: dt.date
    need: StandingNeed
    request: CareRequest | None  # raised already by the daily job


def lookahead_days() -> int:
    return current().rules.care.plans_due_within_days


def due_for_user(user: Any, first: dt.date | None = None, days: int | None = None) -> list[Due]:
    """The standing needs of the caller's people falling due from `first` (today) over the
    next `days` (policy: care.plans_due_within_days), day by day, with the request raised for
    each day already (two queries)."""
    first = first or timezone.localdate()
    last = first + dt.timedelta(days=lookahead_days() if days is None else days)
    needs = list(
        scoped(StandingNeed.objects.filter(active=True, starts_on__lte=last), user)
        .exclude(ends_on__lt=first)
        .select_related("plan__person", "facility")
    )
    require(user, Cap.CARE_COMMUNITY)
    raised = {
        (o.need_id, o.day): o.request
        for o in NeedOccurrence.objects.filter(
            need__in=[n.pk for n in needs], day__gte=first, day__lte=last
        ).select_related("request")
    }
    rows = [
        Due(day, need, raised.get((need.pk, day)))
        for need in needs
        for day in days_due(need, first, last)
    ]
    return sorted(rows, key=lambda r: (r.day, r.need.division_key, r.need.pk))
