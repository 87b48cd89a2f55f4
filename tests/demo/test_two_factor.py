"""Demo accounts whose roles need two-factor have an authenticator with a published secret."""

from base64 import b32decode

import pytest
from django.core.management import CommandError, call_command
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from fangkong.accounts.models import User
from fangkong.core.access import two_factor_required
from fangkong.demo.accounts import DEMO_TOTP_SECRET, DEMO_TOTP_URI, demo_accounts_create
from tests import factories as f

pytestmark = pytest.mark.django_db


def current_code() -> str:
    return f"{totp(b32decode(DEMO_TOTP_SECRET)):06d}"


def test_accounts_needing_two_factor_share_the_published_demo_secret():
    demo_accounts_create()
    needing = {u.username for u in User.objects.all() if two_factor_required(u)}
    assert needing == {"command", "taskforce", "street", "grid", "hospital", "outsider", "admin"}
    devices = TOTPDevice.objects.filter(confirmed=True).select_related("user")
    assert {d.user.username for d in devices} == needing
    assert all(d.bin_key == b32decode(DEMO_TOTP_SECRET) for d in devices)
    assert f"secret={DEMO_TOTP_SECRET}" in DEMO_TOTP_URI


def test_demo_code_prints_the_current_code(capsys):
    demo_accounts_create()
    call_command("demo_code", "command")
    assert capsys.readouterr().out.strip() == current_code()


def test_demo_code_refuses_accounts_without_a_demo_device(city):
    demo_accounts_create()
    with pytest.raises(CommandError):
        call_command("demo_code", "lab")  # no device at all
    someone = f.user("wang", "command", city.city)
    f.totp_device(someone)  # a real, random secret
    with pytest.raises(CommandError):
        call_command("demo_code", "wang")
    with pytest.raises(CommandError):
        call_command("demo_code", "nobody")


def test_a_demo_account_logs_in_with_the_printed_code(client, capsys):
    demo_accounts_create()
    client.post("/login/", {"username": "command", "password": "fangkong-demo"})
    call_command("demo_code", "command")
    code = capsys.readouterr().out.strip()
    assert client.post("/login/verify/", {"code": code})["Location"] == "/"
    assert client.get("/").status_code == 200
