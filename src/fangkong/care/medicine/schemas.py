"""Shapes of the medicine delivery API."""

import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from fangkong.care.models import DeliverTo, OrderStatus
from fangkong.core.apikit import Id
from fangkong.core.dates import Day, Happened


class MedicinePharmacyOut(Schema):
    id: int
    code: str
    name: str
    phone: str


class MedicineCourseOut(Schema):
    id: int
    person_id: int
    person_name: str
    medicine: str
    unit: str
    daily_dose: Decimal
    supply: Decimal = Field(description="On hand on `supply_on`")
    supply_on: dt.date
    runs_out_on: dt.date = Field(description="The first day without any")
    days_left: int = Field(description="From today to `runs_out_on`")
    pharmacy: MedicinePharmacyOut | None
    active: bool


class MedicineCourseIn(Schema):
    id_number: str = Field(max_length=18, description="The patient (of your jurisdiction)")
    medicine: str = Field(min_length=1, max_length=100)
    unit: str = Field("", max_length=20)
    daily_dose: Decimal = Field(gt=0, max_digits=8, decimal_places=2)
    supply: Decimal = Field(ge=0, max_digits=10, decimal_places=2)
    supply_on: Day = Field(description="The day the supply was counted")
    pharmacy_id: Id | None = None
    active: bool = True


class RunningOutOut(Schema):
    days: int = Field(description="The warning window (policy: care.medicine_runout_warning_days)")
    items: list[MedicineCourseOut]


class MedicineOrderOut(Schema):
    id: int
    person_id: int
    person_name: str
    course_id: int | None
    medicine: str
    quantity: Decimal
    pharmacy: MedicinePharmacyOut
    deliver_to: DeliverTo
    status: OrderStatus
    batch_id: int | None
    substitute: str
    needed_at: dt.datetime
    sourced_at: dt.datetime | None
    delivered_at: dt.datetime | None
    confirmed_at: dt.datetime | None


class MedicineOrderIn(Schema):
    id_number: str = Field(max_length=18, description="The patient (of your jurisdiction)")
    medicine: str = Field(min_length=1, max_length=100)
    quantity: Decimal = Field(gt=0, max_digits=10, decimal_places=2)
    pharmacy_id: Id
    deliver_to: DeliverTo = DeliverTo.POINT
    course_id: Id | None = Field(None, description="The patient's course it refills")
    needed_at: Happened | None = Field(None, description="When the need arose; empty: now")


class MedicineStepIn(Schema):
    step: Literal["source", "accept", "decline", "deliver", "confirm", "cancel"] = Field(
        description="source (with `substitute` if only one was found), accept or decline the"
        " substitute (the patient's answer; decline needs `reason`), deliver, confirm, cancel"
    )
    substitute: str = Field("", max_length=100)
    deliver_to: DeliverTo | None = None
    reason: str = Field("", max_length=300)
    at: Happened | None = Field(None, description="When it happened; empty: now")


class MedicineBatchIn(Schema):
    ids: list[Id] | None = Field(
        None, max_length=10_000, description="Orders to batch; empty: every needed order"
    )


class MedicineBatchOut(Schema):
    id: int
    pharmacy: MedicinePharmacyOut
    batched_at: dt.datetime
    orders: list[int]


class MyIdentityIn(Schema):
    """The resident, as on their phone page: ID number and phone, both must match."""

    id_number: str = Field(max_length=18)
    phone: str = Field(max_length=20)


class MyMedicineOrderOut(Schema):
    """A resident's own medicine order, as their phone page shows it."""

    id: int
    medicine: str
    quantity: Decimal
    status: OrderStatus
    substitute: str = Field(description="What the pharmacy offers instead (awaiting an answer)")
    pharmacy_name: str
    needed_at: dt.datetime


class MySubstituteAnswerIn(MyIdentityIn):
    decision: Literal["accept", "decline"]
    reason: str = Field("", max_length=300, description="Why not (required when declining)")
    happened_at: Happened | None = Field(None, description="When you answered; empty: now")
