"""Health-code pages and API: the staff page, overrides, public verification, a person's own
page; who may open what (role × jurisdiction)."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fangkong.audit.models import Event
from fangkong.core.roles import Role
from fangkong.epi.models import ExposureRelation
from fangkong.healthcode.models import Appeal, CodeOverride, CodeStatus
from fangkong.healthcode.store import recompute
from fangkong.quarantine.measures.services import measure_start
from tests import factories as f
from tests.api.conftest import bearer_client
from tests.epi.conftest import make_case, make_contact

JSON = "application/json"
CODE_VIEWERS = {"command", "task_force", "street", "grid", "hospital", "hotline"}


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def red_contact(people, city):
    """李秀英: close contact of 张伟's case XA-2022-0043 at 胖东来超市, exposed yesterday."""
    today = timezone.localdate()
    case = make_case(people["zhang"], number="XA-2022-0043", sampled_on=today, reported_on=today)
    venue = f.venue(city.w[f.Level.COMPOUND], "V-0001", "胖东来超市")
    contact = make_contact(
        case,
        people["li"],
        relation=ExposureRelation.VENUE,
        venue=venue,
        last_exposure_on=today - dt.timedelta(days=1),
    )
    recompute(person_ids=[people["li"].pk, people["zhang"].pk])
    return contact


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def as_(personas):
    clients: dict[str, Client] = {}

    def _as(role: str) -> Client:
        if role not in clients:
            clients[role] = bearer_client(personas[role])
        return clients[role]

    return _as


def status_url(person) -> str:
    return reverse("healthcode:status", args=[person.pk])


# ── the staff page ──────────────────────────────────────────────────────────


def test_staff_page_shows_colour_explanation_history_and_a_qr_code(
    login, personas, people, red_contact, english
):
    page = login(personas["street"]).get(status_url(people["li"]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-colour="red"' in html
    assert "close contact of case XA-2022-0043" in html and "胖东来超市" in html
    assert "<svg" in html and page.context["code"].verify_token in html
    assert [e.action for e in page.context["events"]] == ["code.changed"]


def test_resident_page_links_to_the_health_code(login, personas, people, red_contact):
    html = login(personas["grid"]).get(reverse("people:resident", args=[people["li"].pk]))
    content = html.content.decode()
    assert 'data-colour="red"' in content and status_url(people["li"]) in content


def test_override_from_the_page_needs_reason_and_basis(login, personas, people, red_contact):
    client = login(personas["command"])
    url = reverse("healthcode:status_override", args=[people["li"].pk])
    for missing in ("reason", "basis"):
        data = {"colour": "green", "reason": "误判", "basis": "指挥部决定", missing: ""}
        response = client.post(url, data)
        assert response.status_code == 400
        assert missing in response.context["form"].errors
    assert not CodeOverride.objects.exists()

    done = client.post(url, {"colour": "green", "reason": "误判", "basis": "指挥部决定"})
    assert done.status_code == 302
    code = CodeStatus.objects.get(person=people["li"])
    assert (code.colour, code.rule, code.overridden) == ("green", "manual_override", True)
    change = Event.objects.filter(action="code.changed", person_id=people["li"].pk).latest("id")
    assert (change.from_value, change.to_value, change.basis) == ("red", "green", "指挥部决定")


def test_revoking_an_override_restores_the_derived_colour(login, personas, people, red_contact):
    client = login(personas["command"])
    client.post(
        reverse("healthcode:status_override", args=[people["li"].pk]),
        {"colour": "green", "reason": "误判", "basis": "指挥部决定"},
    )
    override = CodeOverride.objects.get()
    client.post(
        reverse("healthcode:override_revoke", args=[override.pk]), {"reason": "复核仍为密接"}
    )
    override.refresh_from_db()
    assert override.revoked_at is not None
    assert CodeStatus.objects.get(person=people["li"]).colour == "red"
    revoked = Event.objects.get(action="code.override_revoked")
    assert revoked.reason == "复核仍为密接" and revoked.basis == "指挥部决定"


# ── public verification ─────────────────────────────────────────────────────


def test_verification_page_shows_only_initial_colour_and_validity(client, people, red_contact):
    li = people["li"]
    token = CodeStatus.objects.get(person=li).verify_token
    page = client.get(reverse("public:verify", args=[token]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "李*" in html and 'data-colour="red"' in html
    until = CodeStatus.objects.get(person=li).until - dt.timedelta(days=1)
    assert timezone.localtime(until).strftime("%Y-%m-%d") in html
    for secret in (li.name, li.id_number, li.phone, "XA-2022-0043", "胖东来超市", "close contact"):
        assert secret not in html, secret


def test_verification_api_is_public_and_minimal(client, people, red_contact):
    token = CodeStatus.objects.get(person=people["li"]).verify_token
    body = client.get(f"/api/verify/{token}").json()
    assert set(body) == {"name", "colour", "colour_label", "checked_at", "until"}
    assert (body["name"], body["colour"]) == ("李*", "red")
    assert client.get("/api/verify/nope").status_code == 404
    assert client.get(reverse("public:verify", args=["nope"])).status_code == 404


def test_a_green_person_gets_a_token_when_staff_open_their_page(login, personas, people, client):
    login(personas["street"]).get(status_url(people["wang"]))
    code = CodeStatus.objects.get(person=people["wang"])
    assert code.colour == "green"
    page = Client().get(reverse("public:verify", args=[code.verify_token]))
    assert "王*" in page.content.decode() and 'data-colour="green"' in page.content.decode()


# ── a person's own page ─────────────────────────────────────────────────────


def my_code(client, id_number, phone):
    return client.post(reverse("public:my_code"), {"id_number": id_number, "phone": phone})


def test_my_code_needs_both_id_number_and_phone(english, people, red_contact):
    li = people["li"]
    assert my_code(english, li.id_number, "13900000000").status_code == 200
    assert my_code(english, li.id_number, "").status_code == 200
    assert my_code(english, "", li.phone).status_code == 200
    assert "my_code" not in english.session

    assert my_code(english, li.id_number.lower(), li.phone).status_code == 302
    page = english.get(reverse("public:my_code"))
    html = page.content.decode()
    assert 'data-colour="red"' in html
    assert "you are a close contact of an infected person" in html
    for other in ("XA-2022-0043", "胖东来超市", "张伟"):
        assert other not in html


@pytest.mark.parametrize(
    ("language", "phase", "whole"),
    [
        ("en", "now in the centralised quarantine phase until {}", "the whole measure until {}"),
        ("zh-hans", "当前集中隔离阶段至 {}", "整个管控措施至 {}"),
    ],
)
def test_my_code_says_which_end_date_is_which(
    client, login, personas, people, red_contact, language, phase, whole
):
    """A close contact in a site has two red reasons: the centralised phase ends first, the
    whole measure later; the person's page and the staff page say which date is which."""
    li, exposed = people["li"], red_contact.last_exposure_on
    measure_start(
        actor=personas["task_force"],
        person=li,
        category="close_contact",
        anchor_on=exposed,
        today=timezone.localdate(),
    )
    phase_ends, measure_ends = exposed + dt.timedelta(days=5), exposed + dt.timedelta(days=8)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    my_code(client, li.id_number, li.phone)
    staff = login(personas["street"])
    staff.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    pages = [client.get(reverse("public:my_code")), staff.get(status_url(li))]
    for page in pages:
        why = re.search(r'<ol class="why">(.*?)</ol>', page.content.decode(), re.S).group(1)
        reasons = re.findall(r"<li>(.*?)</li>", why, re.S)
        assert len(reasons) == 2
        assert whole.format(measure_ends) in reasons[0]
        assert phase.format(phase_ends) in reasons[1] and whole.format(measure_ends) in reasons[1]


def test_my_code_throttles_attempts_per_address(client, people, red_contact):
    li = people["li"]
    for _ in range(10):
        assert my_code(client, li.id_number, "13900000000").status_code == 200
    blocked = my_code(client, li.id_number, li.phone)
    assert blocked.status_code == 429
    assert "my_code" not in client.session
    other_address = Client(REMOTE_ADDR="10.0.0.2")
    assert my_code(other_address, li.id_number, li.phone).status_code == 302


def test_a_person_files_an_appeal_from_their_page(english, people, red_contact):
    li = people["li"]
    my_code(english, li.id_number, li.phone)
    url = reverse("public:my_code_appeal")
    assert english.post(url, {"statement": ""}).status_code == 200
    english.post(url, {"statement": "那天我不在超市", "contact_phone": "13900000077"})
    appeal = Appeal.objects.get()
    assert (appeal.person, appeal.colour_appealed, appeal.status) == (li, "red", "open")
    assert appeal.rule_appealed == "close_contact_under_quarantine"
    event = Event.objects.get(action="appeal.filed")
    assert event.person_id == li.pk and event.actor is None
    assert "under review" in english.get(reverse("public:my_code")).content.decode()


def test_appeal_without_looking_up_first_goes_back_to_the_form(client, people):
    response = client.post(reverse("public:my_code_appeal"), {"statement": "x"})
    assert response.status_code == 302 and not Appeal.objects.exists()


# ── API ─────────────────────────────────────────────────────────────────────


def test_code_status_api_gives_colour_rule_dates_explanation_and_facts(as_, people, red_contact):
    body = as_("street").get(f"/api/people/{people['li'].pk}/code-status").json()
    assert (body["colour"], body["rule"]) == ("red", "close_contact_under_quarantine")
    assert body["since"] and body["until"]
    assert body["explanation"] and body["facts"][0]["case"] == "XA-2022-0043"


def test_override_api_names_the_missing_field(as_, people, red_contact):
    url = f"/api/people/{people['li'].pk}/code-override"
    client = as_("command")
    for missing in ("reason", "basis"):
        body = {"colour": "green", "reason": "误判", "basis": "指挥部决定"}
        del body[missing]
        response = client.post(url, body, content_type=JSON)
        assert response.status_code == 422
        assert [e["loc"] for e in response.json()["detail"]] == [["body", missing]]
    assert not CodeOverride.objects.exists()
    done = client.post(
        url, {"colour": "green", "reason": "误判", "basis": "指挥部决定"}, content_type=JSON
    )
    assert done.status_code == 201 and done.json()["colour"] == "green"
    assert done.json()["rule"] == "manual_override"


# ── who may open what ───────────────────────────────────────────────────────


def test_status_page_roles_and_jurisdiction(login, personas, people, red_contact):
    for role in Role:
        response = login(personas[role.value]).get(status_url(people["li"]))
        expected = 200 if role.value in CODE_VIEWERS else 403
        assert response.status_code == expected, role.value
    assert login(personas["outsider"]).get(status_url(people["li"])).status_code == 404


def test_only_override_holders_in_scope_may_override(login, personas, people, city, red_contact):
    url = reverse("healthcode:status_override", args=[people["li"].pk])
    data = {"colour": "green", "reason": "误判", "basis": "指挥部决定"}
    for role in ("street", "grid", "hospital", "supply"):
        assert login(personas[role]).post(url, data).status_code == 403, role
    assert login(personas["outsider"]).post(url, data).status_code == 404
    jianan_command = f.user("cmd_jianan", Role.COMMAND, city.jianan)
    assert login(jianan_command).post(url, data).status_code == 404
    assert not CodeOverride.objects.exists()


def test_outsider_cannot_revoke_an_override(login, personas, people, red_contact):
    login(personas["command"]).post(
        reverse("healthcode:status_override", args=[people["li"].pk]),
        {"colour": "green", "reason": "误判", "basis": "指挥部决定"},
    )
    override = CodeOverride.objects.get()
    url = reverse("healthcode:override_revoke", args=[override.pk])
    assert login(personas["outsider"]).post(url, {"reason": "x"}).status_code == 404
    assert login(personas["supply"]).post(url, {"reason": "x"}).status_code == 403
    override.refresh_from_db()
    assert override.revoked_at is None


def test_status_api_roles_and_jurisdiction(as_, people, red_contact):
    path = f"/api/people/{people['li'].pk}/code-status"
    for role in CODE_VIEWERS:
        assert as_(role).get(path).status_code == 200, role
    for role in ("supply", "lab", "quarantine"):
        assert as_(role).get(path).status_code == 403, role
    assert as_("outsider").get(path).status_code == 404
    override = f"/api/people/{people['li'].pk}/code-override"
    body = {"colour": "green", "reason": "x", "basis": "y"}
    assert as_("street").post(override, body, content_type=JSON).status_code == 403
    assert as_("supply").post(override, body, content_type=JSON).status_code == 403
    assert as_("outsider").post(override, body, content_type=JSON).status_code == 404
    assert not CodeOverride.objects.exists()
