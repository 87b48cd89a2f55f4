"""Two-factor authentication: who must have it, enrolment, the code step, recovery codes.

Roles that can reveal or export personal data, and the Django admin, need an authenticator
(TOTP); until the session is verified, no page but the steps that settle it opens, and the API
treats the session as not logged in (bearer tokens are unaffected).
"""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from fangkong.accounts.models import User
from fangkong.audit.models import Event
from fangkong.core.access import two_factor_required
from fangkong.core.roles import Cap, Role, roles_requiring_two_factor
from tests import factories as f

REQUIRED = {"command", "task_force", "street", "grid", "hospital"}
ENROL = reverse("two_factor_enrol")
VERIFY = reverse("two_factor_verify")
SECURITY = reverse("account_security")


def password_login(username: str, address: str = "127.0.0.1") -> Client:
    client = Client(REMOTE_ADDR=address)
    response = client.post("/login/", {"username": username, "password": f.PASSWORD})
    assert response.status_code == 302, username
    return client


def actions() -> list[str]:
    return list(Event.objects.order_by("id").values_list("action", flat=True))


def code_of_unconfirmed(user: User) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    return f"{totp(device.bin_key):06d}"


# Who needs it ------------------------------------------------------------------------------


def test_roles_needing_two_factor_follow_from_their_capabilities():
    assert roles_requiring_two_factor() == REQUIRED
    assert roles_requiring_two_factor(frozenset({Cap.PII_REVEAL})) == {
        "command",
        "task_force",
        "street",
        "grid",
    }


def test_superusers_staff_and_the_configured_roles_need_it(personas, settings):
    assert {r for r in Role if two_factor_required(personas[r.value])} == REQUIRED
    admin = f.user("root", "", None)
    admin.is_superuser = admin.is_staff = True
    assert two_factor_required(admin)
    settings.TWO_FACTOR_CAPS = ["pii.reveal", "results.upload"]
    assert {r for r in Role if two_factor_required(personas[r.value])} == {
        "command",
        "task_force",
        "street",
        "grid",
        "lab",
    }


EXPORTS = [
    ("people:key_persons_export", []),
    ("command:export", ["cases", "csv"]),
    ("command:export", ["cases", "xlsx"]),
]


@pytest.mark.parametrize(("name", "args"), EXPORTS)
def test_every_role_that_can_export_personal_data_needs_two_factor(name, args, login, personas):
    for role in Role:
        response = login(personas[role.value]).get(reverse(name, args=args))
        if response.status_code == 200:
            assert two_factor_required(personas[role.value]), (name, role.value)


# Forced enrolment --------------------------------------------------------------------------


def test_a_required_role_without_a_device_is_sent_to_enrolment_before_any_page(personas):
    client = password_login("p_street")
    for url in ["/", reverse("people:residents"), reverse("tokens"), SECURITY, "/admin/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"{ENROL}?next={url}", url
    assert client.get(ENROL).status_code == 200


def test_enrolment_shows_the_qr_code_and_secret_then_the_recovery_codes_once(personas, clock):
    street = personas["street"]
    client = password_login("p_street")
    page = client.get(f"{ENROL}?next=/people/residents/")
    html = page.content.decode()
    assert "<svg" in html
    device = TOTPDevice.objects.get(user=street, confirmed=False)
    secret = page.context["secret"]
    assert secret.replace(" ", "") in html.replace(" ", "")
    assert "otpauth://totp/" in page.context["uri"]
    assert "双重验证" in html  # zh-Hans first

    wrong = client.post(ENROL, {"code": "000000"})
    assert wrong.status_code == 200 and wrong.context["form"].errors
    assert actions() == ["two_factor.failed"]

    clock.advance(1)  # a wrong code slows the next one down
    done = client.post(ENROL, {"code": code_of_unconfirmed(street), "next": page.context["next"]})
    assert done["Location"] == reverse("two_factor_codes")
    device.refresh_from_db()
    assert device.confirmed
    codes_page = client.get(reverse("two_factor_codes"))
    codes = codes_page.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(c in codes_page.content.decode() for c in codes)
    assert codes_page.context["next"] == "/people/residents/"
    assert client.get(reverse("two_factor_codes"))["Location"] == SECURITY  # shown once
    assert client.get("/").status_code == 200
    assert actions() == ["two_factor.failed", "two_factor.enrolled"]
    enrolled = Event.objects.get(action="two_factor.enrolled")
    assert enrolled.actor == street and enrolled.division_key == street.jurisdiction.key


def test_reloading_the_enrolment_page_keeps_the_same_secret(personas):
    client = password_login("p_grid")
    assert client.get(ENROL).context["secret"] == client.get(ENROL).context["secret"]
    assert TOTPDevice.objects.filter(user=personas["grid"]).count() == 1


def test_with_a_device_the_password_alone_cannot_enrol_another(personas):
    """Someone who has only the password must not add their own authenticator."""
    f.totp_device(personas["street"])
    client = password_login("p_street")
    response = client.get(ENROL)
    assert response["Location"] == VERIFY
    assert client.post(ENROL, {"code": "123456"})["Location"] == VERIFY
    assert TOTPDevice.objects.filter(user=personas["street"]).count() == 1


# The code step -----------------------------------------------------------------------------


def test_with_a_device_the_code_is_asked_after_the_password(personas, clock):
    device = f.totp_device(personas["street"])
    client = password_login("p_street")
    assert client.get("/people/residents/")["Location"] == f"{VERIFY}?next=/people/residents/"
    page = client.get(f"{VERIFY}?next=/people/residents/")
    assert 'autocomplete="one-time-code"' in page.content.decode()
    wrong = client.post(VERIFY, {"code": "000000", "next": "/people/residents/"})
    assert wrong.status_code == 200 and wrong.context["form"].errors
    assert client.get("/").status_code == 302
    clock.advance(1)
    response = client.post(VERIFY, {"code": f.totp_code(device), "next": "/people/residents/"})
    assert response["Location"] == "/people/residents/"
    assert client.get("/people/residents/").status_code == 200
    assert actions() == ["two_factor.failed"]


def test_the_code_step_refuses_to_send_you_elsewhere(personas):
    device = f.totp_device(personas["street"])
    client = password_login("p_street")
    response = client.post(VERIFY, {"code": f.totp_code(device), "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_a_code_is_good_only_once(personas):
    device = f.totp_device(personas["street"])
    code = f.totp_code(device)
    first = password_login("p_street")
    assert first.post(VERIFY, {"code": code}).status_code == 302
    second = password_login("p_street", "10.0.0.2")
    assert second.post(VERIFY, {"code": code}).status_code == 200


def test_verifying_renews_the_session_key(personas):
    device = f.totp_device(personas["street"])
    client = password_login("p_street")
    before = client.cookies["sessionid"].value
    client.post(VERIFY, {"code": f.totp_code(device)})
    assert client.cookies["sessionid"].value != before


def test_a_recovery_code_works_once_and_is_audited(personas):
    street = personas["street"]
    f.totp_device(street)
    static = StaticDevice.objects.create(user=street, name="recovery", confirmed=True)
    static.token_set.create(token="abcd2345")
    static.token_set.create(token="efgh6789")
    client = password_login("p_street")
    assert client.post(VERIFY, {"code": "ABCD-2345"})["Location"] == "/"
    assert client.get("/").status_code == 200
    again = password_login("p_street", "10.0.0.2")
    assert again.post(VERIFY, {"code": "abcd2345"}).status_code == 200
    assert list(actions()) == ["two_factor.recovery_used", "two_factor.failed"]
    assert Event.objects.get(action="two_factor.recovery_used").data == {"left": 1}


def test_code_attempts_are_slowed_down_per_account(personas, delays, clock, english):
    device = f.totp_device(personas["street"])
    client = password_login("p_street")
    client.post(VERIFY, {"code": "000000"})
    client.post(VERIFY, {"code": "000001"})  # inside the wait: not even checked
    clock.advance(1)
    client.post(VERIFY, {"code": "000002"})
    refused = client.post(VERIFY, {"code": f.totp_code(device)})
    assert refused.status_code == 429
    assert "2 seconds" in refused.context["form"].non_field_errors()[0]
    # the wait is the account's: another session of the same account waits too
    other = password_login("p_street", "10.0.0.2")
    assert other.post(VERIFY, {"code": f.totp_code(device)}).status_code == 429
    clock.advance(2)
    assert client.post(VERIFY, {"code": f.totp_code(device)}).status_code == 302
    assert actions().count("two_factor.failed") == 2


# Roles without the requirement -------------------------------------------------------------


def test_a_role_without_the_requirement_may_enrol_and_is_then_asked_for_codes(personas):
    lab = personas["lab"]
    client = password_login("p_lab")
    assert client.get("/").status_code == 200
    security = client.get(SECURITY)
    assert security.status_code == 200 and security.context["device"] is None
    client.get(ENROL)
    client.post(ENROL, {"code": code_of_unconfirmed(lab)})
    later = password_login("p_lab", "10.0.0.2")
    assert later.get("/")["Location"] == f"{VERIFY}?next=/"
    assert (
        later.post(VERIFY, {"code": f.totp_code(TOTPDevice.objects.get(user=lab))})["Location"]
        == "/"
    )


# Managing the device -----------------------------------------------------------------------


def test_new_recovery_codes_need_a_code_and_replace_the_old_ones(personas, login, clock):
    street = personas["street"]
    client = login(street)
    static = StaticDevice.objects.create(user=street, name="recovery", confirmed=True)
    static.token_set.create(token="oldoldol")
    url = reverse("two_factor_codes")
    assert client.post(url, {"code": "000000"}).status_code == 200
    assert StaticToken.objects.filter(token="oldoldol").exists()
    clock.advance(1)
    response = client.post(url, {"code": f.totp_code(f.totp_device(street))})
    assert response["Location"] == url
    codes = client.get(url).context["codes"]
    assert len(codes) == 10
    assert not StaticToken.objects.filter(token="oldoldol").exists()
    assert StaticToken.objects.filter(device__user=street).count() == 10
    assert actions() == ["two_factor.failed", "two_factor.recovery_regenerated"]


def test_removing_the_device_needs_a_code_and_then_enrolment_is_due_again(personas, login, clock):
    street = personas["street"]
    client = login(street)
    device = f.totp_device(street)
    url = reverse("two_factor_remove")
    assert client.post(url, {"code": "000000"}).status_code == 200
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    clock.advance(1)
    assert client.post(url, {"code": f.totp_code(device)})["Location"] == SECURITY
    assert not TOTPDevice.objects.filter(user=street).exists()
    assert not StaticDevice.objects.filter(user=street).exists()
    assert client.get("/")["Location"] == f"{ENROL}?next=/"
    assert actions() == ["two_factor.failed", "two_factor.removed"]


def test_the_security_page_shows_the_device_and_recovery_codes_left(personas, login):
    street = personas["street"]
    client = login(street)
    static = StaticDevice.objects.create(user=street, name="recovery", confirmed=True)
    static.token_set.create(token="abcd2345")
    page = client.get(SECURITY)
    assert page.context["device"] == f.totp_device(street)
    assert page.context["codes_left"] == 1
    assert page.context["required"] is True


# The admin and the menu --------------------------------------------------------------------


@pytest.fixture
def admin_user(db):
    user = User.objects.create_superuser("root", password=f.PASSWORD)
    return user


def test_the_admin_needs_a_verified_session(admin_user):
    client = password_login("root")
    assert client.get("/admin/")["Location"] == f"{ENROL}?next=/admin/"
    device = f.totp_device(admin_user)
    client.post(VERIFY, {"code": f.totp_code(device)})
    assert client.get("/admin/").status_code == 200


def test_the_admin_login_page_sends_you_to_the_site_login(client, admin_user):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/admin/"


def test_the_menu_is_hidden_until_the_second_factor_is_given(personas):
    client = password_login("p_street")
    page = client.get(ENROL)
    assert page.context["menu"] == []
    assert not re.search(r'<nav class="menu"', page.content.decode())


def test_an_administrator_removes_a_lost_phone_as_an_audited_event(admin_user, personas, login):
    street = personas["street"]
    device = f.totp_device(street)
    StaticDevice.objects.create(user=street, name="recovery", confirmed=True)
    client = login(admin_user)
    url = reverse("admin:otp_totp_totpdevice_delete", args=[device.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not TOTPDevice.objects.filter(user=street).exists()
    assert not StaticDevice.objects.filter(user=street).exists()
    event = Event.objects.get(action="two_factor.removed")
    assert event.actor == admin_user and event.object_id == str(street.pk)
    assert password_login("p_street").get("/")["Location"] == f"{ENROL}?next=/"


def test_a_voluntary_user_whose_device_was_removed_is_not_held_up(personas):
    lab = personas["lab"]
    device = f.totp_device(lab)
    client = password_login("p_lab")
    assert client.get("/")["Location"] == f"{VERIFY}?next=/"
    device.delete()
    assert client.get("/").status_code == 200
