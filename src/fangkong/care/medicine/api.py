"""REST endpoints of medicine delivery (/api/care/medicine…), scoped like the pages."""

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.errors import HttpError

from fangkong.care.facilities.selectors import facilities_for_user
from fangkong.care.medicine import selectors, services
from fangkong.care.medicine.schemas import (
    MedicineBatchIn,
    MedicineBatchOut,
    MedicineCourseIn,
    MedicineCourseOut,
    MedicineOrderIn,
    MedicineOrderOut,
    MedicineStepIn,
    MyIdentityIn,
    MyMedicineOrderOut,
    MySubstituteAnswerIn,
    RunningOutOut,
)
from fangkong.care.medicine.supply import days_left
from fangkong.care.models import Facility, MedicineCourse, MedicineOrder
from fangkong.care.requests.services import person_in_scope
from fangkong.core.access import Cap, require
from fangkong.core.apikit import ERRORS, ErrorOut, Id, Limit, Offset, Page, paginate
from fangkong.core.errors import field_error
from fangkong.healthcode.appeals import person_by_identity
from fangkong.healthcode.views import my_code_throttled
from fangkong.people.models import Resident

router = Router(tags=["medical care"])


def pharmacy_brief(facility: Facility | None) -> dict[str, Any] | None:
    if facility is None:
        return None
    return {
        "id": facility.pk,
        "code": facility.code,
        "name": facility.name,
        "phone": facility.phone,
    }


def course_out(course: MedicineCourse) -> dict[str, Any]:
    return {
        "id": course.pk,
        "person_id": course.person_id,
        "person_name": course.person.name,
        "medicine": course.medicine,
        "unit": course.unit,
        "daily_dose": course.daily_dose,
        "supply": course.supply,
        "supply_on": course.supply_on,
        "runs_out_on": course.runs_out_on,
        "days_left": days_left(course.runs_out_on, timezone.localdate()),
        "pharmacy": pharmacy_brief(course.pharmacy),
        "active": course.active,
    }


def order_out(order: MedicineOrder) -> dict[str, Any]:
    return {
        "id": order.pk,
        "person_id": order.person_id,
        "person_name": order.person.name,
        "course_id": order.course_id,
        "medicine": order.medicine,
        "quantity": order.quantity,
        "pharmacy": pharmacy_brief(order.pharmacy),
        "deliver_to": order.deliver_to,
        "status": order.status,
        "batch_id": order.batch_id,
        "substitute": order.substitute,
        "needed_at": order.needed_at,
        "sourced_at": order.sourced_at,
        "delivered_at": order.delivered_at,
        "confirmed_at": order.confirmed_at,
    }


def _pharmacy(request: HttpRequest, pk: int | None) -> Facility | None:
    if pk is None:
        return None
    found = facilities_for_user(request.user).filter(pk=pk).first()
    if found is None:
        raise field_error("pharmacy_id", _("Choose a pharmacy"))
    return found


@router.get(
    "/care/medicine/courses",
    response={200: Page[MedicineCourseOut], **ERRORS},
    summary="Chronic patients' medicine",
)
def care_course_list(
    request: HttpRequest, limit: int = Limit, offset: int = Offset
) -> dict[str, Any]:
    qs = selectors.courses_for_user(request.user).select_related("person", "pharmacy")
    return paginate(qs, limit=limit, offset=offset, convert=course_out)


@router.post(
    "/care/medicine/courses",
    response={201: MedicineCourseOut, **ERRORS},
    summary="Record a patient's medicine",
)
def care_course_new(request: HttpRequest, payload: MedicineCourseIn) -> Status[dict[str, Any]]:
    """What is on hand on a day and the daily dose; the day it runs out follows."""
    require(request.user, Cap.CARE_COMMUNITY)
    course = services.course_save(
        actor=request.user,
        person=person_in_scope(request.user, payload.id_number),
        medicine=payload.medicine,
        unit=payload.unit,
        daily_dose=payload.daily_dose,
        supply=payload.supply,
        supply_on=payload.supply_on,
        pharmacy=_pharmacy(request, payload.pharmacy_id),
        active=payload.active,
    )
    return Status(201, course_out(selectors.course_for_user(request.user, course.pk)))


@router.get(
    "/care/medicine/running-out",
    response={200: RunningOutOut, **ERRORS},
    summary="Who runs out of medicine soon",
)
def care_running_out(request: HttpRequest) -> dict[str, Any]:
    """Patients of your jurisdiction whose medicine runs out within the policy's days (or has)."""
    return {
        "days": selectors.warning_days(),
        "items": [course_out(c) for c in selectors.running_out_for_user(request.user)],
    }


@router.get(
    "/care/medicine/orders",
    response={200: Page[MedicineOrderOut], **ERRORS},
    summary="Medicine orders",
)
def care_order_list(
    request: HttpRequest, status: str = "", limit: int = Limit, offset: int = Offset
) -> dict[str, Any]:
    qs = selectors.orders_for_user(request.user).select_related("person", "pharmacy")
    if status:
        qs = qs.filter(status=status)
    return paginate(qs, limit=limit, offset=offset, convert=order_out)


@router.post(
    "/care/medicine/orders",
    response={201: MedicineOrderOut, **ERRORS},
    summary="Raise a medicine order",
)
def care_order_new(request: HttpRequest, payload: MedicineOrderIn) -> Status[dict[str, Any]]:
    require(request.user, Cap.CARE_COMMUNITY)
    person = person_in_scope(request.user, payload.id_number)
    course = None
    if payload.course_id is not None:
        course = selectors.courses_for_user(request.user).filter(pk=payload.course_id).first()
        if course is None:
            raise field_error("course_id", _("Not a course of this person"))
    order = services.order_raise(
        actor=request.user,
        person=person,
        medicine=payload.medicine,
        quantity=payload.quantity,
        pharmacy=_pharmacy(request, payload.pharmacy_id),  # type: ignore[arg-type]
        deliver_to=payload.deliver_to.value,
        course=course,
        needed_at=payload.needed_at,
    )
    return Status(201, order_out(selectors.order_for_user(request.user, order.pk)))


@router.get(
    "/care/medicine/orders/{int:medicine_order_id}",
    response={200: MedicineOrderOut, **ERRORS},
    summary="A medicine order",
)
def care_order_get(request: HttpRequest, medicine_order_id: Id) -> dict[str, Any]:
    return order_out(selectors.order_for_user(request.user, medicine_order_id))


@router.post(
    "/care/medicine/orders/{int:medicine_order_id}/step",
    response={200: MedicineOrderOut, **ERRORS},
    summary="Take an order a step on",
)
def care_order_step(
    request: HttpRequest, medicine_order_id: Id, payload: MedicineStepIn
) -> dict[str, Any]:
    """Sourced (or a substitute proposed), the patient's answer to a substitute, delivered,
    confirmed received, or cancelled; `at` is when it happened (default now)."""
    order = selectors.order_for_user(request.user, medicine_order_id)
    services.order_step(
        actor=request.user,
        order=order,
        step=payload.step,
        substitute=payload.substitute,
        deliver_to=payload.deliver_to.value if payload.deliver_to else "",
        reason=payload.reason,
        at=payload.at,
    )
    return order_out(selectors.order_for_user(request.user, medicine_order_id))


@router.post(
    "/care/medicine/batches",
    response={201: list[MedicineBatchOut], **ERRORS},
    summary="Batch the needed orders per pharmacy",
)
def care_orders_batch(request: HttpRequest, payload: MedicineBatchIn) -> Status[list[Any]]:
    """The medical task force gathers the needed orders of its jurisdiction (all, or `ids`)
    into one batch per pharmacy."""
    batches = services.orders_batch(actor=request.user, ids=payload.ids)
    return Status(
        201,
        [
            {
                "id": b.pk,
                "pharmacy": pharmacy_brief(b.pharmacy),
                "batched_at": b.batched_at,
                "orders": sorted(b.orders.values_list("pk", flat=True)),
            }
            for b in batches
        ],
    )


# The resident's own (no login: identified by ID number and phone, as on /my-care/) ----------


def _me(request: HttpRequest, payload: MyIdentityIn) -> Resident:
    if my_code_throttled(request):
        raise HttpError(429, _("Too many attempts from this network; try again in an hour."))
    person = person_by_identity(payload.id_number, payload.phone)
    if person is None:
        raise HttpError(404, _("No person matches this ID number and phone."))
    return person


def my_order_out(order: MedicineOrder) -> dict[str, Any]:
    return {
        "id": order.pk,
        "medicine": order.medicine,
        "quantity": order.quantity,
        "status": order.status,
        "substitute": order.substitute,
        "pharmacy_name": order.pharmacy.name,
        "needed_at": order.needed_at,
    }


@router.post(
    "/care/my/medicine-orders",
    auth=None,
    response={200: list[MyMedicineOrderOut], 404: ErrorOut, 422: ERRORS[422], 429: ErrorOut},
    summary="My open medicine orders (resident)",
)
def care_my_orders(request: HttpRequest, payload: MyIdentityIn) -> list[dict[str, Any]]:
    """No login: the resident's own open medicine orders, those awaiting their answer to a
    substitute first. ID number and phone must both match (attempts throttled per network,
    as on the phone page)."""
    return [my_order_out(o) for o in selectors.orders_of_person(_me(request, payload))]


@router.post(
    "/care/my/medicine-orders/{int:medicine_order_id}/answer",
    auth=None,
    response={200: MyMedicineOrderOut, 404: ErrorOut, 422: ERRORS[422], 429: ErrorOut},
    summary="Accept or decline a substitute (resident)",
)
def care_my_substitute_answer(
    request: HttpRequest, medicine_order_id: Id, payload: MySubstituteAnswerIn
) -> dict[str, Any]:
    """No login: the resident accepts the substitute the pharmacy offers (it is what comes),
    or declines it (`reason` required; the pharmacy sources again). Only their own order,
    only while a substitute awaits their answer; an order of someone else: 404."""
    person = _me(request, payload)
    if not MedicineOrder.objects.filter(pk=medicine_order_id, person=person).exists():
        raise HttpError(404, _("No such medicine order of yours"))
    order = services.my_substitute_answer(
        person=person,
        order_id=medicine_order_id,
        accept=payload.decision == "accept",
        reason=payload.reason,
        at=payload.happened_at,
    )
    return my_order_out(order)
