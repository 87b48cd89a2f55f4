"""The daily evaluation as a management command and as a background task."""

from io import StringIO

from django.core.management import call_command

from fangkong.zones.models import Verdict
from fangkong.zones.tasks import evaluate_zones
from tests.zones.conftest import day


def test_zones_daily_evaluates_every_zone_for_the_given_day(draw, building, people, round_on):
    zone = draw()
    round_on(day(5), building, [people["zhang"], people["li"], people["wang"]])
    out = StringIO()

    call_command("zones_daily", "--date", day(5).isoformat(), stdout=out)

    assert out.getvalue().strip() == "2022-11-19: evaluated 1 zone(s), 1 change(s) proposed"
    assert zone.evaluations.get().verdict == Verdict.PROPOSED


def test_the_task_runs_the_same_evaluation(draw):
    zone = draw()
    assert evaluate_zones.call(day(2).isoformat()) == 1
    assert zone.evaluations.get().days_clean == 2
