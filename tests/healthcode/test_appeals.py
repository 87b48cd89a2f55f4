"""Appeals and manual overrides: filed, reviewed, decided with a reason, every step audited."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fangkong.audit.models import Event
from fangkong.core.roles import Role
from fangkong.healthcode.appeals import appeal_decide, appeal_file, code_override_create
from fangkong.healthcode.models import Appeal, CodeOverride, CodeStatus
from fangkong.healthcode.selectors import status_current
from fangkong.healthcode.store import recompute
from tests import factories as f
from tests.api.conftest import bearer_client
from tests.epi.conftest import make_case, make_contact

JSON = "application/json"


@pytest.fixture
def red_contact(people):
    today = timezone.localdate()
    case = make_case(people["zhang"], number="XA-2022-0043", sampled_on=today, reported_on=today)
    contact = make_contact(case, people["li"], last_exposure_on=today - dt.timedelta(days=1))
    recompute(person_ids=[people["li"].pk])
    return contact


@pytest.fixture
def appeal(people, red_contact) -> Appeal:
    return appeal_file(person=people["li"], statement="那天我不在家", contact_phone="13900000077")


@pytest.fixture
def jianan_tracer(city):
    """A tracing task-force member of 建安区: may decide appeals, but not 魏都区's."""
    return f.user("tf_jianan", Role.TASK_FORCE, city.jianan)


@pytest.fixture
def as_(personas, jianan_tracer):
    users = {**personas, "jianan_tracer": jianan_tracer}
    clients: dict[str, Client] = {}

    def _as(role: str) -> Client:
        if role not in clients:
            clients[role] = bearer_client(users[role])
        return clients[role]

    return _as


def field_of(exc: pytest.ExceptionInfo) -> list[str]:
    return list(exc.value.message_dict)


# ── services ────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("missing", ["reason", "basis"])
def test_an_override_without_reason_or_basis_is_refused(personas, people, missing):
    values = {"reason": "误判", "basis": "指挥部决定", missing: "  "}
    with pytest.raises(ValidationError) as exc:
        code_override_create(
            actor=personas["command"], person=people["li"], colour="green", **values
        )
    assert field_of(exc) == [missing]
    assert not CodeOverride.objects.exists()
    assert not Event.objects.exists()


def test_an_override_is_audited_and_decides_the_colour(personas, people, red_contact):
    until = timezone.now() + dt.timedelta(days=2)
    code_override_create(
        actor=personas["command"],
        person=people["li"],
        colour="yellow",
        reason="已核酸阴性，改居家",
        basis="区指挥部〔2022〕5号",
        valid_until=until,
    )
    code = status_current(people["li"])
    assert (code.colour, code.until) == ("yellow", until)
    event = Event.objects.get(action="code.overridden")
    assert (event.to_value, event.reason, event.basis) == (
        "yellow",
        "已核酸阴性，改居家",
        "区指挥部〔2022〕5号",
    )
    assert event.actor == personas["command"]


def test_an_override_needs_the_capability(personas, people):
    with pytest.raises(PermissionDenied):
        code_override_create(
            actor=personas["street"], person=people["li"], colour="green", reason="x", basis="y"
        )


def test_filing_an_appeal_records_the_appealed_colour_and_an_event(appeal, people):
    assert (appeal.colour_appealed, appeal.rule_appealed) == (
        "red",
        "close_contact_under_quarantine",
    )
    event = Event.objects.get(action="appeal.filed")
    assert (event.person_id, event.reason, event.actor_name) == (
        people["li"].pk,
        "那天我不在家",
        "self-service",
    )


def test_one_open_appeal_at_a_time_and_a_statement_is_required(appeal, people):
    with pytest.raises(ValidationError) as exc:
        appeal_file(person=people["li"], statement="再次申诉")
    assert field_of(exc) == ["statement"]
    with pytest.raises(ValidationError):
        appeal_file(person=people["wang"], statement=" ")


def test_an_upheld_appeal_corrects_the_colour_with_reason_and_basis(appeal, personas, people):
    decided = appeal_decide(
        actor=personas["task_force"], appeal=appeal, uphold=True, reason="轨迹核实不在场"
    )
    assert (decided.status, decided.decision) == ("upheld", "轨迹核实不在场")
    assert decided.decided_by == personas["task_force"]
    override = CodeOverride.objects.get()
    assert (override.colour, override.reason, override.basis) == (
        "green",
        "轨迹核实不在场",
        f"appeal #{appeal.pk}",
    )
    code = CodeStatus.objects.get(person=people["li"])
    assert (code.colour, code.rule) == ("green", "manual_override")
    # the correction lasts as long as the wrongly given colour would have
    assert override.valid_until == code.until and code.until is not None
    event = Event.objects.get(action="appeal.decided")
    assert (event.from_value, event.to_value, event.reason, event.basis) == (
        "open",
        "upheld",
        "轨迹核实不在场",
        f"appeal #{appeal.pk}",
    )
    change = Event.objects.filter(action="code.changed").latest("id")
    assert (change.from_value, change.to_value) == ("red", "green")


def test_a_rejected_appeal_keeps_the_colour(appeal, personas, people):
    appeal_decide(actor=personas["task_force"], appeal=appeal, uphold=False, reason="监控显示在场")
    appeal.refresh_from_db()
    assert (appeal.status, appeal.decision) == ("rejected", "监控显示在场")
    assert status_current(people["li"]).colour == "red"
    assert not CodeOverride.objects.exists()
    event = Event.objects.get(action="appeal.decided")
    assert (event.to_value, event.reason) == ("rejected", "监控显示在场")


def test_a_decision_needs_a_reason_and_happens_once(appeal, personas):
    with pytest.raises(ValidationError) as exc:
        appeal_decide(actor=personas["task_force"], appeal=appeal, uphold=False, reason="")
    assert field_of(exc) == ["reason"]
    appeal_decide(actor=personas["task_force"], appeal=appeal, uphold=False, reason="不成立")
    with pytest.raises(ValidationError) as again:
        appeal_decide(actor=personas["task_force"], appeal=appeal, uphold=True, reason="改判")
    assert field_of(again) == ["decision"]


# ── the reviewers' page ─────────────────────────────────────────────────────


def test_reviewers_see_open_appeals_with_the_current_status_and_why(login, personas, appeal):
    page = login(personas["task_force"]).get(reverse("healthcode:appeals"))
    assert page.status_code == 200
    (row,) = page.context["rows"]
    assert row == appeal and row.code.colour == "red"
    assert any("XA-2022-0043" in s for s in row.explanation)
    assert "那天我不在家" in page.content.decode()


def test_deciding_from_the_page(login, personas, appeal, people):
    client = login(personas["command"])
    url = reverse("healthcode:appeal_decide", args=[appeal.pk])
    client.post(url, {"decision": "uphold", "colour": "green", "reason": ""})
    appeal.refresh_from_db()
    assert appeal.status == "open"
    client.post(url, {"decision": "uphold", "colour": "green", "reason": "核实不在场"})
    appeal.refresh_from_db()
    assert appeal.status == "upheld"
    assert status_current(people["li"]).colour == "green"
    assert client.get(reverse("healthcode:appeals")).context["rows"] == []
    decided = client.get(reverse("healthcode:appeals"), {"status": "upheld"}).context["rows"]
    assert decided == [appeal]


def test_appeals_page_roles_and_jurisdiction(login, personas, appeal, jianan_tracer):
    for role in Role:
        response = login(personas[role.value]).get(reverse("healthcode:appeals"))
        expected = 200 if role.value in {"command", "task_force"} else 403
        assert response.status_code == expected, role.value
    assert login(jianan_tracer).get(reverse("healthcode:appeals")).context["rows"] == []
    url = reverse("healthcode:appeal_decide", args=[appeal.pk])
    data = {"decision": "uphold", "colour": "green", "reason": "x"}
    assert login(jianan_tracer).post(url, data).status_code == 404
    assert login(personas["street"]).post(url, data).status_code == 403
    assert login(personas["supply"]).post(url, data).status_code == 403
    appeal.refresh_from_db()
    assert appeal.status == "open"
    assert not Event.objects.filter(action="appeal.decided").exists()


# ── API ─────────────────────────────────────────────────────────────────────


def test_appeals_api_lists_by_status_and_decides(as_, appeal, people):
    client = as_("task_force")
    listed = client.get("/api/appeals", {"status": "open"}).json()
    (item,) = listed["items"]
    assert (item["id"], item["person_id"], item["status"]) == (appeal.pk, people["li"].pk, "open")
    assert item["current"]["colour"] == "red" and item["current"]["explanation"]

    missing = client.post(
        f"/api/appeals/{appeal.pk}/decide", {"decision": "reject"}, content_type=JSON
    )
    assert missing.status_code == 422
    assert [e["loc"] for e in missing.json()["detail"]] == [["body", "reason"]]

    done = client.post(
        f"/api/appeals/{appeal.pk}/decide",
        {"decision": "uphold", "reason": "核实不在场", "colour": "green"},
        content_type=JSON,
    )
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["current"]["colour"]) == ("upheld", "green")
    assert client.get("/api/appeals", {"status": "open"}).json()["items"] == []
    assert len(client.get("/api/appeals").json()["items"]) == 1


def test_appeals_api_roles_and_jurisdiction(as_, appeal):
    assert as_("jianan_tracer").get("/api/appeals").json()["items"] == []
    decide = f"/api/appeals/{appeal.pk}/decide"
    body = {"decision": "reject", "reason": "x"}
    assert as_("jianan_tracer").post(decide, body, content_type=JSON).status_code == 404
    for role in ("street", "grid", "hospital", "supply"):
        assert as_(role).get("/api/appeals").status_code == 403, role
        assert as_(role).post(decide, body, content_type=JSON).status_code == 403, role
    appeal.refresh_from_db()
    assert appeal.status == "open"


# ── the appellant's phone: masked, revealed one at a time with a reason ─────


def test_the_appeals_page_masks_the_appellants_phone(login, personas, appeal):
    page = login(personas["task_force"]).get(reverse("healthcode:appeals")).content.decode()
    assert "13900000077" not in page
    assert "139****0077" in page
    assert reverse("healthcode:appeal_reveal_phone", args=[appeal.pk]) in page


def test_revealing_the_appellants_phone_needs_a_reason_and_lands_in_their_history(
    login, personas, appeal, people
):
    client = login(personas["task_force"])
    url = reverse("healthcode:appeal_reveal_phone", args=[appeal.pk])
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 400 and "13900000077" not in refused.content.decode()
    assert not Event.objects.filter(action="pii.revealed").exists()
    shown = client.post(url, {"reason": "回电核实"})
    assert shown.status_code == 200 and "13900000077" in shown.content.decode()
    event = Event.objects.get(action="pii.revealed")
    assert (event.person_id, event.field, event.reason) == (
        people["li"].pk,
        "contact_phone",
        "回电核实",
    )
    assert event.division_key == people["li"].division_key


def test_revealing_the_appellants_phone_is_scoped_and_needs_the_capability(
    login, personas, appeal, jianan_tracer
):
    url = reverse("healthcode:appeal_reveal_phone", args=[appeal.pk])
    assert login(jianan_tracer).post(url, {"reason": "x"}).status_code == 404
    assert login(personas["street"]).post(url, {"reason": "x"}).status_code == 403
    assert not Event.objects.filter(action="pii.revealed").exists()


def test_the_appeals_api_masks_the_phone_and_reveals_it_with_a_reason(as_, appeal, people):
    client = as_("task_force")
    listed = client.get("/api/appeals").content.decode()
    assert "13900000077" not in listed and "139****0077" in listed
    url = f"/api/appeals/{appeal.pk}"
    assert "13900000077" not in client.get(url).content.decode()
    missing = client.get(url, {"reveal": "contact_phone"})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["query", "reason"]
    shown = client.get(url, {"reveal": "contact_phone", "reason": "回电"})
    assert shown.json()["contact_phone"] == "13900000077"
    assert shown.json()["revealed"] == ["contact_phone"]
    assert Event.objects.get(action="pii.revealed").person_id == people["li"].pk
    assert as_("jianan_tracer").get(url).status_code == 404
