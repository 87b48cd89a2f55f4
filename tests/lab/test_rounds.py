"""Testing rounds and sampling sites: starting under each profile, closing, pages, API, scope."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from fangkong.audit.models import Event
from fangkong.lab.models import RoundStatus, SamplingSite
from fangkong.lab.models import TestingRound as Round
from fangkong.lab.rounds import services
from fangkong.policy.models import PolicyProfile
from tests import factories as f
from tests.api.conftest import bearer_client
from tests.lab.conftest import ROUND_START

pytestmark = pytest.mark.usefixtures("english")

NINTH = "9th-edition"
TWENTY = "20-measures"
WHY = "源头不明：西大社区新增两例，传播链未查清"


def use_profile(code: str) -> None:
    PolicyProfile.objects.update(is_active=False)
    PolicyProfile.objects.filter(code=code).update(is_active=True)


def start(actor, area, **kw):
    fields = {"name": "第二轮", "reason": WHY, "starts_at": ROUND_START}
    fields.update(kw)
    return services.round_start(actor=actor, area=area, **fields)


# Starting a round ------------------------------------------------------------------------


def test_round_takes_pool_size_and_deadline_from_the_profile(personas, city, a_site):
    use_profile(TWENTY)
    r = start(personas["command"], city.weidu, sites=[a_site])
    assert r.pool_size == 10
    assert r.deadline - r.starts_at == dt.timedelta(hours=24)
    assert r.status == RoundStatus.OPEN and r.profile_code == TWENTY
    assert list(r.sites.all()) == [a_site]
    event = Event.objects.get(action="round.started")
    assert event.reason == WHY and event.data["pool_size"] == 10
    assert event.division_key == city.weidu.key


def test_round_page_names_its_profile_not_its_code(login, personas, city, a_site):
    use_profile(TWENTY)
    r = start(personas["command"], city.weidu, sites=[a_site])
    page = login(personas["command"]).get(reverse("lab:round", args=[r.pk])).content.decode()
    assert "Twenty measures to further optimise COVID-19 prevention and control" in page
    assert TWENTY not in page


def test_a_changed_profile_changes_the_deadline_and_pool_sizes(personas, city):
    profile = PolicyProfile.objects.get(code=NINTH)
    rules = dict(profile.rules)
    rules["testing"] = {**rules["testing"], "round_deadline_hours": 12, "pool_sizes": [5, 20]}
    rules["testing"]["default_pool_size"] = 20
    PolicyProfile.objects.filter(pk=profile.pk).update(rules=rules)
    use_profile(NINTH)
    r = start(personas["command"], city.weidu, reason="")
    assert (r.pool_size, r.deadline - r.starts_at) == (20, dt.timedelta(hours=12))
    with pytest.raises(ValidationError) as exc:
        start(personas["command"], city.jianan, pool_size=10)
    assert "5, 20" in exc.value.message_dict["pool_size"][0]


@pytest.mark.parametrize("size", [5, 10, 20])
def test_each_validated_pool_size_is_accepted(personas, city, size):
    assert start(personas["command"], city.weidu, pool_size=size).pool_size == size


@pytest.mark.parametrize("size", [0, 3, 15, 50])
def test_pool_sizes_the_profile_does_not_list_are_refused(personas, city, size):
    with pytest.raises(ValidationError) as exc:
        start(personas["command"], city.weidu, pool_size=size)
    assert "pool_size" in exc.value.message_dict
    assert not Round.objects.exists()


def test_twenty_measures_require_a_reason_why_the_source_is_unclear(personas, city):
    use_profile(TWENTY)
    for reason in ["", "   "]:
        with pytest.raises(ValidationError) as exc:
            start(personas["command"], city.weidu, reason=reason)
        assert "source or chain" in exc.value.message_dict["reason"][0]
    assert not Round.objects.exists()


def test_ninth_edition_starts_a_round_by_area_without_a_reason(personas, city):
    use_profile(NINTH)
    assert start(personas["command"], city.weidu, reason="").reason == ""


def test_twenty_measures_allow_one_round_a_day_per_area(personas, city):
    use_profile(TWENTY)
    start(personas["command"], city.weidu)
    with pytest.raises(ValidationError) as exc:
        start(personas["command"], city.weidu, starts_at=ROUND_START + dt.timedelta(hours=6))
    assert "area" in exc.value.message_dict
    # another area the same day, and the same area the next day, are fine
    start(personas["command"], city.jianan)
    start(personas["command"], city.weidu, starts_at=ROUND_START + dt.timedelta(days=1))
    assert Round.objects.count() == 3


def test_ninth_edition_has_no_daily_limit(personas, city):
    use_profile(NINTH)
    start(personas["command"], city.weidu)
    start(personas["command"], city.weidu, starts_at=ROUND_START + dt.timedelta(hours=2))
    assert Round.objects.count() == 2


def test_round_needs_a_name_and_an_area_in_scope(personas, city):
    with pytest.raises(ValidationError) as exc:
        start(personas["command"], city.weidu, name=" ")
    assert "name" in exc.value.message_dict
    outsider_command = f.user("cmd_j", "command", city.jianan)
    with pytest.raises(ValidationError) as exc:
        start(outsider_command, city.weidu)
    assert "area" in exc.value.message_dict


def test_only_the_command_centre_starts_rounds(personas, city):
    from django.core.exceptions import PermissionDenied

    for role in ["task_force", "street", "grid", "lab", "supply"]:
        with pytest.raises(PermissionDenied):
            start(personas[role], city.weidu)


def test_close_a_round_once(personas, a_round):
    services.round_close(actor=personas["command"], round=a_round, reason="完成")
    a_round.refresh_from_db()
    assert a_round.status == RoundStatus.CLOSED and a_round.closed_at is not None
    with pytest.raises(ValidationError):
        services.round_close(actor=personas["command"], round=a_round)
    assert Event.objects.filter(action="round.closed").count() == 1


def test_site_create_checks_code_and_place(personas, city):
    street = city.w[f.Level.STREET]
    site = services.site_create(
        actor=personas["command"], code="site-2", name="二号点", division=street
    )
    assert (site.code, site.division_key) == ("SITE-2", street.key)
    with pytest.raises(ValidationError) as exc:
        services.site_create(actor=personas["command"], code="SITE-2", name="x", division=street)
    assert "code" in exc.value.message_dict
    assert Event.objects.filter(action="site.created").count() == 1


# Pages -----------------------------------------------------------------------------------


def test_round_list_shows_status_area_deadline_and_coverage(login, personas, a_round, people):
    page = login(personas["street"]).get(reverse("lab:rounds"))
    assert page.status_code == 200
    [row] = page.context["rows"]
    assert row.pk == a_round.pk
    assert (row.view_sampled, row.view_target, row.view_percent) == (0, 3, 0.0)
    html = page.content.decode()
    assert "魏都第一轮" in html and "西大街街道" in html and "2022-05-08 08:00" in html


def test_start_round_form(login, personas, city, a_site):
    client = login(personas["command"])
    form = client.get(reverse("lab:round_new"))
    assert form.status_code == 200
    assert [c[0] for c in form.context["form"].fields["pool_size"].choices] == [5, 10, 20]
    refused = client.post(
        reverse("lab:round_new"),
        {"name": "全员", "area": city.weidu.code, "reason": "", "pool_size": 10},
    )
    assert "reason" in refused.context["form"].errors
    done = client.post(
        reverse("lab:round_new"),
        {
            "name": "全员",
            "area": city.weidu.code,
            "reason": WHY,
            "pool_size": 20,
            "sites": [a_site.pk],
        },
    )
    r = Round.objects.get(name="全员")
    assert done["Location"] == reverse("lab:round", args=[r.pk])
    assert r.pool_size == 20 and list(r.sites.all()) == [a_site]


def test_start_round_form_refuses_an_area_outside_scope(login, city):
    cmd_j = f.user("cmd_j", "command", city.jianan)
    page = login(cmd_j).post(
        reverse("lab:round_new"),
        {"name": "越界", "area": city.weidu.code, "reason": WHY, "pool_size": 10},
    )
    assert "area" in page.context["form"].errors
    assert not Round.objects.exists()


def test_round_page_and_close_button(login, personas, a_round, people):
    client = login(personas["command"])
    page = client.get(reverse("lab:round", args=[a_round.pk]))
    assert page.status_code == 200 and page.context["can_manage"]
    client.post(reverse("lab:round_close", args=[a_round.pk]), {"reason": "完成"})
    a_round.refresh_from_db()
    assert a_round.status == RoundStatus.CLOSED
    street_page = login(personas["street"]).get(reverse("lab:round", args=[a_round.pk]))
    assert not street_page.context["can_manage"]


def test_round_pages_scope(login, personas, a_round, people):
    outsider = login(personas["outsider"])
    assert outsider.get(reverse("lab:rounds")).context["rows"] == []
    assert outsider.get(reverse("lab:round", args=[a_round.pk])).status_code == 404
    assert outsider.get(reverse("lab:round_missing", args=[a_round.pk])).status_code == 404
    assert outsider.post(reverse("lab:round_close", args=[a_round.pk])).status_code == 403
    for role in ["supply", "lab", "hospital", "quarantine", "hotline"]:
        client = login(personas[role])
        assert client.get(reverse("lab:round", args=[a_round.pk])).status_code == 403, role
        assert client.get(reverse("lab:round_new")).status_code == 403, role
    assert login(personas["street"]).get(reverse("lab:round_new")).status_code == 403


def test_grid_worker_sees_the_street_round(login, personas, a_round):
    page = login(personas["grid"]).get(reverse("lab:rounds"))
    assert [r.pk for r in page.context["rows"]] == [a_round.pk]


def test_site_page(login, personas, city, a_site):
    client = login(personas["command"])
    assert [s.code for s in client.get(reverse("lab:sites")).context["rows"]] == ["SITE-W"]
    done = client.post(
        reverse("lab:sites"),
        {"code": "SITE-2", "name": "二号点", "place": city.w[f.Level.COMMUNITY].code},
    )
    assert done.status_code == 302
    assert SamplingSite.objects.filter(code="SITE-2").exists()
    assert login(personas["outsider"]).get(reverse("lab:sites")).context["rows"] == []
    assert login(personas["lab"]).get(reverse("lab:sites")).status_code == 200
    street = login(personas["street"]).post(
        reverse("lab:sites"), {"code": "S3", "name": "x", "place": city.weidu.code}
    )
    assert street.status_code == 403
    assert login(personas["supply"]).get(reverse("lab:sites")).status_code == 403


# API -------------------------------------------------------------------------------------


def test_api_rounds(personas, city, a_site, a_round):
    command = bearer_client(personas["command"])
    created = command.post(
        "/api/rounds",
        {
            "name": "建安一轮",
            "area": city.jianan.code,
            "reason": WHY,
            "pool_size": 5,
            "sites": [],
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["pool_size"] == 5 and body["area"]["name"] == "建安区"
    refused = command.post(
        "/api/rounds",
        {"name": "x", "area": city.weidu.code, "reason": "", "pool_size": 7},
        content_type="application/json",
    )
    assert refused.status_code == 422
    locs = {tuple(e["loc"]) for e in refused.json()["detail"]}
    assert locs == {("body", "pool_size")}
    street = bearer_client(personas["street"])
    assert [r["name"] for r in street.get("/api/rounds").json()["items"]] == ["魏都第一轮"]
    detail = street.get(f"/api/rounds/{a_round.pk}").json()
    assert detail["sites"] == ["SITE-W"]
    assert (
        street.post(
            f"/api/rounds/{a_round.pk}/close", {}, content_type="application/json"
        ).status_code
        == 403
    )
    closed = command.post(
        f"/api/rounds/{a_round.pk}/close", {"reason": "完成"}, content_type="application/json"
    )
    assert closed.json()["status"] == "closed"


def test_api_rounds_scope(personas, a_round, city):
    outsider = bearer_client(personas["outsider"])
    assert outsider.get("/api/rounds").json()["items"] == []
    for path in ["", "/coverage", "/missing"]:
        assert outsider.get(f"/api/rounds/{a_round.pk}{path}").status_code == 404, path
    supply = bearer_client(personas["supply"])
    assert supply.get("/api/rounds").status_code == 403
    assert supply.get(f"/api/rounds/{a_round.pk}/coverage").status_code == 403
    assert (
        supply.post(
            "/api/rounds",
            {"name": "x", "area": city.weidu.code, "reason": WHY},
            content_type="application/json",
        ).status_code
        == 403
    )


def test_api_sites(personas, city, a_site):
    command = bearer_client(personas["command"])
    created = command.post(
        "/api/sites",
        {"code": "SITE-J", "name": "建安点", "place": city.jianan.code},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["place"]["code"] == city.jianan.code
    assert [
        s["code"] for s in bearer_client(personas["lab"]).get("/api/sites").json()["items"]
    ] == ["SITE-W"]
    assert [
        s["code"] for s in bearer_client(personas["outsider"]).get("/api/sites").json()["items"]
    ] == ["SITE-J"]
    assert bearer_client(personas["supply"]).get("/api/sites").status_code == 403
    assert (
        bearer_client(personas["street"])
        .post(
            "/api/sites",
            {"code": "X", "name": "x", "place": city.weidu.code},
            content_type="application/json",
        )
        .status_code
        == 403
    )
