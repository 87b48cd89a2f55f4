"""Schemathesis over every operation of the OpenAPI document, as a city-wide command user and as
a grid worker (each generated request is sent as both), against a small demo city: no 5xx, every
response matches its documented schema, status code and content type. The operations are fuzzed
in two halves, one test each, so that two workers share them.

Bounded for CI: FANGKONG_FUZZ_EXAMPLES cases per operation (default 8), derandomized when CI is
set (tests/conftest.py). Each case runs in a savepoint that is rolled back, so writes made while
fuzzing never reach later cases or tests. Run with `-s` to see the figures of the run.
"""

import collections
import logging
import os
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.core.signals import got_request_exception, request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from fangkong.accounts.models import ApiToken, User
from fangkong.accounts.services import token_create
from fangkong.demo.services import demo_generate
from fangkong.policy.services import profiles_install_shipped

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
EXAMPLES = int(os.environ.get("FANGKONG_FUZZ_EXAMPLES", "8"))


class _Rollback(Exception):
    pass


@dataclass
class Run:
    operations: int = 0
    cases: int = 0
    server_errors: int = 0
    failures: dict[str, list[str]] = field(default_factory=lambda: collections.defaultdict(list))
    crashes: collections.Counter = field(default_factory=collections.Counter)

    def figures(self) -> str:
        kinds = {kind: len(found) for kind, found in sorted(self.failures.items())}
        return (
            f"{self.operations} operations, {self.cases} cases, {self.server_errors} 5xx, "
            f"failures by kind {kinds or '{}'}"
        )


@pytest.fixture
def wsgi(db) -> Iterator[Any]:
    """The Django WSGI app in this test's transaction: requests must not close the connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    app = get_wsgi_application()  # configures logging: quieten 4xx warnings after it
    quiet = logging.getLogger("django.request")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        yield app
    finally:
        quiet.setLevel(level)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def crashes() -> Iterator[list[str]]:
    """The last line of each traceback behind a 500, to name the root cause."""
    seen: list[str] = []

    def record(sender: Any, request: Any = None, **kwargs: Any) -> None:
        seen.append(traceback.format_exc().strip().splitlines()[-1])

    got_request_exception.connect(record, weak=False)
    yield seen
    got_request_exception.disconnect(record)


def _fuzz(
    operation: Any, callers: dict[str, dict[str, str]], runs: dict[str, Run], crashes: list[str]
) -> None:
    """EXAMPLES cases of the operation, each sent as every caller (by their headers), each
    request in a savepoint rolled back: the users answer the same generated requests."""

    @settings(
        max_examples=EXAMPLES,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def one(case: Any) -> None:
        for username, headers in callers.items():
            _send(case, headers, runs[username], crashes, operation.label)

    one()


def _send(case: Any, headers: dict[str, str], run: Run, crashes: list[str], label: str) -> None:
    run.cases += 1
    before = len(crashes)
    response = None
    try:
        with transaction.atomic():
            response = case.call(headers=headers)
            raise _Rollback
    except _Rollback:
        pass
    assert response is not None
    if response.status_code >= 500:
        run.server_errors += 1
        run.crashes.update(crashes[before:] or [f"{response.status_code} without a traceback"])
    try:
        case.validate_response(response, checks=CHECKS, headers=headers)
    except FailureGroup as group:
        for failure in group.exceptions:
            where = f"{label} → {response.status_code}: {failure.title}"
            run.failures[type(failure).__name__].append(where)


USERNAMES = ("command", "grid")
PARTS = 2  # the operations in two halves, one test each: two workers share the fuzzing


@pytest.mark.parametrize("part", range(PARTS))
def test_every_operation_answers_within_its_documented_contract(wsgi, crashes, part):
    profiles_install_shipped()
    demo_generate(residents=300, seed=3)
    callers = {}
    for username in USERNAMES:
        token, raw = token_create(user=User.objects.get(username=username), name="schemathesis")
        # Used now: each request is rolled back, and a token last used long ago is marked
        # used again by every request (a write each) where a real client's is marked once.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        callers[username] = {"Authorization": f"Bearer {raw}"}
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", wsgi)
    runs = {username: Run() for username in USERNAMES}
    started = time.perf_counter()
    for index, result in enumerate(schema.get_all_operations()):
        if index % PARTS != part:
            continue
        for run in runs.values():
            run.operations += 1
        _fuzz(result.ok(), callers, runs, crashes)
    took = time.perf_counter() - started
    for username, run in runs.items():
        print(f"\nschemathesis part {part} as {username}: {run.figures()} ({took:.0f} s in all)")
    for username, run in runs.items():
        report = {kind: sorted(set(found)) for kind, found in run.failures.items()}
        assert run.operations >= 130 // PARTS, username
        assert run.cases >= run.operations * min(EXAMPLES, 2), username
        assert (run.server_errors, dict(run.crashes)) == (0, {}), username
        assert report == {}, username
