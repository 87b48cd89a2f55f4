"""Shapes of the health plans' API."""

import datetime as dt

from ninja import Field, Schema

from fangkong.care.models import PlanCategory, Repeat, RequestStatus, RequestType
from fangkong.core.apikit import Id
from fangkong.core.dates import PlanDay


class PlanFacilityOut(Schema):
    id: int
    code: str
    name: str
    phone: str


class StandingNeedOut(Schema):
    id: int
    type: RequestType
    description: str
    facility: PlanFacilityOut | None
    repeat: Repeat
    weekdays: list[int] = Field(description="Days of the week, Monday = 0")
    every_days: int | None
    starts_on: dt.date
    ends_on: dt.date | None
    active: bool


class HealthPlanOut(Schema):
    id: int
    person_id: int
    person_name: str
    category: PlanCategory
    contact_hospital: PlanFacilityOut | None
    emergency: str = Field(description="What to do in an emergency")
    note: str
    needs: list[StandingNeedOut]
    updated_at: dt.datetime


class HealthPlanIn(Schema):
    id_number: str = Field(
        max_length=18, description="The person's ID number (of your jurisdiction)"
    )
    category: PlanCategory
    contact_hospital_id: Id | None = Field(None, description="A facility you can see")
    emergency: str = Field("", max_length=500)
    note: str = Field("", max_length=500)


class HealthPlanChangeIn(Schema):
    category: PlanCategory
    contact_hospital_id: Id | None = None
    emergency: str = Field("", max_length=500)
    note: str = Field("", max_length=500)


class StandingNeedIn(Schema):
    type: RequestType
    repeat: Repeat
    weekdays: list[int] = Field(
        default_factory=list,
        max_length=7,
        description="weekly: the days of the week, Monday = 0 (e.g. [0, 2, 4])",
    )
    every_days: int | None = Field(None, ge=1, le=366, description="every: every so many days")
    starts_on: PlanDay = Field(description="The first day (once: the day)")
    ends_on: PlanDay | None = None
    facility_id: Id | None = Field(None, description="Where (e.g. the dialysis centre)")
    description: str = Field("", max_length=300)
    active: bool = True


class NeedDueOut(Schema):
    day: dt.date
    plan_id: int
    need_id: int
    person_id: int
    person_name: str
    type: RequestType
    description: str
    facility: PlanFacilityOut | None
    request_id: int | None = Field(description="The request raised for the day, once raised")
    request_status: RequestStatus | None


class PlansDueOut(Schema):
    first: dt.date
    last: dt.date
    days: int = Field(description="How far ahead (policy: care.plans_due_within_days)")
    items: list[NeedDueOut]
