"""REST endpoints about the caller: who am I, and my API tokens (mounted under /api/)."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from fangkong.accounts.models import ApiToken
from fangkong.accounts.selectors import token_for_user, tokens_for_user
from fangkong.accounts.services import token_create, token_revoke
from fangkong.core.access import caps_of
from fangkong.core.apikit import ERRORS, Id
from fangkong.places.schemas import PlaceOut, place_out

router = Router(tags=["accounts"])


class MeOut(Schema):
    username: str
    display_name: str
    role: str
    role_label: str
    jurisdiction: PlaceOut | None
    capabilities: list[str]


class TokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(description="First characters of the token, to recognise it")
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    usable: bool


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The raw token: shown once, store it now; only a hash is kept")


class TokenIn(Schema):
    name: str = Field("API", max_length=100)
    valid_days: int | None = Field(None, ge=1, le=3650, description="Empty: until revoked")


def token_out(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.lookup,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "expires_at": token.expires_at,
        "revoked_at": token.revoked_at,
        "usable": token.is_usable,
    }


@router.get("/me", response={200: MeOut, **ERRORS}, summary="Who am I")
def me(request: HttpRequest) -> dict[str, Any]:
    """Your user, role, jurisdiction and the capabilities your role grants."""
    user: Any = request.user
    place = user.jurisdiction
    return {
        "username": user.username,
        "display_name": str(user),
        "role": user.role,
        "role_label": user.get_role_display() if user.role else "",
        "jurisdiction": place_out(place, None) if place is not None else None,
        "capabilities": sorted(caps_of(user)),
    }


@router.get("/tokens", response={200: list[TokenOut], **ERRORS}, summary="My API tokens")
def token_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [token_out(t) for t in tokens_for_user(request.user)]


@router.post("/tokens", response={201: TokenCreatedOut, **ERRORS}, summary="Create a token")
def token_new(request: HttpRequest, payload: TokenIn) -> Status[dict[str, Any]]:
    """Create a bearer token for yourself. The raw value is in this response only.

    Only from a logged-in browser session (verified by two-factor where your role needs it):
    a request authenticated by a bearer token gets 403, so a token cannot mint tokens that
    would outlive its own revocation."""
    if getattr(request, "api_token", None) is not None:
        detail = _("A token cannot create tokens: create them from a logged-in session.")
        return Status(403, {"detail": detail})
    token, raw = token_create(
        user=request.user,  # type: ignore[arg-type]
        name=payload.name,
        valid_days=payload.valid_days,
    )
    return Status(201, token_out(token) | {"token": raw})


@router.delete("/tokens/{int:token_id}", response={204: None, **ERRORS}, summary="Revoke")
def token_delete(request: HttpRequest, token_id: Id) -> Status[None]:
    """Revoke one of your tokens; it stops working at once (the record is kept)."""
    token_revoke(token=token_for_user(request.user, token_id), actor=request.user)
    return Status(204, None)
