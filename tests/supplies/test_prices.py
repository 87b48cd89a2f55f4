"""Price and stock monitoring (issue 16, item 3): each light on constructed price series
(missing days included), the reasons in both languages, reports by file (row and column
errors, nothing half-imported, idempotent), by form and API, alerts not duplicated, scope."""

import datetime as dt
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from fangkong.audit.models import Event
from fangkong.command.figures import situation
from fangkong.command.places import node_for
from fangkong.policy.schema import PriceRules
from fangkong.supplies.models import Necessity, PriceAlert, PriceReport, Store
from fangkong.supplies.prices import lights as engine
from fangkong.supplies.prices import selectors, services
from fangkong.supplies.prices.reports_import import price_reports_import
from tests.api.conftest import bearer_client

D = dt.date(2022, 5, 20)
RULES = PriceRules.model_validate(
    {
        "change_days": 10,
        "report_max_age_days": 3,
        "bands": {
            "vegetables": {"yellow_above_pct": 10, "red_above_pct": 15},
            "pork": {"yellow_above_pct": 5, "red_above_pct": 10},
            "other": {"yellow_above_pct": 10, "red_above_pct": 15},
        },
        "stock_yellow_below_days": 7,
        "stock_red_below_days": 3,
    }
)
PORK = engine.Item(1, "猪肉", "Pork", "pork", 0.1)
CABBAGE = engine.Item(2, "大白菜", "Chinese cabbage", "vegetables", 0.1)
ITEMS = {1: PORK, 2: CABBAGE}
PLENTY = {"A": 100}  # 100 people × 0.1 a day = 10 a day


def _rows(item, prices, *, store=1, stock=1000.0, area="A"):
    """`prices`: {days before D: price}."""
    return [
        engine.Row(store, item.pk, area, D - dt.timedelta(days=ago), price, stock)
        for ago, price in prices.items()
    ]


def _light(rows, population=PLENTY):
    (light,) = engine.classify(rows, day=D, items=ITEMS, population=population, rules=RULES)
    return light


# The lights on constructed series ---------------------------------------------------------


def test_pork_up_more_than_ten_percent_in_ten_days_is_red_with_its_reason():
    light = _light(_rows(PORK, {10: 20.0, 5: 21.0, 0: 22.48}))
    assert light.level == engine.RED
    assert light.change.pct == 12.4
    assert light.reason("zh-hans") == "猪肉 10日涨幅 12.4% > 10%；库存可供 100 天 ≥ 7"
    assert light.reason("en").startswith("Pork 10-day rise 12.4% > 10%")


def test_pork_up_six_percent_is_yellow_and_vegetables_up_six_percent_green():
    assert _light(_rows(PORK, {10: 20.0, 0: 21.2})).level == engine.YELLOW
    green = _light(_rows(CABBAGE, {10: 2.0, 0: 2.12}))
    assert green.level == engine.GREEN
    assert "6% ≤ 10%" in green.reason("zh-hans")


def test_vegetables_between_ten_and_fifteen_percent_are_yellow_above_fifteen_red():
    assert _light(_rows(CABBAGE, {10: 2.0, 0: 2.22})).level == engine.YELLOW
    assert _light(_rows(CABBAGE, {10: 2.0, 0: 2.32})).level == engine.RED


def test_a_missing_base_day_takes_the_last_report_before_it_and_says_so():
    light = _light(_rows(PORK, {12: 20.0, 0: 22.5}))  # no report on D-10: D-12 stands in
    assert light.level == engine.RED
    assert light.change.earliest == D - dt.timedelta(days=12)
    assert "5月10日" in light.reason("zh-hans") and "5月8日" in light.reason("zh-hans")
    assert "on or before 10 May" in light.reason("en")


def test_a_base_older_than_the_reports_age_compares_nothing_and_the_light_is_the_stock():
    light = _light(_rows(PORK, {15: 10.0, 0: 22.5}))  # 15 days: beyond 10 + 3
    assert light.change is None
    assert light.level == engine.GREEN
    assert "no report on or before" in light.reason("en")


def test_a_missing_today_takes_yesterdays_report_within_its_age():
    light = _light(_rows(PORK, {10: 20.0, 2: 22.5}))
    assert light.level == engine.RED
    stale = _light(_rows(PORK, {10: 20.0, 5: 22.5}))  # 5 days old: no light now
    assert stale.level == engine.NONE
    assert "no report since" in stale.reason("en")


def test_a_store_reporting_only_now_does_not_move_the_change():
    rows = _rows(PORK, {10: 20.0, 0: 20.5}) + _rows(PORK, {0: 40.0}, store=2)
    light = _light(rows)
    assert light.change.pct == 2.5 and light.change.stores == 1
    assert light.stores == 2


def test_stock_under_three_days_is_red_under_seven_yellow():
    red = _light(_rows(CABBAGE, {10: 2.0, 0: 2.0}, stock=25.0))  # 25 / 10 a day
    assert red.level == engine.RED and red.stock_days == 2.5
    assert "库存可供 2.5 天 < 3" in red.reason("zh-hans")
    assert _light(_rows(CABBAGE, {10: 2.0, 0: 2.0}, stock=50.0)).level == engine.YELLOW


# Reports, files, alerts -------------------------------------------------------------------


@pytest.fixture
def store(firm, city):
    services.catalogue_install()  # the tests run without migrations
    return Store.objects.create(
        enterprise=firm, name="惠民西大街店", division=city.weidu, division_key=city.weidu.key
    )


@pytest.fixture
def other_store(other_firm, city):
    return Store.objects.create(
        enterprise=other_firm, name="建安批发", division=city.jianan, division_key=city.jianan.key
    )


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "prices.csv"
    path.write_text(text, "utf-8")
    return path


def _today(ago: int = 0) -> str:
    return (timezone.localdate() - dt.timedelta(days=ago)).isoformat()


def test_a_file_with_bad_rows_names_row_and_column_and_writes_nothing(
    tmp_path, store, personas, english
):
    text = (
        "监测点,品种,日期,单位,价格,库存,到货量\n"
        f"惠民西大街店,猪肉,{_today()},kg,25,100,10\n"
        f"惠民西大街店,龙肉,{_today()},kg,25,100,0\n"
        f"惠民西大街店,大米,{_today()},斤,3,100,0\n"
        f"惠民西大街店,鸡蛋,{_today()},kg,-2,100,0\n"
        f"惠民西大街店,大白菜,{_today()},kg,900,100,0\n"
    )
    result = price_reports_import(actor=personas["supply"], path=_write(tmp_path, text))
    assert not result.written
    found = {(e.row, e.column) for e in result.errors}
    assert found == {(3, "品种"), (4, "单位"), (5, "价格"), (6, "价格")}
    reasons = " ".join(e.reason for e in result.errors)
    assert "No item of the catalogue is called 龙肉" in reasons
    assert "negative" in reasons and "not a plausible price" in reasons
    assert not PriceReport.objects.exists()


def test_the_same_file_twice_changes_nothing(tmp_path, store, personas):
    text = (
        f"监测点,品种,日期,价格,库存\n{store.pk},pork,{_today()},25.5,100\n"
        f"惠民西大街店,鸡蛋,{_today()},12,300\n"
    )
    path = _write(tmp_path, text)
    first = price_reports_import(actor=personas["supply"], path=path)
    assert first.written and (first.created, first.changed) == (2, 0)
    again = price_reports_import(actor=personas["supply"], path=path)
    assert again.written and (again.created, again.changed) == (0, 0)
    assert PriceReport.objects.count() == 2


def test_an_enterprise_cannot_report_for_another_enterprises_store(
    tmp_path, store, other_store, personas, english
):
    text = f"监测点,品种,日期,价格,库存\n建安批发,猪肉,{_today()},25,100\n"
    result = price_reports_import(actor=personas["supply"], path=_write(tmp_path, text))
    assert [(e.row, e.column) for e in result.errors] == [(2, "监测点")]


def _report(actor, store, code, ago, price, stock=10_000):
    item = Necessity.objects.get(code=code)
    values, problems = services.report_problems(
        item, price=price, stock=stock, arrivals=0, day=timezone.localdate()
    )
    assert not problems
    day = timezone.localdate() - dt.timedelta(days=ago)
    services.price_reports_record(
        actor=actor,
        reports=[services.ReportIn(store, item, day, **values)],
        source="form",
    )


def test_a_red_light_opens_one_alert_and_recomputing_does_not_open_another(store, personas):
    supply = personas["supply"]
    _report(supply, store, "pork", 10, 20)
    _report(supply, store, "pork", 0, 23)
    alert = PriceAlert.objects.get()
    assert alert.area_id == store.division_id and alert.status == "open"
    assert "猪肉 10日涨幅 15% > 10%" in alert.reason["zh-hans"]
    _report(supply, store, "pork", 0, 24)  # the same day again: the same alert
    assert services.alerts_sync(days=[timezone.localdate()]) == 0
    assert PriceAlert.objects.count() == 1
    assert Event.objects.filter(action="price_alert.opened").count() == 1
    assert Event.objects.filter(action="price.reported").count() == 3
    services.alert_set_status(actor=personas["task_force"], alert=alert, status="resolved")
    assert Event.objects.filter(action="price_alert.resolved").count() == 1


def test_scope_outsider_sees_nothing_and_an_enterprise_only_its_own_stores(
    store, other_store, personas
):
    _report(personas["supply"], store, "pork", 10, 20)
    _report(personas["supply"], store, "pork", 0, 23)
    _report(personas["command"], other_store, "eggs", 0, 12)
    assert not selectors.reports_for_user(personas["outsider"]).filter(store=store).exists()
    assert not selectors.alerts_for_user(personas["outsider"]).exists()
    assert selectors.board_for(personas["outsider"]).lights == [] or all(
        lt.area.startswith(personas["outsider"].jurisdiction.key)
        for lt in selectors.board_for(personas["outsider"]).lights
    )
    own = selectors.reports_for_user(personas["supply"])
    assert set(own.values_list("store_id", flat=True)) == {store.pk}
    board = selectors.board_for(personas["task_force"])
    assert {lt.item.name_en for lt in board.lights} == {"Pork"}


def test_the_board_shows_the_red_light_and_its_reason(client, login, store, personas):
    _report(personas["supply"], store, "pork", 10, 20)
    _report(personas["supply"], store, "pork", 0, 23)
    login(personas["task_force"])
    with translation.override("zh-hans"):
        page = client.get(reverse("supplies:prices"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    assert "猪肉 10日涨幅 15% &gt; 10%" in page.content.decode()
    alerts = client.get(reverse("supplies:price_alerts"))
    assert 'data-alert="pork"' in alerts.content.decode()


def test_the_api_records_reports_and_gives_lights_scoped(store, other_store, personas):
    api = bearer_client(personas["supply"])
    body = {
        "reports": [
            {"store_id": store.pk, "item": "pork", "day": _today(10), "price": "20", "stock": "5"},
            {"store_id": store.pk, "item": "猪肉", "day": _today(), "price": "23", "stock": "5"},
        ]
    }
    answer = api.post("/api/price-reports", body, content_type="application/json")
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"created": 2, "changed": 0}
    bad = dict(body["reports"][0], store_id=other_store.pk)
    refused = api.post("/api/price-reports", {"reports": [bad]}, content_type="application/json")
    assert refused.status_code == 422
    unit = dict(body["reports"][0], unit="斤")
    refused = api.post("/api/price-reports", {"reports": [unit]}, content_type="application/json")
    assert refused.json()["detail"][0]["loc"][-1] == "reports.0.unit"
    lights = bearer_client(personas["task_force"]).get("/api/price-lights").json()
    assert lights["counts"]["red"] == 1
    assert lights["lights"][0]["reason_zh"].startswith("猪肉 10日涨幅 15% > 10%")
    assert bearer_client(personas["outsider"]).get("/api/price-lights").json()["lights"] == []


def test_the_command_dashboard_counts_the_alerts_open_at_its_moment(store, personas):
    _report(personas["supply"], store, "pork", 10, 20)
    _report(personas["supply"], store, "pork", 0, 23)
    node = node_for(personas["command"])
    assert situation(personas["command"], node, timezone.now()).total["price_red"] == 1
    before = timezone.now() - dt.timedelta(days=1)
    assert situation(personas["command"], node, before).total["price_red"] == 0
    alert = PriceAlert.objects.get()
    services.alert_set_status(actor=personas["task_force"], alert=alert, status="resolved")
    assert situation(personas["command"], node, timezone.now()).total["price_red"] == 0
    assert "price_red" not in situation(personas["hospital"], node, timezone.now()).total


def test_an_upload_without_a_file_is_a_documented_422(personas):
    """A request the API cannot read (no file) answers the validation error's shape, which the
    document names beside the import's own 422 (schemathesis found it undocumented)."""
    api = bearer_client(personas["supply"])
    refused = api.post("/api/price-reports/import", {})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"][-1] == "file"
    document = api.get("/api/openapi.json").json()
    answer = document["paths"]["/api/price-reports/import"]["post"]["responses"]["422"]
    shapes = answer["content"]["application/json"]["schema"]["anyOf"]
    assert {s["$ref"].rsplit("/", 1)[-1] for s in shapes} == {
        "PriceImportOut",
        "ValidationErrorOut",
    }
