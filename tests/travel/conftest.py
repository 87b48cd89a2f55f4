"""Shared pieces of the trip tests.

- `english`: messages and pages in English (the site default is zh-Hans).
- `report(actor, id_number, **fields)`: `trip_report` with a trip from a high-risk area into
  the 魏都 community (city.w[COMMUNITY]) by default: left 2022-11-12, arriving 2022-11-14 10:00,
  reported as of TODAY (2022-11-14).
- `arrive(actor, trip, **fields)`: `arrival_record` at 许昌东站 at ARRIVED, as of TODAY.
- `new_id(...)`: a valid ID number nobody in the registry has.
"""

import datetime as dt
import itertools
import zoneinfo

import pytest
from django.utils import translation

from fangkong.people.idnumber import make_id_number
from fangkong.travel import services
from tests.lab.conftest import a_lab, a_site  # noqa: F401  (shared fixtures)

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
D = dt.date
TODAY = D(2022, 11, 14)
ARRIVING = dt.datetime(2022, 11, 14, 10, 0, tzinfo=SHANGHAI)
ARRIVED = dt.datetime(2022, 11, 14, 10, 30, tzinfo=SHANGHAI)
_seq = itertools.count(300)


BORN = D(1990, 3, 8)


def new_id(born: dt.date = BORN, sex: str = "F") -> str:
    return make_id_number("410102", born, next(_seq), sex)


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def report(city):
    def _report(actor, id_number, **kw):
        fields = {
            "name": "陈静",
            "phone": "13800000001",
            "origin": "郑州市金水区",
            "origin_kind": "high_risk_area",
            "departed_on": D(2022, 11, 12),
            "arriving_at": ARRIVING,
            "transport": "train",
            "transport_number": "g1234",
            "destination": city.w[4],
            "address": "幸福小区 1号楼 1单元 101",
            "today": TODAY,
        }
        fields.update(kw)
        return services.trip_report(actor=actor, id_number=id_number, **fields)

    return _report


@pytest.fixture
def arrive():
    def _arrive(actor, trip, **kw):
        fields = {"checkpoint": "许昌东站", "arrived_at": ARRIVED, "today": TODAY}
        fields.update(kw)
        return services.arrival_record(actor=actor, trip=trip, **fields)

    return _arrive


@pytest.fixture
def far_checkpoint(city):
    """A task-force member (checkpoint staff) in 建安区: outside the 魏都 destination."""
    from tests import factories as f

    return f.user("p_tf_jianan", "task_force", city.jianan)
