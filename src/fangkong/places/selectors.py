from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr
from django.http import Http404

from fangkong.core.access import NO_SCOPE, Cap, key_filter, require, scope_key, scoped
from fangkong.core.apikit import not_found_message, query_error
from fangkong.places.models import KEY_LENGTH, Division, Level, Venue


def divisions_for_user(user: Any) -> QuerySet[Division]:
    require(user, Cap.PLACES_VIEW)
    return scoped(Division.objects.all(), user, field="key")


def division_for_user(user: Any, key: str) -> Division:
    try:
        return divisions_for_user(user).select_related("parent").get(key=key)
    except Division.DoesNotExist:
        raise Http404 from None


def division_by_code_for_user(user: Any, code: str) -> Division:
    """A node by its division code (12-digit statistical code, or the full key below community)."""
    try:
        return divisions_for_user(user).select_related("parent").get(code=code)
    except Division.DoesNotExist:
        raise Http404 from None


def root_for_user(user: Any) -> Division | None:
    prefix = scope_key(user)
    if prefix == NO_SCOPE:
        return None
    if prefix == "":
        return Division.objects.filter(parent__isnull=True).order_by("key").first()
    return Division.objects.filter(key=prefix).first()


def ancestors(division: Division) -> list[Division]:
    """Root-first chain above `division`, in one query."""
    keys = [division.key[:n] for n in KEY_LENGTH.values() if n < len(division.key)]
    return list(Division.objects.filter(key__in=keys).order_by("key"))


def place_lines(
    keys: Iterable[str], *, top: Level = Level.COMMUNITY, bottom: Level = Level.UNIT
) -> dict[str, str]:
    """For each key, the names of its places from `top` down to `bottom` as far as the key
    goes ("西大社区 第一网格"), in one query for all of them (a page of rows)."""
    lengths = [n for level, n in KEY_LENGTH.items() if top <= level <= bottom]
    paths = {key: [key[:n] for n in lengths if n <= len(key)] for key in set(keys)}
    wanted = {k for path in paths.values() for k in path}
    if not wanted:
        return {key: "" for key in paths}
    names = dict(Division.objects.filter(key__in=wanted).values_list("key", "name"))
    return {key: " ".join(names[k] for k in path if k in names) for key, path in paths.items()}


def visible_ancestors(user: Any, division: Division) -> list[Division]:
    prefix = scope_key(user)
    return [d for d in ancestors(division) if d.key.startswith(prefix)]


def children_with_counts(division: Division) -> list[Division]:
    """Children of a node, each with `resident_count` (one grouped query over the subtree).
    Residents are reached through their link to a division (people sit above places)."""
    Resident = Division._meta.get_field("residents").related_model
    children = list(division.children.order_by("key"))
    if not children:
        return children
    width = len(children[0].key)
    counts = dict(
        Resident._default_manager.filter(key_filter(division.key))
        .annotate(prefix=Substr("division_key", 1, width))
        .values("prefix")
        .annotate(n=Count("id"))
        .values_list("prefix", "n")
    )
    for child in children:
        child.resident_count = counts.get(child.key, 0)  # type: ignore[attr-defined]
    return children


def venues_for_user(user: Any) -> QuerySet[Venue]:
    require(user, Cap.PLACES_VIEW)
    return scoped(Venue.objects.select_related("division"), user)


def level_label(level: int) -> str:
    return str(Level(level).label)


def place_key_for_user(user: Any, code: str, param: str = "community") -> str:
    """The key of a place in the user's jurisdiction named by its code or key ("" for none),
    for an API query filter; a place outside it or unknown is one error on `param`."""
    code = (code or "").strip()
    if not code:
        return ""
    place = (
        Division.objects.filter(key_filter(scope_key(user), "key"))
        .filter(Q(code=code) | Q(key=code))
        .first()
    )
    if place is None:
        raise query_error(param, not_found_message())
    return place.key
