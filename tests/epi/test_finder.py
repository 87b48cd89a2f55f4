"""Contact finding from check-ins: overlaps, padding, look-back from the policy, secondary."""

import datetime as dt
import multiprocessing
import random
import warnings

import numba
import numpy as np
import pytest

from fangkong.epi.finding import engine as finder
from fangkong.epi.finding import index as checkin_index
from fangkong.epi.models import CheckIn
from fangkong.policy.models import PolicyProfile
from fangkong.policy.services import profile_activate
from tests import factories as f
from tests.epi.conftest import make_case

T0 = finder.EPOCH + 900 * 86_400
MIN = 60


def index_of(rows):
    """rows: (venue, person, minute in, minute out) relative to T0."""
    arr = np.array(rows, dtype=np.int64).reshape(-1, 4)
    return finder.build_index(arr[:, 0], arr[:, 1], T0 + arr[:, 2] * MIN, T0 + arr[:, 3] * MIN)


def as_dict(found):
    return {
        (int(c), int(p)): (int(v), int(m))
        for c, p, v, m in zip(
            found.case_id, found.person_id, found.venue_id, found.overlap_minutes, strict=True
        )
    }


def test_people_at_the_same_venue_at_the_same_time_are_close_contacts_with_exact_minutes():
    index = index_of(
        [
            (1, 100, 0, 60),  # the case, 00:00–01:00 at venue 1
            (1, 200, 30, 90),  # 30 minutes together
            (1, 300, 60, 120),  # arrives as the case leaves: no overlap
            (2, 400, 0, 60),  # another venue
            (1, 500, -600, 10),  # 10 minutes at the start
        ]
    )
    found = finder.find_close_contacts(index, [(7, 100, T0 - 86_400, T0 + 86_400)])
    assert as_dict(found) == {(7, 200): (1, 30), (7, 500): (1, 10)}
    start = dict(zip(found.person_id.tolist(), found.overlap_start.tolist(), strict=True))
    assert start[200] == T0 + 30 * MIN


def test_padding_widens_the_case_stay_on_both_sides():
    index = index_of([(1, 100, 0, 60), (1, 200, 70, 80), (1, 300, -40, -25)])
    window = [(7, 100, T0 - 86_400, T0 + 86_400)]
    assert as_dict(finder.find_close_contacts(index, window)) == {}
    padded = finder.find_close_contacts(index, window, padding_minutes=30)
    assert as_dict(padded) == {(7, 200): (1, 10), (7, 300): (1, 5)}


def test_only_the_case_stays_inside_its_window_count():
    index = index_of([(1, 100, 0, 60), (1, 200, 0, 60), (2, 100, 3000, 3060), (2, 300, 3000, 3060)])
    found = finder.find_close_contacts(index, [(7, 100, T0 + 1000 * MIN, T0 + 4000 * MIN)])
    assert as_dict(found) == {(7, 300): (2, 60)}


def test_the_longest_overlap_is_kept_and_every_overlap_is_evidence():
    index = index_of([(1, 100, 0, 60), (1, 200, 0, 20), (2, 100, 100, 200), (2, 200, 100, 190)])
    window = [(7, 100, T0 - 86_400, T0 + 86_400)]
    assert as_dict(finder.find_close_contacts(index, window)) == {(7, 200): (2, 90)}
    evidence = finder.find_close_contacts(index, window, all_rows=True)
    assert sorted(evidence.overlap_minutes.tolist()) == [20, 90]


def test_secondary_contacts_are_one_level_further_and_exclude_the_case_and_close_contacts():
    index = index_of(
        [
            (1, 100, 0, 60),  # case meets 200 and 300 at venue 1
            (1, 200, 0, 60),
            (1, 300, 30, 60),
            (2, 200, 120, 600),  # 200 goes home with 400
            (2, 400, 120, 600),
            (3, 300, 120, 180),  # 300 meets 500
            (3, 500, 150, 170),
            (5, 300, 700, 760),  # and the case again, and 200: neither is secondary
            (5, 100, 700, 760),
            (5, 200, 700, 760),
            (4, 200, -300, -200),  # before 200 was exposed: not secondary
            (4, 600, -300, -200),
        ]
    )
    cases = [(7, 100, T0 - 86_400, T0 + 86_400)]
    close = finder.find_close_contacts(index, cases)
    assert set(as_dict(close)) == {(7, 200), (7, 300)}
    secondary = finder.find_secondary_contacts(index, close, cases)
    got = {
        (int(p), int(v)) for p, v in zip(secondary.person_id, secondary.via_person_id, strict=True)
    }
    assert got == {(400, 200), (500, 300)}


def brute_force(rows, cases, pad, min_minutes=0, earliest=None):
    """Python reference: the longest overlap (minutes) per (case, person); `earliest`, when
    given, gets the earliest overlap start per (case, person)."""
    pad *= MIN
    best = {}
    for case_id, person, ws, we in cases:
        for v, p, a, b in rows:
            if p != person:
                continue
            a, b = max(a, ws), min(b, we)
            if b <= a:
                continue
            a, b = a - pad, b + pad
            for v2, p2, c, d in rows:
                if v2 != v or p2 == person:
                    continue
                o = min(d, b) - max(c, a)
                if o > min_minutes * MIN:
                    key = (case_id, p2)
                    best[key] = max(best.get(key, 0), o // MIN)
                    if earliest is not None:
                        earliest[key] = min(earliest.get(key, max(c, a)), max(c, a))
    return best


def assert_matches_brute_force(rows, cases, pad, secondary_minutes=10):
    arr = np.array(rows, dtype=np.int64)
    index = finder.build_index(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3])
    found = finder.find_close_contacts(index, cases, pad)
    got = {(c, p): m for (c, p), (_v, m) in as_dict(found).items()}
    earliest = {}
    assert got == brute_force(rows, cases, pad, earliest=earliest)
    first = dict(
        zip(
            zip(found.case_id.tolist(), found.person_id.tolist(), strict=True),
            found.exposed_from.tolist(),
            strict=True,
        )
    )
    assert first == earliest

    # Secondary: from each close contact's first exposure to the case's window end.
    secondary = finder.find_secondary_contacts(
        index, found, cases, pad, min_minutes=secondary_minutes
    )
    ends = {c: (p, we) for c, p, _ws, we in cases}
    expected = {}
    for (case_id, contact), exposed in first.items():
        window = [(case_id, contact, exposed, ends[case_id][1])]
        for key, minutes in brute_force(rows, window, pad, secondary_minutes).items():
            if key[1] == ends[case_id][0] or (case_id, key[1]) in first:
                continue
            expected[key] = max(expected.get(key, 0), minutes)
    got2 = {
        (int(c), int(p)): int(m)
        for c, p, m in zip(
            secondary.case_id, secondary.person_id, secondary.overlap_minutes, strict=True
        )
    }
    assert got2 == expected


@pytest.mark.parametrize("seed", range(8))
def test_engine_matches_a_brute_force_reference_on_random_logs(seed):
    rnd = random.Random(seed)
    rows = []
    for _ in range(rnd.randint(20, 120)):
        start = T0 + rnd.randint(0, 3 * 86_400)
        rows.append(
            (rnd.randint(1, 6), rnd.randint(1, 25), start, start + rnd.randint(1, 600) * 30)
        )
    cases = [
        (k, person, T0 + rnd.randint(0, 86_400), T0 + rnd.randint(86_400, 3 * 86_400))
        for k, person in enumerate(rnd.sample(range(1, 26), 4), start=1)
    ]
    assert_matches_brute_force(rows, cases, rnd.choice([0, 5, 30]))


@pytest.mark.parametrize("seed", range(3))
def test_busy_venues_and_searches_split_over_two_threads_match_the_reference(seed, monkeypatch):
    """Hundreds of visits per venue, a few stays of a day or more, many sources at once."""
    monkeypatch.setattr(finder, "SPLIT_MIN_SOURCES", 2)
    rnd = random.Random(100 + seed)
    rows = []
    for _ in range(700):
        start = T0 + rnd.randint(0, 4 * 86_400)
        long = rnd.random() < 0.03
        minutes = rnd.randint(600, 2000) if long else rnd.randint(1, 180)
        rows.append((rnd.randint(1, 3), rnd.randint(1, 80), start, start + minutes * MIN))
    cases = [
        (k, person, T0 + rnd.randint(0, 86_400), T0 + rnd.randint(2 * 86_400, 4 * 86_400))
        for k, person in enumerate(rnd.sample(range(1, 81), 6), start=1)
    ]
    assert_matches_brute_force(rows, cases, rnd.choice([0, 15]), secondary_minutes=30)


def test_of_equally_long_overlaps_the_earliest_is_the_evidence():
    index = index_of([(2, 100, 0, 60), (2, 200, 0, 30), (1, 100, 100, 130), (1, 200, 100, 130)])
    found = finder.find_close_contacts(index, [(7, 100, T0 - 86_400, T0 + 86_400)])
    assert as_dict(found) == {(7, 200): (2, 30)}
    assert found.overlap_start.tolist() == [T0]


def test_cases_without_check_ins_and_an_empty_log_find_no_one():
    window = (7, 999, T0 - 86_400, T0 + 86_400)
    index = index_of([(1, 100, 0, 60), (1, 200, 0, 30)])
    assert len(finder.find_close_contacts(index, [window])) == 0
    empty = finder.build_index(*(np.zeros(0, dtype=np.int64),) * 4)
    close = finder.find_close_contacts(empty, [window, (8, 100, T0, T0 + 60)])
    assert len(close) == 0
    assert len(finder.find_secondary_contacts(empty, close, [window])) == 0


# Through the database and the policy -----------------------------------------------------

TZ = dt.timezone(dt.timedelta(hours=8))


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


@pytest.fixture
def venue(city):
    return f.venue(city.w[f.Level.COMMUNITY], "V-F-1", "西大街超市")


@pytest.fixture
def ninth(db):
    return PolicyProfile.objects.get(code="9th-edition")


def activate(code_or_profile, actor=None):
    profile = (
        code_or_profile
        if isinstance(code_or_profile, PolicyProfile)
        else PolicyProfile.objects.get(code=code_or_profile)
    )
    profile_activate(profile=profile, actor=actor, reason="test")


def visit(person, venue, start, minutes):
    CheckIn.objects.create(
        person=person, venue=venue, time_in=start, time_out=start + dt.timedelta(minutes=minutes)
    )


@pytest.fixture
def outbreak(people, venue):
    """张伟 falls ill on 2022-01-09; 李秀英 met him 4 days before onset, 王芳 5 days before."""
    case = make_case(people["zhang"], onset_on=dt.date(2022, 1, 9))
    onset = case.onset_on
    for days_before, other in ((4, people["li"]), (5, people["wang"])):
        day = onset - dt.timedelta(days=days_before)
        visit(people["zhang"], venue, at(day, 10), 60)
        visit(other, venue, at(day, 10, 20), 30)
    # 赵强 shares a long dinner with 李秀英 after her exposure: a secondary contact.
    visit(people["li"], venue, at(onset, 18), 120)
    visit(people["other"], venue, at(onset, 18), 120)
    return case


@pytest.mark.parametrize("code", ["9th-edition", "20-measures"])
def test_each_profile_looks_back_its_days_before_onset(outbreak, people, code):
    activate(code)
    rows = checkin_index.candidates_for_cases([outbreak])
    close = {r["person_id"]: r for r in rows if r["degree"] == "close"}
    assert set(close) == {people["li"].pk}  # 4 days back is inside, 5 is not
    assert close[people["li"].pk]["overlap_minutes"] == 30


def test_a_profile_with_a_longer_look_back_finds_the_older_exposure(outbreak, people, ninth):
    longer = PolicyProfile.objects.create(
        code="local-longer",
        version=1,
        name_zh="本地",
        name_en="Local",
        issued_by="test",
        published_on=dt.date(2022, 12, 1),
        source="test",
        rules={
            **ninth.rules,
            "contacts": {**ninth.rules["contacts"], "lookback_days_before_onset": 5},
        },
    )
    activate(longer)
    rows = checkin_index.candidates_for_cases([outbreak])
    assert {r["person_id"] for r in rows} == {people["li"].pk, people["wang"].pk}


def test_ninth_edition_finds_secondary_contacts_and_twenty_measures_does_not(outbreak, people):
    activate("9th-edition")
    rows = checkin_index.candidates_for_cases([outbreak], include_secondary=True)
    secondary = [r for r in rows if r["degree"] == "secondary"]
    assert [(r["person_id"], r["via_person_id"], r["overlap_minutes"]) for r in secondary] == [
        (people["other"].pk, people["li"].pk, 120)
    ]
    activate("20-measures")
    rows = checkin_index.candidates_for_cases([outbreak], include_secondary=True)
    assert {r["degree"] for r in rows} == {"close"}


def test_padding_reaches_someone_who_came_just_after(outbreak, people, venue):
    activate("20-measures")
    later = outbreak.onset_on - dt.timedelta(days=1)
    visit(people["zhang"], venue, at(later, 15), 30)
    visit(people["wang"], venue, at(later, 15, 40), 30)
    plain = checkin_index.candidates_for_cases([outbreak])
    assert people["wang"].pk not in {r["person_id"] for r in plain}
    padded = checkin_index.candidates_for_cases([outbreak], padding_minutes=15)
    found = {r["person_id"]: r for r in padded}
    assert found[people["wang"].pk]["overlap_minutes"] == 5
    assert found[people["wang"].pk]["venue_id"] == venue.pk


def test_the_cached_index_sees_new_imports(outbreak, people, monkeypatch):
    activate("20-measures")
    monkeypatch.setattr(checkin_index, "CACHE_MIN_ROWS", 0)
    checkin_index.checkins_changed()
    assert len(checkin_index.candidates_for_cases([outbreak])) == 1
    assert checkin_index.current_index() is checkin_index.current_index()
    venue2 = f.venue(outbreak.person.division, "V-F-2", "药店")
    day = outbreak.onset_on - dt.timedelta(days=1)
    visit(people["zhang"], venue2, at(day, 9), 30)
    visit(people["wang"], venue2, at(day, 9), 30)
    assert len(checkin_index.candidates_for_cases([outbreak])) == 2


def test_a_forked_process_splits_searches_over_its_own_second_thread(monkeypatch):
    monkeypatch.setattr(finder, "SPLIT_MIN_SOURCES", 1)
    index = index_of([(1, 100, 0, 60), (1, 200, 30, 90), (2, 300, 0, 60), (2, 400, 10, 20)])
    cases = [(7, 100, T0 - 86_400, T0 + 86_400), (8, 300, T0 - 86_400, T0 + 86_400)]
    expected = as_dict(finder.find_close_contacts(index, cases))  # starts the parent's thread
    assert expected == {(7, 200): (1, 30), (8, 400): (2, 10)}
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # forking a threaded process
        child = context.Process(
            target=lambda: results.put(as_dict(finder.find_close_contacts(index, cases)))
        )
        child.start()
    child.join(60)
    assert child.exitcode == 0
    assert results.get(timeout=5) == expected


def test_kernels_compile_in_memory_where_no_cache_can_be_written():
    """Code with no source file has no cache location, like a read-only install would."""
    with pytest.raises(RuntimeError, match="cannot cache"):
        numba.njit(cache=True)(eval(compile("lambda x: x + 1", "<no file>", "eval")))
    add_one = finder._kernel(eval(compile("lambda x: x + 1", "<no file>", "eval")))
    assert add_one(41) == 42
