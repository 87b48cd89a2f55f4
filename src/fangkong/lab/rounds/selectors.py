"""Reads of rounds, sampling sites and tubes, scoped to the caller's jurisdiction (by overlap,
see fangkong.lab.selectors)."""

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from fangkong.audit.models import Event
from fangkong.audit.selectors import events_for_user
from fangkong.core.access import NO_SCOPE, Cap, require, scope_key, scoped
from fangkong.core.errors import field_error
from fangkong.lab.models import (
    RoundStatus,
    SamplingSite,
    TestingRound,
    Tube,
    TubeFill,
    TubeMember,
    TubeStatus,
)
from fangkong.lab.selectors import overlap_q, require_any, tubes_q
from fangkong.people.idnumber import IdNumberError, parse_id_number
from fangkong.people.models import Resident

HISTORY_EVENTS = 100


def round_history(user: Any, testing_round: TestingRound) -> QuerySet[Event]:
    """The round's latest audited events the user may see (when each happened and, when
    entered late, when it was recorded: its page shows them)."""
    return events_for_user(user).filter(
        object_type=testing_round._meta.label_lower, object_id=str(testing_round.pk)
    )[:HISTORY_EVENTS]


TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
ID_LIKE_RE = re.compile(r"^[0-9０-９]{17}[0-9０-９XxＸｘ]$")

# Who holds a scanned health-code token: the health-code app (above this one) registers its
# look-up in its AppConfig.ready(), so this module need not import it.
_code_holders: list[Callable[[str], Resident | None]] = []


def code_holder_lookup(fn: Callable[[str], Resident | None]) -> None:
    """Register `fn(token) -> Resident | None`, which finds the holder of a health-code token."""
    if fn not in _code_holders:
        _code_holders.append(fn)


def _code_holder(token: str) -> Resident | None:
    for lookup in _code_holders:
        person = lookup(token)
        if person is not None:
            return person
    return None


# Rounds ---------------------------------------------------------------------------------


def rounds_for_user(user: Any, cap: Cap = Cap.COVERAGE_VIEW) -> QuerySet[TestingRound]:
    require(user, cap)
    return TestingRound.objects.filter(overlap_q(user)).select_related("area")


def round_for_user(user: Any, pk: int, cap: Cap = Cap.COVERAGE_VIEW) -> TestingRound:
    try:
        return rounds_for_user(user, cap).get(pk=pk)
    except TestingRound.DoesNotExist:
        raise Http404 from None


def open_rounds_for_sampling(user: Any) -> QuerySet[TestingRound]:
    return rounds_for_user(user, Cap.SAMPLING).filter(status=RoundStatus.OPEN)


# Sites ----------------------------------------------------------------------------------


def sites_for_user(user: Any) -> QuerySet[SamplingSite]:
    require_any(user, Cap.SAMPLING, Cap.ROUNDS_MANAGE)
    return SamplingSite.objects.filter(overlap_q(user)).select_related("division")


def site_for_user(user: Any, pk: int) -> SamplingSite:
    try:
        return sites_for_user(user).get(pk=pk)
    except SamplingSite.DoesNotExist:
        raise Http404 from None


# Tubes ----------------------------------------------------------------------------------


def tubes_for_user(user: Any) -> QuerySet[Tube]:
    require(user, Cap.SAMPLING)
    return Tube.objects.filter(tubes_q(user)).select_related(
        "round", "site", "lab", "result", "collected_by"
    )


def tube_for_user(user: Any, barcode: str) -> Tube:
    try:
        return tubes_for_user(user).get(barcode=barcode)
    except Tube.DoesNotExist:
        raise Http404 from None


def open_tubes_for_user(user: Any) -> QuerySet[Tube]:
    """Tubes still being filled at a site in the caller's reach (open, collected, no result),
    oldest first, each with `member_count`."""
    return (
        tubes_for_user(user)
        .filter(fill=TubeFill.OPEN, status=TubeStatus.COLLECTED, result__isnull=True)
        .annotate(member_count=Count("members"))
        .order_by("collected_at", "id")
    )


def open_tubes_to_continue(user: Any, site: SamplingSite | None = None) -> QuerySet[Tube]:
    """The sampling page's open tubes: those the caller opened, and those of the site they
    sample at (a colleague's phone may have died)."""
    wanted = Q(collected_by=user)
    if site is not None:
        wanted |= Q(site=site)
    return open_tubes_for_user(user).filter(wanted)


def members_prefetch() -> Prefetch:
    """Each tube's members in sampling order, as `members_in_order` (one query for a page)."""
    return Prefetch(
        "members",
        queryset=TubeMember.objects.select_related("person").order_by("sampled_at", "id"),
        to_attr="members_in_order",
    )


def tube_members(tube: Tube) -> list[TubeMember]:
    return list(tube.members.select_related("person").order_by("sampled_at", "id"))


def person_for_sampling(user: Any, raw: str) -> Resident:
    """A person by ID number, or by the resident's QR (a verify URL /v/<token>/ or the token).

    Unknown, malformed and out-of-jurisdiction inputs get one message: nothing is offered.
    """
    require(user, Cap.SAMPLING)
    text = (raw or "").strip()
    unknown = field_error("person", _("No resident with this ID number in your jurisdiction"))
    if not text:
        raise field_error("person", _("Scan the resident's code or type the ID number"))
    person: Resident | None = None
    if ID_LIKE_RE.match(text):
        try:
            number = parse_id_number(text).number
        except IdNumberError as exc:
            raise field_error("person", exc.args[0]) from None
        person = Resident.objects.filter(id_number=number).first()
    else:
        token = _token_of(text)
        if token:
            person = _code_holder(token)
    prefix = scope_key(user)
    if person is None or prefix == NO_SCOPE or not person.division_key.startswith(prefix):
        raise unknown
    return person


def person_by_id_for_sampling(user: Any, pk: int) -> Resident:
    """A resident of the caller's jurisdiction by id (a measure's "sample now" names them)."""
    require(user, Cap.SAMPLING)
    person = scoped(Resident.objects.filter(pk=pk), user).first()
    if person is None:
        raise field_error("person", _("No resident with this ID number in your jurisdiction"))
    return person


def _token_of(text: str) -> str:
    path = urlparse(text).path if "/" in text else text
    parts = [p for p in path.split("/") if p]
    if "/" in text and (len(parts) < 2 or parts[-2] != "v"):
        return ""
    candidate = parts[-1] if parts else ""
    return candidate if TOKEN_RE.match(candidate) else ""
