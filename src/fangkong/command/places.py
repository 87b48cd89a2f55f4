"""The node a dashboard or report is about: the user's jurisdiction or a place below it."""

from dataclasses import dataclass
from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _

from fangkong.core.access import NO_SCOPE, key_filter, scope_key
from fangkong.places.models import KEY_LENGTH, Division, Level, named

MAP_LEVEL = Level.COMMUNITY  # case counts are drawn per community (or finer, below one)


@dataclass(frozen=True)
class Node:
    key: str
    name: str
    level: int  # 0: every place (a superuser without one root)
    code: str = ""
    division: Division | None = None

    @classmethod
    def of(cls, division: Division) -> "Node":
        return cls(division.key, division.name, division.level, division.code, division)

    @property
    def child_width(self) -> int:
        """Key length of the node's children (0 below the deepest level)."""
        deeper = [n for level, n in KEY_LENGTH.items() if level > self.level]
        return min(deeper) if deeper else 0

    @property
    def map_width(self) -> int:
        """Key length of the places case counts are drawn at: communities, or the children."""
        return max(self.child_width, KEY_LENGTH[MAP_LEVEL]) if self.child_width else 0


def node_for(user: Any, place: str = "") -> Node:
    """The caller's own node, or `place` (key or division code) within it; else a 404."""
    prefix = scope_key(user)
    if prefix == NO_SCOPE:
        raise Http404
    if place:
        found = Division.objects.filter(named(place)).filter(key_filter(prefix, "key")).first()
        if found is None:
            raise Http404
        return Node.of(found)
    if prefix == "":
        roots = list(Division.objects.filter(parent__isnull=True)[:2])
        if len(roots) == 1:
            return Node.of(roots[0])
        return Node("", _("All places"), 0)
    jurisdiction = getattr(user, "jurisdiction", None)
    if jurisdiction is None:
        raise Http404
    return Node.of(jurisdiction)


def children_of(node: Node) -> list[Division]:
    if node.division is None:
        return list(Division.objects.filter(parent__isnull=True).order_by("key"))
    return list(Division.objects.filter(parent=node.division).order_by("key"))


def map_places(node: Node, children: list[Division]) -> list[Division]:
    """The places the case map draws: the communities under the node, or its children."""
    if node.child_width == 0:
        return []
    if node.child_width >= KEY_LENGTH[MAP_LEVEL]:
        return children
    return list(
        Division.objects.filter(key_filter(node.key, "key"), level=MAP_LEVEL)
        .only("key", "name", "lat", "lon", "level", "code")
        .order_by("key")
    )


def trail_of(user: Any, node: Node) -> list[Division]:
    """Ancestors of the node from the caller's own node down (one query; none at the top)."""
    prefix = scope_key(user)
    keys = [
        node.key[:n] for n in sorted(set(KEY_LENGTH.values())) if len(prefix) <= n < len(node.key)
    ]
    if not keys:
        return []
    return list(Division.objects.filter(key__in=keys).order_by("key"))
