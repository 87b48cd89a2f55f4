"""Writes on the laboratories' registry: register a lab, change its details, its staff, and
suspend or reopen it. Each change is an audit event (one per field changed). Who may see
which lab is in `fangkong.lab.selectors`.
"""

import re
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangkong.accounts.models import User
from fangkong.accounts.services import staff_set
from fangkong.audit.services import event_record
from fangkong.core.access import Cap, in_scope, require
from fangkong.core.errors import field_error
from fangkong.core.roles import Role
from fangkong.lab.models import Lab, TurnaroundClass
from fangkong.lab.selectors import labs_for_user
from fangkong.people.services import clean_phone
from fangkong.places.models import Division

LAB_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,31}$")
MAX_CAPACITY = 1_000_000  # tubes a day: the largest city labs test some 100,000; more is a typo
EDITABLE = (
    "name",
    "division",
    "area",
    "capacity_per_day",
    "turnaround",
    "address",
    "contact_name",
    "phone",
)


def _clean(
    actor: Any,
    *,
    name: str,
    division: Division,
    area: Division | None,
    capacity_per_day: int | None,
    turnaround: str,
    address: str,
    contact_name: str,
    phone: str,
) -> dict[str, Any]:
    """The lab's details as stored, or a field error naming what is wrong."""
    name = (name or "").strip()
    if not name:
        raise field_error("name", _("Name the laboratory"))
    if not in_scope(actor, division.key):
        raise field_error("division", _("This place is outside your jurisdiction"))
    area = area or division
    if not in_scope(actor, area.key):
        raise field_error("area", _("This area is outside your jurisdiction"))
    if capacity_per_day is None or not 1 <= capacity_per_day <= MAX_CAPACITY:
        raise field_error(
            "capacity_per_day",
            _("Give the tubes it can test a day, 1 to %(max)s") % {"max": f"{MAX_CAPACITY:,}"},
        )
    if turnaround not in TurnaroundClass.values:
        raise field_error("turnaround", _("Choose the turnaround class"))
    return {
        "name": name[:200],
        "division": division,
        "area": area,
        "capacity_per_day": capacity_per_day,
        "turnaround": turnaround,
        "address": (address or "").strip()[:300],
        "contact_name": (contact_name or "").strip()[:60],
        "phone": clean_phone(phone),
    }


def require_lab(actor: Any, lab: Lab) -> None:
    """The actor manages labs and this one is in their jurisdiction."""
    if not labs_for_user(actor, Cap.LABS_MANAGE).filter(pk=lab.pk).exists():
        raise field_error("lab", _("This laboratory is outside your jurisdiction"))


@transaction.atomic
def lab_register(
    *,
    actor: Any,
    code: str,
    name: str,
    division: Division,
    capacity_per_day: int | None,
    turnaround: str = TurnaroundClass.ROUTINE,
    area: Division | None = None,
    address: str = "",
    contact_name: str = "",
    phone: str = "",
) -> Lab:
    """Register a laboratory at a place of the actor's jurisdiction, serving `area` (by default
    its own place)."""
    require(actor, Cap.LABS_MANAGE)
    code = (code or "").strip().upper()
    if not LAB_CODE_RE.match(code):
        raise field_error("code", _("A lab code is up to 32 letters, digits, dots or dashes"))
    if Lab.objects.filter(code=code).exists():
        raise field_error("code", _("A laboratory with this code already exists"))
    data = _clean(
        actor,
        name=name,
        division=division,
        area=area,
        capacity_per_day=capacity_per_day,
        turnaround=turnaround,
        address=address,
        contact_name=contact_name,
        phone=phone,
    )
    lab = Lab.objects.create(
        code=code, division_key=division.key, area_key=data["area"].key, **data
    )
    event_record(
        actor=actor,
        action="lab.registered",
        obj=lab,
        data={
            "code": code,
            "place": division.code,
            "area": data["area"].code,
            "capacity_per_day": lab.capacity_per_day,
            "turnaround": lab.turnaround,
        },
    )
    return lab


@transaction.atomic
def lab_update(
    *,
    actor: Any,
    lab: Lab,
    name: str,
    division: Division,
    capacity_per_day: int | None,
    turnaround: str,
    area: Division | None = None,
    address: str = "",
    contact_name: str = "",
    phone: str = "",
    reason: str = "",
) -> Lab:
    """Change a lab's details (its code stays: files and FHIR Bundles name it); one audit event
    per field changed. Returns the lab as stored."""
    require(actor, Cap.LABS_MANAGE)
    require_lab(actor, lab)
    lab = Lab.objects.select_for_update().get(pk=lab.pk)
    data = _clean(
        actor,
        name=name,
        division=division,
        area=area,
        capacity_per_day=capacity_per_day,
        turnaround=turnaround,
        address=address,
        contact_name=contact_name,
        phone=phone,
    )
    changed = {f: (getattr(lab, f), data[f]) for f in EDITABLE if getattr(lab, f) != data[f]}
    if not changed:
        return lab
    for field, (_old, new) in changed.items():
        setattr(lab, field, new)
    lab.division_key, lab.area_key = data["division"].key, data["area"].key
    lab.save()
    for field, (old, new) in changed.items():
        event_record(
            actor=actor,
            action="lab.updated",
            obj=lab,
            field=field,
            from_value=_shown(field, old),
            to_value=_shown(field, new),
            reason=(reason or "").strip()[:300],
        )
    return lab


def _shown(field: str, value: Any) -> Any:
    """A value as the audit log shows it: a place by name and code, a class by its label."""
    if isinstance(value, Division):
        return f"{value.name} ({value.code})"
    if field == "turnaround" and value in TurnaroundClass.values:
        return TurnaroundClass(value).label
    return value


# A lab's state as its events store it (the audit log reads the codes: lab/audit_labels.py).
# Lazy: read in the reader's language, whatever language was active when this was imported.
LAB_STATES = {"in_use": gettext_lazy("In use"), "suspended": gettext_lazy("Suspended")}


def state_code(active: bool) -> str:
    return "in_use" if active else "suspended"


@transaction.atomic
def lab_set_active(*, actor: Any, lab: Lab, active: bool, reason: str) -> Lab:
    """Suspend a lab (it takes no more tubes; those already sent may still be received and
    resulted) or reopen it. A reason is required."""
    require(actor, Cap.LABS_MANAGE)
    require_lab(actor, lab)
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", _("Give a reason"))
    lab = Lab.objects.select_for_update().get(pk=lab.pk)
    if lab.active == active:
        return lab
    lab.active = active
    lab.save(update_fields=["active"])
    event_record(
        actor=actor,
        action="lab.reopened" if active else "lab.suspended",
        obj=lab,
        field="active",
        from_value=state_code(not active),
        to_value=state_code(active),
        reason=reason[:300],
    )
    return lab


@transaction.atomic
def lab_staff_set(*, actor: Any, lab: Lab, usernames: Iterable[str]) -> tuple[int, int]:
    """Make exactly these accounts (with the lab role) the lab's staff; returns (added,
    removed)."""
    require(actor, Cap.LABS_MANAGE)
    require_lab(actor, lab)

    def lab_accounts_only(users: list[User], wanted: list[str]) -> None:
        other_roles = sorted(u.username for u in users if u.role != Role.LAB)
        if other_roles:
            raise field_error(
                "staff",
                _("Only accounts with the laboratory role can be a lab's staff: %(names)s")
                % {"names": ", ".join(other_roles)},
            )

    return staff_set(
        actor=actor,
        obj=lab,
        usernames=usernames,
        action="lab.staff_changed",
        check=lab_accounts_only,
    )
