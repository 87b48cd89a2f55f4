"""Medicine delivery: the run-out warning at the exact boundary of the policy's days; orders
batched per pharmacy, a substitute declined (back to the pharmacy) then the medicine sourced,
delivered and received, which tops up the supply; each step's time; scope."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from fangkong.audit.models import Event
from fangkong.care.facilities import services as facility_services
from fangkong.care.medicine import selectors, services
from fangkong.care.models import FacilityKind, MedicineOrder, OrderStatus
from fangkong.places.models import Level
from tests import factories as f
from tests.api.conftest import bearer_client

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def patient(city):
    return f.resident(city.w[Level.UNIT], "胰岛素患者")


def course_for(personas, patient, facilities, supply="30", dose="1", on=None):
    return services.course_save(
        actor=personas["grid"],
        person=patient,
        medicine="胰岛素",
        unit="支",
        daily_dose=Decimal(dose),
        supply=Decimal(supply),
        supply_on=on or timezone.localdate(),
        pharmacy=facilities["pharmacy"],
    )


def test_the_run_out_warning_starts_exactly_the_policys_days_before(personas, patient, facilities):
    counted = timezone.localdate() - dt.timedelta(days=10)
    course = course_for(personas, patient, facilities, supply="30", dose="1", on=counted)
    assert course.runs_out_on == counted + dt.timedelta(days=30)
    days = selectors.warning_days()
    assert days == 3  # the shipped profile's value
    last_quiet = course.runs_out_on - dt.timedelta(days=days + 1)
    first_warned = course.runs_out_on - dt.timedelta(days=days)
    grid = personas["grid"]
    assert not selectors.running_out_for_user(grid, today=last_quiet).exists()
    assert list(selectors.running_out_for_user(grid, today=first_warned)) == [course]
    assert not selectors.running_out_for_user(personas["outsider"], today=first_warned).exists()


def test_half_a_days_dose_left_does_not_count_as_a_day(personas, patient, facilities):
    course = course_for(personas, patient, facilities, supply="7", dose="2")
    assert course.runs_out_on == timezone.localdate() + dt.timedelta(days=3)


def order_for(personas, patient, facilities, medicine="胰岛素", course=None, at=None):
    return services.order_raise(
        needed_at=at,
        actor=personas["grid"],
        person=patient,
        medicine=medicine,
        quantity=Decimal("30"),
        pharmacy=facilities["pharmacy"],
        course=course,
    )


def test_a_declined_substitute_goes_back_to_the_pharmacy_then_the_medicine_comes(
    personas, patient, facilities
):
    counted = timezone.localdate() - dt.timedelta(days=28)
    course = course_for(personas, patient, facilities, supply="30", dose="1", on=counted)
    hours = [timezone.now() - dt.timedelta(hours=h) for h in (5, 4, 2)]
    order = order_for(personas, patient, facilities, course=course, at=hours[0])
    (batch,) = services.orders_batch(actor=personas["task_force"])
    order.refresh_from_db()
    assert order.batch == batch and order.status == OrderStatus.BATCHED
    task_force = personas["task_force"]
    services.order_source(actor=task_force, order=order, substitute="甘精胰岛素")
    grid = personas["grid"]
    with pytest.raises(ValidationError) as err:
        services.order_substitute_answer(actor=grid, order=order, accept=False)
    assert "reason" in err.value.message_dict
    services.order_substitute_answer(actor=grid, order=order, accept=False, reason="医生不同意换药")
    order.refresh_from_db()
    assert order.status == OrderStatus.BATCHED and order.substitute == ""
    declined = Event.objects.get(action="care.medicine_substitute_declined")
    assert declined.reason == "医生不同意换药" and declined.data["substitute"] == "甘精胰岛素"
    services.order_source(actor=task_force, order=order, at=hours[1])
    delivered_at = hours[2]
    services.order_deliver(actor=grid, order=order, deliver_to="door", at=delivered_at)
    services.order_confirm(actor=grid, order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED and order.deliver_to == "door"
    assert order.delivered_at == delivered_at
    event = Event.objects.get(action="care.medicine_delivered")
    assert event.at == delivered_at and event.recorded_at > delivered_at
    course.refresh_from_db()
    # 2 left on the day of receipt + 30 delivered = 32 days from today.
    assert course.runs_out_on == timezone.localdate() + dt.timedelta(days=32)


def test_an_accepted_substitute_is_what_is_delivered(personas, patient, facilities):
    order = order_for(personas, patient, facilities)
    services.orders_batch(actor=personas["task_force"])
    services.order_source(actor=personas["task_force"], order=order, substitute="格列美脲")
    services.order_substitute_answer(actor=personas["grid"], order=order, accept=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.SOURCED and order.substitute == "格列美脲"


def test_orders_are_batched_one_batch_per_pharmacy(personas, patient, facilities, city):
    other = facility_services.facility_register(
        actor=personas["command"],
        code="W-PHARMACY-2",
        name="第二药房",
        kind=FacilityKind.PHARMACY,
        division=city.w[Level.STREET],
    )
    order_for(personas, patient, facilities)
    order_for(personas, patient, facilities, medicine="降压药")
    services.order_raise(
        actor=personas["grid"],
        person=patient,
        medicine="他汀",
        quantity=Decimal("1"),
        pharmacy=other,
    )
    batches = services.orders_batch(actor=personas["task_force"])
    assert sorted(b.orders.count() for b in batches) == [1, 2]
    assert not services.orders_batch(actor=personas["task_force"])


def test_an_outsider_can_neither_order_for_nor_see_the_patient(
    personas, patient, facilities, login
):
    order = order_for(personas, patient, facilities)
    with pytest.raises(ValidationError):
        services.order_raise(
            actor=personas["outsider"],
            person=patient,
            medicine="胰岛素",
            quantity=Decimal("1"),
            pharmacy=facilities["pharmacy"],
        )
    assert MedicineOrder.objects.count() == 1
    client = login(personas["outsider"])
    assert client.get(f"/api/care/medicine/orders/{order.pk}").status_code == 404
    assert client.get("/api/care/medicine/orders").json()["items"] == []
    assert client.get("/api/care/medicine/running-out").json()["items"] == []


def test_the_api_walks_an_order_and_lists_who_runs_out(personas, patient, facilities):
    grid = bearer_client(personas["grid"])
    course = grid.post(
        "/api/care/medicine/courses",
        {
            "id_number": patient.id_number,
            "medicine": "胰岛素",
            "daily_dose": "1",
            "supply": "2",
            "supply_on": timezone.localdate().isoformat(),
            "pharmacy_id": facilities["pharmacy"].pk,
        },
        content_type="application/json",
    )
    assert course.status_code == 201, course.content
    assert course.json()["days_left"] == 2
    running = grid.get("/api/care/medicine/running-out").json()
    assert running["days"] == 3 and [c["id"] for c in running["items"]] == [course.json()["id"]]
    order = grid.post(
        "/api/care/medicine/orders",
        {
            "id_number": patient.id_number,
            "medicine": "胰岛素",
            "quantity": "30",
            "pharmacy_id": facilities["pharmacy"].pk,
            "course_id": course.json()["id"],
        },
        content_type="application/json",
    )
    assert order.status_code == 201, order.content
    task_force = bearer_client(personas["task_force"])
    batches = task_force.post("/api/care/medicine/batches", {}, content_type="application/json")
    assert batches.status_code == 201 and batches.json()[0]["orders"] == [order.json()["id"]]
    url = f"/api/care/medicine/orders/{order.json()['id']}/step"
    assert (
        task_force.post(url, {"step": "source"}, content_type="application/json").json()["status"]
        == "sourced"
    )
    wrong = grid.post(url, {"step": "confirm"}, content_type="application/json")
    assert wrong.status_code == 422
    grid.post(url, {"step": "deliver", "deliver_to": "point"}, content_type="application/json")
    done = grid.post(url, {"step": "confirm"}, content_type="application/json").json()
    assert done["status"] == "confirmed" and done["confirmed_at"]


def test_a_pharmacys_account_sees_and_sources_only_its_orders(personas, patient, facilities):
    pharmacy = personas["hospital"]
    facility_services.facility_staff_set(
        actor=personas["command"], facility=facilities["pharmacy"], usernames=[pharmacy.username]
    )
    order = order_for(personas, patient, facilities)
    assert list(selectors.orders_for_user(pharmacy)) == [order]
    services.orders_batch(actor=personas["task_force"])
    services.order_source(actor=pharmacy, order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.SOURCED and order.sourced_at is not None
