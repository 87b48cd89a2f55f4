"""Shapes of the departments' API."""

from ninja import Field, Schema

from fangkong.core.apikit import Id
from fangkong.hotline.models import DepartmentKind


class HotlineDepartmentBrief(Schema):
    id: int
    code: str
    name: str
    kind: DepartmentKind
    phone: str


class HotlineDepartmentIn(Schema):
    code: str = Field(max_length=32)
    name: str = Field(max_length=200)
    kind: DepartmentKind
    division_id: Id
    phone: str = Field("", max_length=20)
    staff: list[str] = Field(default_factory=list, description="Usernames of its staff")


class HotlineDepartmentOut(HotlineDepartmentBrief):
    division_id: int
    active: bool
    staff: list[str]
