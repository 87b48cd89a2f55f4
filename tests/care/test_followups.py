"""Issue 17, what was left: a first-diagnosis incident is resolved (what was done, on what
basis, when; once; audited; the command centre's only); the care figures count as of a moment
by the times things happened (a request raised or closed after T does not count at T); the
patient answers a medicine substitute themselves (phone page and API, their own order only);
a batch re-route keeps the facility the person's health plan names; medicine orders reach only
those whose job needs them (not 120, not 12345; a quarantine site its own people's)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from fangkong.audit.labels import SELF_SERVICE
from fangkong.audit.models import Event
from fangkong.care.admission import selectors as board
from fangkong.care.admission import services as admission
from fangkong.care.admission.models import Incident
from fangkong.care.facilities import services as facility_services
from fangkong.care.medicine import services as medicine
from fangkong.care.models import Channel, FacilityKind, OrderStatus, RequestStatus
from fangkong.care.plans import services as plans
from fangkong.care.plans.generate import plans_raise_due
from fangkong.care.requests import services
from fangkong.command import report
from fangkong.places.models import Level
from fangkong.quarantine.models import Room, Site, SiteKind, Stay, StayStatus
from tests import factories as f
from tests.care.conftest import in_state

pytestmark = pytest.mark.usefixtures("english")

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def staffed(personas, facilities):
    facility_services.facility_staff_set(
        actor=personas["command"], facility=facilities["designated"], usernames=["p_hospital"]
    )


def refused(personas, city, raised_at=None):
    item = services.request_raise(
        actor=personas["grid"],
        person=in_state(city, "red_code"),
        type="emergency",
        channel=Channel.GRID,
        raised_at=raised_at,
    )
    return admission.admission_refuse(
        actor=personas["hospital"],
        request=item,
        reason="no_bed",
        happened_at=(raised_at or timezone.now()) + dt.timedelta(minutes=5) if raised_at else None,
    )


# Resolving an incident -------------------------------------------------------------------------


def test_an_incident_is_resolved_once_by_the_command_centre_with_what_when_and_basis(
    personas, city, facilities, staffed
):
    incident = refused(personas, city, raised_at=timezone.now() - 3 * HOUR)
    with pytest.raises(PermissionDenied):  # the hospital does not close its own incident
        admission.incident_resolve(actor=personas["hospital"], incident=incident, resolution="x")
    far = f.user("tf_far", "task_force", city.jianan)
    with pytest.raises(ValidationError) as err:
        admission.incident_resolve(actor=far, incident=incident, resolution="x")
    assert "incident" in err.value.message_dict
    command = personas["command"]
    for kwargs, field in (
        ({"resolution": "  "}, "resolution"),
        ({"resolution": "x", "happened_at": timezone.now() + HOUR}, "happened_at"),
        ({"resolution": "x", "happened_at": incident.happened_at - HOUR}, "happened_at"),
    ):
        with pytest.raises(ValidationError) as err:
            admission.incident_resolve(actor=command, incident=incident, **kwargs)
        assert field in err.value.message_dict
    incident.refresh_from_db()
    assert incident.resolved_at is None
    when = timezone.now() - HOUR
    done = admission.incident_resolve(
        actor=command,
        incident=incident,
        resolution="指挥部协调魏都定点院区收治，已约谈医院",
        basis="许昌市首诊负责制通知第3条",
        happened_at=when,
    )
    assert done.resolved_at == when and done.resolved_by == command
    assert done.resolution_recorded_at > when
    event = Event.objects.get(action="care.incident_resolved", object_id=str(incident.pk))
    assert event.at == when and event.basis == "许昌市首诊负责制通知第3条"
    assert event.reason.startswith("指挥部协调")
    with pytest.raises(ValidationError) as err:
        admission.incident_resolve(actor=command, incident=incident, resolution="again")
    assert "resolution" in err.value.message_dict


def test_the_incident_page_and_api_resolve_and_outsiders_cannot(
    personas, city, facilities, staffed, login, client
):
    first = refused(personas, city)
    second = refused(personas, city)
    hospital = login(personas["hospital"])
    page = hospital.get(reverse("care:incident", args=[first.pk])).content.decode()
    assert 'id="resolve"' not in page and "Not yet resolved" in page
    assert hospital.post(reverse("care:incident", args=[first.pk]), {}).status_code == 403
    api = hospital.post(
        f"/api/care/incidents/{first.pk}/resolve", {"resolution": "x"}, "application/json"
    )
    assert api.status_code == 403
    far = login(f.user("tf_far", "task_force", city.jianan))
    api = far.post(
        f"/api/care/incidents/{first.pk}/resolve", {"resolution": "x"}, "application/json"
    )
    assert api.status_code == 404
    assert Incident.objects.filter(resolved_at__isnull=False).count() == 0
    tf = login(personas["task_force"])
    page = tf.get(reverse("care:incident", args=[first.pk])).content.decode()
    assert 'id="resolve"' in page
    response = tf.post(
        reverse("care:incident", args=[first.pk]),
        {"resolution": "已协调收治", "basis": "专班会议纪要", "happened_at": ""},
    )
    assert response.status_code == 302
    page = tf.get(reverse("care:incident", args=[first.pk])).content.decode()
    assert 'id="resolution"' in page and "已协调收治" in page and 'id="resolve"' not in page
    data = tf.post(
        f"/api/care/incidents/{second.pk}/resolve",
        {"resolution": "已转诊", "basis": "通知"},
        "application/json",
    ).json()
    assert data["resolution"] == "已转诊" and data["resolved_at"] is not None
    again = tf.post(
        f"/api/care/incidents/{second.pk}/resolve", {"resolution": "y"}, "application/json"
    )
    assert again.status_code == 422
    assert tf.get(f"/api/care/incidents/{second.pk}").json()["resolution_basis"] == "通知"


# Figures as of a moment ------------------------------------------------------------------------


def test_care_figures_count_by_when_things_happened(personas, city, facilities, staffed):
    now = timezone.now()
    key = city.city.key
    raised = now - 5 * HOUR
    item = services.request_raise(
        actor=personas["grid"],
        person=in_state(city, "red_code"),
        type="emergency",
        channel=Channel.GRID,
        raised_at=raised,
    )
    tf = personas["task_force"]
    services.request_set_status(
        actor=tf, request=item, status=RequestStatus.ACCEPTED, happened_at=now - 4 * HOUR
    )
    with pytest.raises(ValidationError) as err:
        services.request_set_status(
            actor=tf, request=item, status=RequestStatus.COMPLETED, happened_at=raised - HOUR
        )
    assert "happened_at" in err.value.message_dict
    services.request_set_status(
        actor=tf, request=item, status=RequestStatus.COMPLETED, happened_at=now - 2 * HOUR
    )
    item.refresh_from_db()
    assert item.closed_at == now - 2 * HOUR
    late = services.request_raise(  # raised after the first moment looked at
        actor=personas["grid"],
        person=in_state(city, "yellow_code", "后来者"),
        type="fever",
        channel=Channel.GRID,
        raised_at=now - HOUR,
    )
    day = dt.timedelta(days=1)
    at_3h = board.care_figures(key, now - 3 * HOUR, now - 3 * HOUR - day)
    assert (at_3h["raised"], at_3h["open"]) == (1, 1)  # raised, not yet completed then
    # a clock of 30 minutes: late at T-3h (raised at T-5h), as it stood then
    assert at_3h["late"] == 1
    second = dt.timedelta(seconds=1)
    assert board.care_figures(key, now - 2 * HOUR - second, now - day)["open"] == 1
    at_90m = board.care_figures(key, now - 90 * 60 * second, now - day)
    # completed at T-2h; the fever, raised at T-1h, not yet raised
    assert (at_90m["raised"], at_90m["open"], at_90m["late"]) == (1, 0, 0)
    at_30m = board.care_figures(key, now - 30 * 60 * second, now - day)
    assert (at_30m["raised"], at_30m["open"]) == (2, 1)
    services.request_set_status(
        actor=tf, request=late, status=RequestStatus.CANCELLED, reason="重复", happened_at=now
    )
    # cancelled after T-30m: still open at T-30m, closed a second after now
    assert board.care_figures(key, now - 30 * 60 * second, now - day)["open"] == 1
    assert board.care_figures(key, now + second, now - day)["open"] == 0


def test_incidents_count_unresolved_until_resolved_as_of_a_moment(
    personas, city, facilities, staffed
):
    now = timezone.now()
    incident = refused(personas, city, raised_at=now - 6 * HOUR)  # refused at T-5h55
    admission.incident_resolve(
        actor=personas["command"], incident=incident, resolution="已处理", happened_at=now - HOUR
    )
    key, day = city.city.key, dt.timedelta(days=1)
    before = board.care_figures(key, now - 2 * HOUR, now - 2 * HOUR - day)
    assert before["incidents_all"] == before["incidents_unresolved"] == 1
    after = board.care_figures(key, now, now - day)
    assert after["incidents_all"] == 1 and after["incidents_unresolved"] == 0
    ahead = board.care_figures(key, now - 7 * HOUR, now - 7 * HOUR - day)
    assert ahead["incidents_all"] == ahead["incidents_unresolved"] == 0  # not yet happened
    with translation.override("en"):
        assert "1 incident not yet resolved." in report._care_text(before)
        assert "not yet resolved" not in report._care_text(after)
    with translation.override("zh-hans"):
        assert " " not in report._care_text(before)


def test_the_dashboard_shows_unresolved_incidents(personas, city, facilities, staffed, login):
    refused(personas, city, raised_at=timezone.now() - 3 * HOUR)  # the page reads to the minute
    page = login(personas["command"]).get(reverse("command:dashboard")).content.decode()
    # the refusal, and the SLA the hospital then missed (swept on the dashboard's read)
    assert 'data-figure="care_unresolved">2 not yet resolved' in page


# The patient answers a substitute --------------------------------------------------------------


@pytest.fixture
def patient(city):
    return f.resident(city.w[Level.UNIT], "胰岛素患者", phone="13911112222")


def substitute_for(personas, person, facilities):
    order = medicine.order_raise(
        actor=personas["grid"],
        person=person,
        medicine="胰岛素",
        quantity=Decimal("30"),
        pharmacy=facilities["pharmacy"],
    )
    medicine.orders_batch(actor=personas["task_force"])
    medicine.order_source(actor=personas["task_force"], order=order, substitute="甘精胰岛素")
    order.refresh_from_db()
    assert order.status == OrderStatus.SUBSTITUTE
    return order


def test_the_patient_answers_a_substitute_on_their_phone_page(
    personas, patient, facilities, client, city
):
    mine = substitute_for(personas, patient, facilities)
    other_person = f.resident(city.w[Level.UNIT], "别人", phone="13933334444")
    theirs = substitute_for(personas, other_person, facilities)
    # not signed in on the page: nothing shown, nothing happens
    assert client.get(reverse("care_public:my_medicine")).status_code == 302
    client.post(reverse("care_public:my_substitute_answer", args=[mine.pk]), {"decision": "accept"})
    mine.refresh_from_db()
    assert mine.status == OrderStatus.SUBSTITUTE
    client.post(
        reverse("care_public:my_request"), {"id_number": patient.id_number, "phone": "13911112222"}
    )
    page = client.get(reverse("care_public:my_request")).content.decode()
    assert reverse("care_public:my_medicine") in page
    page = client.get(reverse("care_public:my_medicine")).content.decode()
    assert f'data-order="{mine.pk}"' in page and "甘精胰岛素" in page
    assert f'data-order="{theirs.pk}"' not in page
    answer = reverse("care_public:my_substitute_answer", args=[mine.pk])
    client.post(answer, {"decision": "decline", "reason": ""})
    mine.refresh_from_db()
    assert mine.status == OrderStatus.SUBSTITUTE  # declining needs a reason
    client.post(
        reverse("care_public:my_substitute_answer", args=[theirs.pk]), {"decision": "accept"}
    )
    theirs.refresh_from_db()
    assert theirs.status == OrderStatus.SUBSTITUTE  # not their own: nothing written
    response = client.post(answer, {"decision": "decline", "reason": "对甘精胰岛素过敏"})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.status == OrderStatus.BATCHED and mine.substitute == ""
    event = Event.objects.get(action="care.medicine_substitute_declined")
    assert event.actor_id is None and event.actor_name == SELF_SERVICE
    assert event.reason == "对甘精胰岛素过敏"


def test_the_patient_answers_a_substitute_through_the_api(
    personas, patient, facilities, client, city
):
    mine = substitute_for(personas, patient, facilities)
    theirs = substitute_for(personas, f.resident(city.w[Level.UNIT], "别人"), facilities)
    me = {"id_number": patient.id_number, "phone": "13911112222"}
    wrong = client.post(
        "/api/care/my/medicine-orders", {**me, "phone": "13900000000"}, "application/json"
    )
    assert wrong.status_code == 404
    listed = client.post("/api/care/my/medicine-orders", me, "application/json").json()
    assert [o["id"] for o in listed] == [mine.pk] and listed[0]["substitute"] == "甘精胰岛素"
    other = client.post(
        f"/api/care/my/medicine-orders/{theirs.pk}/answer",
        {**me, "decision": "accept"},
        "application/json",
    )
    assert other.status_code == 404
    no_reason = client.post(
        f"/api/care/my/medicine-orders/{mine.pk}/answer",
        {**me, "decision": "decline"},
        "application/json",
    )
    assert no_reason.status_code == 422 and "reason" in str(no_reason.json())
    done = client.post(
        f"/api/care/my/medicine-orders/{mine.pk}/answer",
        {**me, "decision": "accept"},
        "application/json",
    )
    assert done.status_code == 200 and done.json()["status"] == "sourced"
    theirs.refresh_from_db()
    assert theirs.status == OrderStatus.SUBSTITUTE
    again = client.post(
        f"/api/care/my/medicine-orders/{mine.pk}/answer",
        {**me, "decision": "accept"},
        "application/json",
    )
    assert again.status_code == 422  # answered already


# A batch re-route keeps the plan's facility ----------------------------------------------------


@pytest.fixture
def far_centre(personas, city):
    """A second dialysis centre, at the city: never the nearest for 魏都区 (its own street's
    centre is)."""
    return facility_services.facility_register(
        actor=personas["command"],
        code="C-DIALYSIS",
        name="市血液透析中心",
        kind=FacilityKind.DIALYSIS,
        division=city.city,
    )


def test_a_batch_re_route_keeps_the_facility_the_health_plan_names(
    personas, city, facilities, far_centre
):
    grid = personas["grid"]
    person = in_state(city, "none", "透析病人")
    plan = plans.plan_save(
        actor=grid, person=person, category="dialysis", contact_hospital=far_centre
    )
    item = services.request_raise(actor=grid, person=person, type="dialysis", channel="grid")
    assert item.facility == far_centre and item.facility_match == "plan"
    # a need at the near centre: its requests go there, whatever the contact hospital
    today = timezone.localdate()
    plans.need_save(
        actor=grid,
        plan=plan,
        type="dialysis",
        repeat="once",
        starts_on=today,
        facility=facilities["dialysis"],
    )
    assert plans_raise_due(today)["raised"] == 1
    planned = person.care_requests.get(channel=Channel.PLAN)
    assert planned.facility == facilities["dialysis"] and planned.facility_match == "plan"
    stranger = services.request_raise(
        actor=grid, person=in_state(city, "none", "无方案"), type="dialysis", channel="grid"
    )
    assert stranger.facility == facilities["dialysis"]
    routed = services.requests_route(
        actor=personas["task_force"], ids=[item.pk, planned.pk, stranger.pk]
    )
    assert routed == 3
    item.refresh_from_db()
    planned.refresh_from_db()
    stranger.refresh_from_db()
    assert (item.facility, item.facility_match) == (far_centre, "plan")
    assert (planned.facility, planned.facility_match) == (facilities["dialysis"], "plan")
    assert stranger.facility == facilities["dialysis"] and stranger.facility_match != "plan"
    # the contact hospital out of service: the rule's choice stands
    facility_services.facility_set_active(
        actor=personas["command"], facility=far_centre, active=False, reason="检修"
    )
    services.requests_route(actor=personas["task_force"], ids=[item.pk])
    item.refresh_from_db()
    assert item.facility == facilities["dialysis"] and item.facility_match != "plan"
    events = Event.objects.filter(action="care.request_routed", object_id=str(item.pk))
    assert [e.data["facility"] for e in events.order_by("id")] == [
        far_centre.pk,
        facilities["dialysis"].pk,
    ]


# Who reaches medicine orders -------------------------------------------------------------------


def test_medicine_orders_reach_only_those_whose_job_needs_them(
    personas, patient, facilities, login, city
):
    order = medicine.order_raise(
        actor=personas["grid"],
        person=patient,
        medicine="胰岛素",
        quantity=Decimal("30"),
        pharmacy=facilities["pharmacy"],
    )
    for role in ("hotline", "dispatch_120"):
        client = login(personas[role])
        assert client.get(reverse("care:medicine")).status_code == 403
        assert client.get(reverse("care:medicine_order", args=[order.pk])).status_code == 403
        assert client.get("/api/care/medicine/orders").status_code == 403
        assert client.get(f"/api/care/medicine/orders/{order.pk}").status_code == 403
        client.logout()
    site_user = personas["quarantine"]
    client = login(site_user)
    assert client.get("/api/care/medicine/orders").json()["items"] == []
    assert client.get(f"/api/care/medicine/orders/{order.pk}").status_code == 404
    # the patient checks in at the site: now the site sees the order, and only that one
    street = city.w[Level.STREET]
    site = Site.objects.create(
        code="QS-C1", name="魏都隔离酒店", kind=SiteKind.HOTEL, division=street,
        division_key=street.key,
    )  # fmt: skip
    site.staff.add(site_user)
    room = Room.objects.create(
        site=site, building="A", floor=1, number="101", beds=1, division_key=site.division_key
    )
    Stay.objects.create(
        person=patient, room=room, site=site, status=StayStatus.IN,
        checked_in_at=timezone.now(), division_key=site.division_key,
    )  # fmt: skip
    medicine.order_raise(
        actor=personas["grid"],
        person=f.resident(city.w[Level.UNIT], "不在隔离点"),
        medicine="降压药",
        quantity=Decimal("1"),
        pharmacy=facilities["pharmacy"],
    )
    listed = client.get("/api/care/medicine/orders").json()["items"]
    assert [o["id"] for o in listed] == [order.pk]
    assert client.get(reverse("care:medicine_order", args=[order.pk])).status_code == 200
    step = client.post(
        f"/api/care/medicine/orders/{order.pk}/step",
        {"step": "cancel", "reason": "x"},
        "application/json",
    )
    assert step.status_code == 403  # sees, does not handle
    order.refresh_from_db()
    assert order.status == OrderStatus.NEEDED
