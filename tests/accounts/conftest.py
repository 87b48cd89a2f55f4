import datetime as dt

import pytest
from django.utils import timezone, translation

from fangkong.accounts import throttle


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def clock(monkeypatch):
    """The throttle's clock, moved by hand: `clock.advance(seconds)`."""

    class Clock:
        at = timezone.now()

        def advance(self, seconds: float) -> None:
            self.at += dt.timedelta(seconds=seconds)

    c = Clock()
    monkeypatch.setattr(throttle, "now", lambda: c.at)
    return c


@pytest.fixture
def delays(settings):
    """The documented defaults, whatever the environment says."""
    settings.LOGIN_DELAY_FIRST_SECONDS = 1
    settings.LOGIN_DELAY_MAX_SECONDS = 900
    settings.LOGIN_FAILURES_FORGOTTEN_HOURS = 24
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 10
    settings.LOGIN_ADDRESS_WINDOW_MINUTES = 15
    settings.LOGIN_ADDRESS_WAIT_MINUTES = 15
    settings.CLIENT_IP_HEADER = ""
    return settings
