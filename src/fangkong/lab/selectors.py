"""Reads of rounds, sites, tubes and retests, scoped to the caller's jurisdiction.

Rounds, sites and tubes belong to a node (a round's area, a site's place) that may be above
the caller's own node: a street round is the grid worker's round too, and a street sampling
site serves every grid below it. They are visible when their node and the caller's node lie
on one branch ("overlap"). Lists of people (members, retests) stay strictly in scope.
"""

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from fangkong.core.access import NO_SCOPE, Cap, can, key_filter, require, scope_key, scoped
from fangkong.core.errors import field_error
from fangkong.lab.models import (
    Lab,
    Retest,
    RetestStatus,
    RoundStatus,
    SamplingSite,
    TestingRound,
    Tube,
    TubeMember,
)
from fangkong.people.idnumber import IdNumberError, parse_id_number
from fangkong.people.models import Resident
from fangkong.places.models import KEY_LENGTH

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


def ancestor_keys(prefix: str) -> list[str]:
    """Keys of the nodes strictly above the node `prefix` (none for the whole city or nobody)."""
    if prefix in ("", NO_SCOPE):
        return []
    return [prefix[:n] for n in sorted(set(KEY_LENGTH.values())) if n < len(prefix)]


def overlap_q(user: Any, field: str = "division_key") -> Q:
    """Rows whose node is the caller's node, below it, or above it."""
    prefix = scope_key(user)
    q = key_filter(prefix, field)
    above = ancestor_keys(prefix)
    return q | Q(**{f"{field}__in": above}) if above else q


def overlaps(user: Any, key: str) -> bool:
    prefix = scope_key(user)
    if prefix == NO_SCOPE:
        return False
    return key.startswith(prefix) or prefix.startswith(key)


def require_any(user: Any, *caps: Cap) -> None:
    if not any(can(user, c) for c in caps):
        raise PermissionDenied(caps[0])


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


# Sites and labs -------------------------------------------------------------------------


def sites_for_user(user: Any) -> QuerySet[SamplingSite]:
    require_any(user, Cap.SAMPLING, Cap.ROUNDS_MANAGE)
    return SamplingSite.objects.filter(overlap_q(user)).select_related("division")


def site_for_user(user: Any, pk: int) -> SamplingSite:
    try:
        return sites_for_user(user).get(pk=pk)
    except SamplingSite.DoesNotExist:
        raise Http404 from None


def labs() -> QuerySet[Lab]:
    """Every lab: tubes may go to a lab in another district."""
    return Lab.objects.all()


def labs_for_user(user: Any) -> QuerySet[Lab]:
    """Labs the caller may receive tubes at (in their jurisdiction)."""
    return scoped(Lab.objects.all(), user)


# Tubes ----------------------------------------------------------------------------------


def tubes_for_user(user: Any) -> QuerySet[Tube]:
    require(user, Cap.SAMPLING)
    return Tube.objects.filter(overlap_q(user)).select_related("round", "site", "lab", "result")


def tube_for_user(user: Any, barcode: str) -> Tube:
    try:
        return tubes_for_user(user).get(barcode=barcode)
    except Tube.DoesNotExist:
        raise Http404 from None


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


def _token_of(text: str) -> str:
    path = urlparse(text).path if "/" in text else text
    parts = [p for p in path.split("/") if p]
    if "/" in text and (len(parts) < 2 or parts[-2] != "v"):
        return ""
    candidate = parts[-1] if parts else ""
    return candidate if TOKEN_RE.match(candidate) else ""


# Retests --------------------------------------------------------------------------------


def retests_for_user(user: Any, status: str = RetestStatus.PENDING) -> QuerySet[Retest]:
    require_any(user, Cap.COVERAGE_VIEW, Cap.SAMPLING)
    qs = scoped(Retest.objects.all(), user).select_related(
        "person__division__parent__parent", "source_tube", "tube"
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("division_key", "created_at", "id")
