"""Reads of the hospital side and the SLA board, scoped like the requests: the medical task
force and the command centre see their jurisdiction's; a hospital account its facilities'."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from fangkong.audit.models import Event
from fangkong.care.admission.models import Incident
from fangkong.care.facilities.selectors import is_facility_staff
from fangkong.care.models import CareRequest, RequestStatus
from fangkong.care.requests.selectors import requests_for_user
from fangkong.core.access import Cap, key_filter, require, scoped

OPEN = (RequestStatus.REQUESTED, RequestStatus.ROUTED, RequestStatus.ACCEPTED)


def late_q(now: dt.datetime) -> Q:
    """Open and past its SLA clock: late from the first moment after `due_at`."""
    return Q(status__in=OPEN, due_at__lt=now)


@dataclass(frozen=True)
class BoardFilters:
    type: str = ""
    status: str = ""  # "" = every open status
    late: bool = False
    facility: int | None = None


def board_for_user(user: Any, now: dt.datetime, filters: BoardFilters) -> QuerySet[CareRequest]:
    """Open requests the user may see, most urgent first (the clock that runs out first)."""
    qs = requests_for_user(user).filter(status__in=OPEN)
    if filters.type:
        qs = qs.filter(type=filters.type)
    if filters.status in OPEN:
        qs = qs.filter(status=filters.status)
    if filters.late:
        qs = qs.filter(due_at__lt=now)
    if filters.facility:
        qs = qs.filter(facility_id=filters.facility)
    return qs.select_related("person", "facility").order_by("due_at", "pk")


def board_counts(user: Any, now: dt.datetime) -> dict[str, int]:
    """Open and late requests the user may see (one query)."""
    return requests_for_user(user).aggregate(
        open=Count("pk", filter=Q(status__in=OPEN)), late=Count("pk", filter=late_q(now))
    )


def incidents_for_user(user: Any) -> QuerySet[Incident]:
    require(user, Cap.CARE_VIEW)
    if is_facility_staff(user):
        return Incident.objects.filter(facility__staff=user)
    return scoped(Incident.objects.all(), user)


def incident_for_user(user: Any, pk: int) -> Incident:
    try:
        return (
            incidents_for_user(user).select_related("request", "facility", "resolved_by").get(pk=pk)
        )
    except Incident.DoesNotExist:
        raise Http404 from None


def incident_history(incident: Incident) -> QuerySet[Event]:
    return Event.objects.filter(object_type="care.incident", object_id=str(incident.pk))


def incident_counts(user: Any, since: dt.datetime) -> dict[str, int]:
    """Incidents the user may see: all, since `since`, and those flagged (one query)."""
    return incidents_for_user(user).aggregate(
        total=Count("pk"),
        recent=Count("pk", filter=Q(happened_at__gte=since)),
        flagged=Count("pk", filter=Q(flagged=True)),
    )


def open_at_q(at: dt.datetime) -> Q:
    """Open at `at`, by the times things happened: raised by then and not yet completed or
    cancelled by then (whatever it has become since)."""
    return Q(raised_at__lte=at) & (Q(closed_at__isnull=True) | Q(closed_at__gt=at))


def care_figures(key: str, at: dt.datetime, since: dt.datetime) -> dict[str, int]:
    """The command centre's figures of medical care under the division `key`, as of `at` by
    the times things happened (two queries): requests raised in (since, at], those open at `at`
    (raised by then, not closed by then) and of them past their clock at `at`; incidents in
    (since, at] (flagged: "no test result" given), in all by `at`, and not yet resolved at
    `at`. A request raised or closed after `at`, an incident after `at`, do not count at `at`."""
    open_at = open_at_q(at)
    requests = CareRequest.objects.filter(key_filter(key), raised_at__lte=at).aggregate(
        raised=Count("pk", filter=Q(raised_at__gt=since)),
        open=Count("pk", filter=open_at),
        late=Count("pk", filter=open_at & Q(due_at__lt=at)),
    )
    incidents = Incident.objects.filter(key_filter(key), happened_at__lte=at).aggregate(
        incidents=Count("pk", filter=Q(happened_at__gt=since)),
        incidents_flagged=Count("pk", filter=Q(happened_at__gt=since, flagged=True)),
        incidents_all=Count("pk"),
        incidents_unresolved=Count(
            "pk", filter=Q(resolved_at__isnull=True) | Q(resolved_at__gt=at)
        ),
    )
    return {**requests, **incidents}
