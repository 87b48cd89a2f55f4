"""Daily health checks: a floor saved at once (all or nothing), alerts, home check-ins."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fangkong.audit.models import Event
from fangkong.core.errors import BulkErrors
from fangkong.quarantine.measures import checks, daily
from fangkong.quarantine.models import AlertStatus, HealthAlert, HealthCheck, Measure, MeasurePhase
from tests import factories as f
from tests.quarantine.conftest import ONE_DAY, place, start, today

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def floor(at_site, personas, people, rooms):
    """张伟 in A-101, 李秀英 and 王芳 sharing A-102: floor 1 of building A."""
    for name in ("li", "wang"):
        place(start(personas["task_force"], people[name]), rooms["102"])
    return checks.floor_roster(rooms["101"].site, "A", 1, today())


def entries(rows, values):
    """values: one (temperature, symptoms, other) per row; None = leave the row blank."""
    out = []
    for row, v in zip(rows, values, strict=True):
        t, symptoms, other = v or ("", [], "")
        out.append(
            checks.CheckEntry(
                measure=row.measure,
                stay=row.stay,
                temperature=t,
                symptoms=symptoms,
                symptom_other=other,
            )
        )
    return out


def test_the_floor_lists_people_in_room_order(floor):
    assert [(str(r.room), r.person.name) for r in floor] == [
        ("A-101", "张伟"),
        ("A-102", "李秀英"),
        ("A-102", "王芳"),
    ]


def test_one_submit_saves_the_floor_and_alerts_on_fever_or_symptoms(floor, personas):
    result = checks.checks_record(
        actor=personas["quarantine"],
        day=today(),
        entries=entries(floor, [("36.6", [], ""), ("37.3", [], ""), ("36,8", ["cough"], "头痛")]),
    )
    assert len(result.saved) == 3 and len(result.alerts) == 2
    saved = {c.person.name: c for c in HealthCheck.objects.select_related("person")}
    assert saved["张伟"].temperature == Decimal("36.6") and not saved["张伟"].abnormal
    assert saved["王芳"].symptoms == ["cough", "other"] and saved["王芳"].symptom_other == "头痛"
    assert saved["王芳"].division_key == floor[0].stay.division_key  # kept at the site
    reasons = sorted(HealthAlert.objects.values_list("reason", flat=True))
    assert reasons == ["Cough; 头痛", "Temperature 37.3 °C"]
    assert Event.objects.filter(action="health_check.recorded").count() == 3
    assert Event.objects.filter(action="health_alert.raised").count() == 2


def test_bad_rows_save_nothing_and_name_each_row(floor, personas):
    with pytest.raises(BulkErrors) as exc:
        checks.checks_record(
            actor=personas["quarantine"],
            day=today(),
            entries=entries(floor, [("36.5", [], ""), ("3.65", [], ""), ("", ["cough"], "")]),
        )
    assert exc.value.rows == {
        1: {"temperature": ["A body temperature is between 34.0 and 43.0 °C"]},
        2: {"temperature": ["Give the temperature"]},
    }
    assert not HealthCheck.objects.exists()
    with pytest.raises(BulkErrors) as exc:
        checks.checks_record(
            actor=personas["quarantine"],
            day=today(),
            entries=entries(floor, [("abc", [], ""), None, ("36.5", ["sneezing"], "")]),
        )
    assert exc.value.rows[0]["temperature"] == ["Enter a temperature such as 36.6"]
    assert exc.value.rows[2]["symptoms"] == ["Unknown symptom"]


def test_blank_rows_are_skipped_and_a_second_save_updates_and_reopens(floor, personas):
    actor = personas["quarantine"]
    checks.checks_record(
        actor=actor, day=today(), entries=entries(floor, [("37.5", [], ""), None, None])
    )
    assert HealthCheck.objects.count() == 1
    alert = HealthAlert.objects.get()
    checks.alert_handle(actor=actor, alert=alert, outcome="seen by the site doctor")
    rows = checks.floor_roster(floor[0].room.site, "A", 1, today())
    assert rows[0].check.temperature == Decimal("37.5")  # pre-filled
    before = Event.objects.filter(action="health_check.recorded").count()
    unchanged = checks.checks_record(
        actor=actor, day=today(), entries=entries(rows, [("37.5", [], ""), None, None])
    )
    assert (
        unchanged.saved == []
        and before == Event.objects.filter(action="health_check.recorded").count()
    )
    again = checks.checks_record(
        actor=actor, day=today(), entries=entries(rows, [("38.1", [], ""), None, None])
    )
    assert len(again.saved) == 1 and HealthCheck.objects.count() == 1
    alert.refresh_from_db()
    assert (alert.status, alert.reason, alert.outcome) == (
        AlertStatus.OPEN,
        "Temperature 38.1 °C",
        "",
    )


def test_scope_and_days(at_site, rooms, personas, at_home):
    floor = checks.floor_roster(rooms["101"].site, "A", 1, today())
    outsider_entries = entries(floor, [("36.5", [], "")])
    with pytest.raises(BulkErrors, match="outside your jurisdiction"):
        checks.checks_record(actor=personas["outsider"], day=today(), entries=outsider_entries)
    with pytest.raises(PermissionDenied):
        checks.checks_record(actor=personas["hotline"], day=today(), entries=outsider_entries)
    with pytest.raises(ValidationError, match="future"):
        checks.checks_record(
            actor=personas["quarantine"], day=today() + ONE_DAY, entries=outsider_entries
        )
    home = [checks.CheckEntry(measure=at_home, temperature="36.5")]
    with pytest.raises(BulkErrors, match="outside"):  # not at the manager's site
        checks.checks_record(actor=personas["quarantine"], day=today(), entries=home)
    with pytest.raises(BulkErrors, match="not a day of this measure"):
        checks.checks_record(actor=personas["grid"], day=today() - 3 * ONE_DAY, entries=home)


def test_home_check_in_fills_a_missed_day(at_home, personas):
    daily.checkins_mark_missed(today() + ONE_DAY)
    assert checks.missed_checkins(personas["grid"]).count() == 1
    rows = checks.home_roster(personas["grid"], "", today(), today())
    assert [(r.person.name, r.phase, r.check) for r in rows] == [("王芳", "Home quarantine", None)]
    checks.checks_record(
        actor=personas["grid"],
        day=today(),
        entries=[checks.CheckEntry(measure=at_home, temperature="36.4")],
    )
    check = HealthCheck.objects.get()
    assert (check.missed, check.temperature, check.stay) == (False, Decimal("36.4"), None)
    assert checks.missed_checkins(personas["grid"]).count() == 0
    assert checks.home_communities(personas["grid"], today())[0][1] == "西大社区"


def test_alerts_are_scoped_and_handled_once_with_an_outcome(floor, personas, city):
    checks.checks_record(
        actor=personas["quarantine"],
        day=today(),
        entries=entries(floor, [("39.0", [], ""), None, None]),
    )
    alert = HealthAlert.objects.get()
    assert list(checks.alerts_for_user(personas["task_force"])) == [alert]
    assert list(checks.alerts_for_user(personas["outsider"])) == []
    with pytest.raises(ValidationError, match="Say what was done"):
        checks.alert_handle(actor=personas["task_force"], alert=alert, outcome=" ")
    with pytest.raises(ValidationError, match="outside"):
        far = f.user("tf_jianan", "task_force", city.jianan)
        checks.alert_handle(actor=far, alert=alert, outcome="x")
    with pytest.raises(PermissionDenied):
        checks.alert_handle(actor=personas["street"], alert=alert, outcome="x")
    checks.alert_handle(actor=personas["task_force"], alert=alert, outcome="fever clinic")
    with pytest.raises(ValidationError, match="already handled"):
        checks.alert_handle(actor=personas["task_force"], alert=alert, outcome="again")
    assert list(checks.alerts_for_user(personas["task_force"])) == []
    event = Event.objects.get(action="health_alert.handled")
    assert (event.reason, event.actor_name) == ("fever clinic", "p_task_force")


def test_missed_check_ins_count_from_the_day_the_measure_started_not_when_entered(at_home):
    """A measure entered today that started two days ago: its home days since then are due."""
    started = timezone.make_aware(dt.datetime.combine(today() - 2 * ONE_DAY, dt.time(9)))
    Measure.objects.filter(pk=at_home.pk).update(started_at=started)
    MeasurePhase.objects.filter(measure=at_home).update(first_day=today() - 2 * ONE_DAY)
    daily.checkins_mark_missed(today() + ONE_DAY)
    missed = HealthCheck.objects.filter(measure=at_home, missed=True)
    assert sorted(c.day for c in missed) == [today() - 2 * ONE_DAY, today() - ONE_DAY, today()]
