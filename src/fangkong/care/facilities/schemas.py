"""Shapes of the facilities' registry API."""

import datetime as dt

from ninja import Field, Schema

from fangkong.care.models import Capability, FacilityKind
from fangkong.places.schemas import PlaceBrief


class FacilityOut(Schema):
    id: int
    code: str
    name: str
    kind: FacilityKind
    place: PlaceBrief
    address: str
    phone: str = Field(description="Direct line")
    capabilities: list[Capability]
    active: bool = Field(description="False: suspended, no request is routed to it")
    created_at: dt.datetime


class FacilityDetailOut(FacilityOut):
    staff: list[str] = Field(
        description="User names of its staff (accounts with the hospital role)"
    )


class FacilityIn(Schema):
    name: str = Field(max_length=200)
    kind: FacilityKind
    place: str = Field(description="Division code (or key) of the facility's place")
    address: str = Field("", max_length=300)
    phone: str = Field("", max_length=20, description="Direct line")
    capabilities: list[Capability] = Field(default_factory=list)


class FacilityNewIn(FacilityIn):
    code: str = Field(max_length=32)


class FacilityChangeIn(FacilityIn):
    reason: str = Field("", max_length=300)


class FacilityStatusIn(Schema):
    active: bool
    reason: str = Field(max_length=300)


class FacilityStaffIn(Schema):
    usernames: list[str] = Field(description="Exactly these accounts staff the facility")
