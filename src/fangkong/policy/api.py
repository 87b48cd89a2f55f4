"""The policy API: the profile in force, read-only (profiles are authored in the admin)."""

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema

from fangkong.core.access import Cap, require
from fangkong.core.apikit import ERRORS
from fangkong.policy import accessor

router = Router(tags=["policy"])


class PolicyOut(Schema):
    code: str
    version: int
    name: str
    name_zh: str
    name_en: str
    issued_by: str
    published_on: dt.date
    source: str
    activated_at: dt.datetime | None
    rules: dict[str, Any] = Field(description="The profile's rules (fangkong.policy.schema.Rules)")


@router.get("/active", response={200: PolicyOut, **ERRORS}, summary="Active policy")
def policy_active(request: HttpRequest) -> Any:
    """The policy profile in force: its days, tests and thresholds (read-only here)."""
    require(request.user, Cap.POLICY_VIEW)
    try:
        return accessor.current().profile
    except accessor.NoActivePolicy:
        raise Http404 from None
