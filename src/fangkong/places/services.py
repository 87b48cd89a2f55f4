"""Writes to places: subdivisions of the tree and venues (场所码). Each change is audited."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fangkong.audit.services import event_record
from fangkong.core.access import Cap, in_scope, require
from fangkong.core.db import prefix_q
from fangkong.core.errors import field_error
from fangkong.places import geometry
from fangkong.places.models import (
    KEY_LENGTH,
    Division,
    Level,
    Outline,
    Venue,
    VenueKind,
    code_from_key,
)

# Derived outlines: nodes from the city down to compounds, each point widened by this margin
# (a building's footprint and the road beside it) so that a lone building still has an area.
DERIVED_DEEPEST = Level.COMPOUND
DERIVED_MARGIN_M = 40.0


def _next_key(parent: Division, width: int) -> str:
    """The first free child key under `parent` (digits numbered from 1)."""
    taken = set(Division.objects.filter(parent=parent).values_list("key", flat=True))
    for n in range(1, 10**width):
        key = parent.key + str(n).zfill(width)
        if key not in taken:
            return key
    raise field_error("parent", _("This place has no free codes left"))


@transaction.atomic
def division_create(
    *, actor: Any, parent: Division, name: str, number: int | None = None, reason: str = ""
) -> Division:
    """Add a child node (e.g. a new building or unit); its code follows the parent's."""
    require(actor, Cap.PLACES_EDIT)
    if not in_scope(actor, parent.key):
        raise field_error("parent", _("This place is outside your jurisdiction"))
    if parent.level >= Level.UNIT:
        raise field_error("parent", _("A unit has no subdivisions"))
    name = (name or "").strip()
    if not name:
        raise field_error("name", _("Name is required"))
    level = Level(parent.level + 1)
    width = KEY_LENGTH[level] - KEY_LENGTH[Level(parent.level)]
    if number is None:
        key = _next_key(parent, width)
    elif number < 1 or len(str(number)) > width:
        raise field_error("number", _("The number must have at most %(n)s digits") % {"n": width})
    else:
        key = parent.key + str(number).zfill(width)
        if Division.objects.filter(key=key).exists():
            raise field_error("number", _("This number is already used here"))
    if Division.objects.filter(parent=parent, name=name).exists():
        raise field_error("name", _("A place with this name already exists here"))
    division = Division.objects.create(
        key=key,
        code=code_from_key(key),
        name=name,
        level=level,
        parent=parent,
        lat=parent.lat,
        lon=parent.lon,
    )
    event_record(
        actor=actor, action="division.created", obj=division, division_key=key, reason=reason
    )
    return division


@transaction.atomic
def division_rename(*, actor: Any, division: Division, name: str, reason: str = "") -> Division:
    require(actor, Cap.PLACES_EDIT)
    if not in_scope(actor, division.key) or division.key == getattr(
        getattr(actor, "jurisdiction", None), "key", None
    ):
        raise field_error("name", _("Only places below your own jurisdiction can be renamed"))
    name = (name or "").strip()
    if not name:
        raise field_error("name", _("Name is required"))
    if name != division.name:
        old, division.name = division.name, name
        division.save(update_fields=["name"])
        event_record(
            actor=actor,
            action="division.renamed",
            obj=division,
            division_key=division.key,
            field="name",
            from_value=old,
            to_value=name,
            reason=reason,
        )
    return division


@transaction.atomic
def venue_create(
    *,
    actor: Any,
    code: str,
    name: str,
    kind: str,
    division: Division,
    address: str = "",
    lat: float | None = None,
    lon: float | None = None,
    reason: str = "",
) -> Venue:
    require(actor, Cap.PLACES_EDIT)
    code, name = (code or "").strip(), (name or "").strip()
    if not code:
        raise field_error("code", _("Venue code is required"))
    if Venue.objects.filter(code=code).exists():
        raise field_error("code", _("A venue with this code already exists"))
    if not name:
        raise field_error("name", _("Name is required"))
    if kind not in VenueKind.values:
        raise field_error("kind", _("Unknown kind of venue"))
    if not in_scope(actor, division.key):
        raise field_error("division", _("This place is outside your jurisdiction"))
    if lat is not None and not -90 <= lat <= 90:
        raise field_error("lat", _("Latitude must be between -90 and 90"))
    if lon is not None and not -180 <= lon <= 180:
        raise field_error("lon", _("Longitude must be between -180 and 180"))
    venue = Venue.objects.create(
        code=code,
        name=name,
        kind=kind,
        division=division,
        division_key=division.key,
        address=address.strip(),
        lat=lat,
        lon=lon,
    )
    event_record(actor=actor, action="venue.created", obj=venue, reason=reason)
    return venue


def _outline(division_id: int, key: str, level: int, rings: list[Any], derived: bool) -> Outline:
    west, south, east, north = geometry.bounds(rings)
    return Outline(
        division_id=division_id,
        key=key,
        level=level,
        polygon={"type": "Polygon", "coordinates": rings},
        west=west,
        south=south,
        east=east,
        north=north,
        derived=derived,
    )


@transaction.atomic
def outlines_derive(*, prefix: str = "") -> int:
    """Outline every node under `prefix` (city down to compound) that has no given outline:
    the convex hull of the coordinates at and below it, widened by DERIVED_MARGIN_M. A given
    outline stays, and its corners stand for its subtree in its parent's hull. Replaces the
    earlier derived outlines of the subtree; returns how many were written."""
    given = {
        key: [(p[0], p[1]) for p in polygon["coordinates"][0]]
        for key, polygon in Outline.objects.filter(prefix_q("key", prefix), derived=False)
        .values_list("key", "polygon")
        .iterator()
    }
    nodes = Division.objects.filter(prefix_q("key", prefix)).order_by("key")
    ids = {}
    rows = []
    for pk, key, level, lon, lat in nodes.values_list("id", "key", "level", "lon", "lat"):
        if level <= DERIVED_DEEPEST:
            ids[key] = pk
        rows.append((key, level, lon, lat))
    hulls = geometry.subtree_hulls(
        rows, deepest=DERIVED_DEEPEST, margin_m=DERIVED_MARGIN_M, given=given
    )
    made = [
        _outline(ids[key], key, level, [geometry.closed(hull)], derived=True)
        for key, level, hull in hulls
    ]
    Outline.objects.filter(prefix_q("key", prefix), derived=True).delete()
    Outline.objects.bulk_create(made, batch_size=1000)
    return len(made)


def _rings(geometry_: Any) -> list[list[list[float]]]:
    if not isinstance(geometry_, dict) or geometry_.get("type") != "Polygon":
        raise ValueError(_("the geometry is not a Polygon"))
    rings = []
    for raw in geometry_.get("coordinates") or []:
        ring = [[float(p[0]), float(p[1])] for p in raw]
        if len(ring[:-1] if ring[0] == ring[-1] else ring) < geometry.MIN_CORNERS:
            raise ValueError(_("a ring needs at least three corners"))
        if not all(-180 <= x <= 180 and -90 <= y <= 90 for x, y in ring):
            raise ValueError(_("a corner lies outside valid coordinates"))
        rings.append(geometry.closed([(x, y) for x, y in ring]))
    if not rings:
        raise ValueError(_("the polygon has no corners"))
    return rings


@transaction.atomic
def outlines_load(*, collection: Any) -> int:
    """Given outlines from a GeoJSON FeatureCollection of Polygons whose `properties.code` is
    a division code; each replaces the node's outline. All or nothing: a feature with an
    unknown code or a bad geometry fails the load, naming the feature."""
    features = collection.get("features") if isinstance(collection, dict) else None
    if not isinstance(features, list):
        raise ValidationError(_("The file is not a GeoJSON FeatureCollection."))
    codes = [str((f.get("properties") or {}).get("code", "")) for f in features]
    nodes = {d.code: d for d in Division.objects.filter(code__in=codes)}
    problems, made = [], []
    for i, (feature, code) in enumerate(zip(features, codes, strict=True), start=1):
        node = nodes.get(code)
        try:
            if node is None:
                raise ValueError(_("no place has the code %(code)s") % {"code": code or "—"})
            rings = _rings(feature.get("geometry"))
        except (ValueError, TypeError, IndexError) as exc:
            problems.append(_("Feature %(n)s: %(problem)s") % {"n": i, "problem": exc})
            continue
        made.append(_outline(node.pk, node.key, node.level, rings, derived=False))
    if problems:
        raise ValidationError(problems)
    Outline.objects.filter(key__in=[o.key for o in made]).delete()
    Outline.objects.bulk_create(made, batch_size=1000)
    return len(made)
