"""A session ends after a quiet spell (idle timeout) and, however busy, after a working day."""

import time

import pytest
from django.conf import settings
from django.urls import reverse

from fangkong.web.middleware import LOGIN_AT, SEEN_AT
from tests import factories as f


@pytest.fixture
def signed_in(client, personas):
    f.sign_in(client, personas["street"])
    return client


def _backdate(client, **seconds_ago: int) -> None:
    session = client.session
    now = time.time()
    for key, ago in seconds_ago.items():
        session[key] = now - ago
    session.save()


def _signed_out(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_login_stamps_the_session(signed_in):
    session = signed_in.session
    assert time.time() - session[LOGIN_AT] < 60
    assert time.time() - session[SEEN_AT] < 60


def test_an_active_session_stays_signed_in(signed_in):
    _backdate(signed_in, **{SEEN_AT: settings.SESSION_COOKIE_AGE - 120})
    assert signed_in.get("/").status_code == 200
    assert signed_in.get("/").status_code == 200


def test_activity_slides_the_idle_timeout(signed_in):
    _backdate(signed_in, **{SEEN_AT: 10 * 60})
    response = signed_in.get("/")
    assert response.status_code == 200
    assert time.time() - signed_in.session[SEEN_AT] < 60
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert int(cookie["max-age"]) == settings.SESSION_COOKIE_AGE


def test_requests_close_together_do_not_rewrite_the_session(signed_in):
    response = signed_in.get("/")
    assert settings.SESSION_COOKIE_NAME not in response.cookies


def test_idle_session_is_signed_out(signed_in):
    _backdate(signed_in, **{SEEN_AT: settings.SESSION_COOKIE_AGE + 1})
    assert _signed_out(signed_in.get("/"))
    assert _signed_out(signed_in.get("/"))  # and stays out


def test_session_ends_after_the_absolute_cap_even_when_busy(signed_in):
    _backdate(signed_in, **{LOGIN_AT: settings.SESSION_ABSOLUTE_AGE + 1, SEEN_AT: 5})
    assert _signed_out(signed_in.get("/"))


def test_an_expired_session_gets_no_api_data(signed_in):
    _backdate(signed_in, **{SEEN_AT: settings.SESSION_COOKIE_AGE + 1})
    assert signed_in.get(reverse("api:resident_list")).status_code == 401
