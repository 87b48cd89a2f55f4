"""Reads of stored check-ins, scoped to the caller's jurisdiction."""

import datetime as dt
from typing import Any

from django.http import Http404

from fangkong.core.access import Cap, require
from fangkong.epi.models import CheckIn
from fangkong.places.models import Venue
from fangkong.places.selectors import venues_for_user


def venue_for_user(user: Any, code: str) -> Venue:
    """The venue with this code if it lies in the user's jurisdiction (else 404)."""
    venue = venues_for_user(user).filter(code=code).first()
    if venue is None:
        raise Http404
    return venue


def checkins_at_venue(
    user: Any, code: str, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> Any:
    """Check-ins at a venue of the user's jurisdiction overlapping [start, end], by time in."""
    require(user, Cap.CONTACTS_VIEW)
    venue = venue_for_user(user, code)
    qs = CheckIn.objects.filter(venue=venue).select_related("person")
    if end is not None:
        qs = qs.filter(time_in__lt=end)
    if start is not None:
        qs = qs.filter(time_out__gt=start)
    return qs.order_by("time_in", "id")
