"""Timelines for zone tests: a day clock, zones, infections and testing rounds made directly.

- `D0` (2022-11-14) is the day a zone is drawn; `day(n)` is day n after it; `at(d)` 09:00 that
  day in Asia/Shanghai. Services get the clock as `now=`/`today=`.
- `building`: 魏都 1号楼 (city.w[BUILDING], 34.03 N 113.85 E) with 张伟, 李秀英, 王芳 inside.
- `draw(nodes, level=…, on=…)`: a zone in force drawn by the command persona.
- `infection(person, sampled, reported=None)`: a case row (no services).
- `round_on(d, area, members, positive=())`: a round starting on day d with one single tube
  per member, resulted negative unless the person is in `positive`; `pending` leaves it open.
- `use_profile(code)`: switch the active profile without audit.
- `as_(role)`: an API client with a bearer token of that persona.
"""

import datetime as dt
import itertools
import zoneinfo

import pytest
from django.utils import translation

from fangkong.lab.models import Lab, Outcome, RoundStatus
from fangkong.lab.models import TestingRound as Round
from fangkong.places.models import Level
from fangkong.policy.models import PolicyProfile
from fangkong.zones import services
from tests.api.conftest import bearer_client
from tests.epi.conftest import make_case
from tests.lab.conftest import give_result, make_tube

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
D0 = dt.date(2022, 11, 14)
_barcodes = itertools.count(1)


def day(n: int) -> dt.date:
    return D0 + dt.timedelta(days=n)


def at(d: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(d, dt.time(hour), tzinfo=SHANGHAI)


def use_profile(code: str) -> None:
    PolicyProfile.objects.update(is_active=False)
    PolicyProfile.objects.filter(code=code).update(is_active=True)


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def building(city, people):
    b = city.w[Level.BUILDING]
    b.lat, b.lon = 34.03, 113.85
    b.save(update_fields=["lat", "lon"])
    return b


@pytest.fixture
def draw(personas, building):
    def _draw(nodes=None, level="high", on=D0, actor=None, **kw):
        fields = {"reason": "确诊病例居住楼栋", "started_at": at(on), "now": at(on)}
        fields.update(kw)
        return services.zone_draw(
            actor=actor or personas["command"],
            level=level,
            divisions=nodes if nodes is not None else [building],
            **fields,
        )

    return _draw


@pytest.fixture
def as_(personas):
    """`as_("street")`: an API client with a bearer token of that persona."""
    return lambda role: bearer_client(personas[role])


def infection(person, sampled: dt.date, reported: dt.date | None = None):
    return make_case(person, sampled_on=sampled, reported_on=reported or sampled)


@pytest.fixture
def round_on(personas, city):
    lab = Lab.objects.create(
        code="LAB-Z", name="魏都检测中心", division=city.weidu, division_key=city.weidu.key
    )

    def _round(d, area, members, positive=(), pending=()):
        r = Round.objects.create(
            name=f"{area.name} {d}",
            area=area,
            division_key=area.key,
            pool_size=1,
            reason="zone round",
            starts_at=at(d, 7),
            deadline=at(d, 7) + dt.timedelta(hours=24),
            status=RoundStatus.OPEN,
            created_by=personas["command"],
        )
        for person in members:
            tube = make_tube(f"Z{next(_barcodes):06d}", [person], round=r, collected_at=at(d, 8))
            if person not in pending:
                outcome = Outcome.POSITIVE if person in positive else Outcome.NEGATIVE
                give_result(tube, outcome, lab=lab, tested_at=at(d, 18))
        return r

    return _round


def evaluate(d: dt.date):
    return {e.zone_id: e for e in services.zones_evaluate(today=d, now=at(d, 20))}
