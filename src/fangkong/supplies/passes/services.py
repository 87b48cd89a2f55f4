"""Writes of the passes: rotate the signing key, issue a pass to a whitelisted courier or
vehicle while the active profile's conditions hold, revoke passes (by hand, or at once when
a holder's conditions fail: revocation.py hears the sources). Each is an audit event.

Private keys are kept in the database encrypted (PKCS#8, AES) with a key derived from the
platform's SECRET_KEY: a database dump alone signs nothing.
"""

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.labels import SYSTEM
from fangkong.audit.services import EventRow, actor_columns, event_record, events_record_bulk
from fangkong.core.access import Cap, can, require
from fangkong.core.errors import field_error, need_reason
from fangkong.people.idnumber import mask_id_number
from fangkong.policy.accessor import current
from fangkong.supplies import selectors as app_selectors
from fangkong.supplies.models import (
    Courier,
    Enterprise,
    HolderKind,
    PassStatus,
    SigningKey,
    SupplyPass,
    Vehicle,
    Whitelisted,
)
from fangkong.supplies.passes import hcert, verifier
from fangkong.supplies.passes import selectors as sel

ISSUER = "CN-FANGKONG"  # the CWT issuer claim


def _passphrase() -> bytes:
    return hashlib.sha256(b"fangkong.supplies.signing-key:" + settings.SECRET_KEY.encode()).digest()


def private_key_of(key: SigningKey) -> ec.EllipticCurvePrivateKey:
    loaded = serialization.load_pem_private_key(bytes(key.private_pem), password=_passphrase())
    assert isinstance(loaded, ec.EllipticCurvePrivateKey)
    return loaded


@transaction.atomic
def key_rotate(*, actor: Any) -> SigningKey:
    """Make a new signing key and retire the one in use (its passes verify until the grace
    of the active profile runs out)."""
    if actor != SYSTEM:
        require(actor, Cap.SUPPLIES_MANAGE)
    private = hcert.new_private_key()
    der = hcert.public_der(private)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_passphrase()),
    )
    now = timezone.now()
    retired = list(SigningKey.objects.select_for_update().filter(retired_at__isnull=True))
    SigningKey.objects.filter(pk__in=[k.pk for k in retired]).update(retired_at=now)
    key = SigningKey.objects.create(
        kid=hcert.kid_text(hcert.kid_of(der)), public_der=der, private_pem=pem, created_at=now
    )
    transaction.on_commit(verifier.forget)  # this process trusts the new list at once
    event_record(
        actor=actor,
        action="signing_key.rotated",
        obj=key,
        field="kid",
        from_value=", ".join(k.kid for k in retired),
        to_value=key.kid,
    )
    return key


def _signing_key(actor: Any) -> SigningKey:
    key = sel.signing_key()
    return key if key is not None else key_rotate(actor=SYSTEM)


def masked_name(name: str) -> str:
    """张三丰 → 张**: the family name (first character) only."""
    return (name[:1] + "*" * max(len(name) - 1, 1)) if name else ""


def _claims(holder: Courier | Vehicle, serial: str) -> dict[str, Any]:
    enterprise = holder.enterprise
    claims: dict[str, Any] = {
        "v": 1,
        "sn": serial,
        "ent": enterprise.name,
        "ek": enterprise.get_kind_display(),
        "area": holder.area.name,
        "ac": holder.area.code,
    }
    if isinstance(holder, Courier):
        person = holder.person
        claims |= {
            "k": HolderKind.COURIER.value,
            "nm": masked_name(person.name),
            "id": mask_id_number(person.id_number),
            "sx": person.sex,
            "by": person.birth_date.year,
        }
    else:
        claims |= {"k": HolderKind.VEHICLE.value, "pl": holder.plate}
    return claims


@transaction.atomic
def pass_issue(*, actor: Any, holder: Courier | Vehicle) -> SupplyPass:
    """Sign a pass for a whitelisted courier or vehicle if the active profile's conditions
    hold (a courier's: test, measure, code); refused with the conditions that fail. It
    expires after the profile's validity, or sooner when the negative test grows too old."""
    cap = Cap.SUPPLIES_MANAGE if can(actor, Cap.SUPPLIES_MANAGE) else Cap.SUPPLY_ENTERPRISE
    require(actor, cap)
    field = "courier" if isinstance(holder, Courier) else "vehicle"
    scoped = (
        app_selectors.couriers_for_user(actor, cap)
        if isinstance(holder, Courier)
        else app_selectors.vehicles_for_user(actor, cap)
    )
    # as stored now (the caller's copy may predate a whitelist change), locked while signing
    found = (
        scoped.select_for_update(of=("self",))
        .select_related("enterprise", "area")
        .filter(pk=holder.pk)
        .first()
    )
    if found is None:
        raise field_error(field, _("This holder is outside your jurisdiction"))
    holder = found
    policy = current()
    rules = sel.pass_rules(policy)
    if rules is None:
        raise field_error(field, _("The active policy profile issues no supply passes"))
    now = timezone.now()
    failures = sel.whitelist_failures(holder)
    expires = now + dt.timedelta(hours=rules.validity_hours)
    if isinstance(holder, Courier):
        state = sel.people_states([holder.person_id])[holder.person_id]
        failures += sel.person_failures(state, rules, now)
        test_until = sel.test_expiry(state, rules)
        if test_until is not None:
            expires = min(expires, test_until)
    if failures:
        raise field_error(field, "; ".join(f.words for f in failures))
    key = _signing_key(actor)
    serial = f"{secrets.randbelow(10**16):016d}"  # 16 digits: read out over a phone
    code = hcert.sign(
        private_key=private_key_of(key),
        issuer=ISSUER,
        issued_at=now,
        expires_at=expires,
        claims=_claims(holder, serial),
    )
    issued = SupplyPass.objects.create(
        serial=serial,
        holder_kind=field,
        courier=holder if isinstance(holder, Courier) else None,
        vehicle=holder if isinstance(holder, Vehicle) else None,
        enterprise=holder.enterprise,
        division_key=holder.division_key,
        key=key,
        code=code,
        issued_at=now,
        expires_at=expires,
        profile_code=policy.profile.reference,  # "code vN": the version it was issued under
        issued_by=actor if getattr(actor, "pk", None) else None,
    )
    event_record(
        actor=actor,
        action="pass.issued",
        obj=issued,
        person_id=holder.person_id if isinstance(holder, Courier) else None,
        data={"serial": serial, "kid": key.kid, "expires_at": expires.isoformat()},
    )
    return issued


@transaction.atomic
def pass_revoke(*, actor: Any, supply_pass: SupplyPass, reason: str) -> SupplyPass:
    """Revoke a pass by hand (the task force, or its own enterprise), with a reason."""
    reason = need_reason(reason)[:300]
    cap = Cap.SUPPLIES_MANAGE if can(actor, Cap.SUPPLIES_MANAGE) else Cap.SUPPLY_ENTERPRISE
    if not app_selectors.passes_for_user(actor, cap).filter(pk=supply_pass.pk).exists():
        raise field_error("pass", _("This pass is outside your jurisdiction"))
    _revoke(actor, SupplyPass.objects.filter(pk=supply_pass.pk), reason, "manual")
    supply_pass.refresh_from_db()
    return supply_pass


def _revoke(actor: Any, passes: Any, reason: str, cause: str) -> int:
    """Revoke these valid passes in one UPDATE; one audit event each (one columnar write)."""
    now = timezone.now()
    rows = list(
        passes.filter(status=PassStatus.VALID)
        .select_for_update(of=("self",))
        .values_list("pk", "serial", "division_key", "courier__person_id")
    )
    if not rows:
        return 0
    SupplyPass.objects.filter(pk__in=[r[0] for r in rows]).update(
        status=PassStatus.REVOKED, revoked_at=now, revoked_reason=reason[:300]
    )
    actor_id, actor_name = actor_columns(actor)
    events_record_bulk(
        EventRow(
            at=now,
            actor=actor_id,
            actor_name=actor_name,
            action="pass.revoked",
            object_type="supplies.supplypass",
            object_id=str(pk),
            object_label=serial,
            person_id=person_id,
            division_key=key,
            field="status",
            from_value=PassStatus.VALID.value,
            to_value=PassStatus.REVOKED.value,
            reason=reason[:300],
            data=f'{{"cause": "{cause}"}}',
        )
        for pk, serial, key, person_id in rows
    )
    return len(rows)


def passes_revoke_for_whitelist(*, actor: Any, obj: Whitelisted, reason: str) -> int:
    """The holder (or the whole enterprise) left the whitelist: its valid passes go at once."""
    if isinstance(obj, Enterprise):
        passes = SupplyPass.objects.filter(enterprise=obj)
    elif isinstance(obj, Courier):
        passes = SupplyPass.objects.filter(courier=obj)
    else:
        passes = SupplyPass.objects.filter(vehicle_id=obj.pk)
    words = _("Whitelist withdrawn: %(reason)s") % {"reason": reason}
    return _revoke(actor, passes, words, "whitelist")


def passes_revoke_for_people(*, person_ids: Iterable[int], actor: Any = SYSTEM) -> int:
    """Check the conditions of the people who hold valid passes; revoke at once the passes of
    those who fail them, with the reason in words. Bulk: one query per source."""
    now = timezone.now()
    rules = sel.pass_rules()
    holders = sorted(
        set(
            sel.live_passes_of_people(list(person_ids), now).values_list(
                "courier__person_id", flat=True
            )
        )
    )
    if not holders or rules is None:
        return 0
    states = sel.people_states(holders)
    revoked = 0
    for pid in holders:
        failures = [
            f
            for f in sel.person_failures(states[pid], rules, now)
            # an old test ends a pass by its expiry, not by revocation
            if f.code != sel.Failure.NO_NEGATIVE_TEST
        ]
        if failures:
            reason = "; ".join(f.words for f in failures)
            cause = ",".join(f.code for f in failures)
            revoked += _revoke(actor, sel.live_passes_of_people([pid], now), reason, cause)
    return revoked
