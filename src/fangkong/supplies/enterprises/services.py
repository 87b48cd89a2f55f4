"""Writes on the supply whitelist (保供企业白名单): register an enterprise, its staff accounts,
its vehicles and couriers, and grant, suspend or revoke any of them. Every change is an audit
event; a whitelist change carries its reason and basis (labels: supplies/audit_labels.py).

The supply task force (Cap.SUPPLIES_MANAGE) does all of it in its jurisdiction; an enterprise
account (Cap.SUPPLY_ENTERPRISE) registers couriers and vehicles of its own enterprise, which
stay pending until the task force grants them.
"""

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangkong.accounts.models import User
from fangkong.accounts.services import staff_set
from fangkong.audit.history import last_change_at
from fangkong.audit.services import event_record
from fangkong.core.access import Cap, can, in_scope, require
from fangkong.core.errors import field_error, need_reason
from fangkong.core.roles import Role
from fangkong.epi.cases.services import check_happened
from fangkong.people.idnumber import IdNumberError, parse_id_number
from fangkong.people.models import Resident
from fangkong.people.names import pinyin_of
from fangkong.people.services import clean_name, clean_phone
from fangkong.places.models import Division, Level
from fangkong.supplies import selectors
from fangkong.supplies.models import (
    Courier,
    Enterprise,
    EnterpriseKind,
    Vehicle,
    Whitelisted,
    WhitelistStatus,
)
from fangkong.supplies.passes.services import passes_revoke_for_whitelist

# 统一社会信用代码 (GB 32100-2015): 18 characters from this alphabet, the last a check character.
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
CREDIT_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")

# A civil plate (GB 36220 / GA 36): province abbreviation, a letter, then 5 characters
# (ordinary) or 6 (new-energy: D/F first or last); no I or O.
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
PLATE_RE = re.compile(
    rf"^[{PROVINCES}][A-HJ-NP-Z](?:[A-HJ-NP-Z0-9]{{4}}[A-HJ-NP-Z0-9挂学警港澳]"
    rf"|[DF][A-HJ-NP-Z0-9]\d{{4}}|\d{{5}}[DF])$"
)

# The whitelist moves allowed: revoked is final.
MOVES = {
    WhitelistStatus.PENDING: {WhitelistStatus.GRANTED, WhitelistStatus.REVOKED},
    WhitelistStatus.GRANTED: {WhitelistStatus.SUSPENDED, WhitelistStatus.REVOKED},
    WhitelistStatus.SUSPENDED: {WhitelistStatus.GRANTED, WhitelistStatus.REVOKED},
    WhitelistStatus.REVOKED: set(),
}

NOT_ALLOWED = gettext_lazy("This whitelist change is not allowed from its present status")


def credit_code_check(code: str) -> str:
    """The check character of the first 17 characters of a unified social credit code."""
    total = sum(
        CREDIT_ALPHABET.index(c) * w for c, w in zip(code[:17], CREDIT_WEIGHTS, strict=True)
    )
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def clean_credit_code(raw: str) -> str:
    code = re.sub(r"\s", "", raw or "").upper()
    if not CREDIT_RE.match(code):
        raise field_error(
            "credit_code", _("A unified social credit code is 18 digits and capital letters")
        )
    if credit_code_check(code) != code[17]:
        raise field_error("credit_code", _("The check character of this credit code is wrong"))
    return code


def clean_plate(raw: str) -> str:
    plate = re.sub(r"[\s·•.-]", "", raw or "").upper()
    if not PLATE_RE.match(plate):
        raise field_error("plate", _("Give a Chinese plate number, such as 豫K12345 or 豫KD12345"))
    return plate


def _in_place(actor: Any, division: Division, field: str) -> None:
    if not in_scope(actor, division.key):
        raise field_error(field, _("This place is outside your jurisdiction"))


def require_enterprise(actor: Any, enterprise: Enterprise, cap: Cap) -> None:
    """The actor may work on this enterprise with `cap` (an enterprise account: its own)."""
    if not selectors.enterprises_for_user(actor, cap).filter(pk=enterprise.pk).exists():
        raise field_error("enterprise", _("This enterprise is outside your jurisdiction"))


def _keeper_cap(actor: Any) -> Cap:
    """Who registers couriers and vehicles: the task force, or the enterprise itself."""
    return Cap.SUPPLIES_MANAGE if can(actor, Cap.SUPPLIES_MANAGE) else Cap.SUPPLY_ENTERPRISE


@transaction.atomic
def enterprise_register(
    *,
    actor: Any,
    kind: str,
    name: str,
    credit_code: str,
    division: Division,
    address: str = "",
    contact_name: str = "",
    phone: str = "",
) -> Enterprise:
    """Register a supply enterprise at a place of the actor's jurisdiction (pending until the
    whitelist is granted)."""
    require(actor, Cap.SUPPLIES_MANAGE)
    if kind not in EnterpriseKind.values:
        raise field_error("kind", _("Choose the kind of enterprise"))
    name = (name or "").strip()
    if not name:
        raise field_error("name", _("Name the enterprise"))
    code = clean_credit_code(credit_code)
    if Enterprise.objects.filter(credit_code=code).exists():
        raise field_error("credit_code", _("An enterprise with this credit code is registered"))
    _in_place(actor, division, "place")
    now = timezone.now()  # the clock services read (registration and decisions alike)
    enterprise = Enterprise.objects.create(
        created_at=now,
        status_at=now,
        kind=kind,
        name=name[:200],
        credit_code=code,
        division=division,
        division_key=division.key,
        address=(address or "").strip()[:300],
        contact_name=(contact_name or "").strip()[:60],
        phone=clean_phone(phone),
    )
    event_record(
        actor=actor,
        action="enterprise.registered",
        obj=enterprise,
        data={"kind": kind, "credit_code": code, "place": division.code},
    )
    return enterprise


@transaction.atomic
def enterprise_staff_set(
    *, actor: Any, enterprise: Enterprise, usernames: Iterable[str]
) -> tuple[int, int]:
    """Make exactly these accounts (with the supply role) the enterprise's staff."""
    require(actor, Cap.SUPPLIES_MANAGE)
    require_enterprise(actor, enterprise, Cap.SUPPLIES_MANAGE)

    def supply_accounts_only(users: list[User], wanted: list[str]) -> None:
        other_roles = sorted(u.username for u in users if u.role != Role.SUPPLY)
        if other_roles:
            raise field_error(
                "staff",
                _("Only accounts with the supply enterprise role can be its staff: %(names)s")
                % {"names": ", ".join(other_roles)},
            )

    return staff_set(
        actor=actor,
        obj=enterprise,
        usernames=usernames,
        action="enterprise.staff_changed",
        check=supply_accounts_only,
    )


def _area(actor: Any, area: Division) -> Division:
    """A delivery area: a node of the actor's jurisdiction."""
    _in_place(actor, area, "area")
    return area


@transaction.atomic
def vehicle_register(*, actor: Any, enterprise: Enterprise, plate: str, area: Division) -> Vehicle:
    """Register a vehicle of an enterprise by its plate (pending until granted)."""
    cap = _keeper_cap(actor)
    require_enterprise(actor, enterprise, cap)
    plate = clean_plate(plate)
    if Vehicle.objects.filter(plate=plate).exists():
        raise field_error("plate", _("A vehicle with this plate is registered"))
    area = _area(actor, area)
    now = timezone.now()  # the clock services read (registration and decisions alike)
    vehicle = Vehicle.objects.create(
        created_at=now,
        status_at=now,
        enterprise=enterprise,
        plate=plate,
        area=area,
        area_key=area.key,
        division_key=enterprise.division_key,
    )
    event_record(
        actor=actor,
        action="vehicle.registered",
        obj=vehicle,
        data={"enterprise": enterprise.credit_code, "plate": plate, "area": area.code},
    )
    return vehicle


def person_for_courier(
    *, actor: Any, id_number: str, name: str, phone: str, home: Division | None
) -> Resident:
    """The registry's person with this ID number, or a new one (kept at `home`, a community or
    finer) when the ID number is unknown, as the other imports do. The name given must be the
    registry's name."""
    try:
        info = parse_id_number(id_number)
    except IdNumberError as exc:
        raise field_error("id_number", exc.args[0]) from None
    name = clean_name(name)
    person = Resident.objects.filter(id_number=info.number).first()
    if person is not None:
        if person.name != name:
            raise field_error("name", _("The registry knows this ID number under another name"))
        return person
    if home is None:
        raise field_error(
            "home_place", _("This person is not in the registry: give the place they live")
        )
    if home.level < Level.COMMUNITY:
        raise field_error("home_place", _("A person lives in a community or a finer place"))
    initials, full = pinyin_of(name)
    person = Resident.objects.create(
        id_number=info.number,
        name=name,
        name_initials=initials,
        name_pinyin=full,
        sex=info.sex,
        birth_date=info.birth_date,
        phone=clean_phone(phone),
        division=home,
        division_key=home.key,
    )
    event_record(
        actor=actor,
        action="resident.created",
        obj=person,
        person_id=person.pk,
        reason=_("Registered as a supply courier"),
    )
    return person


@transaction.atomic
def courier_register(
    *,
    actor: Any,
    enterprise: Enterprise,
    id_number: str,
    name: str,
    phone: str,
    area: Division,
    home_address: str,
    home_place: Division | None = None,
) -> Courier:
    """Register a courier of an enterprise: a person of the registry (created if unknown),
    the area they deliver to and their home address (pending until granted)."""
    cap = _keeper_cap(actor)
    require_enterprise(actor, enterprise, cap)
    phone = clean_phone(phone)
    if not phone:
        raise field_error("phone", _("Give the courier's mobile phone"))
    home_address = (home_address or "").strip()
    if not home_address:
        raise field_error("home_address", _("Give the courier's home address"))
    area = _area(actor, area)
    person = person_for_courier(
        actor=actor, id_number=id_number, name=name, phone=phone, home=home_place
    )
    if Courier.objects.filter(enterprise=enterprise, person=person).exists():
        raise field_error("id_number", _("This person is already a courier of the enterprise"))
    now = timezone.now()  # the clock services read (registration and decisions alike)
    courier = Courier.objects.create(
        created_at=now,
        status_at=now,
        enterprise=enterprise,
        person=person,
        area=area,
        area_key=area.key,
        division_key=enterprise.division_key,
        home_address=home_address[:300],
    )
    event_record(
        actor=actor,
        action="courier.registered",
        obj=courier,
        person_id=person.pk,
        data={"enterprise": enterprise.credit_code, "area": area.code},
    )
    return courier


@transaction.atomic
def whitelist_set(
    *,
    actor: Any,
    obj: Whitelisted,
    status: str,
    reason: str,
    basis: str,
    decided_at: dt.datetime | None = None,
) -> Whitelisted:
    """Grant, suspend or revoke an enterprise, a courier or a vehicle, with a reason and the
    basis (the rule, the notice); `decided_at`: when it was decided (valid time, now if not
    given; not before the row's registration nor its last whitelist change). Leaving
    `granted` revokes the passes it carries at once, whenever the decision was (an
    enterprise's: every pass of its couriers and vehicles)."""
    require(actor, Cap.SUPPLIES_MANAGE)
    reason = need_reason(reason)[:300]
    basis = (basis or "").strip()
    if not basis:
        raise field_error("basis", _("Name the basis of this decision"))
    enterprise = obj if isinstance(obj, Enterprise) else obj.enterprise  # type: ignore[attr-defined]
    require_enterprise(actor, enterprise, Cap.SUPPLIES_MANAGE)
    if status not in WhitelistStatus.values:
        raise field_error("status", _("Choose granted, suspended or revoked"))
    model: type[Model] = type(obj)
    row = model.objects.select_for_update().get(pk=obj.pk)  # type: ignore[attr-defined]
    old = row.status
    if status == old:
        return row
    if status not in MOVES[WhitelistStatus(old)]:
        raise field_error("status", NOT_ALLOWED)
    at = check_happened(
        "decided_at",
        decided_at,
        after=(
            (row.created_at, _("This is before the registration")),
            (
                last_change_at(model._meta.label_lower, row.pk, "status"),
                _("This is before the last recorded whitelist change"),
            ),
        ),
    )
    row.status, row.status_reason, row.status_basis = status, reason, basis[:300]
    row.status_at = at
    row.save(update_fields=["status", "status_reason", "status_basis", "status_at"])
    person_id = row.person_id if isinstance(row, Courier) else None
    event_record(
        actor=actor,
        action=f"{model._meta.model_name}.whitelist_{status}",
        obj=row,
        person_id=person_id,
        field="status",
        from_value=old,
        to_value=status,
        reason=reason,
        basis=row.status_basis,
        at=at,
    )
    if old == WhitelistStatus.GRANTED:
        passes_revoke_for_whitelist(actor=actor, obj=row, reason=reason)
    return row
