"""Drawing zones from jurisdiction nodes or an outline; proposals; testing rounds for a zone."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangkong.audit.models import Event
from fangkong.lab.models import TestingRound as Round
from fangkong.places.models import Level
from fangkong.zones import selectors, services
from fangkong.zones.models import ChangeKind, ZoneArea, ZoneStatus
from tests import factories as f
from tests.zones.conftest import D0, at, day, infection, use_profile


def square(lon: float, lat: float, half: float = 0.001) -> dict:
    ring = [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def test_a_zone_over_a_building_counts_its_residents_and_is_audited(
    draw, building, personas, people
):
    case = infection(people["zhang"], sampled=D0)

    zone = draw(cases=[case])

    assert (zone.level, zone.status, zone.people) == ("high", ZoneStatus.ACTIVE, 3)
    assert zone.division_key == building.key and zone.started_at == at(D0)
    assert zone.name == "西大社区 第一网格 幸福小区 1号楼"
    assert list(zone.cases.all()) == [case]
    assert (zone.profile_code, zone.profile_version) == ("20-measures", 1)
    change = zone.changes.get()
    assert (change.kind, change.to_level, change.people, change.at) == ("drawn", "high", 3, at(D0))
    event = Event.objects.get(action="zone.drawn")
    assert event.actor == personas["command"] and event.division_key == building.key
    assert event.data["places"] == [building.code] and event.data["cases"] == [case.number]


def test_places_inside_another_chosen_place_are_not_counted_twice(draw, building, city):
    unit = city.w[Level.UNIT]
    second = f.division(
        city.w[Level.COMPOUND].key + "002", "2号楼", Level.BUILDING, city.w[Level.COMPOUND]
    )
    f.resident(second, "陈静")

    zone = draw(nodes=[unit, building, second])

    assert selectors.zone_keys(zone) == [building.key, second.key]
    assert zone.people == 4 and zone.division_key == city.w[Level.COMPOUND].key
    assert zone.name.endswith("and 1 more")


def test_the_20_measures_draw_only_by_building_or_unit_the_9th_edition_also_by_compound(draw, city):
    compound = city.w[Level.COMPOUND]
    with pytest.raises(ValidationError, match="draws zones by"):
        draw(nodes=[compound])
    use_profile("9th-edition")
    assert draw(nodes=[compound], level="medium").level == "medium"


def test_a_zone_is_drawn_at_a_restricting_level_of_the_active_scheme(draw):
    for level in ("low", "sealed", ""):
        with pytest.raises(ValidationError, match="levels"):
            draw(level=level)


def test_drawing_needs_the_capability_a_place_in_scope_a_reason_and_no_future_start(
    draw, personas, city
):
    for role in ("street", "grid", "outsider", "hotline"):
        with pytest.raises(PermissionDenied):
            draw(actor=personas[role])
    with pytest.raises(ValidationError, match="outside your jurisdiction"):
        draw(actor=personas["task_force"], nodes=[city.j[Level.BUILDING]])
    with pytest.raises(ValidationError, match="reason"):
        draw(reason=" ")
    with pytest.raises(ValidationError, match="future"):
        draw(started_at=at(day(1)))
    with pytest.raises(ValidationError, match="Choose"):
        draw(nodes=[])
    assert draw(actor=personas["task_force"]).status == ZoneStatus.ACTIVE


def test_an_outline_takes_in_the_buildings_with_coordinates_inside_it(draw, building, city):
    compound = city.w[Level.COMPOUND]
    far = f.division(compound.key + "009", "9号楼", Level.BUILDING, compound)
    far.lat, far.lon = 34.2, 113.9
    far.save()
    no_coordinates = f.division(compound.key + "003", "3号楼", Level.BUILDING, compound)

    zone = draw(nodes=[], polygon=square(building.lon, building.lat))

    assert selectors.zone_keys(zone) == [building.key]
    area = zone.areas.get(division=building)
    assert area.polygon is not None and area.polygon.geometry["type"] == "Polygon"
    assert zone.people == 3
    assert no_coordinates.key not in selectors.zone_keys(zone)


def test_an_outline_with_no_building_inside_or_bad_geojson_is_refused(draw, building):
    with pytest.raises(ValidationError, match="No building"):
        draw(nodes=[], polygon=square(100.0, 30.0))
    for bad in ('{"type": "Point", "coordinates": [1, 2]}', "not json", {"type": "Polygon"}):
        with pytest.raises(ValidationError):
            draw(nodes=[], polygon=bad)
    assert not ZoneArea.objects.exists()


def test_an_outline_reaches_only_buildings_in_the_drawers_jurisdiction(
    draw, building, city, personas
):
    other = city.j[Level.BUILDING]
    other.lat, other.lon = building.lat, building.lon + 0.0002
    other.save()
    zone = draw(actor=personas["task_force"], nodes=[], polygon=square(building.lon, building.lat))
    assert selectors.zone_keys(zone) == [building.key]


def test_a_proposed_zone_is_not_in_force_until_activated_or_is_withdrawn(draw, personas):
    zone = draw(in_force=False)
    assert zone.status == ZoneStatus.PROPOSED and not zone.changes.exists()
    assert selectors.public_zones() == []

    services.zone_activate(actor=personas["command"], zone=zone, now=at(day(1)))

    assert zone.status == ZoneStatus.ACTIVE and zone.started_at == at(day(1))
    assert zone.changes.get().kind == ChangeKind.DRAWN
    with pytest.raises(ValidationError):
        services.zone_withdraw(actor=personas["command"], zone=zone, reason="画错")
    other = draw(in_force=False)
    services.zone_withdraw(actor=personas["command"], zone=other, reason="画错")
    assert other.status == ZoneStatus.WITHDRAWN
    assert Event.objects.filter(action="zone.withdrawn", reason="画错").count() == 1


def test_a_level_can_be_set_by_hand_with_a_reason(draw, personas):
    use_profile("9th-edition")
    zone = draw(level="medium")
    with pytest.raises(ValidationError):
        services.zone_set_level(actor=personas["command"], zone=zone, level="high", reason="")
    services.zone_set_level(
        actor=personas["command"], zone=zone, level="high", reason="新增病例", now=at(day(2))
    )
    assert zone.changes.order_by("at").last().kind == ChangeKind.ESCALATED
    services.zone_set_level(
        actor=personas["command"], zone=zone, level="low", reason="解除", now=at(day(9))
    )
    assert zone.status == ZoneStatus.LIFTED and zone.ended_at == at(day(9))


# ── testing inside a zone ───────────────────────────────────────────────────────────────────


def test_one_click_starts_a_testing_round_over_each_place_of_the_zone(
    draw, building, city, personas
):
    second = f.division(
        city.w[Level.COMPOUND].key + "002", "2号楼", Level.BUILDING, city.w[Level.COMPOUND]
    )
    zone = draw(nodes=[building, second])

    rounds = services.zone_round_start(
        actor=personas["command"], zone=zone, reason="风险区第5天核酸", now=at(day(5), 7)
    )

    assert [r.area for r in rounds] == [building, second]
    assert all(r.starts_at == at(day(5), 7) and r.profile_code == "20-measures" for r in rounds)
    assert Round.objects.count() == 2
    assert Event.objects.filter(action="round.started").count() == 2
    assert Event.objects.get(action="zone.round_started").data["rounds"] == [r.pk for r in rounds]


def test_a_zone_round_follows_the_testing_rules_of_the_policy(draw, personas):
    zone = draw()
    with pytest.raises(ValidationError, match="source or chain"):
        services.zone_round_start(actor=personas["command"], zone=zone, reason="", now=at(day(5)))
    services.zone_round_start(actor=personas["command"], zone=zone, reason="第5天", now=at(day(5)))
    with pytest.raises(ValidationError, match="a day"):
        services.zone_round_start(
            actor=personas["command"], zone=zone, reason="再测", now=at(day(5), 15)
        )
    with pytest.raises(PermissionDenied):
        services.zone_round_start(
            actor=personas["task_force"], zone=zone, reason="x", now=at(day(6))
        )


# ── a person's zone ─────────────────────────────────────────────────────────────────────────


def test_a_resident_sees_the_most_restrictive_zone_over_their_home_and_its_obligations(
    draw, building, city, people
):
    use_profile("9th-edition")
    assert selectors.zone_for_person(people["zhang"]) is None
    draw(nodes=[city.w[Level.COMPOUND]], level="medium")
    draw(level="high")

    mine = selectors.zone_for_person(people["zhang"])

    assert (mine.level, mine.label) == ("high", "high")
    assert mine.obligations == "Stay at home; services come to the door"
    assert selectors.zone_for_person(people["other"]) is None


def test_a_resident_of_a_lifted_zone_has_no_zone(draw, people, personas):
    zone = draw()
    services.zone_set_level(actor=personas["command"], zone=zone, level="low", reason="解除")
    assert selectors.zone_for_person(people["zhang"]) is None


def test_extending_to_a_place_around_the_zone_replaces_the_places_inside_it(draw, city, personas):
    use_profile("9th-edition")
    compound = city.w[Level.COMPOUND]
    zone = draw()

    services.zone_extend(
        actor=personas["command"],
        zone=zone,
        divisions=[compound],
        reason="扩大到小区",
        now=at(day(1)),
    )

    assert selectors.zone_keys(zone) == [compound.key]
    assert (zone.people, zone.division_key) == (3, compound.key)
    with pytest.raises(ValidationError, match="Choose"):
        services.zone_extend(
            actor=personas["command"], zone=zone, divisions=[city.w[Level.BUILDING]], reason="x"
        )
