"""A drawn zone outline: a GeoJSON Polygon (lon, lat) checked and tested point by point.

No GIS database: a polygon is small (a compound or a few buildings), so the candidates are the
nodes inside its bounding box (one indexed range query) and the exact test runs in Python.
"""

import json
from itertools import pairwise
from typing import Any

from django.utils.translation import gettext as _

from fangkong.core.errors import field_error

MAX_VERTICES = 500

Ring = list[tuple[float, float]]


def parse_polygon(raw: Any, field: str = "polygon") -> dict[str, Any] | None:
    """A GeoJSON Polygon (or a Feature holding one) as a clean geometry; None when empty."""
    if raw in (None, "", {}):
        return None
    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        raise field_error(field, _("The drawn outline is not valid GeoJSON")) from None
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry")
    if not isinstance(data, dict) or data.get("type") != "Polygon":
        raise field_error(field, _("Draw the outline as one polygon"))
    rings = [_ring(r, field) for r in data.get("coordinates") or []]
    if not rings:
        raise field_error(field, _("Draw the outline as one polygon"))
    return {"type": "Polygon", "coordinates": [[list(p) for p in r] for r in rings]}


def _ring(raw: Any, field: str) -> Ring:
    try:
        points = [(float(p[0]), float(p[1])) for p in raw]
    except (TypeError, ValueError, IndexError):
        raise field_error(field, _("The drawn outline is not valid GeoJSON")) from None
    if points and points[0] != points[-1]:
        points.append(points[0])
    if len(points) < 4:
        raise field_error(field, _("An outline needs at least three corners"))
    if len(points) > MAX_VERTICES:
        raise field_error(field, _("The outline has too many corners"))
    if not all(-180 <= x <= 180 and -90 <= y <= 90 for x, y in points):
        raise field_error(field, _("The outline lies outside valid coordinates"))
    return points


def bbox(polygon: dict[str, Any]) -> tuple[float, float, float, float]:
    """(min lon, min lat, max lon, max lat) of the outer ring."""
    xs = [p[0] for p in polygon["coordinates"][0]]
    ys = [p[1] for p in polygon["coordinates"][0]]
    return min(xs), min(ys), max(xs), max(ys)


def _in_ring(x: float, y: float, ring: list[list[float]]) -> bool:
    inside = False
    for (x1, y1), (x2, y2) in pairwise(ring):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def contains(polygon: dict[str, Any], lon: float, lat: float) -> bool:
    """The point lies inside the outer ring and outside every hole (even-odd rule)."""
    outer, *holes = polygon["coordinates"]
    return _in_ring(lon, lat, outer) and not any(_in_ring(lon, lat, h) for h in holes)
