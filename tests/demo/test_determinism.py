"""Same residents and seed → the same city, row for row; another seed → another city."""

import datetime as dt
import hashlib

from fangkong.demo.people import Populator
from fangkong.demo.tree import TreeBuilder
from fangkong.people.names import pinyin_of
from fangkong.places.models import Level

AS_OF = dt.date(2022, 5, 7)


def build(residents: int, seed: int, as_of: dt.date = AS_OF) -> Populator:
    people = Populator(seed, f"{as_of} 00:00:00", as_of)
    for node in TreeBuilder(residents, seed).walk():
        people.households.append(node.row())
        if node.level == Level.GRID:
            people.add_venues(node, [])
        elif node.level == Level.UNIT:
            people.fill_unit(node)
    return people


def digest(people: Populator) -> str:
    h = hashlib.sha256()
    for rows in (
        people.households,
        people.residents,
        people.key_persons,
        people.needs,
        people.venues,
    ):
        for row in rows:
            h.update(repr(row).encode())
    return h.hexdigest()


def test_same_seed_gives_the_same_city():
    assert digest(build(5000, 1)) == digest(build(5000, 1))


def test_another_seed_gives_another_city():
    a, b = build(5000, 1), build(5000, 2)
    assert digest(a) != digest(b)
    assert [r[1] for r in a.residents[:50]] != [r[1] for r in b.residents[:50]]


def test_another_as_of_date_moves_the_dates_only():
    a, b = build(3000, 1), build(3000, 1, dt.date(2026, 2, 28))
    assert digest(a) != digest(b)
    assert [r[5::3] for r in a.residents] == [r[5::3] for r in b.residents]  # sex, household
    assert max(r[6] for r in b.residents) <= "2026-02-28"
    assert {r[5] for r in b.needs} <= {
        str(dt.date(2026, 2, 28) + dt.timedelta(d)) for d in range(30)
    }


def test_a_tiny_city_still_has_every_level():
    people = build(6, 1)
    levels = {row[4] for row in people.households if len(row) == 8}
    assert levels == set(Level.values)
    assert len(people.residents) == 6


def test_stored_pinyin_matches_pinyin_of():
    people = build(3000, 4)
    for row in people.residents:
        assert (row[3], row[4]) == pinyin_of(row[2]), row[2]
