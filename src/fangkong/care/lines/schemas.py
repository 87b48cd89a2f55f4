"""Shapes of the direct lines' API."""

import datetime as dt

from ninja import Field, Schema

from fangkong.care.models import LineKind
from fangkong.core.apikit import Id


class DirectLineOut(Schema):
    id: int
    community_code: str
    community_name: str
    kind: LineKind
    name: str
    phone: str
    facility_id: int | None
    note: str
    updated_at: dt.datetime


class DirectLineIn(Schema):
    community: str = Field(
        max_length=24, description="The community's division code (of your jurisdiction)"
    )
    kind: LineKind
    name: str = Field(min_length=1, max_length=200)
    phone: str = Field(min_length=3, max_length=20)
    facility_id: Id | None = None
    note: str = Field("", max_length=200)
