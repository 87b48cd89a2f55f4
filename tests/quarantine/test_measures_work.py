"""Who sees which measures, the list's filters, test days as tasks, sampling, the daily job."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from fangkong.audit.models import Event
from fangkong.quarantine.measures import daily, selectors, services
from fangkong.quarantine.models import DueTestStatus, HealthCheck, MeasureStatus, ScheduledTest
from fangkong.quarantine.tasks import run_quarantine_daily
from tests import factories as f
from tests.quarantine.conftest import ONE_DAY, give_result, place, start, today, tube_with

pytestmark = pytest.mark.usefixtures("english")
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def names(qs):
    return sorted(m.person.name for m in qs)


def test_jurisdiction_sees_home_and_site_people_outsider_nothing(at_site, at_home, personas):
    assert names(selectors.measures_for_user(personas["street"])) == ["张伟", "王芳"]
    assert names(selectors.measures_for_user(personas["outsider"])) == []
    with pytest.raises(PermissionDenied):
        selectors.measures_for_user(personas["lab"])


def test_a_person_from_another_district_is_seen_by_the_site_and_their_home(
    twenty, personas, people, rooms
):
    m = start(personas["command"], people["other"])  # lives in 建安区
    place(m, rooms["102"])
    assert names(selectors.measures_for_user(personas["street"])) == ["赵强"]  # the site is in 魏都
    assert names(selectors.measures_for_user(personas["outsider"])) == ["赵强"]  # home in 建安


def test_site_manager_sees_only_people_at_their_sites(at_site, at_home, personas, city):
    assert selectors.site_ids_for(personas["quarantine"]) == [at_site.stays.get().site_id]
    assert selectors.site_ids_for(personas["street"]) is None
    assert names(selectors.measures_for_user(personas["quarantine"])) == ["张伟"]
    stranger = f.user("qs2", "quarantine", city.weidu)
    assert names(selectors.measures_for_user(stranger)) == []


def test_list_filters(at_site, at_home, personas):
    user, day = personas["street"], today()

    def search(**kw):
        return names(selectors.measure_search(user, today=day, **kw))

    assert search(where="site") == ["张伟"]
    assert search(where="home") == ["王芳"]
    assert search(site=at_site.stays.get().site_id) == ["张伟"]
    assert search(phase="centralised") == ["张伟"]
    assert search(phase="home_quarantine") == ["王芳"]
    assert search(category="high_risk_area_leaver") == ["王芳"]
    assert search(due=True) == []
    at_home.__class__.objects.filter(pk=at_home.pk).update(ends_on=day)
    assert search(due=True) == ["王芳"]
    assert search(missed=True) == []
    ScheduledTest.objects.filter(measure=at_site).update(status=DueTestStatus.MISSED)
    assert search(missed=True) == ["张伟"]
    assert search(status=MeasureStatus.RELEASED) == []


def test_start_a_home_measure_by_id_number(twenty, personas, people):
    m = services.measure_start_home(
        actor=personas["grid"],
        id_number=people["li"].id_number,
        category="risk_post_leaver",
        anchor_on=today() - ONE_DAY,
    )
    assert m.person == people["li"] and m.source == "community"
    assert m.phases.get().kind == "home_monitoring"
    with pytest.raises(ValidationError, match="already under a measure") as exc:
        services.measure_start_home(
            actor=personas["grid"],
            id_number=people["li"].id_number,
            category="close_contact",
            anchor_on=today(),
        )
    assert "id_number" in exc.value.message_dict
    with pytest.raises(ValidationError, match="No resident"):
        services.measure_start_home(
            actor=personas["outsider"],
            id_number=people["wang"].id_number,
            category="close_contact",
            anchor_on=today(),
        )
    with pytest.raises(PermissionDenied):
        services.measure_start_home(
            actor=personas["hotline"],
            id_number=people["wang"].id_number,
            category="close_contact",
            anchor_on=today(),
        )


def test_end_early_needs_a_reason_frees_the_room_and_is_audited(at_site, personas, rooms):
    with pytest.raises(ValidationError, match="reason"):
        services.measure_end_early(actor=personas["street"], measure=at_site, reason=" ")
    services.measure_end_early(actor=personas["street"], measure=at_site, reason="wrong person")
    at_site.refresh_from_db()
    rooms["101"].refresh_from_db()
    assert at_site.status == MeasureStatus.ENDED
    assert at_site.stays.get().status == "released" and rooms["101"].status == "cleaning"
    assert {"stay.ended", "room.status_changed", "measure.closed"} <= set(
        Event.objects.values_list("action", flat=True)
    )


def test_test_days_are_tasks_per_site_and_per_community(at_site, at_home, personas):
    groups = selectors.test_tasks(personas["street"], today())
    assert [(g.kind, g.name, [t.person.name for t in g.tests]) for g in groups] == [
        ("site", "魏都隔离酒店", ["张伟"]),
        ("community", "西大社区", ["王芳"]),
    ]
    mine = selectors.test_tasks(personas["quarantine"], today())
    assert [(g.kind, [t.person.name for t in g.tests]) for g in mine] == [("site", ["张伟"])]
    assert selectors.test_tasks(personas["outsider"], today()) == []
    assert selectors.test_tasks(personas["street"], today() + ONE_DAY)[0].name == "魏都隔离酒店"


def test_mark_sampled_with_time_or_tube_and_show_its_result(at_site, personas, people):
    test = at_site.tests.get(due_on=today())
    other = tube_with("T-OTHER", people["li"])
    with pytest.raises(ValidationError, match="holds no sample"):
        services.test_mark_sampled(actor=personas["quarantine"], test=test, barcode="T-OTHER")
    with pytest.raises(ValidationError, match="No tube"):
        services.test_mark_sampled(actor=personas["quarantine"], test=test, barcode="NOPE1")
    tube = tube_with("T-1", people["zhang"])
    services.test_mark_sampled(actor=personas["quarantine"], test=test, barcode=" T-1 ")
    test.refresh_from_db()
    assert (test.status, test.tube, selectors.test_state(test)) == ("sampled", tube, "sampled")
    give_result(tube, "negative")
    test = ScheduledTest.objects.select_related("tube__result").get(pk=test.pk)
    assert selectors.test_state(test) == "negative"
    with pytest.raises(ValidationError, match="already"):
        services.test_mark_sampled(actor=personas["quarantine"], test=test)
    later = at_site.tests.filter(due_on__gt=today()).first()
    with pytest.raises(ValidationError, match="due on"):
        services.test_mark_sampled(actor=personas["quarantine"], test=later)
    assert Event.objects.filter(action="test.sampled").count() == 1
    assert other.members.count() == 1


def test_a_positive_pool_is_not_a_persons_result(at_site, personas, people):
    pool = tube_with("P-10", people["zhang"], people["li"], capacity=10)
    give_result(pool, "positive")
    test = at_site.tests.get(due_on=today())
    services.test_mark_sampled(actor=personas["quarantine"], test=test, barcode="P-10")
    test = ScheduledTest.objects.select_related("tube__result").get(pk=test.pk)
    assert selectors.test_state(test) == "sampled"


def test_daily_job_marks_missed_tests_and_check_ins_once(at_site, at_home, personas):
    tomorrow = today() + ONE_DAY
    counts = daily.quarantine_daily(tomorrow)
    assert counts == {"results": 0, "missed_tests": 2, "missed_checkins": 1}
    assert daily.quarantine_daily(tomorrow) == {
        "results": 0,
        "missed_tests": 0,
        "missed_checkins": 0,
    }
    missed = HealthCheck.objects.get(missed=True)
    assert (missed.measure, missed.day, missed.temperature) == (at_home, today(), None)
    assert Event.objects.filter(action="test.missed").count() == 2
    assert Event.objects.filter(action="health_check.missed", actor_name="system").count() == 1
    groups = selectors.missed_tests(personas["street"])
    assert sorted(g.name for g in groups) == ["西大社区", "魏都隔离酒店"]


def test_daily_job_stores_results(at_site, personas, people):
    tube = tube_with("T-9", people["zhang"])
    services.test_mark_sampled(
        actor=personas["quarantine"], test=at_site.tests.get(due_on=today()), barcode="T-9"
    )
    give_result(tube, "negative")
    assert daily.tests_sync_results() == 1
    assert at_site.tests.get(due_on=today()).status == DueTestStatus.NEGATIVE


def test_daily_command_and_task(at_home, settings, capsys):
    call_command("quarantine_daily", "--date", (today() + ONE_DAY).isoformat())
    assert "missed_tests=1 missed_checkins=1" in capsys.readouterr().out
    settings.TASKS = IMMEDIATE
    result = run_quarantine_daily.enqueue((today() + ONE_DAY).isoformat())
    assert result.return_value == {"results": 0, "missed_tests": 0, "missed_checkins": 0}
