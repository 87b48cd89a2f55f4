"""Writes to the registry: residents, households, key persons, needs. Each change is audited."""

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.services import event_record
from fangkong.core import dates
from fangkong.core.access import Cap, can, in_scope, require
from fangkong.core.errors import field_error, need_reason
from fangkong.people.idnumber import IdNumberError, mask_id_number, mask_phone, parse_id_number
from fangkong.people.models import (
    Household,
    KeyCategory,
    KeyPerson,
    Need,
    NeedKind,
    NeedStatus,
    Relation,
    Residency,
    Resident,
)
from fangkong.people.names import pinyin_of
from fangkong.people.reveals import need_reveal_reason
from fangkong.places.models import Division, Level

PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
PII_FIELDS = {"id_number": mask_id_number, "phone": mask_phone}


def clean_phone(raw: str) -> str:
    phone = re.sub(r"[\s]", "", raw or "")
    if phone and not PHONE_RE.match(phone):
        raise field_error("phone", _("Phone must be an 11-digit mobile or an area-code number"))
    return phone


def clean_name(raw: str) -> str:
    name = (raw or "").strip()
    if not name:
        raise field_error("name", _("Name is required"))
    if len(name) > 60:
        raise field_error("name", _("Name is longer than 60 characters"))
    return name


def _check_place(actor: Any, division: Division, field: str = "division") -> None:
    if division.level < Level.COMMUNITY:
        raise field_error(field, _("A resident lives in a community or a finer place"))
    if not in_scope(actor, division.key):
        raise field_error(field, _("This place is outside your jurisdiction"))


def _audit_changes(actor: Any, obj: Any, person_id: int | None, changes: dict, reason: str) -> None:
    for field, (old, new) in changes.items():
        mask = PII_FIELDS.get(field)
        event_record(
            actor=actor,
            action=f"{obj._meta.model_name}.updated",
            obj=obj,
            person_id=person_id,
            field=field,
            from_value=mask(old) if mask and old else old,
            to_value=mask(new) if mask and new else new,
            reason=reason,
        )


@transaction.atomic
def resident_create(
    *,
    actor: Any,
    id_number: str,
    name: str,
    division: Division,
    phone: str = "",
    household: Household | None = None,
    relation: str = "",
    reason: str = "",
) -> Resident:
    require(actor, Cap.RESIDENTS_EDIT)
    try:
        info = parse_id_number(id_number)
    except IdNumberError as exc:
        raise field_error("id_number", exc.args[0]) from None
    if Resident.objects.filter(id_number=info.number).exists():
        raise field_error("id_number", _("A resident with this ID number already exists"))
    if relation and relation not in Relation.values:
        raise field_error("relation", _("Unknown relation"))
    _check_place(actor, division)
    if household is not None and household.division_id != division.pk:
        raise field_error("household", _("The household lives at another place"))
    name = clean_name(name)
    initials, full = pinyin_of(name)
    resident = Resident.objects.create(
        id_number=info.number,
        name=name,
        name_initials=initials,
        name_pinyin=full,
        sex=info.sex,
        birth_date=info.birth_date,
        phone=clean_phone(phone),
        household=household,
        relation=relation,
        division=division,
        division_key=division.key,
    )
    event_record(
        actor=actor, action="resident.created", obj=resident, person_id=resident.pk, reason=reason
    )
    return resident


@transaction.atomic
def resident_update(
    *,
    actor: Any,
    resident: Resident,
    name: str | None = None,
    phone: str | None = None,
    division: Division | None = None,
    household: Household | None = None,
    relation: str | None = None,
    reason: str,
) -> Resident:
    """Change what is given; each changed field is an audited event with the reason."""
    require(actor, Cap.RESIDENTS_EDIT)
    reason = need_reason(reason)
    changes: dict[str, tuple[Any, Any]] = {}
    if name is not None and clean_name(name) != resident.name:
        changes["name"] = (resident.name, clean_name(name))
        resident.name = clean_name(name)
        resident.name_initials, resident.name_pinyin = pinyin_of(resident.name)
    if phone is not None and clean_phone(phone) != resident.phone:
        changes["phone"] = (resident.phone, clean_phone(phone))
        resident.phone = clean_phone(phone)
    if relation is not None and relation != resident.relation:
        if relation and relation not in Relation.values:
            raise field_error("relation", _("Unknown relation"))
        changes["relation"] = (resident.relation, relation)
        resident.relation = relation
    if division is not None and division.pk != resident.division_id:
        _check_place(actor, division)
        changes["division"] = (resident.division, division)
        resident.division, resident.division_key = division, division.key
    if household is not None and household.pk != resident.household_id:
        if household.division_id != resident.division_id:
            raise field_error("household", _("The household lives at another place"))
        changes["household"] = (resident.household, household)
        resident.household = household
    if changes:
        resident.updated_at = timezone.now()
        resident.save()
        _audit_changes(actor, resident, resident.pk, changes, reason)
    return resident


@transaction.atomic
def household_create(
    *, actor: Any, code: str, division: Division, address: str = "", reason: str = ""
) -> Household:
    require(actor, Cap.RESIDENTS_EDIT)
    code = (code or "").strip()
    if not code:
        raise field_error("code", _("Household code is required"))
    if Household.objects.filter(code=code).exists():
        raise field_error("code", _("A household with this code already exists"))
    _check_place(actor, division)
    household = Household.objects.create(
        code=code, division=division, division_key=division.key, address=address.strip()
    )
    event_record(actor=actor, action="household.created", obj=household, reason=reason)
    return household


def pii_reveal(*, actor: Any, resident: Resident, field: str, reason: str) -> str:
    """Return an unmasked identifier and log who saw it and why (a reason is required)."""
    require(actor, Cap.PII_REVEAL)
    if field not in PII_FIELDS:
        raise field_error("field", _("This field cannot be revealed"))
    if not in_scope(actor, resident.division_key):
        raise field_error("field", _("This person is outside your jurisdiction"))
    reason = need_reveal_reason(reason)
    event_record(
        actor=actor,
        action="pii.revealed",
        obj=resident,
        person_id=resident.pk,
        field=field,
        reason=reason,
    )
    return str(getattr(resident, field))


@transaction.atomic
def key_person_add(
    *,
    actor: Any,
    resident: Resident,
    category: str,
    note: str = "",
    since: dt.date | None = None,
    reason: str = "",
) -> KeyPerson:
    require(actor, Cap.KEY_PERSONS_EDIT)
    if category not in KeyCategory.values:
        raise field_error("category", _("Unknown key-person category"))
    if not in_scope(actor, resident.division_key):
        raise field_error("resident", _("This person is outside your jurisdiction"))
    if KeyPerson.objects.filter(resident=resident, category=category).exists():
        raise field_error("category", _("This person is already listed in this category"))
    dates.check_date("since", since, born=resident.birth_date)
    entry = KeyPerson.objects.create(
        resident=resident,
        category=category,
        note=note.strip(),
        since=since or timezone.localdate(),
        division_key=resident.division_key,
    )
    event_record(
        actor=actor,
        action="key_person.added",
        obj=entry,
        person_id=resident.pk,
        field="category",
        to_value=entry.get_category_display(),
        reason=reason,
    )
    return entry


@transaction.atomic
def key_person_remove(*, actor: Any, entry: KeyPerson, reason: str) -> None:
    require(actor, Cap.KEY_PERSONS_EDIT)
    if not reason.strip():
        raise field_error("reason", _("Say why this person leaves the ledger"))
    event_record(
        actor=actor,
        action="key_person.removed",
        obj=entry,
        person_id=entry.resident_id,
        field="category",
        from_value=entry.get_category_display(),
        reason=reason,
    )
    entry.delete()


@transaction.atomic
def need_add(
    *,
    actor: Any,
    resident: Resident,
    kind: str,
    description: str,
    recurrence_days: int | None = None,
    next_due: dt.date | None = None,
) -> Need:
    require(actor, Cap.KEY_PERSONS_EDIT)
    if kind not in NeedKind.values:
        raise field_error("kind", _("Unknown kind of need"))
    if not description.strip():
        raise field_error("description", _("Describe the need"))
    if recurrence_days is not None and recurrence_days < 1:
        raise field_error("recurrence_days", _("Recurrence must be at least one day"))
    if recurrence_days is not None and recurrence_days > settings.PLAN_HORIZON_DAYS:
        raise field_error(
            "recurrence_days",
            _("Recurrence is at most %(days)s days") % {"days": settings.PLAN_HORIZON_DAYS},
        )
    dates.check_date("next_due", next_due, plan=True)
    if not in_scope(actor, resident.division_key):
        raise field_error("resident", _("This person is outside your jurisdiction"))
    need = Need.objects.create(
        resident=resident,
        kind=kind,
        description=description.strip(),
        recurrence_days=recurrence_days,
        next_due=next_due,
        division_key=resident.division_key,
    )
    event_record(
        actor=actor,
        action="need.added",
        obj=need,
        person_id=resident.pk,
        to_value=need.description,
    )
    return need


@transaction.atomic
def need_fulfil(*, actor: Any, need: Need, on: dt.date | None = None, note: str = "") -> Need:
    """Record that a need was met; a recurring need stays open with its next due date."""
    require(actor, Cap.KEY_PERSONS_EDIT)
    if need.status != NeedStatus.OPEN:
        raise field_error("status", _("Only an open need can be fulfilled"))
    dates.check_date("on", on)
    on = on or timezone.localdate()
    if need.recurrence_days:
        previous = need.next_due
        need.next_due = on + dt.timedelta(days=need.recurrence_days)
        need.save(update_fields=["next_due"])
        field, old, new = "next_due", str(previous or ""), str(need.next_due)
    else:
        need.status = NeedStatus.MET
        need.save(update_fields=["status"])
        field, old, new = "status", str(NeedStatus.OPEN.label), str(NeedStatus.MET.label)
    event_record(
        actor=actor,
        action="need.fulfilled",
        obj=need,
        person_id=need.resident_id,
        field=field,
        from_value=old,
        to_value=new,
        reason=note,
    )
    return need


@transaction.atomic
def need_cancel(*, actor: Any, need: Need, reason: str) -> Need:
    require(actor, Cap.KEY_PERSONS_EDIT)
    if not reason.strip():
        raise field_error("reason", _("Say why the need is cancelled"))
    old = need.get_status_display()
    need.status = NeedStatus.CANCELLED
    need.save(update_fields=["status"])
    event_record(
        actor=actor,
        action="need.cancelled",
        obj=need,
        person_id=need.resident_id,
        field="status",
        from_value=old,
        to_value=need.get_status_display(),
        reason=reason,
    )
    return need


def person_register_non_resident(
    *,
    actor: Any,
    id_number: str,
    name: str,
    division: Division,
    phone: str = "",
    reason: str = "",
    field: str = "place",
) -> Resident:
    """A non-resident found in the city (a case or contact), kept where they stay."""
    if not (can(actor, Cap.CASES_EDIT) or can(actor, Cap.CONTACTS_EDIT)):
        require(actor, Cap.RESIDENTS_EDIT)
    try:
        info = parse_id_number(id_number)
    except IdNumberError as exc:
        raise field_error("id_number", exc.args[0]) from None
    if Resident.objects.filter(id_number=info.number).exists():
        raise field_error("id_number", _("A resident with this ID number already exists"))
    _check_place(actor, division, field)
    name = clean_name(name)
    initials, full = pinyin_of(name)
    person = Resident.objects.create(
        id_number=info.number,
        name=name,
        name_initials=initials,
        name_pinyin=full,
        sex=info.sex,
        birth_date=info.birth_date,
        phone=clean_phone(phone),
        division=division,
        division_key=division.key,
        residency=Residency.VISITOR,
    )
    event_record(
        actor=actor, action="resident.created", obj=person, person_id=person.pk, reason=reason
    )
    return person
