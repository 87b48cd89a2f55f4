"""Facilities of 许昌 (one of each kind in 魏都区) and people in each control state."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from fangkong.care.facilities import services as facility_services
from fangkong.care.models import FacilityKind
from fangkong.epi.models import Case, CaseKind, FoundBy, FoundWhere
from fangkong.healthcode.models import CodeStatus
from fangkong.places.models import Level
from fangkong.quarantine.models import Measure
from fangkong.zones.models import Zone, ZoneArea
from tests import factories as f


def make_facilities(actor, city):
    """One facility of each kind in 魏都区 (the designated campus at the district, the others
    at the street), and a general hospital in 建安区."""
    street = city.w[Level.STREET]
    out = {}
    for kind in FacilityKind.values:
        place = city.weidu if kind == FacilityKind.DESIGNATED else street
        out[kind] = facility_services.facility_register(
            actor=actor,
            code=f"W-{kind}".upper().replace("_", "-"),
            name=f"魏都 {kind}",
            kind=kind,
            division=place,
            phone="0374-1200000",
        )
    return out


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def facilities(personas, city):
    return make_facilities(personas["command"], city)


def zone(place, level):
    now = timezone.now()
    z = Zone.objects.create(
        name=f"{place.name} {level}",
        level=level,
        started_at=now,
        level_since=now,
        reason="test",
        profile_code="xuchang-2022-05",
        division_key=place.key,
    )
    ZoneArea.objects.create(zone=z, division=place, division_key=place.key)
    return z


def in_state(city, state, name="病人"):
    """A resident of 魏都区 (their own compound's unit) in this control state."""
    unit = city.w[Level.UNIT]
    person = f.resident(unit, name)
    today = timezone.localdate()
    if state == "case":
        Case.objects.create(
            number=f"XC-{person.pk}",
            person=person,
            kind=CaseKind.CONFIRMED,
            found_by=FoundBy.COMMUNITY_SCREENING,
            found_where=FoundWhere.COMMUNITY,
            sampled_on=today,
            reported_on=today,
            division_key=person.division_key,
        )
    elif state in ("sealed_zone", "controlled_zone"):
        # A zone over the person's own building, so that other people stay out of it.
        compound = city.w[Level.COMPOUND]
        building = f.division(
            f"{compound.key}9{person.pk % 100:02d}", f"楼{person.pk}", Level.BUILDING, compound
        )
        home = f.division(f"{building.key}01", "1单元", Level.UNIT, building)
        person.division, person.division_key = home, home.key
        person.save(update_fields=["division", "division_key"])
        zone(building, "sealed" if state == "sealed_zone" else "controlled")
    elif state == "quarantine":
        Measure.objects.create(
            person=person,
            category="close_contact",
            anchor_on=today,
            starts_on=today,
            ends_on=today + dt.timedelta(days=7),
            profile_code="xuchang-2022-05",
            profile_version=1,
            division_key=person.division_key,
        )
    elif state in ("red_code", "yellow_code"):
        CodeStatus.objects.create(
            person=person,
            colour=state.split("_")[0],
            since=timezone.now(),
            division_key=person.division_key,
            verify_token=f"tok{person.pk}",
        )
    return person
