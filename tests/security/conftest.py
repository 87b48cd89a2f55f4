"""The scope-matrix scenario and its clients, built once per module inside a transaction that is
rolled back at the module's end (each request runs in a savepoint of its own, rolled back too)."""

import logging
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.template import Template
from django.test import Client, override_settings
from django.test.utils import _TestState

from fangkong.api import api
from tests import factories as f
from tests.security import scenario
from tests.security.matrix import SUMMARY, Env, digests, fingerprint
from tests.shared import rolled_back


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    with override_settings(VAR_DIR=tmp_path_factory.mktemp("var")), rolled_back(django_db_blocker):
        yield scenario.build()


class FakePDF:
    """WeasyPrint stand-in: the PDF's HTML as bytes, so its text can be searched (and fast)."""

    def __init__(self, string: str = "", **_kw: Any) -> None:
        self.html = string

    def write_pdf(self, *_a: Any, **_kw: Any) -> bytes:
        return self.html.encode()


@pytest.fixture(scope="module")
def env(world, django_db_blocker):
    import weasyprint

    real_pdf, weasyprint.HTML = weasyprint.HTML, FakePDF
    # /api/openapi.json builds the document on every request (a second each): once is enough.
    schema, built = api.get_openapi_schema, {}

    def once(**kw: Any) -> Any:
        if repr(kw) not in built:
            built[repr(kw)] = schema(**kw)
        return built[repr(kw)]

    api.get_openapi_schema = once  # type: ignore[method-assign]
    # Render templates as in production: the test client's copy of every context is costly.
    instrumented, Template._render = Template._render, _TestState.saved_data.template_render
    quiet = logging.getLogger("django.request")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # thousands of 403 and 404 on purpose
    cache.clear()  # throttles of the public forms
    # Sessions in signed cookies: one query less in each of thousands of requests. The clients
    # sign in once and a cookie is re-signed only when the session changes: on a loaded machine
    # the module outlasts the idle timeout, so sessions last as long as they may at most.
    cookies = override_settings(
        SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
        SESSION_COOKIE_AGE=settings.SESSION_ABSOLUTE_AGE,
    )
    cookies.enable()
    with django_db_blocker.unblock():
        clients = {"anonymous": Client()}
        for user in [*world.personas.values(), world.nobody]:
            clients[user.username.removeprefix("m_")] = client = Client()
            f.sign_in(client, user)
        yield Env(world, clients, fingerprint(world), digests(world))
    cookies.disable()
    cache.clear()
    quiet.setLevel(level)
    Template._render = instrumented
    api.get_openapi_schema = schema  # type: ignore[method-assign]
    weasyprint.HTML = real_pdf


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in SUMMARY:
        terminalreporter.write_line(line)
    SUMMARY.clear()  # once, however many times the hook is registered
