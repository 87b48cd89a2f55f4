"""Query counts stay flat as data grows (pinned)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fangkong.care.models import Channel
from fangkong.care.requests.services import request_raise
from fangkong.people.models import KeyPerson
from tests import factories as f
from tests.care.conftest import make_facilities


def _grow(city, n):
    unit = city.w[f.Level.UNIT]
    for i in range(n):
        r = f.resident(unit, f"测试{i}")
        if i % 3 == 0:
            KeyPerson.objects.create(resident=r, category="chronic", division_key=unit.key)


def _count(client, url, params=None):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx.captured_queries)


PAGES = [
    ("home", None),
    ("people:residents", None),
    ("people:residents", {"q": "zw"}),
    ("people:key_persons", None),
]

# session, user, user's jurisdiction; then the page's own queries
PINNED = {
    "home": 3 + 5,  # five figure queries
    "people:residents": 3 + 2,  # rows, key-person badges
    "people:key_persons": 3 + 3,  # rows, open needs, places for the filter
}


def test_query_counts_are_pinned_and_flat(login, personas, people, city, settings):
    settings.PAGE_SIZE = 50
    client = login(personas["street"])
    small = {(name, str(params)): _count(client, reverse(name), params) for name, params in PAGES}
    _grow(city, 40)
    large = {(name, str(params)): _count(client, reverse(name), params) for name, params in PAGES}
    assert small == large
    for (name, _params), n in large.items():
        assert n == PINNED[name], (name, n)


# session, user, jurisdiction; the sweep of missed SLAs (1: nothing to record), the facilities
# of the filter, the page of rows with persons and facilities, the open and late counts
BOARD = 3 + 4


def test_the_care_board_query_count_is_pinned_and_flat(login, personas, city, settings):
    settings.PAGE_SIZE = 50
    make_facilities(personas["command"], city)
    client = login(personas["task_force"])

    def raise_some(n):
        unit = city.w[f.Level.UNIT]
        for i in range(n):
            request_raise(
                actor=personas["grid"],
                person=f.resident(unit, f"病人{i}"),
                type=("emergency", "dialysis", "medicine")[i % 3],
                channel=Channel.GRID,
            )

    raise_some(3)
    small = _count(client, reverse("care:board"), {"late": "on", "type": "emergency"})
    plain_small = _count(client, reverse("care:board"))
    raise_some(30)
    assert _count(client, reverse("care:board"), {"late": "on", "type": "emergency"}) == small
    assert _count(client, reverse("care:board")) == plain_small == small == BOARD
