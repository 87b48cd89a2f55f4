"""Shared fixtures for lab tests: a lab, a sampling site and an open round, made directly.

- `a_lab`: 许昌魏都检测中心 (code LAB-W) in 魏都区, the lab persona on its staff.
- `a_site`: 西大街采样点 (code SITE-W) at the 魏都 street (city.w[STREET]).
- `a_round`: an open round over the 魏都 street (city.w[STREET]), pool size 10, started
  2022-05-07 08:00 (Asia/Shanghai), deadline 24 h later, with `a_site`; created by the
  command persona. Made without services, so no audit events.
- `english`: messages and pages in English (the site default is zh-Hans); opt in with
  `pytestmark = pytest.mark.usefixtures("english")`.
- `make_tube(barcode, members, round=..., site=..., capacity=..., fill=...)`: a collected tube
  with members (no services, no audit; the round's running figures are recounted); sealed,
  unless it is empty (a tube just opened) or `fill` says otherwise.
- `give_result(tube, outcome, lab=..., tested_at=..., ct=None)`: store a result for a tube
  directly (under one fixture upload per lab), as an upload would.
- `result_of(barcode)`: the tube's stored Result, or None.
"""

import datetime as dt
import zoneinfo

import pytest
from django.utils import translation

from fangkong.accounts.models import User
from fangkong.lab.models import (
    Lab,
    Purpose,
    Result,
    ResultUpload,
    RoundStatus,
    SamplingSite,
    TestingRound,
    Tube,
    TubeFill,
    TubeMember,
)
from fangkong.lab.tally import tallies_rebuild
from fangkong.places.models import Level

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
ROUND_START = dt.datetime(2022, 5, 7, 8, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def columnwise_always(monkeypatch):
    """Small test files take the column-wise path too when they are plain."""
    monkeypatch.setattr("fangkong.lab.results.ingest.COLUMNWISE_FROM", 0)


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def a_lab(city, personas) -> Lab:
    lab = Lab.objects.create(
        code="LAB-W", name="许昌魏都检测中心", division=city.weidu, division_key=city.weidu.key
    )
    lab.staff.add(personas["lab"])
    return lab


@pytest.fixture
def a_site(city) -> SamplingSite:
    street = city.w[Level.STREET]
    return SamplingSite.objects.create(
        code="SITE-W",
        name="西大街采样点",
        division=street,
        division_key=street.key,
        address="西大街 1 号",
    )


@pytest.fixture
def a_round(city, personas, a_site) -> TestingRound:
    street = city.w[Level.STREET]
    r = TestingRound.objects.create(
        name="魏都第一轮",
        area=street,
        division_key=street.key,
        pool_size=10,
        reason="source unclear",
        starts_at=ROUND_START,
        deadline=ROUND_START + dt.timedelta(hours=24),
        status=RoundStatus.OPEN,
        created_by=personas["command"],
    )
    r.sites.add(a_site)
    return r


def make_tube(
    barcode: str,
    members=(),
    *,
    round: TestingRound | None = None,
    site: SamplingSite | None = None,
    capacity: int | None = None,
    purpose: str | None = None,
    collected_at: dt.datetime | None = None,
    fill: str | None = None,
) -> Tube:
    """A collected tube with `members` (residents), made directly without services."""
    members = list(members)
    fill = fill or (TubeFill.SEALED if members else TubeFill.OPEN)
    when = collected_at or ROUND_START + dt.timedelta(hours=1)
    tube = Tube.objects.create(
        barcode=barcode,
        capacity=capacity or (round.pool_size if round and len(members) > 1 else 1),
        purpose=purpose or (Purpose.ROUND if round else Purpose.VOLUNTARY),
        round=round,
        site=site,
        fill=fill,
        collected_at=when,
        division_key=site.division_key if site else (round.division_key if round else ""),
    )
    TubeMember.objects.bulk_create(
        [
            TubeMember(
                tube=tube, person=p, round=round, sampled_at=when, division_key=p.division_key
            )
            for p in members
        ]
    )
    if round is not None:
        tallies_rebuild(round.pk)
    return tube


@pytest.fixture
def tube_factory():
    return make_tube


def give_result(
    tube: Tube,
    outcome: str,
    *,
    lab: Lab,
    tested_at: dt.datetime,
    ct: float | None = None,
) -> Result:
    """A stored result for `tube` (no services, no audit), under a fixture upload of `lab`."""
    by, _new = User.objects.get_or_create(username="fixture_uploader", defaults={"role": "lab"})
    upload, _new = ResultUpload.objects.get_or_create(
        lab=lab, sha256="fixture", defaults={"format": "csv", "uploaded_by": by}
    )
    result = Result.objects.create(
        tube=tube, upload=upload, outcome=outcome, ct_value=ct, tested_at=tested_at
    )
    if tube.round_id is not None:
        tallies_rebuild(tube.round_id)
    return result


def result_of(barcode: str) -> Result | None:
    return Result.objects.filter(tube_id=barcode).first()
