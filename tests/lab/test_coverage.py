"""Round coverage on a small city, every figure checked; drill-down; whom to call; turnaround.

The round (`a_round`) covers 西大街街道. Residents:

    西大街街道
      西大社区 / 第一网格 / 幸福小区
        1号楼 1单元: 张伟 (pooled P1, negative), 李秀英 (pooled P1, negative), 王芳 (not sampled)
        2号楼 1单元: 陈静 (single S1, no result yet), 刘洋 (not sampled)
      东关社区 / 第一网格 / 东关小区 / 3号楼 1单元: 周敏 (sampled only in another round)
    建安区: 赵强 (outside the round)
"""

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fangkong.lab import tally
from fangkong.lab.models import Lab, Outcome, Purpose, RoundTally, Tube, TubeStatus
from fangkong.lab.models import TestingRound as Round
from fangkong.lab.results.ingest import results_import
from fangkong.lab.rounds import coverage, services
from fangkong.people.models import Resident
from tests import factories as f
from tests.api.conftest import bearer_client
from tests.lab.conftest import ROUND_START, give_result, make_tube

pytestmark = pytest.mark.usefixtures("english")

L = f.Level
# Coverage page: session, user, jurisdiction, round, coverage (children, targets, running
# figures), round sites, its history (audit events) — pinned; it must not grow with places or
# people. The turnaround table loads after the page (its own request): session, user,
# jurisdiction, round, policy, figures, labs.
PINNED_QUERIES = 9
TURNAROUND_QUERIES = 7


def community_branch(street, code: str, names: list[str]) -> dict:
    """Community → grid → compound → building → unit under `street`."""
    out = {}
    node = street
    widths = [(L.COMMUNITY, code), (L.GRID, "01"), (L.COMPOUND, "01"), (L.BUILDING, "003")]
    widths.append((L.UNIT, "01"))
    for (level, suffix), name in zip(widths, names, strict=True):
        node = f.division(node.key + suffix, name, level, node)
        out[level] = node
    return out


@pytest.fixture
def small_city(city, people, personas, a_round, a_site, a_lab):
    w = city.w
    b2 = f.division(w[L.COMPOUND].key + "002", "2号楼", L.BUILDING, w[L.COMPOUND])
    u2 = f.division(b2.key + "01", "1单元", L.UNIT, b2)
    chen = f.resident(u2, "陈静", sex="F", phone="13900000021")
    liu = f.resident(u2, "刘洋", phone="13900000022")
    east = community_branch(
        w[L.STREET], "002", ["东关社区", "第一网格", "东关小区", "3号楼", "1单元"]
    )
    zhou = f.resident(east[L.UNIT], "周敏", sex="F", phone="13900000023")
    p1 = make_tube("P1", [people["zhang"], people["li"]], round=a_round, site=a_site, capacity=10)
    Tube.objects.filter(pk=p1.pk).update(lab=a_lab, status=TubeStatus.RECEIVED)
    give_result(p1, Outcome.NEGATIVE, lab=a_lab, tested_at=p1.collected_at + dt.timedelta(hours=5))
    make_tube("S1", [chen], round=a_round, site=a_site)
    other_round = Round.objects.create(
        name="旧轮次",
        area=w[L.STREET],
        division_key=w[L.STREET].key,
        pool_size=10,
        starts_at=ROUND_START - dt.timedelta(days=3),
        deadline=ROUND_START - dt.timedelta(days=2),
        created_by=personas["command"],
    )
    make_tube("OLD1", [zhou, people["wang"]], round=other_round, site=a_site, capacity=10)
    return {"chen": chen, "liu": liu, "zhou": zhou, "east": east, "b2": b2, "u2": u2}


def _figures(cov):
    rows = {r.name: (r.target, r.sampled, r.resulted) for r in cov.rows}
    total = (cov.total.target, cov.total.sampled, cov.total.resulted)
    return rows, total


def test_small_city_fixture_shape(small_city, city):
    assert small_city["east"][L.COMMUNITY].parent == city.w[L.STREET]


def test_coverage_at_the_rounds_area(small_city, personas, a_round, city):
    cov = coverage.round_coverage(personas["street"], a_round)
    assert cov.node == city.w[L.STREET]
    rows, total = _figures(cov)
    assert rows == {"西大社区": (5, 3, 2), "东关社区": (1, 0, 0)}
    assert total == (6, 3, 2)
    assert cov.total.missing == 3 and cov.total.percent == 50.0
    assert [r.percent for r in cov.rows] == [60.0, 0.0]


def test_drill_down_to_the_building(small_city, personas, a_round, city):
    user = personas["command"]
    w = city.w
    by_level = {
        w[L.COMMUNITY].key: {"第一网格": (5, 3, 2)},
        w[L.GRID].key: {"幸福小区": (5, 3, 2)},
        w[L.COMPOUND].key: {"1号楼": (3, 2, 2), "2号楼": (2, 1, 0)},
        w[L.BUILDING].key: {"1单元": (3, 2, 2)},
        small_city["b2"].key: {"1单元": (2, 1, 0)},
    }
    for key, expected in by_level.items():
        rows, total = _figures(coverage.round_coverage(user, a_round, key))
        assert rows == expected, key
        assert total == tuple(map(sum, zip(*expected.values(), strict=True))), key


def test_grid_worker_starts_at_their_grid_and_cannot_climb(small_city, personas, a_round, city):
    from django.http import Http404

    cov = coverage.round_coverage(personas["grid"], a_round)
    assert cov.node == city.w[L.GRID]
    assert _figures(cov) == ({"幸福小区": (5, 3, 2)}, (5, 3, 2))
    with pytest.raises(Http404):
        coverage.round_coverage(personas["grid"], a_round, city.w[L.STREET].key)
    with pytest.raises(Http404):
        coverage.round_coverage(personas["grid"], a_round, small_city["east"][L.COMMUNITY].key)


def test_missing_people_whom_to_call(small_city, personas, a_round, city):
    names = [p.name for p in coverage.missing_people(personas["street"], a_round)]
    assert sorted(names) == sorted(["王芳", "刘洋", "周敏"])
    at_grid = coverage.missing_people(personas["grid"], a_round)
    assert [p.name for p in at_grid] == ["王芳", "刘洋"]


def test_round_page_shows_figures_and_missing_list(small_city, login, personas, a_round, city):
    client = login(personas["street"])
    page = client.get(reverse("lab:round", args=[a_round.pk]))
    assert page.status_code == 200
    assert not page.context["cov"].shows_missing
    grid = client.get(reverse("lab:round", args=[a_round.pk]), {"place": city.w[L.GRID].key})
    assert [p.name for p in grid.context["missing"]] == ["王芳", "刘洋"]
    html = grid.content.decode()
    assert "幸福小区 2号楼 1单元" in html and "139****0022" in html and "13900000022" not in html
    assert reverse("people:resident", args=[small_city["liu"].pk]) in html
    lab_view = client.get(reverse("lab:round", args=[a_round.pk]), {"place": "nope"})
    assert lab_view.status_code == 404


def test_turnaround_table_loads_after_the_round_page(small_city, login, personas, a_round):
    client = login(personas["street"])
    url = reverse("lab:round_turnaround", args=[a_round.pk])
    assert f'hx-get="{url}"' in client.get(reverse("lab:round", args=[a_round.pk])).content.decode()
    with CaptureQueriesContext(connection) as ctx:
        table = client.get(url)
    # PostgreSQL sorts the hours with more memory: SAVEPOINT, SET LOCAL work_mem, RELEASE
    assert len(ctx.captured_queries) == TURNAROUND_QUERIES + (
        3 if connection.vendor == "postgresql" else 0
    )
    html = table.content.decode()
    assert (
        'id="turnaround"' in html
        and "许昌魏都检测中心" in html
        and '<td class="num">5.0</td>' in html
    )
    assert login(personas["outsider"]).get(url).status_code == 404


def test_missing_csv(small_city, login, personas, a_round, city):
    client = login(personas["street"])
    response = client.get(
        reverse("lab:round_missing", args=[a_round.pk]), {"place": city.w[L.GRID].key}
    )
    assert response.status_code == 200 and response["X-Row-Count"] == "2"
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    lines = text.strip().splitlines()
    assert len(lines) == 3
    assert "刘洋" in text and "139****0022" in text and "13900000022" not in text
    assert (
        login(personas["outsider"]).get(reverse("lab:round_missing", args=[a_round.pk])).status_code
        == 404
    )
    assert (
        login(personas["lab"]).get(reverse("lab:round_missing", args=[a_round.pk])).status_code
        == 403
    )


def test_coverage_api(small_city, personas, a_round, city):
    street = bearer_client(personas["street"])
    body = street.get(f"/api/rounds/{a_round.pk}/coverage").json()
    total = body["total"]
    assert (total["target"], total["sampled"], total["resulted"], total["missing"]) == (6, 3, 2, 3)
    rows = [
        (r["name"], r["target"], r["sampled"], r["resulted"], r["missing"]) for r in body["rows"]
    ]
    assert rows == [("西大社区", 5, 3, 2, 2), ("东关社区", 1, 0, 0, 1)]
    assert body["turnaround"] == [
        {
            "lab": "LAB-W",
            "target": "voluntary",
            "target_hours": 24,
            "tubes": 1,
            "median_hours": 5.0,
            "p90_hours": 5.0,
            "over_target": 0,
        }
    ]
    drilled = street.get(
        f"/api/rounds/{a_round.pk}/coverage", {"place": city.w[L.COMPOUND].code}
    ).json()
    assert [(r["name"], r["sampled"]) for r in drilled["rows"]] == [("1号楼", 2), ("2号楼", 1)]
    missing = street.get(f"/api/rounds/{a_round.pk}/missing", {"limit": 2}).json()
    assert len(missing["items"]) == 2 and missing["next_offset"] == 2
    rest = street.get(f"/api/rounds/{a_round.pk}/missing", {"limit": 2, "offset": 2}).json()
    names = {m["name"] for m in missing["items"] + rest["items"]}
    assert names == {"王芳", "刘洋", "周敏"} and rest["next_offset"] is None
    assert all("*" in m["phone"] for m in missing["items"])
    assert street.get(f"/api/rounds/{a_round.pk}/coverage", {"place": "x"}).status_code == 404
    assert (
        bearer_client(personas["lab"]).get(f"/api/rounds/{a_round.pk}/coverage").status_code == 403
    )


def test_coverage_page_query_count_does_not_grow_with_places(
    small_city, login, personas, a_round, city
):
    client = login(personas["street"])
    url = reverse("lab:round", args=[a_round.pk])

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    street = city.w[L.STREET]
    for i in range(3, 7):
        branch = community_branch(street, f"00{i}", [f"社区{i}", "网格", "小区", "楼", "单元"])
        for n in range(3):
            f.resident(branch[L.UNIT], f"居民{i}{n}")
    after = count()
    assert after == before
    assert before == PINNED_QUERIES, before


def test_rounds_list_query_count_does_not_grow_with_rounds(
    small_city, login, personas, a_round, city
):
    client = login(personas["street"])

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("lab:rounds")).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for i in range(5):
        Round.objects.create(
            name=f"轮{i}",
            area=city.w[L.COMMUNITY],
            division_key=city.w[L.COMMUNITY].key,
            pool_size=10,
            starts_at=ROUND_START,
            deadline=ROUND_START,
            created_by=personas["command"],
        )
    assert count() == before


# Turnaround ------------------------------------------------------------------------------


def test_turnaround_per_lab_and_target(city, a_lab, people):
    other = Lab.objects.create(
        code="LAB-2", name="二号", division=city.weidu, division_key=city.weidu.key
    )
    spans = [
        (a_lab, Purpose.ROUND, 5),
        (a_lab, Purpose.RETEST, 30),
        (a_lab, Purpose.FEVER_CLINIC, 4),
        (a_lab, Purpose.FEVER_CLINIC, 8),
        (other, Purpose.OUTPATIENT, 10),
    ]
    for i, (lab, purpose, hours) in enumerate(spans):
        t = make_tube(f"TA{i}", [people["zhang"]], purpose=purpose)
        give_result(
            t, Outcome.NEGATIVE, lab=lab, tested_at=t.collected_at + dt.timedelta(hours=hours)
        )
    make_tube("UNTESTED", [people["li"]])
    targets = {"fever_clinic": 6, "outpatient": 12, "voluntary": 24}
    out = coverage.turnaround(Tube.objects.all(), targets)
    got = [
        (t.lab.code, t.target_name, t.tubes, t.median_hours, t.p90_hours, t.over_target, t.on_time)
        for t in out
    ]
    assert got == [
        ("LAB-2", "outpatient", 1, 10.0, 10.0, 0, True),
        ("LAB-W", "fever_clinic", 2, 6.0, 8.0, 1, False),
        ("LAB-W", "voluntary", 2, 17.5, 30.0, 1, False),
    ]


def test_percentile_nearest_rank():
    values = [float(v) for v in range(1, 11)]
    assert coverage.percentile(values, 0.9) == 9.0
    assert coverage.percentile(values, 0.5) == 5.0
    assert coverage.percentile([], 0.9) == 0.0
    assert coverage.percentile([3.0], 0.9) == 3.0


def test_coverage_page_queries_listed(small_city, login, personas, a_round, city):
    """The pinned count, and no query per coverage row (each table is read once)."""
    client = login(personas["street"])
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("lab:round", args=[a_round.pk]))
    sql = [q["sql"] for q in ctx.captured_queries]
    assert len(sql) == PINNED_QUERIES
    assert sum('FROM "people_resident"' in s for s in sql) == 1
    assert sum('FROM "lab_roundtally"' in s for s in sql) == 1


# Running figures ----------------------------------------------------------------------------


def test_running_figures_follow_sampling_and_uploads(
    people, personas, a_round, a_site, a_lab, tmp_path
):
    """Sampling and uploads keep the round's figures; they equal a full recount."""

    sampler = personas["street"]
    pool = services.tube_open(
        actor=sampler, barcode="RF-1", round=a_round, site=a_site, capacity=10, purpose="round"
    )
    for person in (people["zhang"], people["li"]):
        services.tube_add_member(actor=sampler, tube=pool, person=person)
    single = services.tube_open(
        actor=sampler, barcode="RF-2", round=a_round, site=a_site, capacity=1, purpose="round"
    )
    services.tube_add_member(actor=sampler, tube=single, person=people["wang"])

    def figures():
        return sorted(
            RoundTally.objects.filter(round=a_round).values_list(
                "division_key", "sampled", "resulted"
            )
        )

    key = people["zhang"].division_key
    assert figures() == [(key, 3, 0)]
    path = tmp_path / "r.csv"
    tested = timezone.localtime() + dt.timedelta(minutes=1)
    path.write_text(f"试管编码,检测结果,Ct值,检测时间\nRF-1,阴性,,{tested:%Y-%m-%d %H:%M}\n")
    assert results_import(actor=personas["lab"], lab=a_lab, path=path).ok
    assert figures() == [(key, 3, 2)]
    tally.tallies_rebuild(a_round.pk)
    assert figures() == [(key, 3, 2)]


def test_a_tube_with_a_result_takes_no_one(people, personas, a_round, a_site, a_lab):
    from django.core.exceptions import ValidationError

    tube = make_tube("RF-3", [people["zhang"]], round=a_round, site=a_site, capacity=10)
    give_result(tube, Outcome.NEGATIVE, lab=a_lab, tested_at=tube.collected_at)
    with pytest.raises(ValidationError):
        services.tube_add_member(actor=personas["street"], tube=tube, person=people["li"])


def test_missing_csv_keeps_formulas_inert(small_city, login, personas, a_round, city, people):
    from tests.security.test_formula_injection import assert_csv_inert

    payloads = ['=HYPERLINK("http://x","y")', "-1+2"]
    for person, payload in zip((people["wang"], small_city["liu"]), payloads, strict=True):
        Resident.objects.filter(pk=person.pk).update(name=payload)
    response = login(personas["street"]).get(
        reverse("lab:round_missing", args=[a_round.pk]), {"place": city.w[L.GRID].key}
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert_csv_inert(rows, payloads)
