"""Writes on the medical facilities' registry (the medical task force, Cap.CARE_MANAGE):
register a facility, change its details and staff, suspend it or put it back in service. Each
change is an audit event (one per field changed); a suspension needs a reason."""

import re
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangkong.accounts.models import User
from fangkong.accounts.services import staff_set
from fangkong.audit.services import event_record
from fangkong.care.facilities.selectors import facilities_for_user
from fangkong.care.models import Capability, Facility, FacilityKind
from fangkong.core.access import Cap, in_scope, require
from fangkong.core.errors import field_error
from fangkong.core.roles import Role
from fangkong.people.services import clean_phone
from fangkong.places.models import Division

FACILITY_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,31}$")
EDITABLE = ("name", "kind", "division", "address", "phone", "capabilities")
# A facility's state as its events store it (read by care/audit_labels.py).
FACILITY_STATES = {
    "in_service": gettext_lazy("In service"),
    "suspended": gettext_lazy("Suspended"),
}


def state_code(active: bool) -> str:
    return "in_service" if active else "suspended"


def _clean(
    actor: Any,
    *,
    name: str,
    kind: str,
    division: Division,
    address: str,
    phone: str,
    capabilities: Iterable[str],
) -> dict[str, Any]:
    name = (name or "").strip()
    if not name:
        raise field_error("name", _("Name the facility"))
    if kind not in FacilityKind.values:
        raise field_error("kind", _("Choose the kind of facility"))
    if not in_scope(actor, division.key):
        raise field_error("division", _("This place is outside your jurisdiction"))
    chosen = sorted(set(capabilities or ()))
    unknown = [c for c in chosen if c not in Capability.values]
    if unknown:
        raise field_error(
            "capabilities", _("Not a capability: %(values)s") % {"values": ", ".join(unknown)}
        )
    return {
        "name": name[:200],
        "kind": kind,
        "division": division,
        "address": (address or "").strip()[:300],
        "phone": clean_phone(phone),
        "capabilities": chosen,
    }


def require_facility(actor: Any, facility: Facility) -> None:
    """The actor manages facilities and this one is in their jurisdiction."""
    if not facilities_for_user(actor, Cap.CARE_MANAGE).filter(pk=facility.pk).exists():
        raise field_error("facility", _("This facility is outside your jurisdiction"))


@transaction.atomic
def facility_register(
    *,
    actor: Any,
    code: str,
    name: str,
    kind: str,
    division: Division,
    address: str = "",
    phone: str = "",
    capabilities: Iterable[str] = (),
) -> Facility:
    """Register a facility at a place of the actor's jurisdiction."""
    require(actor, Cap.CARE_MANAGE)
    code = (code or "").strip().upper()
    if not FACILITY_CODE_RE.match(code):
        raise field_error("code", _("A facility code is up to 32 letters, digits, dots or dashes"))
    if Facility.objects.filter(code=code).exists():
        raise field_error("code", _("A facility with this code already exists"))
    data = _clean(
        actor,
        name=name,
        kind=kind,
        division=division,
        address=address,
        phone=phone,
        capabilities=capabilities,
    )
    facility = Facility.objects.create(code=code, division_key=division.key, **data)
    event_record(
        actor=actor,
        action="care.facility_registered",
        obj=facility,
        division_key=facility.division_key,
        data={
            "code": code,
            "kind": facility.kind,
            "place": division.code,
            "capabilities": facility.capabilities,
        },
    )
    return facility


def _shown(field: str, value: Any) -> Any:
    if isinstance(value, Division):
        return f"{value.name} ({value.code})"
    if field == "kind" and value in FacilityKind.values:
        return FacilityKind(value).label
    if field == "capabilities":  # codes: care/audit_labels.py reads them in each language
        return ", ".join(value)
    return value


@transaction.atomic
def facility_update(
    *,
    actor: Any,
    facility: Facility,
    name: str,
    kind: str,
    division: Division,
    address: str = "",
    phone: str = "",
    capabilities: Iterable[str] = (),
    reason: str = "",
) -> Facility:
    """Change a facility's details (its code stays: routing rules may name it)."""
    require(actor, Cap.CARE_MANAGE)
    require_facility(actor, facility)
    facility = Facility.objects.select_for_update().get(pk=facility.pk)
    data = _clean(
        actor,
        name=name,
        kind=kind,
        division=division,
        address=address,
        phone=phone,
        capabilities=capabilities,
    )
    changed = {
        f: (getattr(facility, f), data[f]) for f in EDITABLE if getattr(facility, f) != data[f]
    }
    if not changed:
        return facility
    for field, (_old, new) in changed.items():
        setattr(facility, field, new)
    facility.division_key = data["division"].key
    facility.save()
    for field, (old, new) in changed.items():
        event_record(
            actor=actor,
            action="care.facility_updated",
            obj=facility,
            division_key=facility.division_key,
            field=field,
            from_value=_shown(field, old),
            to_value=_shown(field, new),
            reason=(reason or "").strip()[:300],
        )
    return facility


@transaction.atomic
def facility_set_active(*, actor: Any, facility: Facility, active: bool, reason: str) -> Facility:
    """Suspend a facility (no request is routed to it any more) or put it back in service.
    A reason is required."""
    require(actor, Cap.CARE_MANAGE)
    require_facility(actor, facility)
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", _("Give a reason"))
    facility = Facility.objects.select_for_update().get(pk=facility.pk)
    if facility.active == active:
        return facility
    facility.active = active
    facility.save(update_fields=["active"])
    event_record(
        actor=actor,
        action="care.facility_reopened" if active else "care.facility_suspended",
        obj=facility,
        division_key=facility.division_key,
        field="active",
        from_value=state_code(not active),
        to_value=state_code(active),
        reason=reason[:300],
    )
    return facility


@transaction.atomic
def facility_staff_set(
    *, actor: Any, facility: Facility, usernames: Iterable[str]
) -> tuple[int, int]:
    """Make exactly these accounts (with the hospital role; a 120 centre: the 120 dispatcher
    role) the facility's staff."""
    require(actor, Cap.CARE_MANAGE)
    require_facility(actor, facility)
    role = Role.DISPATCH_120 if facility.kind == FacilityKind.DISPATCH_120 else Role.HOSPITAL

    def hospital_accounts_only(users: list[User], wanted: list[str]) -> None:
        other_roles = sorted(u.username for u in users if u.role != role)
        if other_roles:
            raise field_error(
                "staff",
                _("Only accounts with the role %(role)s can be this facility's staff: %(names)s")
                % {"role": role.label, "names": ", ".join(other_roles)},
            )

    return staff_set(
        actor=actor,
        obj=facility,
        usernames=usernames,
        action="care.facility_staff_changed",
        check=hospital_accounts_only,
    )
