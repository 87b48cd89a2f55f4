"""The places' own map: the caller's outlines as GeoJSON, the levels worth drawing at a zoom.

A map with no tile server still shows where things are: district and street outlines when the
whole jurisdiction is in view, then communities and where the compounds are, then grids and
buildings as one zooms in. Buildings that have coordinates but no outline come as points.
"""

from typing import Any

from fangkong.places import selectors
from fangkong.places.geometry import Box
from fangkong.places.models import Level

# (least zoom, levels drawn from it on): Leaflet zooms, where 9 shows the whole city,
# 12 a district, 14 a community and 16 a compound's buildings.
LEVELS_FROM_ZOOM = (
    (0, (Level.CITY, Level.DISTRICT, Level.STREET)),
    (11, (Level.COMMUNITY, Level.COMPOUND)),  # compounds: dots on the map until zoom 14
    (13, (Level.GRID,)),
    (15, (Level.BUILDING,)),
)
FEATURES_LIMIT = 3000  # per answer, coarsest first; `truncated` says when more were in view
POINTS_LIMIT = 500


def levels_at(zoom: int) -> set[int]:
    return {int(lv) for least, levels in LEVELS_FROM_ZOOM if zoom >= least for lv in levels}


def parse_box(raw: str) -> Box | None:
    """`west,south,east,north` in degrees, or None when absent or not four numbers."""
    try:
        west, south, east, north = (float(v) for v in raw.split(","))
    except ValueError:
        return None
    return west, south, east, north


def _properties(key: str, code: str, name: str, level: int) -> dict[str, Any]:
    return {
        "key": key,
        "code": code,
        "name": name,
        "level": level,
        "level_label": str(Level(level).label),
    }


def base_layer(user: Any, *, zoom: int, box: Box | None) -> dict[str, Any]:
    """GeoJSON FeatureCollection of the caller's places to draw at `zoom` inside `box`."""
    levels = levels_at(zoom)
    outlines = selectors.outlines_for_user(user, levels=levels, box=box, limit=FEATURES_LIMIT + 1)
    features: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "geometry": o.polygon,
            "properties": _properties(o.key, o.division.code, o.division.name, o.level),
        }
        for o in outlines[:FEATURES_LIMIT]
    ]
    if Level.BUILDING in levels:
        points = selectors.points_without_outline(
            user, level=Level.BUILDING, box=box, limit=POINTS_LIMIT
        )
        features += [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [d.lon, d.lat]},
                "properties": _properties(d.key, d.code, d.name, d.level),
            }
            for d in points
        ]
    return {
        "type": "FeatureCollection",
        "features": features,
        "truncated": len(outlines) > FEATURES_LIMIT,
    }
