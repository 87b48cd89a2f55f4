"""Starting, refusing, closing and re-planning measures."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from fangkong.audit.models import Event
from fangkong.policy.models import PolicyProfile
from fangkong.policy.services import profile_activate
from fangkong.quarantine.measures.services import measure_close, measure_start, measures_replan
from fangkong.quarantine.models import DueTestStatus, Measure, MeasureStatus, ScheduledTest

D = dt.date
TODAY = D(2022, 11, 14)
EXPOSED = D(2022, 11, 13)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def activate(code: str, actor) -> None:
    profile_activate(profile=PolicyProfile.objects.get(code=code), actor=actor, reason="test")


def start(actor, person, category="close_contact", anchor=EXPOSED, **kw):
    return measure_start(
        actor=actor, person=person, category=category, anchor_on=anchor, today=TODAY, **kw
    )


def test_start_stores_phases_tests_and_audits(personas, people):
    activate("20-measures", personas["command"])
    m = start(personas["task_force"], people["zhang"], source="contact:1")
    assert (m.starts_on, m.ends_on) == (D(2022, 11, 14), D(2022, 11, 21))
    assert m.profile_code == "20-measures" and m.division_key == people["zhang"].division_key
    assert list(m.phases.values_list("kind", "first_day", "last_day")) == [
        ("centralised", D(2022, 11, 14), D(2022, 11, 18)),
        ("home_quarantine", D(2022, 11, 19), D(2022, 11, 21)),
    ]
    assert [t.day for t in m.tests.values_list("due_on", flat=True)] == [14, 15, 16, 18, 19, 21]
    event = Event.objects.get(action="measure.started", object_id=str(m.pk))
    assert event.person_id == people["zhang"].pk
    assert "101号" in event.basis and event.data["category"] == "close_contact"


def test_refusals(personas, people):
    activate("20-measures", personas["command"])
    tf = personas["task_force"]
    start(tf, people["zhang"])
    with pytest.raises(ValidationError, match="already under a measure"):
        start(tf, people["zhang"], category="inbound_traveller")
    with pytest.raises(ValidationError, match="category"):
        start(tf, people["li"], category="")
    with pytest.raises(ValidationError, match="sets no measures"):
        start(tf, people["li"], category="secondary_contact")
    with pytest.raises(ValidationError, match="no measure is needed"):
        start(tf, people["li"], anchor=D(2022, 11, 1))
    with pytest.raises(ValidationError, match="future"):
        start(tf, people["li"], anchor=D(2022, 11, 20))
    with pytest.raises(ValidationError, match="jurisdiction"):
        start(personas["outsider"], people["li"])
    with pytest.raises(PermissionDenied):
        start(personas["lab"], people["li"])
    assert Measure.objects.count() == 1


def test_close_needs_reason_and_drops_due_tests(personas, people):
    activate("20-measures", personas["command"])
    m = start(personas["task_force"], people["zhang"])
    with pytest.raises(ValidationError, match="reason"):
        measure_close(actor=personas["task_force"], measure=m, status="ended", reason=" ")
    measure_close(actor=personas["task_force"], measure=m, status="ended", reason="wrong person")
    m.refresh_from_db()
    assert m.status == MeasureStatus.ENDED and not m.tests.exists()
    with pytest.raises(ValidationError, match="already closed"):
        measure_close(actor=personas["task_force"], measure=m, status="ended", reason="again")
    # a new measure may start once the old one is closed
    assert start(personas["task_force"], people["zhang"]).status == MeasureStatus.ACTIVE


def test_profile_switch_replans_active_measures_with_an_event_each(personas, people):
    command = personas["command"]
    activate("9th-edition", command)
    close = start(personas["task_force"], people["zhang"])
    secondary = start(personas["task_force"], people["li"], category="secondary_contact")
    assert close.ends_on == D(2022, 11, 23)  # 7 + 3
    ScheduledTest.objects.filter(measure=close, due_on=TODAY).update(status=DueTestStatus.NEGATIVE)
    changed = measures_replan(
        actor=command, profile=PolicyProfile.objects.get(code="20-measures"), today=TODAY
    )
    assert changed == 2
    close.refresh_from_db()
    secondary.refresh_from_db()
    assert close.ends_on == D(2022, 11, 21) and close.profile_code == "20-measures"
    assert list(close.tests.values_list("due_on", "status")) == [
        (D(2022, 11, 14), "negative"),  # done tests are kept
        (D(2022, 11, 15), "due"),
        (D(2022, 11, 16), "due"),
        (D(2022, 11, 18), "due"),
        (D(2022, 11, 19), "due"),
        (D(2022, 11, 21), "due"),
    ]
    assert secondary.status == MeasureStatus.ENDED  # not identified under the 20 measures
    assert not secondary.tests.filter(status="due").exists()
    events = Event.objects.filter(action="measure.replanned").order_by("person_id")
    assert [e.person_id for e in events] == sorted([people["zhang"].pk, people["li"].pk])
    for e in events:
        assert "101号" in e.basis
    # The same profile again changes nothing and records nothing.
    again = measures_replan(
        actor=command, profile=PolicyProfile.objects.get(code="20-measures"), today=TODAY
    )
    assert again == 0 and Event.objects.filter(action="measure.replanned").count() == 2


def test_activation_signal_replans(personas, people):
    activate("9th-edition", personas["command"])
    m = measure_start(
        actor=personas["task_force"],
        person=people["zhang"],
        category="close_contact",
        anchor_on=dt.date.today(),
    )
    activate("20-measures", personas["command"])
    m.refresh_from_db()
    assert m.profile_code == "20-measures"
    assert (m.ends_on - m.anchor_on).days == 8
