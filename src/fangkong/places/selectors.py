from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Max, Min, Q, QuerySet
from django.db.models.functions import Substr
from django.http import Http404
from django.utils.translation import gettext as _

from fangkong.core.access import NO_SCOPE, Cap, key_filter, require, scope_key, scoped
from fangkong.core.apikit import not_found_message, query_error
from fangkong.core.errors import field_error
from fangkong.places.geometry import Box
from fangkong.places.models import KEY_LENGTH, Division, Level, Outline, Venue, named


def divisions_for_user(user: Any) -> QuerySet[Division]:
    require(user, Cap.PLACES_VIEW)
    return scoped(Division.objects.all(), user, field="key")


def division_for_user(user: Any, key: str) -> Division:
    try:
        return divisions_for_user(user).select_related("parent").get(key=key)
    except Division.DoesNotExist:
        raise Http404 from None


def division_by_code_for_user(user: Any, code: str) -> Division:
    """A node by its division code as people write it (`places.models.named`); else a 404."""
    found = divisions_for_user(user).select_related("parent").filter(named(code)).first()
    if found is None:
        raise Http404
    return found


def place_in_scope(user: Any, code: str, field: str = "place") -> Division:
    """A place of the user's jurisdiction named by its code as people write it (6-digit district,
    9/12-digit statistical code, or key: `places.models.named`); else an error on `field`.
    Needs no capability of its own: the form or operation that takes the place asks for one."""
    found = Division.objects.filter(key_filter(scope_key(user), "key"), named(code)).first()
    if found is None:
        raise field_error(field, _("No place with this code in your jurisdiction"))
    return found


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
    place = Division.objects.filter(key_filter(scope_key(user), "key"), named(code)).first()
    if place is None:
        raise query_error(param, not_found_message())
    return place.key


def _in_box(box: Box | None) -> Q:
    if box is None:
        return Q()
    west, south, east, north = box
    return Q(west__lte=east, east__gte=west, south__lte=north, north__gte=south)


def outlines_for_user(user: Any, *, levels: set[int], box: Box | None, limit: int) -> list[Outline]:
    """Outlines of the caller's places at `levels` (and of their own node) meeting `box`,
    coarsest first, with each node's name and code (one query)."""
    require(user, Cap.PLACES_VIEW)
    prefix = scope_key(user)
    wanted = Q(level__in=levels) | Q(key=prefix) if prefix else Q(level__in=levels)
    return list(
        Outline.objects.filter(key_filter(prefix, "key"), wanted, _in_box(box))
        .select_related("division")
        .only("key", "level", "polygon", "division__name", "division__code")
        .order_by("level", "key")[:limit]
    )


def points_without_outline(user: Any, *, level: int, box: Box | None, limit: int) -> list[Division]:
    """Nodes of one level with coordinates but no outline (drawn as points), in `box`."""
    require(user, Cap.PLACES_VIEW)
    nodes = Division.objects.filter(
        key_filter(scope_key(user), "key"),
        level=level,
        outline__isnull=True,
        lat__isnull=False,
        lon__isnull=False,
    )
    if box is not None:
        west, south, east, north = box
        nodes = nodes.filter(lon__gte=west, lon__lte=east, lat__gte=south, lat__lte=north)
    return list(nodes.order_by("key")[:limit])


def jurisdiction_bounds(user: Any) -> Box | None:
    """The box of the caller's jurisdiction: its own outline's, else that of every outline
    and point under it; None when nothing under it has a place on the map."""
    prefix = scope_key(user)
    if prefix == NO_SCOPE:
        return None
    box = ("west", "south", "east", "north")
    own = Outline.objects.filter(key=prefix).values_list(*box).first() if prefix else None
    if own is not None:
        return own
    found = Outline.objects.filter(key_filter(prefix, "key")).aggregate(
        w=Min("west"), s=Min("south"), e=Max("east"), n=Max("north")
    )
    if found["w"] is None:
        found = Division.objects.filter(
            key_filter(prefix, "key"), lat__isnull=False, lon__isnull=False
        ).aggregate(w=Min("lon"), s=Min("lat"), e=Max("lon"), n=Max("lat"))
    if found["w"] is None:
        return None
    return found["w"], found["s"], found["e"], found["n"]
