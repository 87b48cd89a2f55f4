"""Two times on every fact (issue 15, item 1): cases and contacts carry the time they happened
(valid time) apart from the time they were recorded; the daily report as of a past moment
counts what had happened by then, a late entry re-issues it and shows as late, and a time in
the future or out of order is refused naming the field (service, page, API)."""

import datetime as dt

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from fangkong.audit.models import Event
from fangkong.command.figures import situation
from fangkong.command.places import node_for
from fangkong.command.report import cut_off, report_for
from fangkong.epi.cases import services as cases
from fangkong.epi.contacts import services as contacts
from fangkong.epi.models import Case, CaseKind, Contact, ContactStatus
from fangkong.policy.accessor import current
from fangkong.policy.models import PolicyProfile
from fangkong.policy.services import profile_activate
from tests import factories as f
from tests.api.conftest import bearer_client

JSON = "application/json"


def day(ago: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=ago)


def at(ago: int, hour: int) -> dt.datetime:
    """`hour` o'clock `ago` days before today, in the user's time zone."""
    return timezone.make_aware(dt.datetime.combine(day(ago), dt.time(hour)))


def register(actor, person, registered: dt.datetime, kind=CaseKind.CONFIRMED, **kw) -> Case:
    fields = {
        "sampled_on": registered.date() - dt.timedelta(days=1),
        "reported_on": timezone.localtime(registered).date(),
    }
    fields.update(kw)
    return cases.case_register(
        actor=actor,
        id_number=person.id_number,
        kind=kind,
        found_by="community_screening",
        found_where="community",
        registered_at=registered,
        **fields,
    )


def add_contact(actor, case, person, identified: dt.datetime) -> Contact:
    return contacts.contact_add(
        actor=actor,
        case=case,
        person=person,
        degree="close",
        relation="household",
        last_exposure_on=timezone.localtime(identified).date(),
        identified_at=identified,
    )


@pytest.fixture
def scenario(personas, people, city):
    """Entered today, all of it after the fact: two cases and a contact over the last days."""
    tracer = personas["task_force"]
    a = register(tracer, people["zhang"], at(4, 10), kind=CaseKind.ASYMPTOMATIC)
    cases.case_reclassify(
        actor=tracer, case=a, kind=CaseKind.CONFIRMED, reason="CT 28", reclassified_at=at(2, 12)
    )
    register(tracer, people["li"], at(2, 9))
    k = add_contact(tracer, a, people["wang"], at(4, 15))
    for status, when in (
        (ContactStatus.LOCATED, at(3, 11)),
        (ContactStatus.UNDER_CONTROL, at(1, 20)),
    ):
        contacts.contact_set_status(
            actor=tracer, contact=k, status=status, reason="流调", changed_at=when
        )
    # What happened, written down plainly: the reference the report is held to.
    return {
        "cases": [  # (registered, [(from, kind)])
            (at(4, 10), [(at(4, 10), "asymptomatic"), (at(2, 12), "confirmed")]),
            (at(2, 9), [(at(2, 9), "confirmed")]),
        ],
        "contacts": [  # [(from, status)]
            [(at(4, 15), "identified"), (at(3, 11), "located"), (at(1, 20), "under_control")]
        ],
    }


def first_principles(facts, moment: dt.datetime) -> dict[str, int]:
    def then(history):
        return [value for start, value in history if start <= moment][-1]

    seen = [h for registered, h in facts["cases"] if registered <= moment]
    kinds = [then(h) for h in seen]
    statuses = [then(h) for h in facts["contacts"] if h[0][0] <= moment]
    return {
        "cases": len(seen),
        "confirmed": kinds.count("confirmed"),
        "asymptomatic": kinds.count("asymptomatic"),
        "close": len(statuses),
        **{f"close_{s}": statuses.count(s) for s in ContactStatus.values},
    }


def figures(report) -> dict[str, int]:
    t = report.situation.total
    names = ["cases", "confirmed", "asymptomatic", "close"]
    return {n: t[n] for n in names} | {f"close_{s}": t[f"close_{s}"] for s in ContactStatus.values}


def test_reports_of_past_days_count_what_had_happened_by_then(scenario, personas):
    command = personas["command"]
    node = node_for(command)
    for ago in (5, 4, 3, 2, 1):
        report = report_for(command, node, day(ago))
        expected = first_principles(scenario, cut_off(day(ago)))
        assert figures(report) == expected, ago
        rows = situation(command, node, cut_off(day(ago)), source="rows").total
        assert {k: rows[k] for k in expected} == expected, ago
    # the days differ, so the report cannot be right by accident
    assert first_principles(scenario, cut_off(day(3)))["cases"] == 1
    assert first_principles(scenario, cut_off(day(1)))["confirmed"] == 2


def test_a_late_entry_changes_the_reissued_report_and_shows_as_late(
    scenario, personas, city, login
):
    command = personas["command"]
    node = node_for(command)
    before = figures(report_for(command, node, day(3)))
    late = f.resident(city.w[f.Level.UNIT], "孙丽")
    case = register(personas["task_force"], late, at(3, 7))
    after = figures(report_for(command, node, day(3)))
    assert after["cases"] == before["cases"] + 1 and after["confirmed"] == before["confirmed"] + 1
    assert figures(report_for(command, node, day(4))) == first_principles(
        scenario, cut_off(day(4))
    )  # the day before it happened is as it was
    event = Event.objects.get(action="case.registered", object_id=str(case.pk))
    assert event.at == at(3, 7) and event.recorded_at > timezone.now() - dt.timedelta(minutes=5)
    days = (event.recorded_at - event.at).days
    client = login(personas["task_force"])
    for language, late_text in (
        ("en", f"recorded {days} days after it happened, by p_task_force"),
        ("zh-hans", f"发生 {days} 天后由 p_task_force 补录"),
    ):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        page = client.get(reverse("epi:case", args=[case.pk])).content.decode()
        assert late_text in page, language


def test_an_entry_recorded_when_it_happened_is_not_shown_as_late(personas, people, login):
    case = register(personas["task_force"], people["zhang"], timezone.now())
    client = login(personas["task_force"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("epi:case", args=[case.pk])).content.decode()
    assert "Case registered" in page and "after it happened" not in page


# Refused, naming the field -------------------------------------------------------------------


def refused(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as exc:
        call()
    return exc.value.message_dict


def test_a_time_in_the_future_is_refused_within_the_policys_tolerance(personas, people):
    tracer = personas["task_force"]
    ahead = timezone.now() + dt.timedelta(hours=1)
    with translation.override("en"):
        errors = refused(
            lambda: register(tracer, people["zhang"], ahead, sampled_on=day(1), reported_on=day(0))
        )
    assert errors["registered_at"] == ["This time is in the future"]
    assert not Case.objects.exists()
    # a phone's clock a minute fast is within the shipped profile's tolerance
    case = register(
        tracer,
        people["zhang"],
        timezone.now() + dt.timedelta(minutes=1),
        sampled_on=day(1),
        reported_on=day(0),
    )
    assert case.registered_at > timezone.now()


def test_impossible_orders_are_refused_naming_the_field(personas, people):
    tracer = personas["task_force"]
    case = register(tracer, people["zhang"], at(2, 10))
    with translation.override("en"):
        errors = refused(
            lambda: cases.case_transfer(
                actor=tracer,
                case=case,
                destination="designated_hospital",
                destination_name="许昌市中心医院",
                transferred_at=at(3, 10),
                reason="闭环转运",
            )
        )
        assert errors["transferred_at"] == ["The transfer cannot be before the report"]
        k = add_contact(tracer, case, people["wang"], at(2, 12))
        contacts.contact_set_status(
            actor=tracer, contact=k, status="located", reason="找到", changed_at=at(1, 9)
        )
        errors = refused(
            lambda: contacts.contact_set_status(
                actor=tracer, contact=k, status="under_control", reason="隔离", changed_at=at(1, 8)
            )
        )
        assert errors["changed_at"] == ["This is before the contact's last recorded status change"]
        errors = refused(lambda: add_contact(tracer, case, people["li"], at(3, 12)))
        assert errors["identified_at"] == ["A contact is identified after their case is registered"]
        errors = refused(
            lambda: cases.case_close(
                actor=tracer,
                case=case,
                status="recovered",
                outcome_on=day(1),
                reason="出院",
                closed_at=at(2, 9),
            )
        )
        assert errors["closed_at"] == ["The case cannot be closed before its outcome date"]


def test_the_register_page_refuses_a_future_time_at_its_field(login, personas, people):
    client = login(personas["task_force"])
    with translation.override("en"):
        response = client.post(
            reverse("epi:case_new"),
            {
                "id_number": people["zhang"].id_number,
                "kind": "confirmed",
                "found_by": "self_report",
                "found_where": "community",
                "sampled_on": day(1).isoformat(),
                "reported_on": day(0).isoformat(),
                "registered_at": (timezone.localtime() + dt.timedelta(days=1)).strftime(
                    "%Y-%m-%dT%H:%M"
                ),
            },
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 200
    assert response.context["form"].errors["registered_at"] in (
        ["This time is in the future"],
        ["该时间晚于当前时间"],
    )
    assert not Case.objects.exists()


def test_the_register_page_takes_the_time_it_happened(login, personas, people):
    client = login(personas["task_force"])
    response = client.post(
        reverse("epi:case_new"),
        {
            "id_number": people["zhang"].id_number,
            "kind": "confirmed",
            "found_by": "self_report",
            "found_where": "community",
            "sampled_on": day(3).isoformat(),
            "reported_on": day(2).isoformat(),
            "registered_at": at(2, 10).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.registered_at == at(2, 10) and case.created_at > at(0, 0)
    page = client.get(response["Location"]).content.decode()
    assert f"<dd>{timezone.localtime(at(2, 10)):%Y-%m-%d %H:%M}</dd>" in page  # the case's facts


def test_the_api_takes_valid_times_and_refuses_them_at_their_field(personas, people):
    client = bearer_client(personas["task_force"])
    body = {
        "id_number": people["zhang"].id_number,
        "kind": "confirmed",
        "found_by": "fever_clinic",
        "found_where": "community",
        "sampled_on": day(3).isoformat(),
        "reported_on": day(2).isoformat(),
    }
    future = (timezone.now() + dt.timedelta(days=1)).isoformat()
    r = client.post("/api/cases", {**body, "registered_at": future}, content_type=JSON)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "registered_at"]
    r = client.post(
        "/api/cases", {**body, "registered_at": at(2, 10).isoformat()}, content_type=JSON
    )
    assert r.status_code == 201, r.content
    created = r.json()
    assert dt.datetime.fromisoformat(created["registered_at"]) == at(2, 10)
    r = client.post(
        f"/api/cases/{created['id']}/transfer",
        {
            "destination": "designated_hospital",
            "destination_name": "许昌市中心医院",
            "transferred_at": at(3, 10).isoformat(),
            "reason": "闭环转运",
        },
        content_type=JSON,
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "transferred_at"]


def test_the_case_page_leaves_optional_times_empty_and_fills_the_transfer(login, personas, people):
    """Empty is now: a time filled when the page was drawn could fall before a change made
    since (a reclassification right after registering) and be refused."""
    case = register(personas["task_force"], people["zhang"], timezone.now())
    page = login(personas["task_force"]).get(reverse("epi:case", args=[case.pk]))
    text = page.content.decode()
    reclassified = text.split('name="reclassified_at"')[1].split(">")[0]
    transferred = text.split('name="transferred_at"')[1].split(">")[0]
    assert "value=" not in reclassified
    assert 'value="20' in transferred  # this minute, as the picker shows it
    cases.case_reclassify(
        actor=personas["task_force"], case=case, kind=CaseKind.ASYMPTOMATIC, reason="复核"
    )
    assert Event.objects.filter(action="case.reclassified").get().at >= case.registered_at


def test_a_profiles_record_rules_take_effect(personas, people, city, login):
    """`records.future_tolerance_minutes` and `records.late_after_hours` come from the profile
    in force: a version that widens both accepts a time further ahead (and no further), and
    labels as late only what was recorded later than it says."""

    tracer = personas["task_force"]
    two_days = register(tracer, people["zhang"], timezone.now() - dt.timedelta(days=2))
    four_days = register(tracer, people["li"], timezone.now() - dt.timedelta(days=4))
    client = login(tracer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    def late(case) -> bool:
        return (
            "after it happened" in client.get(reverse("epi:case", args=[case.pk])).content.decode()
        )

    assert late(two_days) and late(four_days)  # the shipped profile: late after an hour
    shipped = PolicyProfile.objects.get(is_active=True)
    local = PolicyProfile.objects.create(
        code="local-records",
        version=1,
        name_zh="本地记录规则",
        name_en="Local record rules",
        issued_by="test",
        published_on=timezone.localdate(),
        source="test",
        rules={
            **shipped.rules,
            "records": {"future_tolerance_minutes": 30, "late_after_hours": 72},
        },
    )
    profile_activate(profile=local, actor=None, reason="test")
    assert current().rules.records.tolerance == dt.timedelta(minutes=30)
    assert not late(two_days) and late(four_days)  # 48 h is within 72 h, 96 h is not
    wang, other = people["wang"], f.resident(city.w[f.Level.UNIT], "钱七")
    kw = {"sampled_on": day(1), "reported_on": day(0)}
    ahead = register(tracer, wang, timezone.now() + dt.timedelta(minutes=20), **kw)
    assert ahead.registered_at > timezone.now() + dt.timedelta(minutes=15)  # refused under 5
    with translation.override("en"):
        errors = refused(
            lambda: register(tracer, other, timezone.now() + dt.timedelta(minutes=40), **kw)
        )
    assert errors == {"registered_at": ["This time is in the future"]}
    profile_activate(profile=shipped, actor=None, reason="back")
    with translation.override("en"):
        errors = refused(
            lambda: register(tracer, other, timezone.now() + dt.timedelta(minutes=20), **kw)
        )
    assert errors == {"registered_at": ["This time is in the future"]}
