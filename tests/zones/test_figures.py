"""Zones and people in them by level, as of a day, from the zones' history."""

from fangkong.places.models import Level
from fangkong.zones import services
from fangkong.zones.selectors import zone_figures, zone_figures_for_user
from tests import factories as f
from tests.zones.conftest import at, day, use_profile


def counts(d, prefix=""):
    figures = zone_figures(day=d, prefix=prefix)
    return {x.level: (x.zones, x.people) for x in figures.levels}, figures.zones, figures.people


def test_figures_for_past_days_follow_each_zone_history(draw, city, personas):
    second_building = f.division(
        city.w[Level.COMPOUND].key + "002", "2号楼", Level.BUILDING, city.w[Level.COMPOUND]
    )
    f.resident(second_building, "陈静")
    first = draw()
    draw(nodes=[second_building], on=day(3))
    services.zone_set_level(
        actor=personas["command"], zone=first, level="low", reason="解除", now=at(day(5), 21)
    )

    assert counts(day(-1)) == ({"high": (0, 0)}, 0, 0)
    assert counts(day(0)) == ({"high": (1, 3)}, 1, 3)
    assert counts(day(4)) == ({"high": (2, 4)}, 2, 4)
    assert counts(day(5)) == ({"high": (1, 1)}, 1, 1)


def test_figures_keep_the_level_a_zone_had_on_the_day(draw, personas):
    use_profile("9th-edition")
    zone = draw()
    services.zone_set_level(
        actor=personas["command"], zone=zone, level="medium", reason="降级", now=at(day(7), 21)
    )
    assert counts(day(6))[0] == {"high": (1, 3), "medium": (0, 0)}
    assert counts(day(7))[0] == {"high": (0, 0), "medium": (1, 3)}


def test_figures_are_scoped_and_one_query(draw, city, personas, django_assert_num_queries):
    draw()
    assert counts(day(1), prefix=city.jianan.key)[1:] == (0, 0)
    assert zone_figures_for_user(personas["outsider"], day(1)).zones == 0
    assert zone_figures_for_user(personas["street"], day(1)).people == 3
    with django_assert_num_queries(2):  # the history, and the active profile's levels
        zone_figures(day=day(1))
