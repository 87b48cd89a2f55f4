"""Reads of citizen requests, scoped: staff see the requests whose place is in their
jurisdiction, and a department's staff those dispatched to their department. Near duplicates
(same person, or same place and similar text, within the policy's window); every caller of a
case; the history of a request."""

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from fangkong.audit.models import Event
from fangkong.core.access import Cap, key_filter, require, scope_key
from fangkong.hotline.models import OPEN_STATUSES, HotlineRequest, HotlineStatus
from fangkong.policy.accessor import current


def requests_for_user(user: Any) -> QuerySet[HotlineRequest]:
    require(user, Cap.HOTLINE_VIEW)
    mine = key_filter(scope_key(user))
    if getattr(user, "hotline_departments", None) is not None and not user.is_superuser:
        mine |= Q(department__staff=user)
    return HotlineRequest.objects.filter(mine).distinct()


def request_for_user(user: Any, pk: int) -> HotlineRequest:
    try:
        return (
            requests_for_user(user)
            .select_related("person", "department", "division", "merged_into")
            .get(pk=pk)
        )
    except HotlineRequest.DoesNotExist:
        raise Http404 from None


def request_history(request: HotlineRequest) -> QuerySet[Event]:
    return Event.objects.filter(
        object_type="hotline.hotlinerequest", object_id=str(request.pk)
    ).order_by("at", "id")


def callers_of(request: HotlineRequest) -> list[HotlineRequest]:
    """The case and every request merged into it (each keeps its caller)."""
    return [request, *request.merged.order_by("created_at")]


def bigrams(text: str) -> set[str]:
    clean = "".join(ch for ch in text if ch.isalnum())
    return {clean[i : i + 2] for i in range(len(clean) - 1)}


def similarity(a: str, b: str) -> float:
    """How alike two texts are (0 to 1): the share of the shorter text's character bigrams
    found in the other (the overlap coefficient: a short call repeating a long one counts)."""
    x, y = bigrams(a), bigrams(b)
    if not x or not y:
        return 0.0
    return len(x & y) / min(len(x), len(y))


def duplicates_of(
    user: Any, request: HotlineRequest, now: dt.datetime | None = None
) -> list[tuple[HotlineRequest, str, float]]:
    """Open requests the user sees that repeat this one, oldest first: from the same person
    (or phone), or at the same place with similar text, raised within the policy's window.
    Each with why ("person", "phone" or "place") and the text's similarity."""
    rules = current().rules.hotline
    since = (now or timezone.now()) - dt.timedelta(hours=rules.duplicate_window_hours)
    same = Q(pk__in=[])
    if request.person_id:
        same |= Q(person_id=request.person_id)
    if request.caller_phone:
        same |= Q(caller_phone=request.caller_phone)
    if request.division_id:
        same |= Q(division_id=request.division_id)
    candidates = (
        requests_for_user(user)
        .filter(same, status__in=OPEN_STATUSES, created_at__gte=since, merged_into__isnull=True)
        .exclude(pk=request.pk)
        .exclude(status=HotlineStatus.MERGED)
        .order_by("created_at")[:50]
    )
    out = []
    for other in candidates:
        score = similarity(request.text, other.text)
        if request.person_id and other.person_id == request.person_id:
            out.append((other, "person", score))
        elif request.caller_phone and other.caller_phone == request.caller_phone:
            out.append((other, "phone", score))
        elif score >= rules.duplicate_similarity:
            out.append((other, "place", score))
    return out


def late_requests(user: Any, now: dt.datetime | None = None) -> QuerySet[HotlineRequest]:
    return requests_for_user(user).filter(
        status__in=[HotlineStatus.RECEIVED, HotlineStatus.DISPATCHED, HotlineStatus.ACCEPTED],
        due_at__lt=now or timezone.now(),
    )
