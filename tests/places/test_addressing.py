"""A written address leads to the smallest place it names below the one chosen."""

import pytest

from fangkong.places.addressing import place_of_address
from fangkong.places.models import Level
from tests import factories as f


@pytest.fixture
def community(city):
    """西大社区: grid 01 holds 幸福小区 (1号楼, 11号楼) and 幸福小区2期; grid 02 holds 阳光小区 and
    another 阳光小区 sits in grid 03."""
    c = city.w[Level.COMMUNITY]
    grid1 = city.w[Level.GRID]
    f.division(city.w[Level.COMPOUND].key + "011", "11号楼", Level.BUILDING, city.w[Level.COMPOUND])
    phase2 = f.division(grid1.key + "02", "幸福小区2期", Level.COMPOUND, grid1)
    f.division(phase2.key + "003", "3号楼", Level.BUILDING, phase2)
    grid2 = f.division(c.key + "02", "第二网格", Level.GRID, c)
    grid3 = f.division(c.key + "03", "第三网格", Level.GRID, c)
    for grid in (grid2, grid3):
        sun = f.division(grid.key + "01", "阳光小区", Level.COMPOUND, grid)
        f.division(sun.key + "001", "1号楼", Level.BUILDING, sun)
    return c


@pytest.mark.parametrize(
    ("address", "level"),
    [
        ("幸福小区 1号楼 1单元 101", Level.UNIT),
        ("幸福小区１号楼１单元１０１室", Level.UNIT),  # full-width digits
        ("幸福小区1栋", Level.BUILDING),
        ("幸福小区", Level.COMPOUND),
        ("", Level.COMMUNITY),
        ("人民路 88 号", Level.COMMUNITY),
    ],
)
def test_an_address_leads_down_to_the_place_it_names(city, community, address, level):
    assert place_of_address(community, address) == city.w[level]


def test_a_number_is_not_part_of_a_longer_one(city, community):
    eleven = place_of_address(community, "幸福小区11号楼")
    assert eleven.name == "11号楼" and eleven.parent == city.w[Level.COMPOUND]


def test_a_longer_name_wins_over_the_name_inside_it(community):
    found = place_of_address(community, "幸福小区2期 3号楼 502")
    assert (found.name, found.parent.name) == ("3号楼", "幸福小区2期")


def test_a_name_two_grids_share_stays_at_the_place_holding_both(community):
    assert place_of_address(community, "阳光小区 1号楼 301") == community


def test_the_search_starts_below_the_place_chosen(city, community):
    building = city.w[Level.BUILDING]
    assert place_of_address(building, "1单元 202") == city.w[Level.UNIT]
    assert place_of_address(city.w[Level.UNIT], "幸福小区2期 3号楼") == city.w[Level.UNIT]
