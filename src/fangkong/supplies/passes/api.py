"""REST endpoints of the passes: issue (for a courier or a vehicle), list, revoke; and, without
login, the published key list (a JWK set) and the online check a checkpoint phone makes."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Status

from fangkong.core.access import Cap, can
from fangkong.core.apikit import ERRORS, Id, Limit, Offset, Page, paginate
from fangkong.policy.accessor import current
from fangkong.supplies import selectors as app_selectors
from fangkong.supplies.models import SupplyPass
from fangkong.supplies.passes import hcert, selectors, services, verifier
from fangkong.supplies.passes.schemas import (
    KeySetOut,
    PassCheckIn,
    PassCheckOut,
    PassOut,
    PassRevokeIn,
)

router = Router(tags=["supply passes"])


def reason_words() -> dict[str, str]:
    return {
        hcert.Reason.VALID: _("Valid pass"),
        hcert.Reason.MALFORMED: _("Not a pass, or damaged: the code cannot be read"),
        hcert.Reason.UNKNOWN_KEY: _("Wrong key: not signed by a key this platform publishes"),
        hcert.Reason.BAD_SIGNATURE: _("Forged or altered: the signature does not match"),
        hcert.Reason.KEY_RETIRED: _("Its signing key was retired: the pass is no longer valid"),
        hcert.Reason.EXPIRED: _("Expired"),
        hcert.Reason.NOT_YET_VALID: _("Not yet valid"),
        hcert.Reason.REVOKED: _("Revoked"),
    }


def _pass_out(p: SupplyPass) -> dict[str, Any]:
    return {
        "id": p.pk,
        "serial": p.serial,
        "holder_kind": p.holder_kind,
        "courier_id": p.courier_id,
        "vehicle_id": p.vehicle_id,
        "enterprise_id": p.enterprise_id,
        "issued_at": p.issued_at,
        "expires_at": p.expires_at,
        "status": p.status,
        "revoked_at": p.revoked_at,
        "revoked_reason": p.revoked_reason,
        "key_id": p.key.kid,
        "code": p.code,
    }


def _keeper_cap(user: Any) -> Cap:
    return Cap.SUPPLIES_MANAGE if can(user, Cap.SUPPLIES_MANAGE) else Cap.SUPPLY_ENTERPRISE


@router.get("/passes", response={200: Page[PassOut], **ERRORS}, summary="Supply passes")
def pass_list(
    request: HttpRequest, status: str = "", limit: int = Limit, offset: int = Offset
) -> dict[str, Any]:
    """Passes in your jurisdiction (an enterprise account: its own), newest first."""
    qs = app_selectors.passes_for_user(request.user).select_related("key")
    if status:
        qs = qs.filter(status=status)
    return paginate(qs, limit=limit, offset=offset, convert=_pass_out)


@router.post(
    "/couriers/{int:courier_id}/passes",
    response={201: PassOut, **ERRORS},
    summary="Issue a pass to a courier",
)
def courier_pass_new(request: HttpRequest, courier_id: Id) -> Status[dict[str, Any]]:
    """Only while the courier and the enterprise are granted on the whitelist and the active
    profile's conditions hold (422 on `courier` naming those that fail)."""
    courier = app_selectors.courier_for_user(request.user, courier_id, _keeper_cap(request.user))
    return Status(201, _pass_out(services.pass_issue(actor=request.user, holder=courier)))


@router.post(
    "/vehicles/{int:vehicle_id}/passes",
    response={201: PassOut, **ERRORS},
    summary="Issue a pass to a vehicle",
)
def vehicle_pass_new(request: HttpRequest, vehicle_id: Id) -> Status[dict[str, Any]]:
    vehicle = app_selectors.vehicle_for_user(request.user, vehicle_id, _keeper_cap(request.user))
    return Status(201, _pass_out(services.pass_issue(actor=request.user, holder=vehicle)))


@router.post(
    "/passes/{int:pass_id}/revoke", response={200: PassOut, **ERRORS}, summary="Revoke a pass"
)
def pass_revoke(request: HttpRequest, pass_id: Id, payload: PassRevokeIn) -> dict[str, Any]:
    supply_pass = app_selectors.pass_for_user(request.user, pass_id, _keeper_cap(request.user))
    return _pass_out(
        services.pass_revoke(actor=request.user, supply_pass=supply_pass, reason=payload.reason)
    )


@router.get(
    "/pass-keys",
    response={200: KeySetOut},
    auth=None,
    summary="Published pass-signing keys (JWK set)",
    url_name="pass_keys",
)
def pass_keys(request: HttpRequest) -> dict[str, Any]:
    """The public keys a checkpoint phone verifies passes with, offline: the key in use and
    those retired less than the profile's grace ago (with `exp`)."""
    policy = current()
    rules = selectors.pass_rules(policy)
    keys = []
    for key in selectors.trusted_keys(rules, timezone.now()):
        jwk: dict[str, Any] = hcert.jwk(bytes(key.public_der))
        until = selectors.key_valid_until(key, rules)
        jwk["exp"] = int(until.timestamp()) if until else None
        keys.append(jwk)
    return {
        "keys": keys,
        "refresh_hours": rules.key_list_refresh_hours if rules else None,
        "tolerance_seconds": int(policy.rules.records.tolerance / dt.timedelta(seconds=1)),
    }


@router.post(
    "/pass-check",
    response={200: PassCheckOut, 422: ERRORS[422]},
    auth=None,
    summary="Check a pass online",
    url_name="pass_verify",
)
def pass_verify(request: HttpRequest, payload: PassCheckIn) -> dict[str, Any]:
    """Signature, key, expiry, and whether the pass was revoked. Answers what the phone
    shows, no more: the masked name or the plate, enterprise, area, expiry."""
    checked = verifier.check(payload.code)
    claims = checked.verdict.claims
    return {
        "valid": checked.reason == hcert.Reason.VALID,
        "reason": checked.reason,
        "message": reason_words()[checked.reason],
        "serial": checked.verdict.serial,
        "holder_kind": str(claims.get("k", "")),
        "holder": str(claims.get("nm") or claims.get("pl") or ""),
        "enterprise": str(claims.get("ent", "")),
        "area": str(claims.get("area", "")),
        "expires_at": checked.verdict.expires_at,
        "revoked_reason": checked.revoked_reason,
    }
