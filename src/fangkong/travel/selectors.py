"""Scoped reads of trips, hand-overs and who has not kept their measure's tests.

Trips and hand-overs are scoped by the destination's key; the tests a handed-over traveller
missed are found through the hand-over, so the destination community sees them even when the
traveller is registered elsewhere.
"""

import datetime as dt
import re
from typing import Any

from django.db.models import F, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from fangkong.core.access import Cap, key_filter, require, scope_key, scoped
from fangkong.places.models import Division, Level
from fangkong.quarantine.models import DueTestStatus, MeasureStatus, ScheduledTest
from fangkong.travel.models import Handover, Trip, TripStatus

TRIP_RELATED = ("destination__parent", "person")
HANDOVER_RELATED = ("trip__destination", "trip__person", "measure", "community")
CODE_RE = re.compile(r"^[0-9A-Za-z]{8}$")


def trips_for_user(user: Any) -> QuerySet[Trip]:
    require(user, Cap.TRIPS_VIEW)
    return scoped(Trip.objects.all(), user)


def _lookup(text: str) -> Q:
    """A trip code (8 characters) or an ID number (18): one exact, indexed match."""
    text = (text or "").strip().upper()
    if CODE_RE.match(text):
        return Q(code=text)
    return Q(id_number=text)


def trip_search(
    user: Any,
    *,
    status: str = "",
    origin_kind: str = "",
    arriving_on: dt.date | None = None,
    community: str = "",
    q: str = "",
) -> QuerySet[Trip]:
    qs = trips_for_user(user)
    if status:
        qs = qs.filter(status=status)
    if origin_kind:
        qs = qs.filter(origin_kind=origin_kind)
    if arriving_on:
        qs = qs.filter(arriving_on=arriving_on)
    if community:
        qs = qs.filter(key_filter(community))
    if q.strip():
        qs = qs.filter(_lookup(q))
    return qs.select_related(*TRIP_RELATED)


def trip_for_user(user: Any, pk: int) -> Trip:
    related = (
        *TRIP_RELATED,
        "arrival_test__site",
        "arrival_test__tube__result",
        "handover__measure",
        "handover__community",
    )
    return get_object_or_404(trips_for_user(user).select_related(*related), pk=pk)


def trips_to_meet(user: Any, text: str) -> list[Trip]:
    """At the checkpoint: the trips in scope with this code or ID number, awaiting arrival first."""
    require(user, Cap.TRIPS_RECORD)
    if not (text or "").strip():
        return []
    qs = scoped(Trip.objects.filter(_lookup(text)), user).select_related(*TRIP_RELATED)
    return sorted(
        qs[:20], key=lambda t: (t.status != TripStatus.REPORTED, -t.arriving_at.timestamp())
    )


def communities_for_user(user: Any) -> QuerySet[Division]:
    """Communities in the user's jurisdiction (for filters and the destination choice)."""
    return scoped(Division.objects.filter(level=Level.COMMUNITY), user, "key").select_related(
        "parent"
    )


def communities_public(*, street: str = "", q: str = "") -> QuerySet[Division]:
    """Any community of the city, for the public form: of one street, or by part of a name."""
    qs = Division.objects.filter(level=Level.COMMUNITY).select_related("parent")
    if street:
        qs = qs.filter(parent__key=street)
    if q.strip():
        qs = qs.filter(Q(name__contains=q.strip()) | Q(parent__name__contains=q.strip()))
    return qs.order_by("key")


def streets_public() -> QuerySet[Division]:
    return Division.objects.filter(level=Level.STREET).select_related("parent").order_by("key")


def handovers_for_user(
    user: Any, *, acknowledged: bool | None = None, community: str = ""
) -> QuerySet[Handover]:
    """Hand-overs to the user's jurisdiction; not yet acknowledged first, newest first."""
    require(user, Cap.TRIPS_VIEW)
    qs = scoped(Handover.objects.all(), user).select_related(*HANDOVER_RELATED)
    if acknowledged is not None:
        qs = qs.filter(acknowledged_at__isnull=not acknowledged)
    if community:
        qs = qs.filter(key_filter(community))
    return qs.order_by(F("acknowledged_at").asc(nulls_first=True), "-created_at", "-id")


def handover_for_user(user: Any, pk: int) -> Handover:
    return get_object_or_404(handovers_for_user(user), pk=pk)


def not_complied(
    user: Any, *, today: dt.date | None = None, community: str = ""
) -> QuerySet[ScheduledTest]:
    """Tests of handed-over travellers' active measures that were missed or are past due and
    not taken, oldest first: whom the community must call."""
    require(user, Cap.TRIPS_VIEW)
    today = today or timezone.localdate()
    field = "measure__handover__division_key"
    qs = ScheduledTest.objects.filter(
        key_filter(scope_key(user), field),
        Q(status=DueTestStatus.MISSED) | Q(status=DueTestStatus.DUE, due_on__lt=today),
        measure__status=MeasureStatus.ACTIVE,
        measure__handover__isnull=False,
    )
    if community:
        qs = qs.filter(key_filter(community, field))
    return qs.select_related(
        "person", "measure__handover__trip", "measure__handover__community"
    ).order_by("due_on", "id")
