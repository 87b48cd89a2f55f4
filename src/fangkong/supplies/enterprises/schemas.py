"""Shapes of the whitelist API."""

import datetime as dt

from ninja import Field, Schema

from fangkong.core.dates import Happened
from fangkong.places.schemas import PlaceBrief
from fangkong.supplies.models import EnterpriseKind, WhitelistStatus


class WhitelistOut(Schema):
    status: WhitelistStatus
    status_reason: str
    status_basis: str
    status_at: dt.datetime


class EnterpriseOut(WhitelistOut):
    id: int
    kind: EnterpriseKind
    name: str
    credit_code: str = Field(description="Unified social credit code (GB 32100)")
    place: PlaceBrief
    address: str
    contact_name: str
    phone: str
    created_at: dt.datetime


class EnterpriseIn(Schema):
    kind: EnterpriseKind
    name: str = Field(max_length=200)
    credit_code: str = Field(max_length=24)
    place: str = Field(description="Division code (or key) where it is registered")
    address: str = Field("", max_length=300)
    contact_name: str = Field("", max_length=60)
    phone: str = Field("", max_length=20)


class WhitelistIn(Schema):
    status: WhitelistStatus = Field(description="granted, suspended or revoked")
    reason: str = Field(max_length=300)
    basis: str = Field(max_length=300, description="The rule or notice the decision rests on")
    decided_at: Happened | None = Field(
        None, description="When it was decided (valid time); now if left out"
    )


class StaffIn(Schema):
    usernames: list[str] = Field(description="Exactly these accounts (supply role) staff it")


class VehicleOut(WhitelistOut):
    id: int
    enterprise_id: int
    plate: str
    area: PlaceBrief


class VehicleIn(Schema):
    plate: str = Field(max_length=12, description="Chinese plate, e.g. 豫K12345 or 豫KD12345")
    area: str = Field(description="Division code (or key) of the delivery area")


class CourierOut(WhitelistOut):
    id: int
    enterprise_id: int
    person_id: int
    name: str
    id_number: str = Field(description="Masked")
    area: PlaceBrief
    home_address: str


class CourierIn(Schema):
    id_number: str = Field(max_length=20, description="GB 11643 ID number (check digit checked)")
    name: str = Field(max_length=60)
    phone: str = Field(max_length=20)
    area: str = Field(description="Division code (or key) of the delivery area")
    home_address: str = Field(max_length=300)
    home_place: str = Field(
        "", description="Community code where the person lives: only for someone not yet known"
    )
