"""Shared fixtures of the supplies tests.

- `firm`: 许昌惠民超市 (a supermarket in 魏都区), granted on the whitelist, the supply persona
  on its staff; `other_firm`: one in 建安区 (the outsider's district), granted too.
- `courier`: 王芳 (people["wang"]) delivering to the 魏都 street for `firm`, granted;
  `vehicle`: 豫K12345 of `firm`, granted.
- `negative(person, hours_ago=2)`: a single tube of the person with a negative result.
- `a_lab`: a lab in 魏都区 (results upload).
Made directly (no services, no audit) unless a test says otherwise.
"""

import datetime as dt

import pytest
from django.utils import timezone, translation

from fangkong.lab.models import Lab
from fangkong.places.models import Level
from fangkong.supplies.models import Courier, Enterprise, Vehicle, WhitelistStatus
from fangkong.supplies.passes import verifier
from tests.lab.conftest import give_result, make_tube

GRANTED = WhitelistStatus.GRANTED


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fresh_keys():
    verifier.forget()
    yield
    verifier.forget()


def make_firm(place, name, credit_code, **kw) -> Enterprise:
    return Enterprise.objects.create(
        kind=kw.pop("kind", "supermarket"),
        name=name,
        credit_code=credit_code,
        division=place,
        division_key=place.key,
        status=kw.pop("status", GRANTED),
        **kw,
    )


@pytest.fixture
def firm(city, personas) -> Enterprise:
    e = make_firm(city.weidu, "许昌惠民超市", "91411002MA44C8XK3A")
    e.staff.add(personas["supply"])
    return e


@pytest.fixture
def other_firm(city) -> Enterprise:
    return make_firm(city.jianan, "建安鲜丰批发市场", "91411003MA45D9YL44", kind="wholesale")


@pytest.fixture
def courier(firm, people, city) -> Courier:
    area = city.w[Level.STREET]
    return Courier.objects.create(
        enterprise=firm,
        person=people["wang"],
        area=area,
        area_key=area.key,
        division_key=firm.division_key,
        home_address="西大街 12 号",
        status=GRANTED,
    )


@pytest.fixture
def vehicle(firm, city) -> Vehicle:
    area = city.w[Level.STREET]
    return Vehicle.objects.create(
        enterprise=firm,
        plate="豫K12345",
        area=area,
        area_key=area.key,
        division_key=firm.division_key,
        status=GRANTED,
    )


@pytest.fixture
def a_lab(city) -> Lab:
    return Lab.objects.create(
        code="LAB-S", name="魏都检测中心", division=city.weidu, division_key=city.weidu.key
    )


_seq = iter(range(1, 10_000))


@pytest.fixture
def negative(a_lab):
    def _negative(person, hours_ago: float = 2, outcome: str = "negative"):
        when = timezone.now() - dt.timedelta(hours=hours_ago)
        tube = make_tube(f"SUP-{next(_seq):05d}", [person], collected_at=when)
        give_result(tube, outcome, lab=a_lab, tested_at=when + dt.timedelta(minutes=30))
        return tube

    return _negative
