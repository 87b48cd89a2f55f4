"""Quarantine sites and rooms made directly (no services, no audit), for the sites and
allocation tests.

- `make_site(place, code, staff=...)`: a hotel at `place` (a Division), optionally with
  coordinates and staff.
- `make_rooms(site, building="A", floors=(2, 3), per_floor=4, beds=1, accessible=())`: rooms
  201 … 204, 301 … 304, available; `accessible` lists positions (1 = x01).
- `adult`, `child`: residents born so that they are that old on TODAY.
"""

import datetime as dt

import pytest
from django.utils import translation

from fangkong.policy.models import PolicyProfile
from fangkong.quarantine.models import Room, Site
from tests import factories as f

TODAY = dt.date(2022, 11, 14)  # the 20 measures are in force
EXPOSED = dt.date(2022, 11, 13)


def make_site(place, code: str, *, staff=(), lat=None, lon=None, name: str = "") -> Site:
    site = Site.objects.create(
        code=code,
        name=name or f"{place.name}隔离酒店{code}",
        kind="hotel",
        division=place,
        division_key=place.key,
        latitude=lat,
        longitude=lon,
    )
    site.staff.add(*staff)
    return site


def make_rooms(
    site: Site,
    *,
    building: str = "A",
    floors: tuple[int, int] = (2, 3),
    per_floor: int = 4,
    beds: int = 1,
    accessible: tuple[int, ...] = (),
    status: str = "available",
) -> list[Room]:
    rooms = [
        Room(
            site=site,
            building=building,
            floor=floor,
            number=f"{floor}{pos:02d}",
            beds=beds,
            accessible=pos in accessible,
            status=status,
            division_key=site.division_key,
        )
        for floor in range(floors[0], floors[1] + 1)
        for pos in range(1, per_floor + 1)
    ]
    return Room.objects.bulk_create(rooms)


def born_years_ago(years: int) -> dt.date:
    return TODAY.replace(year=TODAY.year - years) - dt.timedelta(days=30)


def adult(unit, name: str, *, household=None, years: int = 40, sex: str = "M"):
    return f.resident(unit, name, born=born_years_ago(years), household=household, sex=sex)


def child(unit, name: str, *, household=None, years: int = 8, sex: str = "F"):
    return f.resident(unit, name, born=born_years_ago(years), household=household, sex=sex)


def use_profile(code: str) -> None:
    PolicyProfile.objects.update(is_active=False)
    PolicyProfile.objects.filter(code=code).update(is_active=True)


def set_quarantine_rules(**rules) -> None:
    """Change the active profile's quarantine rules in place (tests only)."""
    profile = PolicyProfile.objects.get(is_active=True)
    doc = dict(profile.rules)
    doc["quarantine"] = {**doc.get("quarantine", {}), **rules}
    PolicyProfile.objects.filter(pk=profile.pk).update(rules=doc)


@pytest.fixture
def english():
    with translation.override("en"):
        yield
