"""Writes to places: subdivisions of the tree and venues (场所码). Each change is audited."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from fangkong.audit.services import event_record
from fangkong.core.access import Cap, in_scope, require
from fangkong.core.errors import field_error
from fangkong.places.models import KEY_LENGTH, Division, Level, Venue, VenueKind, code_from_key


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
