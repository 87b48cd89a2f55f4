"""A place is named by the code people have for it, in every form and API that takes one: the
6-digit GB/T 2260 code of a district, the 9- or 12-digit statistical code of a street or
community, the longer code of a grid or finer place, or the platform's key; full-width digits
and spaces as typed on a phone (issue 15, item 5)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from fangkong.lab.models import TestingRound as Round
from fangkong.places.models import Division, Level, named, names_division
from fangkong.places.selectors import place_in_scope
from fangkong.zones.selectors import divisions_by_codes
from tests.api.conftest import bearer_client

WHY = "全员核酸检测"


def _spellings(node: Division) -> list[str]:
    """Every way a person may write the code of `node`."""
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in node.code)
    return sorted(
        {node.code, node.key, node.code.rstrip("0") or node.code, full_width, f" {node.key} "}
    )


@pytest.mark.parametrize(
    "level", [Level.CITY, Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID, Level.UNIT]
)
def test_every_spelling_of_a_code_names_its_place_and_no_other(city, level):
    node = (
        city.city
        if level == Level.CITY
        else city.weidu
        if level == Level.DISTRICT
        else city.w[level]
    )
    for text in _spellings(node):
        assert [d.pk for d in Division.objects.filter(named(text))] == [node.pk], text
        assert names_division(text, node)
    assert not names_division(city.jianan.code, node)


def test_the_gb_2260_code_of_a_district_and_a_9_digit_street_code_are_accepted(personas, city):
    street = city.w[Level.STREET]
    assert place_in_scope(personas["command"], "411002", "area") == city.weidu
    assert place_in_scope(personas["command"], street.key, "area") == street
    assert len(street.key) == 9 and street.code == street.key + "000"


def test_a_code_outside_the_jurisdiction_is_an_error_on_the_field(personas, city):
    with pytest.raises(ValidationError) as refused:
        place_in_scope(personas["street"], "411003", "area")  # 建安区, the other district
    assert list(refused.value.message_dict) == ["area"]


def test_the_api_finds_a_district_by_its_6_digit_code(personas, city):
    client = bearer_client(personas["command"])
    body = client.get("/api/places/411002").json()
    assert body["name"] == "魏都区"
    assert bearer_client(personas["street"]).get("/api/places/411003").status_code == 404


def test_a_testing_round_is_started_over_a_district_named_by_its_6_digit_code(
    login, personas, city
):
    done = login(personas["command"]).post(
        reverse("lab:round_new"),
        {"name": "全员", "area": "411002", "reason": WHY, "pool_size": 10},
    )
    assert done.status_code == 302, done.context["form"].errors if done.context else done
    assert Round.objects.get(name="全员").area == city.weidu


def test_a_zone_names_its_street_by_the_9_digit_code(personas, city):
    street = city.w[Level.STREET]
    found = divisions_by_codes(personas["command"], [street.key, "４１１００２"])
    assert sorted(d.pk for d in found) == sorted([street.pk, city.weidu.pk])
