import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from fangkong.accounts.models import ApiToken, hash_token
from fangkong.accounts.services import token_create, token_revoke
from tests import factories as f


def auth(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


@pytest.mark.django_db
def test_request_without_credentials_is_unauthorised(client):
    response = client.get("/api/me")
    assert response.status_code == 401


def test_unknown_token_is_unauthorised(client, personas):
    assert client.get("/api/me", headers=auth("fk_not-a-real-token")).status_code == 401


def test_bearer_token_identifies_the_user(client, personas):
    _token, raw = token_create(user=personas["street"], name="script")
    response = client.get("/api/me", headers=auth(raw))
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "p_street"
    assert body["role"] == "street"
    assert body["jurisdiction"]["name"] == "魏都区"
    assert "residents.edit" in body["capabilities"]


def test_token_created_through_api_is_shown_once_and_stored_hashed(login, personas):
    client = login(personas["grid"])
    response = client.post(
        "/api/tokens", {"name": "sync", "valid_days": 30}, content_type="application/json"
    )
    assert response.status_code == 201
    raw = response.json()["token"]
    assert raw.startswith("fk_")
    stored = ApiToken.objects.get(pk=response.json()["id"])
    assert stored.digest == hash_token(raw)
    assert raw not in {stored.digest, stored.lookup, stored.name}
    listed = client.get("/api/tokens").json()
    assert [t["name"] for t in listed] == ["sync"]
    assert "token" not in listed[0]
    assert Client().get("/api/me", headers=auth(raw)).json()["username"] == "p_grid"


def test_revoked_token_is_rejected(client, personas):
    token, raw = token_create(user=personas["street"], name="old")
    token_revoke(token=token, actor=personas["street"])
    assert client.get("/api/me", headers=auth(raw)).status_code == 401


def test_token_revoked_through_api_stops_working(client, personas):
    token, raw = token_create(user=personas["street"], name="old")
    response = client.delete(f"/api/tokens/{token.pk}", headers=auth(raw))
    assert response.status_code == 204
    assert client.get("/api/me", headers=auth(raw)).status_code == 401
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_user_cannot_revoke_someone_elses_token(client, personas):
    theirs, _raw = token_create(user=personas["grid"], name="theirs")
    _mine, raw = token_create(user=personas["street"], name="mine")
    assert client.delete(f"/api/tokens/{theirs.pk}", headers=auth(raw)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_expired_token_is_rejected(client, personas):
    token, raw = token_create(user=personas["street"], name="short", valid_days=1)
    token.expires_at = timezone.now() - dt.timedelta(seconds=1)
    token.save()
    assert client.get("/api/me", headers=auth(raw)).status_code == 401


def test_token_of_deactivated_user_is_rejected(client, personas):
    _token, raw = token_create(user=personas["street"], name="t")
    personas["street"].is_active = False
    personas["street"].save()
    assert client.get("/api/me", headers=auth(raw)).status_code == 401


def test_session_auth_reads_without_token(login, personas):
    assert login(personas["street"]).get("/api/me").json()["username"] == "p_street"


def test_session_auth_needs_csrf_token_for_writes(personas):
    browser = Client(enforce_csrf_checks=True)
    f.sign_in(browser, personas["street"])
    response = browser.post("/api/tokens", {"name": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert not ApiToken.objects.exists()


def test_session_auth_write_with_csrf_token_succeeds(personas):
    browser = Client(enforce_csrf_checks=True)
    f.sign_in(browser, personas["street"])
    assert browser.get("/api/docs").status_code == 200  # hands the browser its CSRF cookie
    csrf = browser.cookies["csrftoken"].value
    response = browser.post(
        "/api/tokens", {"name": "x"}, content_type="application/json", headers={"X-CSRFToken": csrf}
    )
    assert response.status_code == 201


def test_bearer_writes_need_no_csrf_token(personas):
    _token, raw = token_create(user=personas["street"], name="t")
    spare, _raw = token_create(user=personas["street"], name="spare")
    script = Client(enforce_csrf_checks=True, headers=auth(raw))
    assert script.delete(f"/api/tokens/{spare.pk}").status_code == 204


def test_a_token_cannot_create_tokens(personas):
    _token, raw = token_create(user=personas["street"], name="script")
    response = Client(headers=auth(raw)).post(
        "/api/tokens", {"name": "child"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert "会话" in response.json()["detail"]  # zh-Hans first: "…已登录的浏览器会话…"
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["script"]


def test_a_token_cannot_create_tokens_even_beside_a_session(personas):
    """A browser that is logged in and also sends a bearer token is treated as the token."""
    _token, raw = token_create(user=personas["grid"], name="script")
    both = f.sign_in(Client(headers=auth(raw)), personas["grid"])
    response = both.post("/api/tokens", {"name": "child"}, content_type="application/json")
    assert response.status_code == 403
    assert ApiToken.objects.count() == 1


def test_a_session_still_owing_its_second_factor_cannot_use_the_api(client, personas):
    client.force_login(personas["street"])  # password only: street staff need a code as well
    assert client.get("/api/me").status_code == 401
    response = client.post("/api/tokens", {"name": "x"}, content_type="application/json")
    assert response.status_code == 401
    assert not ApiToken.objects.exists()
    _token, raw = token_create(user=personas["street"], name="script")
    assert client.get("/api/me", headers=auth(raw)).status_code == 200  # bearer unaffected
