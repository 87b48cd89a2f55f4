"""Reads of the registry, always scoped to the caller's jurisdiction."""

import re
from typing import Any

from django.db.models import Count, QuerySet
from django.http import Http404

from fangkong.core.access import Cap, key_filter, require, scope_key, scoped
from fangkong.core.db import prefix_ordered
from fangkong.people.models import Household, KeyPerson, Need, NeedStatus, Resident
from fangkong.places.models import Division, Venue

ID_RE = re.compile(r"^\d{17}[\dXx]$")
INITIALS_MAX = 4


def residents_for_user(user: Any) -> QuerySet[Resident]:
    require(user, Cap.RESIDENTS_VIEW)
    return scoped(Resident.objects.all(), user)


def resident_for_user(user: Any, pk: int) -> Resident:
    try:
        return residents_for_user(user).select_related("division", "household").get(pk=pk)
    except Resident.DoesNotExist:
        raise Http404 from None


def resident_search(user: Any, query: str) -> QuerySet[Resident]:
    """Name prefix, pinyin initials or full pinyin, ID number (whole or prefix), phone.

    Prefix searches come in the order of the searched column, so one index walk answers a
    page without sorting every match (a common surname matches a tenth of a city).
    """
    qs = residents_for_user(user)
    q = re.sub(r"\s+", "", query or "")
    if not q:
        return qs
    if ID_RE.match(q):
        return qs.filter(id_number=q.upper()).order_by("id")
    if q.isdigit():
        if len(q) == 11 and q.startswith("1"):
            return qs.filter(phone=q).order_by("id")
        return prefix_ordered(qs, "id_number" if len(q) >= 6 else "phone", q)
    if q.isascii() and q.isalpha():
        # Initials for short input (names have 2–3 characters), full pinyin for longer.
        field = "name_initials" if len(q) <= INITIALS_MAX else "name_pinyin"
        return prefix_ordered(qs, field, q.lower())
    return prefix_ordered(qs, "name", q)


def households_for_user(user: Any) -> QuerySet[Household]:
    require(user, Cap.RESIDENTS_VIEW)
    return scoped(Household.objects.all(), user)


def household_for_user(user: Any, pk: int) -> Household:
    try:
        return households_for_user(user).select_related("division").get(pk=pk)
    except Household.DoesNotExist:
        raise Http404 from None


def key_persons_for_user(
    user: Any, *, category: str = "", within: Division | None = None
) -> QuerySet[KeyPerson]:
    require(user, Cap.KEY_PERSONS_VIEW)
    qs = scoped(KeyPerson.objects.select_related("resident", "resident__division"), user)
    if within is not None:
        qs = qs.filter(key_filter(within.key))
    if category:
        qs = qs.filter(category=category)
    return qs


def key_person_for_user(user: Any, pk: int) -> KeyPerson:
    try:
        return key_persons_for_user(user).get(pk=pk)
    except KeyPerson.DoesNotExist:
        raise Http404 from None


def needs_for_user(user: Any) -> QuerySet[Need]:
    require(user, Cap.KEY_PERSONS_VIEW)
    return scoped(Need.objects.all(), user)


def need_for_user(user: Any, pk: int) -> Need:
    try:
        return needs_for_user(user).get(pk=pk)
    except Need.DoesNotExist:
        raise Http404 from None


def open_needs_by_resident(resident_ids: list[int]) -> dict[int, list[Need]]:
    grouped: dict[int, list[Need]] = {}
    rows = Need.objects.filter(resident_id__in=resident_ids, status=NeedStatus.OPEN)
    for need in rows.order_by("next_due", "id"):
        grouped.setdefault(need.resident_id, []).append(need)
    return grouped


def registry_figures(user: Any) -> dict[str, Any]:
    """Counts for the home page, within the user's jurisdiction (five queries)."""
    prefix = scope_key(user)
    where = key_filter(prefix)
    by_category = dict(
        KeyPerson.objects.filter(where)
        .values("category")
        .annotate(n=Count("id"))
        .values_list("category", "n")
    )
    by_level = dict(
        Division.objects.filter(key_filter(prefix, "key"))
        .values("level")
        .annotate(n=Count("id"))
        .values_list("level", "n")
    )
    return {
        "residents": Resident.objects.filter(where).count(),
        "households": Household.objects.filter(where).count(),
        "key_persons": by_category,
        "key_persons_total": sum(by_category.values()),
        "divisions": by_level,
        "venues": Venue.objects.filter(where).count(),
    }
