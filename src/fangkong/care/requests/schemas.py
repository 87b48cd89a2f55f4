"""Shapes of the medical requests' API."""

import datetime as dt

from ninja import Field, Schema

from fangkong.care.models import Channel, ControlState, FacilityKind, RequestStatus, RequestType
from fangkong.core.apikit import Id
from fangkong.core.dates import Happened


class FacilityBrief(Schema):
    id: int
    code: str
    name: str
    phone: str


class RequestOut(Schema):
    id: int
    person_id: int
    type: RequestType
    control_state: ControlState
    state_basis: str = Field(
        description='Where the state came from: "zone:<id>", "case:<number>", '
        '"measure:<id>", "code:<colour>"'
    )
    channel: Channel
    status: RequestStatus
    description: str
    contact_phone: str
    destination: FacilityKind | None
    facility: FacilityBrief | None
    via_120: bool
    closed_loop: bool
    sla_minutes: int | None
    due_at: dt.datetime | None
    rule_number: int | None = Field(
        description="The rule of the routing table that routed it (from 1)"
    )
    profile_code: str
    profile_version: int | None
    why: str = Field(description="Which rule routed it and why, in the reader's language")
    raised_at: dt.datetime
    routed_at: dt.datetime | None
    closed_at: dt.datetime | None = Field(description="When it was completed or cancelled")


class RequestIn(Schema):
    id_number: str = Field(
        max_length=18, description="The person's ID number (of your jurisdiction)"
    )
    type: RequestType
    description: str = Field("", max_length=1000)
    contact_phone: str = Field("", max_length=20)
    raised_at: Happened | None = Field(None, description="When the need arose; empty: now")


class RequestStatusIn(Schema):
    status: RequestStatus = Field(description="accepted, completed or cancelled")
    reason: str = Field("", max_length=300)
    happened_at: Happened | None = Field(None, description="When it happened; empty: now")


class RouteBatchIn(Schema):
    ids: list[Id] = Field(min_length=1, max_length=100_000, description="Requests to route again")


class RouteBatchOut(Schema):
    routed: int
