"""Log-in with a password: a progressive delay per account, a cap per network address.

A stranger's failures only slow an account down (never lock its owner out), and one address
cannot try password after password across many accounts.
"""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fangkong.accounts import throttle
from fangkong.audit.models import Event
from tests import factories as f


def from_address(ip: str) -> Client:
    return Client(REMOTE_ADDR=ip)


def post(client: Client, username: str, password: str):
    return client.post("/login/", {"username": username, "password": password})


def test_login_with_password_reaches_home_for_a_role_without_two_factor(client, personas):
    response = post(client, "p_lab", f.PASSWORD)
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_wrong_password_is_refused_without_saying_whether_the_account_exists(
    client, personas, delays, clock
):
    known = post(client, "p_lab", "wrong")
    clock.advance(60)
    unknown = post(client, "nobody", "wrong")
    assert known.status_code == unknown.status_code == 200
    assert known.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()


def test_each_failure_doubles_the_wait_before_the_account_is_tried_again(personas, delays, clock):
    address = from_address("10.0.0.1")
    waits = []
    for _ in range(5):
        assert post(address, "p_lab", "wrong").status_code == 200
        waits.append(throttle.account_wait_left("p_lab").total_seconds())
        clock.advance(waits[-1])
    assert waits == [1, 2, 4, 8, 16]


def test_the_right_password_inside_the_delay_is_refused_saying_when_to_retry(
    personas, delays, clock, english
):
    address = from_address("10.0.0.1")
    for _ in range(3):
        post(address, "p_lab", "wrong")
        clock.advance(throttle.account_wait_left("p_lab").total_seconds())
    post(address, "p_lab", "wrong")  # the fourth failure: 8 seconds
    clock.advance(3)
    refused = post(address, "p_lab", f.PASSWORD)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "5"
    message = refused.context["form"].non_field_errors()[0]
    assert "5 seconds" in message
    retry_at = timezone.localtime(clock.at + dt.timedelta(seconds=5))
    assert retry_at.strftime("%H:%M:%S") in message
    assert from_address("10.0.0.1").get("/").status_code == 302  # not logged in
    clock.advance(5)
    assert post(address, "p_lab", f.PASSWORD).status_code == 302


def test_refused_attempts_during_the_delay_do_not_lengthen_it(personas, delays, clock):
    address = from_address("10.0.0.1")
    post(address, "p_lab", "wrong")
    post(address, "p_lab", "wrong")  # inside the 1-second wait: refused unchecked
    post(address, "p_lab", "wrong")
    assert throttle.account_wait_left("p_lab").total_seconds() == 1


def test_the_delay_is_capped(personas, delays, clock):
    delays.LOGIN_ADDRESS_FAILURE_LIMIT = 1000
    address = from_address("10.0.0.1")
    for _ in range(15):
        post(address, "p_lab", "wrong")
        clock.advance(throttle.account_wait_left("p_lab").total_seconds())
    post(address, "p_lab", "wrong")
    assert throttle.account_wait_left("p_lab").total_seconds() == 900


def test_five_wrong_posts_for_command_from_one_address_do_not_lock_command_out(
    personas, delays, clock
):
    stranger = from_address("203.0.113.7")
    for _ in range(5):
        post(stranger, "p_command", "guess")
    owner = from_address("198.51.100.20")
    assert post(owner, "p_command", f.PASSWORD).status_code == 429  # slowed down, for 1 s
    clock.advance(1)
    assert post(owner, "p_command", f.PASSWORD).status_code == 302
    assert owner.get("/")["Location"].startswith(reverse("two_factor_enrol"))  # logged in


def test_a_successful_login_clears_the_account_delay(personas, delays, clock):
    address = from_address("10.0.0.1")
    for _ in range(3):
        post(address, "p_lab", "wrong")
        clock.advance(throttle.account_wait_left("p_lab").total_seconds())
    assert post(address, "p_lab", f.PASSWORD).status_code == 302
    post(from_address("10.0.0.2"), "p_lab", "wrong")
    assert throttle.account_wait_left("p_lab").total_seconds() == 1


def test_spraying_many_usernames_from_one_address_is_throttled(personas, delays, clock):
    sprayer = from_address("203.0.113.9")
    statuses = [post(sprayer, f"user{i}", "Spring2022!").status_code for i in range(20)]
    assert statuses[:10] == [200] * 10
    assert statuses[10:] == [429] * 10
    # Even the right password of a real account is not checked from that address now …
    assert post(sprayer, "p_lab", f.PASSWORD).status_code == 429
    # … while everybody else logs in as usual.
    assert post(from_address("198.51.100.20"), "p_lab", f.PASSWORD).status_code == 302
    clock.advance(15 * 60)
    assert post(sprayer, "p_lab", f.PASSWORD).status_code == 302


def test_failures_from_one_address_are_forgotten_after_the_window(personas, delays, clock):
    address = from_address("10.0.0.1")
    for i in range(9):
        post(address, f"user{i}", "wrong")
    clock.advance(15 * 60 + 1)
    for i in range(9):
        assert post(address, f"other{i}", "wrong").status_code == 200


def test_a_failed_login_to_a_real_account_is_an_audit_event(personas, delays, clock):
    post(from_address("203.0.113.7"), "p_street", "guess")
    post(from_address("203.0.113.7"), "nobody", "guess")
    event = Event.objects.get(action="login.failed")
    assert event.object_id == str(personas["street"].pk)
    assert event.division_key == personas["street"].jurisdiction.key
    assert event.data == {"address": "203.0.113.7"}


class TestBehindAProxy:
    """With FANGKONG_BEHIND_PROXY the address is the one the proxy appended, not the proxy's."""

    @pytest.fixture
    def proxy(self, delays):
        delays.CLIENT_IP_HEADER = "X-Forwarded-For"
        delays.CLIENT_IP_PROXY_COUNT = 1
        return Client(REMOTE_ADDR="10.9.9.9")

    def forwarded(self, proxy: Client, chain: str, username: str, password: str):
        return proxy.post(
            "/login/",
            {"username": username, "password": password},
            headers={"X-Forwarded-For": chain},
        )

    def test_sprayers_behind_the_proxy_are_told_apart(self, personas, proxy, clock):
        for i in range(12):
            self.forwarded(proxy, "203.0.113.9", f"user{i}", "wrong")
        assert self.forwarded(proxy, "203.0.113.9", "p_lab", f.PASSWORD).status_code == 429
        assert self.forwarded(proxy, "198.51.100.20", "p_lab", f.PASSWORD).status_code == 302

    def test_a_forged_left_entry_does_not_change_the_address(self, personas, proxy, clock):
        for i in range(12):
            self.forwarded(proxy, f"1.1.1.{i}, 203.0.113.9", f"user{i}", "wrong")
        assert self.forwarded(proxy, "203.0.113.9", "p_lab", f.PASSWORD).status_code == 429

    def test_without_the_setting_the_header_is_ignored(self, personas, proxy, clock, settings):
        settings.CLIENT_IP_HEADER = ""
        for i in range(12):
            self.forwarded(proxy, f"203.0.113.{i}", f"user{i}", "wrong")
        assert self.forwarded(proxy, "198.51.100.20", "p_lab", f.PASSWORD).status_code == 429
