"""Schedules for each category under both shipped profiles: exact phases and test days."""

import datetime as dt

import pytest

from fangkong.policy.models import PolicyProfile
from fangkong.policy.schema import Rules
from fangkong.quarantine.measures.schedules import plan

D = dt.date


def rules(code: str) -> Rules:
    return Rules.model_validate(PolicyProfile.objects.get(code=code).rules)


def shape(p):
    return (
        [(ph.kind, ph.first_day, ph.last_day) for ph in p.phases],
        [(t.due_on, t.phase_kind, t.day_number) for t in p.tests],
    )


@pytest.mark.django_db
def test_close_contact_ninth_edition_7_plus_3():
    p = plan(rules("9th-edition").measure("close_contact"), D(2022, 5, 1), today=D(2022, 5, 1))
    phases, tests = shape(p)
    assert phases == [
        ("centralised", D(2022, 5, 2), D(2022, 5, 8)),
        ("home_monitoring", D(2022, 5, 9), D(2022, 5, 11)),
    ]
    assert [t[0].day for t in tests] == [2, 3, 4, 6, 8, 11]
    assert tests[-1] == (D(2022, 5, 11), "home_monitoring", 3)
    assert (p.starts_on, p.ends_on) == (D(2022, 5, 2), D(2022, 5, 11))


@pytest.mark.django_db
def test_close_contact_twenty_measures_5_plus_3():
    p = plan(rules("20-measures").measure("close_contact"), D(2022, 11, 12), today=D(2022, 11, 12))
    phases, tests = shape(p)
    assert phases == [
        ("centralised", D(2022, 11, 13), D(2022, 11, 17)),
        ("home_quarantine", D(2022, 11, 18), D(2022, 11, 20)),
    ]
    assert tests == [
        (D(2022, 11, 13), "centralised", 1),
        (D(2022, 11, 14), "centralised", 2),
        (D(2022, 11, 15), "centralised", 3),
        (D(2022, 11, 17), "centralised", 5),
        (D(2022, 11, 18), "home_quarantine", 1),
        (D(2022, 11, 20), "home_quarantine", 3),
    ]


@pytest.mark.django_db
def test_secondary_contact_only_under_ninth_edition():
    p = plan(rules("9th-edition").measure("secondary_contact"), D(2022, 5, 1), today=D(2022, 5, 1))
    phases, tests = shape(p)
    assert phases == [("home_quarantine", D(2022, 5, 2), D(2022, 5, 8))]
    assert [t[0].day for t in tests] == [2, 5, 8]
    twenty = rules("20-measures").measure("secondary_contact")
    assert not twenty.identified and not twenty.phases


@pytest.mark.django_db
def test_high_risk_area_leaver_both_profiles_and_lapse():
    left = D(2022, 11, 14)
    ninth = plan(rules("9th-edition").measure("high_risk_area_leaver"), left, today=left)
    assert shape(ninth)[0] == [("centralised", D(2022, 11, 15), D(2022, 11, 21))]
    assert [t.due_on.day for t in ninth.tests] == [15, 16, 17, 19, 21]
    rule = rules("20-measures").measure("high_risk_area_leaver")
    # Arrived 2 days after leaving: the days already spent count; tests from today.
    p = plan(rule, left, today=D(2022, 11, 16))
    assert shape(p)[0] == [("home_quarantine", D(2022, 11, 15), D(2022, 11, 21))]
    assert [t.due_on.day for t in p.tests] == [17, 19, 21]  # day 1 (15th) is past
    # More than 7 days since leaving: one test, no quarantine.
    lapsed = plan(rule, left, today=D(2022, 11, 22))
    assert lapsed.lapsed and lapsed.phases == ()
    assert [(t.due_on, t.day_number) for t in lapsed.tests] == [(D(2022, 11, 22), 1)]
    # Exactly 7 days since leaving: still the last quarantine day.
    assert not plan(rule, left, today=D(2022, 11, 21)).lapsed


@pytest.mark.django_db
def test_inbound_traveller_and_risk_post_leaver():
    arrived = D(2022, 11, 12)
    p = plan(rules("20-measures").measure("inbound_traveller"), arrived, today=arrived)
    assert [(ph.kind, ph.last_day.day) for ph in p.phases] == [
        ("centralised", 17),
        ("home_quarantine", 20),
    ]
    post = plan(rules("20-measures").measure("risk_post_leaver"), arrived, today=arrived)
    assert shape(post) == (
        [("home_monitoring", D(2022, 11, 13), D(2022, 11, 17))],
        [
            (D(2022, 11, 13), "home_monitoring", 1),
            (D(2022, 11, 15), "home_monitoring", 3),
            (D(2022, 11, 17), "home_monitoring", 5),
        ],
    )
    ninth = plan(rules("9th-edition").measure("risk_post_leaver"), arrived, today=arrived)
    assert shape(ninth) == ([("centralised_or_home", D(2022, 11, 13), D(2022, 11, 19))], [])
