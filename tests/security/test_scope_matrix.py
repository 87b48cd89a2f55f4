"""Role × jurisdiction matrix over every route of the URL conf and every API operation.

The routes are found, not listed (`routes.py`: Django's URL resolver and the OpenAPI document);
the scenario has objects of every kind in two districts (`scenario.py`). For every route, every
role of `accounts/roles.py`, a user without jurisdiction and anonymous, the route is requested
with objects inside the caller's jurisdiction, outside it, and mixed (the caller's own object
named together with outside ones) — GET, and the write with a minimal body — and:

- anonymous is sent to the login page (pages) or gets 401 (API), unless the route is public;
- a role with no capability reaches only the routes open to any signed-in user;
- an outside object is never returned: object routes answer 403/404, and no body (page,
  fragment, JSON, CSV, XLSX, PDF) shows a marker of an outside object (the user without
  jurisdiction: of either side); public routes show no ID number or phone;
- no request changes the outside district's rows, and the API accepts no outside object named
  in a body;
- who reaches each route inside is pinned in `access.txt`: a capability that changes shows up
  there (rerun with FANGKONG_MATRIX_RECORD=1 and review the diff).

A route with a parameter the matrix cannot fill fails with a message saying what to add.
"""

import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from fangkong.core.roles import Role
from fangkong.people.models import Resident
from tests.security import routes as r
from tests.security.matrix import (
    MODES,
    SUMMARY,
    TOTALS,
    Env,
    attempts,
    changed_outside,
    effective,
    problems_of,
    send,
)

ROUTES = r.page_routes() + r.api_routes()
ADMIN = r.admin_routes()
ROLES = [role.value for role in Role]
USERS = [*ROLES, "nobody", "anonymous"]
# Public routes show the same to everyone (/api/openapi.json costs a second a request): tried
# anonymously and by one signed-in user. The admin asks only `is_staff`: tried by anonymous, the
# user without jurisdiction and the one with every capability, none of them staff.
PUBLIC_USERS = ["anonymous", "street"]
ADMIN_USERS = ["anonymous", "nobody", "command"]
ACCESS_FILE = Path(__file__).with_name("access.txt")
RECORD = bool(os.environ.get("FANGKONG_MATRIX_RECORD"))

# Holes known and not yet closed, each with where it is tracked (none today).
XFAIL: dict[str, str] = {}

ACCESS: dict[str, str] = {}
EFFECTIVE: set[str] = set()
ALLOWED_METHOD: set[str] = set()  # answered something else than 405 to someone inside
LEAKS: Counter[str] = Counter()  # route id → problems found


def _expected_access() -> dict[str, str]:
    if not ACCESS_FILE.exists():
        return {}
    lines = ACCESS_FILE.read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line and not line.startswith("#"))


EXPECTED_ACCESS = _expected_access()


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    if RECORD:
        access = {**EXPECTED_ACCESS, **ACCESS}
        ACCESS_FILE.write_text(
            "# Who reaches each route with objects inside their jurisdiction. Written by\n"
            "# tests/security/test_scope_matrix.py with FANGKONG_MATRIX_RECORD=1: review diffs.\n"
            + "".join(f"{key}: {who}\n" for key, who in sorted(access.items()))
        )
    idle = sorted((set(ACCESS) & ALLOWED_METHOD) - EFFECTIVE)
    known = sum(n for route_id, n in LEAKS.items() if route_id in XFAIL)
    SUMMARY.append(
        f"scope matrix: {len(r.url_patterns())} URL patterns and {len(r.api_routes())} OpenAPI "
        f"operations → {TOTALS['routes']} routes ({TOTALS['public']} public, "
        f"{TOTALS['covered']} covered) and {len(ADMIN)} admin patterns × {len(USERS)} users "
        f"({len(ROLES)} roles, one without jurisdiction, anonymous) × inside/outside/mixed: "
        f"{TOTALS['requests']} requests, {TOTALS['searched']} bodies searched for markers; "
        f"problems: {sum(LEAKS.values())} ({known} in routes marked xfail)"
    )
    SUMMARY.append(
        f"scope matrix: not done by any role inside ({len(idle)}; a refusal before the object "
        f"is looked up still tests the scope): {'; '.join(idle) or '-'}"
    )


def _marks(route: r.Route) -> list[Any]:
    if route.id in XFAIL:
        return [pytest.mark.xfail(reason=XFAIL[route.id], strict=True)]
    return []


@pytest.mark.parametrize("route", [pytest.param(rt, id=rt.id, marks=_marks(rt)) for rt in ROUTES])
def test_route(route: r.Route, env: Env, db: Any) -> None:
    TOTALS["routes"] += 1
    TOTALS["public" if route.public else "covered"] += 1
    problems: list[str] = []
    reached: dict[str, set[str]] = {}
    for user in PUBLIC_USERS if route.public else USERS:
        sent: set[str] = set()
        forbidden = True  # every answer inside was 403: the role lacks the capability
        for mode in _modes(user):
            if mode != "inside" and forbidden:
                break  # refused before any object was looked at: outside would be too
            try:
                tries = attempts(env, route, mode, env.user(user))
            except r.Unfillable as exc:
                pytest.fail(str(exc))
            for attempt in tries:
                if attempt.key in sent:
                    continue  # the same request as inside (a list with no filter to set)
                sent.add(attempt.key)
                answer = send(env, user, attempt.method, attempt.path, **attempt.kwargs)
                problems += problems_of(env, route, user, attempt, answer)
                if mode != "inside" or user == "anonymous":
                    continue
                forbidden = forbidden and answer.status == 403
                if answer.status != 405:
                    ALLOWED_METHOD.add(f"{attempt.method} {route.template}")
                if not answer.denied:
                    reached.setdefault(attempt.method, set()).add(user)
                    if effective(attempt, answer):
                        EFFECTIVE.add(f"{attempt.method} {route.template}")
    if not route.public:
        problems += _access_changes(route, reached)
    LEAKS[route.id] += len(problems)
    assert not problems, "\n".join(problems)


def _modes(user: str) -> tuple[str, ...]:
    if user in ("anonymous", "nobody"):
        return ("inside",)  # every object is outside theirs: one side shows it
    return MODES


def _access_changes(route: r.Route, reached: dict[str, set[str]]) -> list[str]:
    out = []
    for method in route.methods:
        key = f"{method} {route.template}"
        who = " ".join(u for u in USERS if u in reached.get(method, set())) or "-"
        ACCESS[key] = who
        if not RECORD and EXPECTED_ACCESS.get(key) != who:
            out.append(
                f"{key}: reached by [{who}], access.txt says [{EXPECTED_ACCESS.get(key)}]: if "
                "this is meant, rerun with FANGKONG_MATRIX_RECORD=1 and review the diff"
            )
    return out


def test_lists_name_real_routes() -> None:
    names = {rt.name for rt in ROUTES}
    assert set(r.PUBLIC) <= names
    assert set(r.ANY_USER) <= names
    assert set(r.CHANGES_ALLOWED) | set(r.ANSWERED_NOT_ACCEPTED) | set(r.PAGE_UPLOADS) <= names
    assert {name for name, _param in r.ROUTE_PARAMS} <= names
    assert set(XFAIL) <= {rt.id for rt in ROUTES}


def test_admin_is_staff_only(env: Env, db: Any) -> None:
    problems = []
    for route in ADMIN:
        if route.name in {"admin:login", "admin:logout", "admin:jsi18n"}:
            continue
        path = r.build_path(route, {p: r.ADMIN_VALUES.get(p, "1") for p in route.params})
        for user in ADMIN_USERS:
            answer = send(env, user, "GET", path)
            # the admin's own log-in page sends people to the site's (password, then the code)
            if not (answer.status == 302 and "login/" in answer.location):
                problems.append(f"{user} GET {path}: HTTP {answer.status}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("side", ["inside", "outside"])
def test_a_change_to_an_outside_row_is_seen_and_one_inside_is_not(side: str, env: Env, db: Any):
    """The detector itself: a row of the outside district changed (on PostgreSQL, found by its
    table's digest, then described row by row) is reported; the same change inside is not."""
    world_side = getattr(env.world, side)
    person = Resident.objects.get(pk=min(world_side.objs["people"]))
    table = Resident._meta.db_table
    with transaction.atomic():
        Resident.objects.filter(pk=person.pk).update(name=person.name + "改")
        changed = changed_outside(env, [table])
        transaction.set_rollback(True)
    assert bool(changed) == (side == "outside"), changed
    if changed:
        assert changed[0].startswith(f"{table}: +") and person.name + "改" in changed[0]
    assert changed_outside(env, [table]) == []  # rolled back: as before
