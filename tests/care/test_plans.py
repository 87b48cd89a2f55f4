"""Health plans: standing needs raise care requests on their days, routed by the rule in force
(the plan's centre taken when it is of the rule's kind); running the daily job again raises
nothing new; a need changed mid-week raises on its new days; the community's list of needs
falling due; scope (an outsider gets nothing, a community only its people)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from fangkong.audit.models import Event
from fangkong.care.models import CareRequest, Channel, NeedOccurrence
from fangkong.care.plans import selectors, services
from fangkong.care.plans.generate import plans_raise_due
from fangkong.care.requests.selectors import why
from fangkong.places.models import Level
from tests import factories as f

pytestmark = pytest.mark.usefixtures("english")


def a_monday(weeks_back: int = 3) -> dt.date:
    today = timezone.localdate()
    return today - dt.timedelta(days=today.weekday() + 7 * weeks_back)


def week_of(monday: dt.date) -> list[dt.date]:
    return [monday + dt.timedelta(days=i) for i in range(7)]


@pytest.fixture
def dialysis(personas, city, facilities):
    """A dialysis patient of the grid, Monday, Wednesday and Friday at the dialysis centre."""
    person = f.resident(city.w[Level.UNIT], "透析患者")
    grid = personas["grid"]
    plan = services.plan_save(
        actor=grid,
        person=person,
        category="dialysis",
        contact_hospital=facilities["general"],
        emergency="拨打120，送魏都医院",
    )
    need = services.need_save(
        actor=grid,
        plan=plan,
        type="dialysis",
        repeat="weekly",
        weekdays="420",
        starts_on=a_monday(),
        facility=facilities["dialysis"],
        description="每周一三五上午透析",
    )
    return plan, need


def test_dialysis_monday_wednesday_friday_raises_on_those_days_only(dialysis, facilities):
    plan, need = dialysis
    assert need.weekdays == "024"
    raised = [plans_raise_due(day)["raised"] for day in week_of(a_monday())]
    assert raised == [1, 0, 1, 0, 1, 0, 0]
    requests = CareRequest.objects.filter(person=plan.person).order_by("raised_at")
    assert [timezone.localdate(r.raised_at) for r in requests] == [
        a_monday(),
        a_monday() + dt.timedelta(days=2),
        a_monday() + dt.timedelta(days=4),
    ]
    first = requests[0]
    assert first.channel == Channel.PLAN and first.facility == facilities["dialysis"]
    assert first.rule_number == 7 and first.status == "routed"
    assert "Rule 7 of the policy profile" in why(first)
    assert "the person's health plan names" in why(first)
    event = Event.objects.get(action="care.request_raised", object_id=str(first.pk))
    assert event.actor_name == "system" and event.data["channel"] == "plan"


def test_running_again_the_same_day_raises_nothing_new(dialysis):
    monday = a_monday()
    assert plans_raise_due(monday) == {"raised": 1, "already": 0}
    assert plans_raise_due(monday) == {"raised": 0, "already": 1}
    call_command("care_plans_daily", "--date", monday.isoformat())
    assert CareRequest.objects.count() == 1 and NeedOccurrence.objects.count() == 1


def test_a_need_changed_mid_week_raises_on_its_new_days(dialysis, personas):
    plan, need = dialysis
    monday, *rest = week_of(a_monday())
    plans_raise_due(monday)
    # On Tuesday the centre moves the sessions to Tuesday, Thursday and Saturday.
    services.need_save(
        actor=personas["grid"],
        plan=plan,
        need=need,
        type="dialysis",
        repeat="weekly",
        weekdays="135",
        starts_on=need.starts_on,
        facility=need.facility,
    )
    raised = [plans_raise_due(day)["raised"] for day in rest]
    assert raised == [1, 0, 1, 0, 1, 0]  # Tue … Sun
    days = sorted(o.day.weekday() for o in NeedOccurrence.objects.all())
    assert days == [0, 1, 3, 5]  # Monday's request stays
    assert Event.objects.filter(action="care.need_changed", field="weekdays").exists()


def test_insulin_every_thirty_days_falls_due_on_the_thirtieth_day(personas, city, facilities):
    person = f.resident(city.w[Level.UNIT], "糖尿病患者")
    plan = services.plan_save(actor=personas["grid"], person=person, category="chronic")
    start = timezone.localdate() - dt.timedelta(days=60)
    services.need_save(
        actor=personas["grid"],
        plan=plan,
        type="medicine",
        repeat="every",
        every_days=30,
        starts_on=start,
        facility=facilities["pharmacy"],
    )
    due = [
        d for d in (start + dt.timedelta(days=i) for i in range(61)) if plans_raise_due(d)["raised"]
    ]
    assert due == [start, start + dt.timedelta(days=30), start + dt.timedelta(days=60)]
    assert CareRequest.objects.filter(type="medicine", destination="pharmacy").count() == 3


def test_the_community_sees_whose_needs_fall_due_in_the_next_days(dialysis, personas, login):
    _plan, need = dialysis
    today = timezone.localdate()
    rows = selectors.due_for_user(personas["grid"])
    days = selectors.lookahead_days()
    expected = [
        today + dt.timedelta(days=i)
        for i in range(days + 1)
        if (today + dt.timedelta(days=i)).weekday() in (0, 2, 4)
    ]
    assert [r.day for r in rows] == expected
    page = login(personas["grid"]).get(reverse("care:plans_due")).content.decode()
    assert page.count(f'data-need="{need.pk}"') == len(expected) and "透析患者" in page
    body = login(personas["street"]).get("/api/care/plans/due").json()
    assert body["days"] == days and len(body["items"]) == len(expected)


def test_an_outsider_gets_nothing_and_a_hospital_no_plans(dialysis, personas, login, city):
    plan, _need = dialysis
    outsider = personas["outsider"]
    assert selectors.due_for_user(outsider) == []
    assert not selectors.plans_for_user(outsider).exists()
    client = login(outsider)
    assert client.get(reverse("care:plan", args=[plan.pk])).status_code == 404
    assert client.get(f"/api/care/plans/{plan.pk}").status_code == 404
    assert client.get("/api/care/plans").json()["items"] == []
    with pytest.raises(PermissionDenied):
        selectors.plans_for_user(personas["hospital"])
    stranger = f.resident(city.j[Level.UNIT], "外区人")
    with pytest.raises(ValidationError) as err:
        services.plan_save(actor=personas["grid"], person=stranger, category="elderly_alone")
    assert "id_number" in err.value.message_dict
    assert not Event.objects.filter(action="care.plan_created", person_id=stranger.pk).exists()


def test_a_weekly_need_without_days_or_with_an_unknown_centre_is_a_field_error(
    dialysis, personas, city
):
    plan, _need = dialysis
    with pytest.raises(ValidationError) as err:
        services.need_save(
            actor=personas["grid"],
            plan=plan,
            type="dialysis",
            repeat="weekly",
            starts_on=a_monday(),
        )
    assert "weekdays" in err.value.message_dict


def test_the_api_records_a_plan_and_its_need(personas, city, facilities, login):
    person = f.resident(city.w[Level.UNIT], "孕妇")
    client = login(personas["grid"])
    created = client.post(
        "/api/care/plans",
        {"id_number": person.id_number, "category": "pregnant", "emergency": "直接拨打120"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    plan_id = created.json()["id"]
    due = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    need = client.post(
        f"/api/care/plans/{plan_id}/needs",
        {"type": "delivery", "repeat": "once", "starts_on": due},
        content_type="application/json",
    )
    assert need.status_code == 201, need.content
    assert client.get(f"/api/care/plans/{plan_id}").json()["needs"][0]["starts_on"] == due
    bad = client.post(
        f"/api/care/plans/{plan_id}/needs",
        {"type": "dialysis", "repeat": "weekly", "weekdays": [9], "starts_on": due},
        content_type="application/json",
    )
    assert bad.status_code == 422
