"""Shapes of the citizen requests' API (class names are the hotline's own: the OpenAPI document
names components by class)."""

import datetime as dt

from ninja import Field, Schema

from fangkong.core.apikit import Id
from fangkong.core.dates import Happened
from fangkong.hotline.dispatch.schemas import HotlineDepartmentBrief
from fangkong.hotline.models import HotlineCategory, HotlineChannel, HotlineStatus


class ClassifyIn(Schema):
    text: str = Field(min_length=1, max_length=4000, description="What the caller says")


class ClassifyOut(Schema):
    category: HotlineCategory = Field(description="The suggested category's code")
    confidence: float = Field(description="The model's probability of that category (0 to 1)")
    place: str = Field(description="The place (compound, building…) the text names, or empty")
    phone: str = Field(description="The phone number the text names, or empty")


class HotlineNoteOut(Schema):
    kind: str
    text: str
    happened_at: dt.datetime
    created_at: dt.datetime


class HotlineRequestOut(Schema):
    id: int
    number: str
    channel: HotlineChannel
    text: str
    category: HotlineCategory
    suggested_category: HotlineCategory | None
    suggested_confidence: float | None
    caller_name: str
    caller_phone: str
    person_id: int | None
    place_text: str
    division_id: int | None
    status: HotlineStatus
    department: HotlineDepartmentBrief | None
    rule_number: int | None = Field(description="The dispatch rule that sent it (from 1)")
    profile_code: str
    profile_version: int | None
    sla_minutes: int | None
    due_at: dt.datetime | None
    escalation_level: int
    confirmed: bool | None
    satisfaction: int | None
    merged_into: int | None
    happened_at: dt.datetime
    created_at: dt.datetime


class HotlineRequestDetailOut(HotlineRequestOut):
    notes: list[HotlineNoteOut]
    callers: list[str] = Field(description="Numbers of the requests merged into this one")


class HotlineRequestIn(Schema):
    channel: HotlineChannel = HotlineChannel.PHONE
    text: str = Field(max_length=4000)
    category: HotlineCategory | None = Field(None, description="Empty: the classifier's suggestion")
    caller_name: str = Field("", max_length=60)
    caller_phone: str = Field("", max_length=20)
    id_number: str = Field("", max_length=18, description="The caller's ID number, if given")
    place: str = Field("", max_length=200)
    happened_at: Happened | None = Field(None, description="When it happened; empty: now")


class HotlineNoteIn(Schema):
    text: str = Field(max_length=1000)
    happened_at: Happened | None = None


class HotlineCompleteIn(Schema):
    reply: str = Field(max_length=1000, description="What the department did")


class HotlineCallbackIn(Schema):
    solved: bool
    satisfaction: int | None = Field(None, ge=1, le=5)
    note: str = Field("", max_length=1000)


class HotlineCategoryIn(Schema):
    category: HotlineCategory
    reason: str = Field("", max_length=300)


class HotlineMergeIn(Schema):
    into: Id = Field(description="The request (case) this one repeats")
    reason: str = Field("", max_length=300)


class HotlineReasonIn(Schema):
    reason: str = Field("", max_length=300)


class HotlineDuplicateOut(Schema):
    id: int
    number: str
    why: str = Field(description='"person", "phone" or "place"')
    similarity: float
    text: str
    status: HotlineStatus


class HotlineCallerOut(Schema):
    person_id: int | None
    name: str
    division: str


class HotlineWeChatIn(Schema):
    text: str = Field(max_length=100_000, description="Messages copied from a WeChat group")


class HotlineWeChatOut(Schema):
    created: list[str] = Field(description="Numbers of the requests made, in order")
    duplicates: int = Field(description="Messages left out as repeats")
