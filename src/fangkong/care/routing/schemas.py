"""Shapes of the routing table's API."""

from ninja import Field, Schema

from fangkong.care.models import ControlState, FacilityKind, RequestType


class RouteOut(Schema):
    number: int = Field(description="The rule's number, from 1: the first that matches routes")
    request_types: list[RequestType]
    control_states: list[ControlState]
    destination: FacilityKind
    facility: str = Field(description="A specific facility's code; empty: the nearest of the kind")
    via_120: bool
    closed_loop: bool
    sla_minutes: int
    words: str = Field(description="The rule in words, in the reader's language")


class RoutingOut(Schema):
    profile_code: str
    profile_version: int
    routes: list[RouteOut]
