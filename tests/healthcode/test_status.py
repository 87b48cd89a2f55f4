"""Health-code colour derived from facts under each shipped profile, stored, explained."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from fangkong.accounts.models import User
from fangkong.audit.models import Event
from fangkong.core import changes
from fangkong.core.roles import Role
from fangkong.epi.models import (
    CaseKind,
    CaseStatus,
    ContactStatus,
    Degree,
    ExposureRelation,
)
from fangkong.healthcode.explanation import explain
from fangkong.healthcode.models import CodeOverride, CodeStatus
from fangkong.healthcode.selectors import derive, status_current
from fangkong.healthcode.store import recompute, recompute_expired
from fangkong.policy import accessor
from fangkong.policy.models import PolicyProfile
from fangkong.policy.services import profile_activate
from fangkong.quarantine.measures.services import measure_start
from tests import factories as f
from tests.epi.conftest import make_case, make_contact

NINTH = "9th-edition"
TWENTY = "20-measures"
EXPOSED = dt.date(2022, 5, 3)
NINTH_SOURCE = "联防联控机制综发〔2022〕71号"
TWENTY_SOURCE = "联防联控机制综发〔2022〕101号"


def rules(code: str):
    return accessor.load(PolicyProfile.objects.get(code=code)).rules


def use_profile(code: str) -> None:
    """Make `code` active without the activation service (no recompute, no event)."""
    PolicyProfile.objects.update(is_active=False)
    PolicyProfile.objects.filter(code=code).update(is_active=True)


def colour_on(person, day: dt.date, code: str) -> tuple[str, str]:
    d = derive(person, today=day, rules=rules(code))
    return d.colour, d.rule


def day(n: int) -> dt.date:
    return EXPOSED + dt.timedelta(days=n)


def local_midnight(d: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(d, dt.time.min))


@pytest.fixture
def index_case(people):
    return make_case(
        people["zhang"],
        number="XA-2022-0043",
        sampled_on=EXPOSED,
        reported_on=EXPOSED + dt.timedelta(days=1),
    )


@pytest.fixture
def venue(city):
    return f.venue(city.w[f.Level.COMPOUND], "V-0001", "胖东来超市")


@pytest.fixture
def close_contact(index_case, people, venue):
    return make_contact(
        index_case,
        people["li"],
        relation=ExposureRelation.VENUE,
        venue=venue,
        last_exposure_on=EXPOSED,
    )


@pytest.fixture
def commander(db) -> User:
    return User.objects.create(username="cmd", role=Role.COMMAND, display_name="指挥部")


# ── derivation under each profile ───────────────────────────────────────────


def test_close_contact_9th_edition_red_7_days_then_yellow_3_days_then_green(close_contact):
    li = close_contact.person
    for n in range(8):  # the exposure day and centralised days 1–7
        assert colour_on(li, day(n), NINTH) == ("red", "close_contact_under_quarantine"), n
    for n in (8, 9, 10):  # home health monitoring days 1–3
        assert colour_on(li, day(n), NINTH) == ("yellow", "under_health_monitoring"), n
    assert colour_on(li, day(11), NINTH) == ("green", "")


def test_close_contact_20_measures_red_5_plus_3_days_then_green(close_contact):
    li = close_contact.person
    for n in range(9):  # exposure day, 5 days centralised, 3 days home quarantine
        assert colour_on(li, day(n), TWENTY) == ("red", "close_contact_under_quarantine"), n
    assert colour_on(li, day(9), TWENTY) == ("green", "")


def test_until_is_the_end_of_the_phase_that_holds_the_colour(close_contact):
    li = close_contact.person
    red = derive(li, today=day(2), rules=rules(NINTH))
    assert (red.since, red.until) == (local_midnight(day(0)), local_midnight(day(8)))
    yellow = derive(li, today=day(9), rules=rules(NINTH))
    assert (yellow.since, yellow.until) == (local_midnight(day(8)), local_midnight(day(11)))
    twenty = derive(li, today=day(2), rules=rules(TWENTY))
    assert twenty.until == local_midnight(day(9))


def test_secondary_contact_is_red_only_under_the_9th_edition(close_contact, people):
    wang = people["wang"]
    make_contact(
        close_contact.case,
        wang,
        degree=Degree.SECONDARY,
        via=close_contact,
        last_exposure_on=EXPOSED,
    )
    for n in range(8):  # 7 days home quarantine
        assert colour_on(wang, day(n), NINTH) == ("red", "secondary_contact_under_quarantine")
    assert colour_on(wang, day(8), NINTH) == ("green", "")
    assert colour_on(wang, day(1), TWENTY) == ("green", "")


@pytest.mark.parametrize("kind", [CaseKind.CONFIRMED, CaseKind.ASYMPTOMATIC])
def test_an_active_infection_is_red_under_both_profiles(people, kind):
    zhang = people["zhang"]
    make_case(zhang, kind=kind, sampled_on=EXPOSED, reported_on=EXPOSED)
    for code in (NINTH, TWENTY):
        assert colour_on(zhang, day(60), code) == ("red", "confirmed_case")
    assert derive(zhang, today=day(60), rules=rules(TWENTY)).until is None


@pytest.mark.parametrize("outcome", [CaseStatus.RECOVERED, CaseStatus.DIED])
def test_a_closed_case_is_green(people, outcome):
    zhang = people["zhang"]
    make_case(zhang, status=outcome, sampled_on=EXPOSED, reported_on=EXPOSED)
    assert colour_on(zhang, day(1), TWENTY) == ("green", "")


def test_a_lost_contact_stays_red_after_the_schedule(close_contact):
    close_contact.status = ContactStatus.LOST
    close_contact.save()
    assert colour_on(close_contact.person, day(30), TWENTY) == (
        "red",
        "close_contact_under_quarantine",
    )


def test_a_released_contact_is_green_only_after_the_schedule_ends(close_contact):
    close_contact.status = ContactStatus.RELEASED
    close_contact.save()
    assert colour_on(close_contact.person, day(4), TWENTY)[0] == "red"
    assert colour_on(close_contact.person, day(9), TWENTY)[0] == "green"


def test_red_outranks_yellow_when_both_hold(close_contact):
    li = close_contact.person
    make_case(li, sampled_on=day(9), reported_on=day(9))
    assert colour_on(li, day(9), NINTH) == ("red", "confirmed_case")


def test_an_active_override_decides_and_a_revoked_or_expired_one_does_not(close_contact, commander):
    li = close_contact.person
    override = CodeOverride.objects.create(
        person=li,
        colour="green",
        reason="核实为误判",
        basis="区指挥部决定 2022-05-04",
        created_by=commander,
        division_key=li.division_key,
    )
    assert colour_on(li, day(1), TWENTY) == ("green", "manual_override")
    override.valid_until = timezone.now() - dt.timedelta(minutes=1)
    override.save()
    assert colour_on(li, day(1), TWENTY)[0] == "red"
    override.valid_until, override.revoked_at = None, timezone.now()
    override.save()
    assert colour_on(li, day(1), TWENTY)[0] == "red"


def test_a_profile_that_does_not_list_a_condition_leaves_it_uncoloured(close_contact):
    profile = PolicyProfile.objects.get(code=NINTH)
    profile.rules["health_code"] = [
        r for r in profile.rules["health_code"] if r["when"] != "under_health_monitoring"
    ]
    profile.save()
    assert colour_on(close_contact.person, day(9), NINTH) == ("green", "")


# ── explanation ─────────────────────────────────────────────────────────────


def stored(person, *, now: dt.datetime) -> CodeStatus:
    recompute(person_ids=[person.pk], now=now)
    return CodeStatus.objects.get(person=person)


def at(d: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(d, dt.time(hour)))


def test_staff_read_rule_case_venue_phases_until_and_basis(close_contact):
    code = stored(close_contact.person, now=at(day(2)))
    with translation.override("en"):
        (sentence,) = explain(code, audience="staff")
    assert sentence.startswith("Red: close contact of case XA-2022-0043")
    assert "last exposed on 2022-05-03" in sentence
    assert "胖东来超市" in sentence
    assert "5 days centralised quarantine, 3 days home quarantine" in sentence
    assert "until 2022-05-11" in sentence
    assert TWENTY_SOURCE in sentence


def test_the_person_reads_their_own_facts_and_nobody_elses(close_contact):
    code = stored(close_contact.person, now=at(day(2)))
    with translation.override("en"):
        (sentence,) = explain(code, audience="person")
    assert sentence.startswith("Red: you are a close contact of an infected person")
    assert "until 2022-05-11" in sentence and TWENTY_SOURCE in sentence
    for other in ("XA-2022-0043", "张伟", "胖东来超市"):
        assert other not in sentence


def test_monitoring_explained_with_its_phase_under_the_9th_edition(close_contact):
    use_profile(NINTH)
    code = stored(close_contact.person, now=at(day(9)))
    with translation.override("en"):
        (sentence,) = explain(code)
    assert sentence.startswith("Yellow: close contact of case XA-2022-0043")
    assert "7 days centralised quarantine, 3 days home health monitoring" in sentence
    assert "home health monitoring from 2022-05-11 until 2022-05-13" in sentence
    assert NINTH_SOURCE in sentence


def test_quarantine_and_the_whole_measure_each_name_their_end_under_the_9th_edition(
    close_contact,
):
    use_profile(NINTH)
    quarantined = stored(close_contact.person, now=at(day(2)))
    monitored = stored(close_contact.person, now=at(day(9)))
    with translation.override("en"):
        (in_quarantine,) = explain(quarantined)
        (in_monitoring,) = explain(monitored)
    assert "in quarantine until 2022-05-10; the whole measure until 2022-05-13." in in_quarantine
    assert "until 2022-05-13, when the whole measure ends." in in_monitoring
    with translation.override("zh-hans"):
        (in_quarantine,) = explain(quarantined)
    assert "隔离期至 2022-05-10；整个管控措施至 2022-05-13。" in in_quarantine


@pytest.mark.parametrize(
    ("language", "phase_ends", "measure_ends"),
    [
        (
            "en",
            "now in the centralised quarantine phase until 2022-05-08",
            "the whole measure until",
        ),
        ("zh-hans", "当前集中隔离阶段至 2022-05-08", "整个管控措施至"),
    ],
)
def test_a_close_contact_under_a_measure_reads_which_end_is_which(
    close_contact, personas, language, phase_ends, measure_ends
):
    """Two red reasons, a contact's and a measure's, with the centralised phase's end and the
    whole measure's: each date says what ends then (issue 14, item 8)."""
    measure_start(
        actor=personas["task_force"],
        person=close_contact.person,
        category="close_contact",
        anchor_on=EXPOSED,
        today=EXPOSED,
    )
    code = stored(close_contact.person, now=at(day(2)))
    for audience in ("staff", "person"):
        with translation.override(language):
            contact, measure = explain(code, audience=audience)
        stop = "." if language == "en" else "。"
        assert contact.endswith(f"{measure_ends} 2022-05-11{stop}")
        assert phase_ends in measure and f"{measure_ends} 2022-05-11" in measure
        assert "2022-05-08" not in contact


def test_secondary_contact_explained_under_the_9th_edition(close_contact, people):
    use_profile(NINTH)
    make_contact(
        close_contact.case, people["wang"], degree=Degree.SECONDARY, last_exposure_on=EXPOSED
    )
    code = stored(people["wang"], now=at(day(1)))
    with translation.override("en"):
        (sentence,) = explain(code)
    assert sentence.startswith("Red: secondary contact of case XA-2022-0043")
    assert "7 days home quarantine" in sentence and "until 2022-05-10" in sentence


def test_a_case_explained_as_counting_as_confirmed_even_when_asymptomatic(people):
    make_case(
        people["zhang"],
        number="XA-2022-0001",
        kind=CaseKind.ASYMPTOMATIC,
        sampled_on=EXPOSED,
        reported_on=day(1),
    )
    code = stored(people["zhang"], now=at(day(2)))
    with translation.override("en"):
        staff = explain(code)[0]
        own = explain(code, audience="person")[0]
    assert "case XA-2022-0001 (Asymptomatic infection)" in staff
    assert "reported on 2022-05-04" in staff
    assert "confirmed or asymptomatic, counts as a confirmed case" in staff
    assert own.startswith("Red: you were reported as infected") and "XA-" not in own


def test_green_explained_with_the_profile(people):
    code = status_current(people["wang"])
    with translation.override("en"):
        assert explain(code) == [
            "Green: no active case, no contact under quarantine or monitoring and no manual "
            "setting applies under Twenty measures to further optimise COVID-19 prevention "
            f"and control ({TWENTY_SOURCE})."
        ]


def test_an_override_explained_with_reason_and_basis_to_staff_and_basis_to_the_person(
    close_contact, commander
):
    li = close_contact.person
    CodeOverride.objects.create(
        person=li,
        colour="green",
        reason="核实为误判",
        basis="区指挥部决定",
        created_by=commander,
        division_key=li.division_key,
    )
    code = stored(li, now=timezone.now())
    with translation.override("en"):
        staff = explain(code)
        own = explain(code, audience="person")
    assert "reason: 核实为误判" in staff[0] and "basis: 区指挥部决定" in staff[0]
    assert staff[0].endswith("until revoked.")
    assert len(own) == 1 and "区指挥部决定" in own[0] and "核实为误判" not in own[0]


# ── stored state and its audit ──────────────────────────────────────────────


def code_events(person):
    return list(Event.objects.filter(action="code.changed", person_id=person.pk).order_by("id"))


def test_recompute_stores_the_colour_and_audits_the_change_with_rule_and_basis(close_contact):
    li = close_contact.person
    recompute(person_ids=[li.pk], now=at(day(1)), reason="流调确认")
    code = CodeStatus.objects.get(person=li)
    assert (code.colour, code.rule, code.profile_code) == (
        "red",
        "close_contact_under_quarantine",
        TWENTY,
    )
    assert code.division_key == li.division_key and len(code.verify_token) == 32
    (event,) = code_events(li)
    assert (event.from_value, event.to_value) == ("green", "red")
    assert event.basis == TWENTY_SOURCE
    assert event.reason == "流调确认"
    assert event.data["rule"] == "close_contact_under_quarantine"


def test_recompute_without_a_colour_change_records_nothing(close_contact):
    li = close_contact.person
    recompute(person_ids=[li.pk], now=at(day(1)))
    recompute(person_ids=[li.pk], now=at(day(2)))
    close_contact.status = ContactStatus.UNDER_CONTROL
    close_contact.save()
    recompute(person_ids=[li.pk], now=at(day(3)))
    assert len(code_events(li)) == 1


def test_green_people_without_history_get_no_row(people):
    recompute(person_ids=[people["wang"].pk])
    assert not CodeStatus.objects.exists()
    assert not Event.objects.filter(action="code.changed").exists()


def test_facts_changed_hook_recomputes_and_a_removed_fact_turns_green(people):
    zhang = people["zhang"]
    case = make_case(zhang, sampled_on=timezone.localdate(), reported_on=timezone.localdate())
    changes.changed("person", [zhang.pk])
    assert status_current(zhang).colour == "red"
    case.status = CaseStatus.RECOVERED
    case.save()
    changes.changed("person", [zhang.pk])
    assert status_current(zhang).colour == "green"
    assert [(e.from_value, e.to_value) for e in code_events(zhang)] == [
        ("green", "red"),
        ("red", "green"),
    ]


def test_daily_expiry_turns_an_ended_quarantine_green(close_contact):
    li = close_contact.person
    recompute(person_ids=[li.pk], now=at(day(1)))
    assert recompute_expired(now=at(day(8))) == 0  # day 8 is the last home-quarantine day
    assert recompute_expired(now=at(day(9))) == 1
    code = CodeStatus.objects.get(person=li)
    assert code.colour == "green"
    assert code.since == local_midnight(day(9))  # when the red ran out, not when the job ran
    assert [e.to_value for e in code_events(li)] == ["red", "green"]


def test_the_command_recomputes_expired_statuses(close_contact):
    li = close_contact.person
    long_ago = timezone.now() - dt.timedelta(days=400)
    close_contact.last_exposure_on = timezone.localdate(long_ago)
    close_contact.save()
    recompute(person_ids=[li.pk], now=long_ago)
    call_command("recompute_codes")
    assert CodeStatus.objects.get(person=li).colour == "green"


def test_a_stale_status_is_rederived_when_read(close_contact):
    li = close_contact.person
    recompute(person_ids=[li.pk], now=at(day(1)))
    assert status_current(li, now=at(day(9))).colour == "green"


def test_switching_profile_rederives_everyone_and_audits_with_the_new_basis(people, commander):
    li = people["li"]
    today = timezone.localdate()
    case = make_case(people["zhang"], sampled_on=today, reported_on=today)
    make_contact(case, li, last_exposure_on=today - dt.timedelta(days=8))
    changes.changed("person", [li.pk, people["zhang"].pk])
    assert status_current(li).colour == "red"  # 20 measures: day 8 of 5 + 3

    profile_activate(
        profile=PolicyProfile.objects.get(code=NINTH), actor=commander, reason="回退第九版"
    )

    code = status_current(li)
    assert (code.colour, code.rule, code.profile_code) == (
        "yellow",
        "under_health_monitoring",
        NINTH,
    )
    last = code_events(li)[-1]
    assert (last.from_value, last.to_value, last.basis) == ("red", "yellow", NINTH_SOURCE)
    assert last.actor == commander
    assert len(code_events(people["zhang"])) == 1  # still red: nothing recorded


def test_recompute_runs_a_fixed_number_of_queries_however_many_people(city, index_case):
    unit = city.w[f.Level.UNIT]

    def contacts(n: int) -> list[int]:
        ids = []
        for i in range(n):
            person = f.resident(unit, f"接触者{i}")
            make_contact(index_case, person, last_exposure_on=EXPOSED)
            ids.append(person.pk)
        return ids

    few, many = contacts(2), contacts(40)
    with CaptureQueriesContext(connection) as small:
        recompute(person_ids=few, now=at(day(1)))
    with CaptureQueriesContext(connection) as large:
        recompute(person_ids=many, now=at(day(1)))
    assert len(large) == len(small)
    assert CodeStatus.objects.filter(colour="red").count() == 42
