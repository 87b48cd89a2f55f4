"""Health code from quarantine measures: categories, monitoring phases and missed tests."""

import datetime as dt

import pytest
from django.utils import translation

from fangkong.healthcode.explanation import explain
from fangkong.healthcode.selectors import derive, status_current
from fangkong.healthcode.store import recompute
from fangkong.policy.models import PolicyProfile
from fangkong.policy.schema import Rules
from fangkong.quarantine.measures.services import measure_close, measure_start
from fangkong.quarantine.models import DueTestStatus, ScheduledTest

D = dt.date
START = D(2022, 11, 14)


def rules(code: str) -> Rules:
    return Rules.model_validate(PolicyProfile.objects.get(code=code).rules)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def start(personas, person, category, anchor=START):
    return measure_start(
        actor=personas["task_force"],
        person=person,
        category=category,
        anchor_on=anchor,
        today=anchor,
    )


def test_high_risk_area_leaver_is_red_until_the_quarantine_ends(personas, people):
    start(personas, people["zhang"], "high_risk_area_leaver")
    twenty = rules("20-measures")
    on_day_3 = derive(people["zhang"], today=D(2022, 11, 17), rules=twenty)
    assert (on_day_3.colour, on_day_3.rule) == ("red", "high_risk_area_leaver_under_quarantine")
    assert on_day_3.until is not None
    assert derive(people["zhang"], today=D(2022, 11, 22), rules=twenty).colour == "green"


def test_risk_post_leaver_is_yellow_while_monitored(personas, people):
    start(personas, people["li"], "risk_post_leaver")
    derived = derive(people["li"], today=D(2022, 11, 15), rules=rules("20-measures"))
    assert (derived.colour, derived.rule) == ("yellow", "under_health_monitoring")


def test_missed_test_is_yellow_until_a_later_test_is_taken(personas, people):
    m = start(personas, people["li"], "risk_post_leaver")  # tests 15, 17, 19 Nov
    ScheduledTest.objects.filter(measure=m, due_on=D(2022, 11, 15)).update(
        status=DueTestStatus.MISSED
    )
    twenty = rules("20-measures")
    derived = derive(people["li"], today=D(2022, 11, 16), rules=twenty)
    assert derived.colour == "yellow"
    assert {f["condition"] for f in derived.facts} == {
        "under_health_monitoring",
        "missed_required_test",
    }
    ScheduledTest.objects.filter(measure=m, due_on=D(2022, 11, 17)).update(
        status=DueTestStatus.NEGATIVE
    )
    later = derive(people["li"], today=D(2022, 11, 18), rules=twenty)
    assert [f["condition"] for f in later.facts] == ["under_health_monitoring"]
    assert derive(people["li"], today=D(2022, 11, 20), rules=twenty).colour == "green"


def test_explained_to_staff_and_person_and_green_after_close(personas, people):
    m = start(personas, people["zhang"], "inbound_traveller", anchor=dt.date.today())
    recompute(person_ids=[people["zhang"].pk])
    status = status_current(people["zhang"])
    assert status.colour == "red" and status.rule == "inbound_traveller_under_quarantine"
    staff = " ".join(explain(status))
    assert "inbound traveller" in staff and "now in the centralised quarantine phase" in staff
    assert "the whole measure until" in staff
    assert "inbound traveller" in " ".join(explain(status, audience="person"))
    measure_close(actor=personas["task_force"], measure=m, status="ended", reason="entered twice")
    assert status_current(people["zhang"]).colour == "green"


def test_member_of_a_positive_pool_is_yellow_until_cleared(personas, people):
    from django.utils import timezone

    from fangkong.lab.models import ControlStatus, Purpose, TemporaryControl, Tube

    tube = Tube.objects.create(
        barcode="P-0001",
        capacity=10,
        purpose=Purpose.ROUND,
        collected_at=timezone.now(),
        division_key=people["wang"].division_key,
    )
    control = TemporaryControl.objects.create(
        person=people["wang"],
        source_tube=tube,
        since=timezone.now(),
        division_key=people["wang"].division_key,
    )
    recompute(person_ids=[people["wang"].pk])
    status = status_current(people["wang"])
    assert (status.colour, status.rule) == ("yellow", "under_temporary_control")
    assert "P-0001" in " ".join(explain(status))
    assert "P-0001" not in " ".join(explain(status, audience="person"))
    control.status = ControlStatus.CLEARED
    control.save()
    recompute(person_ids=[people["wang"].pk])
    assert status_current(people["wang"]).colour == "green"
