"""Writes to places: venues (场所码). Each change is audited."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from fangkong.accounts.access import Cap, in_scope, require
from fangkong.audit.services import event_record
from fangkong.people.errors import field_error
from fangkong.places.models import Division, Venue, VenueKind


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
