"""Writes to the contact lists: one contact, many at once (line listing, import, API), status
moves, conversion to a case, and requests for people registered elsewhere (协查; their reads and
decisions are in contacts/requests.py). Each change is audited and tells the health-code engine
(through `core.changes`, subject "person") whose facts changed."""

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from fangkong.audit.history import changes_of, last_change_at
from fangkong.audit.models import Event
from fangkong.audit.services import EventRow, actor_columns, event_record, events_record_bulk
from fangkong.core import changes, dates
from fangkong.core.access import Cap, acting_user, in_scope, require, scoped
from fangkong.core.bulk import StatusBatch, analyze, copy_rows
from fangkong.core.bulk import chunks as _chunks
from fangkong.core.db import LOOKUP_BATCH
from fangkong.core.errors import BulkErrors, field_error, need_reason
from fangkong.epi.cases.services import (
    case_create,
    check_choice,
    check_happened,
)
from fangkong.epi.models import (
    Case,
    Contact,
    ContactRequest,
    ContactStatus,
    Degree,
    ExposureRelation,
    FoundWhere,
    RequestStatus,
)
from fangkong.people.idnumber import IdNumberError, parse_id_number
from fangkong.people.models import Residency, Resident
from fangkong.people.names import pinyin_of
from fangkong.people.services import clean_name, clean_phone
from fangkong.places.models import Division, Venue
from fangkong.policy.accessor import current

# Where a contact may go next. Released is final; a lost contact may still be found.
CONTACT_NEXT: dict[str, frozenset[str]] = {
    ContactStatus.IDENTIFIED: frozenset(
        {ContactStatus.LOCATED, ContactStatus.UNDER_CONTROL, ContactStatus.LOST}
    ),
    ContactStatus.LOCATED: frozenset({ContactStatus.UNDER_CONTROL, ContactStatus.LOST}),
    ContactStatus.UNDER_CONTROL: frozenset({ContactStatus.RELEASED}),
    ContactStatus.LOST: frozenset({ContactStatus.LOCATED, ContactStatus.UNDER_CONTROL}),
    ContactStatus.RELEASED: frozenset(),
}


IDENTIFIED_BEFORE_CASE = gettext_noop("A contact is identified after their case is registered")


def _secondary_allowed() -> bool:
    return current().rules.contacts.secondary_contacts


def _check_contact_case(actor: Any, case: Case) -> None:
    require(actor, Cap.CONTACTS_EDIT)
    if not in_scope(actor, case.division_key):
        raise field_error("case", _("This case is outside your jurisdiction"))


def _check_exposure(
    start: dt.datetime | None,
    end: dt.datetime | None,
    last_on: dt.date | None,
    born: dt.date | None = None,
) -> None:
    if last_on is None:
        raise field_error("last_exposure_on", _("Give the day of last exposure"))
    dates.check_dates(
        {"exposure_start": start, "exposure_end": end, "last_exposure_on": last_on}, born=born
    )
    if start is not None and end is not None and end < start:
        raise field_error("exposure_end", _("The exposure ends before it starts"))


def _secondary_error() -> ValidationError:
    return field_error(
        "degree",
        _("The active policy profile does not identify secondary contacts"),
    )


@transaction.atomic
def contact_add(
    *,
    actor: Any,
    case: Case,
    person: Resident,
    degree: str,
    relation: str,
    venue: Venue | None = None,
    exposure_start: dt.datetime | None = None,
    exposure_end: dt.datetime | None = None,
    last_exposure_on: dt.date,
    via: Contact | None = None,
    overlap_minutes: int | None = None,
    note: str = "",
    identified_at: dt.datetime | None = None,
) -> Contact:
    """Add a close contact of `case`, or a secondary contact exposed to one (`via`);
    `identified_at`: when they were identified (valid time, now if not given)."""
    _check_contact_case(actor, case)
    check_choice("degree", degree, Degree, _("Unknown degree"))
    check_choice("relation", relation, ExposureRelation, _("Unknown exposure relation"))
    if degree == Degree.SECONDARY:
        if not _secondary_allowed():
            raise _secondary_error()
        if via is None or via.case_id != case.pk or via.degree != Degree.CLOSE:
            raise field_error("via", _("Name the close contact of this case they were exposed to"))
    elif via is not None:
        raise field_error("via", _("Only a secondary contact is exposed through another contact"))
    _check_exposure(exposure_start, exposure_end, last_exposure_on, person.birth_date)
    identified_at = check_happened(
        "identified_at",
        identified_at,
        after=((case.registered_at, _(IDENTIFIED_BEFORE_CASE)),),
    )
    if not in_scope(actor, person.division_key):
        # Someone registered elsewhere becomes a contact only through a request their own
        # district (or the city) confirms: contacts_add_bulk sends it.
        raise field_error("person", _("This person is outside your jurisdiction"))
    if person.pk == case.person_id:
        raise field_error("person", _("A case is not their own contact"))
    known = Contact.objects.filter(case=case, person=person).first()
    if known is not None:
        raise field_error(
            "person",
            _("This person is already a %(degree)s of this case")
            % {"degree": known.get_degree_display().lower()},
        )
    contact = Contact.objects.create(
        case=case,
        person=person,
        degree=degree,
        via=via,
        relation=relation,
        venue=venue,
        exposure_start=exposure_start,
        exposure_end=exposure_end,
        last_exposure_on=last_exposure_on,
        overlap_minutes=overlap_minutes,
        note=(note or "").strip()[:300],
        identified_at=identified_at,
        division_key=person.division_key,
    )
    event_record(
        at=identified_at,
        actor=actor,
        action="contact.added",
        obj=contact,
        person_id=person.pk,
        field="degree",
        to_value=f"{contact.get_degree_display()} ← {case.number}",
    )
    changes.added("contact", [contact.pk])
    _changed([person.pk])
    return contact


@transaction.atomic
def contact_set_status(
    *, actor: Any, contact: Contact, status: str, reason: str, changed_at: dt.datetime | None = None
) -> Contact:
    """Move a contact along identified → located → under control → released (or lost), saying
    why; `changed_at`: when (valid time, now if not given), kept as the event's time, so the
    figures as of a moment read the status the contact had then."""
    require(actor, Cap.CONTACTS_EDIT)
    if not in_scope(actor, contact.division_key):
        raise field_error("contact", _("This contact is outside your jurisdiction"))
    check_choice("status", status, ContactStatus, _("Unknown status"))
    reason = need_reason(reason)
    if status not in CONTACT_NEXT[contact.status]:
        raise field_error(
            "status",
            _("A contact who is %(old)s cannot become %(new)s")
            % {
                "old": contact.get_status_display().lower(),
                "new": str(ContactStatus(status).label).lower(),
            },
        )
    at = check_happened(
        "changed_at",
        changed_at,
        after=(
            (contact.identified_at, _("The contact was not identified yet")),
            (
                last_change_at("epi.contact", contact.pk, "status"),
                _("This is before the contact's last recorded status change"),
            ),
        ),
    )
    old = contact.get_status_display()
    counted = changes.changing("contact", [contact.pk])
    contact.status = status
    contact.save(update_fields=["status"])
    event_record(
        at=at,
        actor=actor,
        action="contact.status_changed",
        obj=contact,
        person_id=contact.person_id,
        field="status",
        from_value=old,
        to_value=contact.get_status_display(),
        reason=reason,
    )
    counted.done()
    _changed([contact.person_id])
    return contact


# Many contacts' status at once -----------------------------------------------------------

# From this many changed contacts on, the events table's statistics are refreshed.
ANALYZE_AFTER_ROWS = 5_000


def _status_rows(actor: Any, ids: list[int] | None, selection: Any) -> list[tuple[Any, ...]]:
    """(id, status, person_id, division_key, name, case number, identified at) of the chosen
    contacts in the actor's jurisdiction, locked until the change is written."""
    columns = (
        "pk",
        "status",
        "person_id",
        "division_key",
        "person__name",
        "case__number",
        "identified_at",
    )
    qs = scoped(Contact.objects.all() if selection is None else selection, actor)
    qs = qs.select_for_update(of=("self",)).order_by("pk")
    if ids is None:
        return list(qs.values_list(*columns))
    rows: list[tuple[Any, ...]] = []
    for chunk in _chunks(ids):
        rows.extend(qs.filter(pk__in=chunk).values_list(*columns))
    return rows


def _move_refused(old: str, new: str) -> str:
    return _("A contact who is %(old)s cannot become %(new)s") % {
        "old": str(ContactStatus(old).label).lower(),
        "new": str(ContactStatus(new).label).lower(),
    }


@transaction.atomic
def contacts_set_status(
    *,
    actor: Any,
    status: str,
    reason: str,
    ids: Iterable[int] | None = None,
    selection: Any = None,
    changed_at: dt.datetime | None = None,
) -> StatusBatch:
    """Move many contacts to `status` at once, saying why: the contacts `ids`, or every contact
    of `selection` (a queryset from `selectors.contacts_for_user`, i.e. a list filter).

    All rows are checked first: an id outside the actor's jurisdiction (or unknown) or a move
    the contact cannot make refuses the whole batch, naming each such id, and nothing is
    written. Contacts already at `status` are left alone (`unchanged`), so running the same
    change twice changes nothing the second time. The rest change in one UPDATE per
    10,000 rows, with one audit event per contact written in one go, the tally told once and
    the health codes of the people concerned recomputed once. `changed_at`: when (valid time,
    now if not given), refused naming it when ahead of the clock, and for each contact it would
    date before their identification or their last recorded status change.
    """
    require(actor, Cap.CONTACTS_EDIT)
    check_choice("status", status, ContactStatus, _("Unknown status"))
    reason = need_reason(reason)
    at = check_happened("changed_at", changed_at)
    wanted = None if ids is None else sorted(set(ids))
    rows = _status_rows(actor, wanted, selection)
    batch = StatusBatch()
    if wanted is not None:
        found = {r[0] for r in rows}
        for missing in (i for i in wanted if i not in found):
            batch.refused[missing] = _("No contact with this id in your jurisdiction")
    moving = []
    for row in rows:
        pk, old = row[0], row[1]
        if old == status:
            batch.unchanged.append(pk)
        elif status not in CONTACT_NEXT[old]:
            batch.refused[pk] = _move_refused(old, status)
        else:
            moving.append(row)
    if changed_at is not None:
        batch.refused.update(_dated_too_early(moving, at))
    if batch.refused:
        return batch
    batch.changed = [r[0] for r in moving]
    if not moving:
        return batch
    counted = changes.changing("contact", batch.changed)
    for chunk in _chunks(batch.changed):
        Contact.objects.filter(pk__in=chunk).update(status=status)
    events_record_bulk(_status_events(actor, moving, status, reason, at))
    if len(moving) >= ANALYZE_AFTER_ROWS:
        # The tally reads these contacts' events back at once: planned with stale statistics
        # (a young events table), 30,000 fresh events took PostgreSQL 28 s instead of 0.3 s.
        analyze(Event)
    counted.done()
    _changed(sorted({r[2] for r in moving}))
    return batch


def _dated_too_early(rows: list[tuple[Any, ...]], at: dt.datetime) -> dict[int, str]:
    """The contacts a change at `at` would date before their identification or their last
    recorded status change (their history could not be read back): one query a thousand."""
    last: dict[str, dt.datetime] = {}
    for chunk in _chunks([r[0] for r in rows], LOOKUP_BATCH):
        found = (
            changes_of("epi.contact", ["status"])
            .filter(object_id__in=[str(pk) for pk in chunk])
            .values("object_id")
            .annotate(last=Max("at"))
            .values_list("object_id", "last")
        )
        last.update(found)
    refused = {}
    for pk, identified_at in ((r[0], r[6]) for r in rows):
        if identified_at and at < identified_at:
            refused[pk] = str(_("The contact was not identified yet"))
        elif str(pk) in last and at < last[str(pk)]:
            refused[pk] = str(_("This is before the contact's last recorded status change"))
    return refused


def _status_events(
    actor: Any, rows: list[tuple[Any, ...]], status: str, reason: str, at: dt.datetime
) -> Iterable[EventRow]:
    user_id, actor_name = actor_columns(actor)
    for pk, old, person_id, division_key, name, case_number, _identified in rows:
        yield EventRow(
            at=at,
            actor=user_id,
            actor_name=actor_name,
            action="contact.status_changed",
            object_type="epi.contact",
            object_id=str(pk),
            object_label=f"{name} ← {case_number}"[:200],
            person_id=person_id,
            division_key=division_key,
            field="status",
            from_value=old,  # codes: the audit log shows them in the reader's language
            to_value=status,
            reason=reason,
        )


@transaction.atomic
def contact_convert_to_case(
    *,
    actor: Any,
    contact: Contact,
    kind: str,
    found_by: str,
    sampled_on: dt.date,
    onset_on: dt.date | None = None,
    reported_on: dt.date,
    reason: str = "",
) -> Case:
    """The contact tested positive: register their case and keep the chain."""
    require(actor, Cap.CASES_EDIT)
    require(actor, Cap.CONTACTS_EDIT)
    if not in_scope(actor, contact.division_key):
        raise field_error("contact", _("This contact is outside your jurisdiction"))
    if contact.became_case_id is not None:
        raise field_error("contact", _("This contact is already a case"))
    found_where = (
        FoundWhere.QUARANTINE
        if contact.status == ContactStatus.UNDER_CONTROL
        else FoundWhere.COMMUNITY
    )
    case = case_create(
        actor=actor,
        person=contact.person,
        kind=kind,
        found_by=found_by,
        found_where=found_where,
        sampled_on=sampled_on,
        onset_on=onset_on,
        reported_on=reported_on,
        reason=reason,
    )
    contact.became_case = case
    contact.save(update_fields=["became_case"])
    event_record(
        actor=actor,
        action="contact.converted",
        obj=contact,
        person_id=contact.person_id,
        field="became_case",
        to_value=case.number,
        reason=reason,
    )
    _changed([contact.person_id])
    return case


def _changed(person_ids: list[int]) -> None:
    # In the same transaction: a status is never out of step with the facts it rests on.
    changes.changed("person", person_ids)


# Many contacts at once ----------------------------------------------------------------


@dataclass
class ContactRow:
    """One line of a line listing or import: a contact described by ID number."""

    id_number: str
    name: str = ""
    phone: str = ""
    relation: str = ExposureRelation.OTHER
    degree: str = Degree.CLOSE
    venue_code: str = ""
    exposure_start: dt.datetime | None = None
    exposure_end: dt.datetime | None = None
    last_exposure_on: dt.date | None = None
    via_id_number: str = ""
    overlap_minutes: int | None = None
    note: str = ""
    place: Division | None = None
    identified_at: dt.datetime | None = None  # valid time; now if not given


@dataclass
class Duplicate:
    index: int  # position of the row in the batch (0-based)
    contact: Contact  # the contact already known for this case


@dataclass
class Requested:
    """A row naming someone registered outside the actor's jurisdiction: sent as a request."""

    index: int
    request: ContactRequest
    new: bool  # False: the same person was already requested for this case


class ContactBatch(list[Contact]):
    """The contacts added; `duplicates` lists rows naming a person already known for the case,
    `requested` rows sent to the jurisdiction where the person is registered."""

    duplicates: list[Duplicate]
    requested: list[Requested]

    def __init__(
        self,
        contacts: Iterable[Contact] = (),
        duplicates: list[Duplicate] | None = None,
        requested: list[Requested] | None = None,
    ) -> None:
        super().__init__(contacts)
        self.duplicates = duplicates or []
        self.requested = requested or []


@dataclass
class _Plan:
    people: dict[str, Resident] = field(default_factory=dict)  # id number → known person
    new_people: dict[str, tuple[str, str, Any, Division]] = field(default_factory=dict)
    venues: dict[str, Venue] = field(default_factory=dict)
    rows: list[tuple[int, ContactRow, str]] = field(default_factory=list)  # index, row, id no.
    duplicates: list[Duplicate] = field(default_factory=list)
    elsewhere: dict[str, Resident] = field(default_factory=dict)  # registered outside scope
    requests: list[tuple[int, ContactRow, str]] = field(default_factory=list)
    requested: list[Requested] = field(default_factory=list)  # already requested for the case


def _as_row(raw: ContactRow | Mapping[str, Any]) -> ContactRow:
    if isinstance(raw, ContactRow):
        return raw
    known = {k: v for k, v in raw.items() if k in ContactRow.__dataclass_fields__}
    return ContactRow(**known)


def _plan_bulk(actor: Any, case: Case, rows: list[ContactRow]) -> _Plan:
    plan = _Plan()
    errors: dict[int, dict[str, list[str]]] = {}
    numbers: dict[int, str] = {}
    births: dict[int, dt.date] = {}

    def err(index: int, name: str, message: str) -> None:
        errors.setdefault(index, {}).setdefault(name, []).append(str(message))

    for index, row in enumerate(rows):
        try:
            info = parse_id_number(row.id_number)
            numbers[index], births[index] = info.number, info.birth_date
        except IdNumberError as exc:
            err(index, "id_number", exc.args[0])
    known_people = Resident.objects.in_bulk(set(numbers.values()), field_name="id_number")
    # People registered outside the actor's jurisdiction are looked at no further: their rows
    # are checked exactly as an unknown number's (nothing tells the two apart) and sent as
    # requests to the person's jurisdiction (see docs/tracing.md).
    for number, known in known_people.items():
        if in_scope(actor, known.division_key):
            plan.people[number] = known
        else:
            plan.elsewhere[number] = known
    codes = {r.venue_code.strip() for r in rows if r.venue_code.strip()}
    plan.venues = Venue.objects.in_bulk(codes, field_name="code") if codes else {}
    existing = {
        c.person_id: c
        for c in Contact.objects.filter(
            case=case, person_id__in=[p.pk for p in plan.people.values()]
        ).select_related("person")
    }
    requested = _requested_before(case, plan.elsewhere.values())
    secondary_ok = None
    tolerance = current().rules.records.tolerance
    first_row: dict[str, int] = {}
    close_numbers = {
        numbers[i] for i, r in enumerate(rows) if i in numbers and r.degree == Degree.CLOSE
    }
    for index, row in enumerate(rows):
        number = numbers.get(index)
        if number is not None:
            if number in first_row:
                err(
                    index,
                    "id_number",
                    _("This ID number already appears in row %(row)s")
                    % {"row": first_row[number] + 1},
                )
            first_row.setdefault(number, index)
            if number == case.person.id_number:
                err(index, "id_number", _("A case is not their own contact"))
        if row.degree not in Degree.values:
            err(index, "degree", _("Unknown degree"))
        if row.relation not in ExposureRelation.values:
            err(index, "relation", _("Unknown exposure relation"))
        if row.venue_code.strip() and row.venue_code.strip() not in plan.venues:
            err(index, "venue_code", _("No venue has this code"))
        try:
            _check_exposure(
                row.exposure_start, row.exposure_end, row.last_exposure_on, births.get(index)
            )
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                for m in messages:
                    err(index, name, m)
        try:
            row.identified_at = check_happened(
                "identified_at",
                row.identified_at,
                after=((case.registered_at, _(IDENTIFIED_BEFORE_CASE)),),
                tolerance=tolerance,
            )
        except ValidationError as exc:
            for m in exc.message_dict["identified_at"]:
                err(index, "identified_at", m)
        if row.degree == Degree.SECONDARY:
            if secondary_ok is None:
                secondary_ok = _secondary_allowed()
            if not secondary_ok:
                err(
                    index,
                    "degree",
                    _("The active policy profile does not identify secondary contacts"),
                )
            else:
                _check_via(row, case, close_numbers, err, index)
                if number not in plan.elsewhere and _via_awaits(row, plan.elsewhere, rows, numbers):
                    err(index, "via", _("Their close contact awaits confirmation; add them after"))
        elif row.via_id_number.strip():
            err(index, "via", _("Only a secondary contact is exposed through another contact"))
        if number is None:
            continue
        person = plan.people.get(number)
        if person is None:
            try:
                name = clean_name(row.name)
            except ValidationError:
                err(index, "name", _("Unknown ID number: give the person's name"))
                name = ""
            try:
                phone = clean_phone(row.phone)
            except ValidationError as exc:
                err(index, "phone", exc.messages[0])
                phone = ""
            place = row.place or case.person.division
            if not in_scope(actor, place.key):
                err(index, "place", _("This place is outside your jurisdiction"))
            if number in plan.elsewhere:
                held = requested.get(plan.elsewhere[number].pk)
                if held is not None and index not in errors:
                    plan.requested.append(Requested(index, held, new=False))
                else:
                    plan.requests.append((index, row, number))
                continue
            plan.new_people[number] = (name, phone, parse_id_number(number), place)
        elif row.name.strip() and row.name.strip() != person.name:
            err(index, "name", _("This ID number is registered under another name"))
        elif person.pk in existing and index not in errors:
            plan.duplicates.append(Duplicate(index, existing[person.pk]))
            continue
        plan.rows.append((index, row, number))
    if errors:
        raise BulkErrors(errors)
    return plan


def _requested_before(case: Case, people: Iterable[Resident]) -> dict[int, ContactRequest]:
    """Requests for these people on this case still pending or confirmed (one query, or none)."""
    ids = [p.pk for p in people]
    if not ids:
        return {}
    held = ContactRequest.objects.filter(
        case=case,
        person_id__in=ids,
        status__in=[RequestStatus.PENDING, RequestStatus.CONFIRMED],
    ).order_by("requested_at", "id")
    return {r.person_id: r for r in held}


def _via_awaits(
    row: ContactRow, elsewhere: Mapping[str, Resident], rows: list[ContactRow], numbers: Any
) -> bool:
    """A secondary contact exposed through a close contact of the same list who is being sent
    to another jurisdiction: they can only be added once that contact is confirmed."""
    via = row.via_id_number.strip().upper()
    if via not in elsewhere:
        return False
    return any(numbers.get(i) == via and r.degree == Degree.CLOSE for i, r in enumerate(rows))


def _check_via(row: ContactRow, case: Case, close_numbers: set[str], err: Any, index: int) -> None:
    raw = row.via_id_number.strip().upper()
    if not raw:
        err(index, "via", _("Name the close contact of this case they were exposed to"))
        return
    if raw in close_numbers:
        return
    via = Contact.objects.filter(case=case, person__id_number=raw, degree=Degree.CLOSE).exists()
    if not via:
        err(index, "via", _("This person is not a close contact of this case"))


def _resident_rows(plan: _Plan) -> Iterable[tuple[Any, ...]]:
    now = timezone.now()
    for number, (name, phone, info, place) in plan.new_people.items():
        initials, full = pinyin_of(name)
        yield (
            number,
            name,
            initials,
            full,
            info.sex,
            info.birth_date,
            phone,
            place.pk,
            place.key,
            Residency.VISITOR,
            now,
            now,
            "",
        )


RESIDENT_FIELDS = (
    "id_number",
    "name",
    "name_initials",
    "name_pinyin",
    "sex",
    "birth_date",
    "phone",
    "division",
    "division_key",
    "residency",
    "created_at",
    "updated_at",
    "relation",
)
CONTACT_FIELDS = (
    "case",
    "person",
    "degree",
    "via",
    "relation",
    "venue",
    "exposure_start",
    "exposure_end",
    "last_exposure_on",
    "overlap_minutes",
    "status",
    "note",
    "division_key",
    "identified_at",
    "created_at",
)


def _contact_rows(
    case: Case, plan: _Plan, degree: str, via_ids: dict[str, int]
) -> list[tuple[Any, ...]]:
    now = timezone.now()
    out = []
    for _index, row, number in plan.rows:
        if row.degree != degree:
            continue
        person = plan.people[number]
        venue = plan.venues.get(row.venue_code.strip())
        via = via_ids.get(row.via_id_number.strip().upper()) if degree == Degree.SECONDARY else None
        out.append(
            (
                case.pk,
                person.pk,
                degree,
                via,
                row.relation,
                venue.pk if venue else None,
                row.exposure_start,
                row.exposure_end,
                row.last_exposure_on,
                row.overlap_minutes,
                ContactStatus.IDENTIFIED,
                (row.note or "").strip()[:300],
                person.division_key,
                row.identified_at or now,
                now,
            )
        )
    return out


def _event_rows(
    actor: Any, case: Case, contacts: list[Contact], created: list[Resident], reason: str
) -> Iterable[EventRow]:
    now = timezone.now()
    user_id, actor_name = actor_columns(actor)
    for person in created:
        yield EventRow(
            at=now,
            actor=user_id,
            actor_name=actor_name,
            action="resident.created",
            object_type="people.resident",
            object_id=str(person.pk),
            object_label=person.name[:200],
            person_id=person.pk,
            division_key=person.division_key,
            reason=reason,
        )
    for c in contacts:
        yield EventRow(
            at=c.identified_at,
            actor=user_id,
            actor_name=actor_name,
            action="contact.added",
            object_type="epi.contact",
            object_id=str(c.pk),
            object_label=f"{c.person.name} ← {case.number}"[:200],
            person_id=c.person_id,
            division_key=c.division_key,
            field="degree",
            to_value=f"{c.get_degree_display()} ← {case.number}",
            reason=reason,
        )


@transaction.atomic
def contacts_add_bulk(
    *,
    actor: Any,
    case: Case,
    rows: Iterable[ContactRow | Mapping[str, Any]],
    reason: str = "",
    confirming: bool = False,
) -> ContactBatch:
    """Add many contacts of one case at once (line listing, import, API).

    All rows are checked first; any bad row raises `BulkErrors` naming rows and fields and
    nothing is written. Rows naming a person already known for this case are skipped and
    reported in `.duplicates`, so sending the same list twice adds nothing twice. Rows naming
    someone registered outside the actor's jurisdiction make no contact: they are sent as
    requests to that person's district (`.requested`), which confirms or rejects them.

    `confirming=True` is for `contacts.requests.contact_request_decide`: the actor confirms a
    request for a person of their own jurisdiction whose case may lie elsewhere.
    """
    if confirming:
        require(actor, Cap.CONTACTS_EDIT)
    else:
        _check_contact_case(actor, case)
    batch = [_as_row(r) for r in rows]
    if not batch:
        return ContactBatch()
    plan = _plan_bulk(actor, case, batch)
    if confirming and (plan.requests or plan.new_people):
        raise field_error("person", _("This person is outside your jurisdiction"))
    if plan.new_people:
        copy_rows(Resident, RESIDENT_FIELDS, _resident_rows(plan))
        fresh = Resident.objects.in_bulk(list(plan.new_people), field_name="id_number")
        plan.people.update(fresh)
    created_people = [plan.people[n] for n in plan.new_people]
    copy_rows(Contact, CONTACT_FIELDS, _contact_rows(case, plan, Degree.CLOSE, {}))
    close = {
        c.person.id_number: c.pk
        for c in Contact.objects.filter(case=case, degree=Degree.CLOSE).select_related("person")
    }
    copy_rows(Contact, CONTACT_FIELDS, _contact_rows(case, plan, Degree.SECONDARY, close))
    person_ids = [plan.people[n].pk for _i, _r, n in plan.rows]
    added = list(
        Contact.objects.filter(case=case, person_id__in=person_ids)
        .select_related("person", "venue", "via__person")
        .order_by("id")
    )
    events_record_bulk(_event_rows(actor, case, added, created_people, reason))
    changes.added("contact", [c.pk for c in added])
    _changed(person_ids)
    sent = contact_requests_write(
        actor=actor,
        rows=[
            _request_fields(case, row, plan.elsewhere[n], plan.venues)
            for _i, row, n in plan.requests
        ],
        reason=reason,
    )
    requested = plan.requested + [
        Requested(index, request, new=True)
        for (index, _row, _n), request in zip(plan.requests, sent, strict=True)
    ]
    return ContactBatch(added, plan.duplicates, sorted(requested, key=lambda r: r.index))


# Requests for people registered elsewhere ------------------------------------------------

REQUEST_FIELDS = (
    "case",
    "person",
    "id_number_given",
    "name_given",
    "phone_given",
    "degree",
    "via_id_number",
    "relation",
    "venue",
    "exposure_start",
    "exposure_end",
    "last_exposure_on",
    "overlap_minutes",
    "note",
    "candidate",
    "status",
    "requested_by",
    "requested_at",
    "decision_reason",
    "division_key",
    "case_key",
    "identified_at",
)


def _request_fields(
    case: Case, row: ContactRow, person: Resident, venues: Mapping[str, Venue]
) -> dict[str, Any]:
    venue = venues.get(row.venue_code.strip())
    return {
        "case": case,
        "person": person,
        "id_number_given": person.id_number,  # the number the requester typed
        "name_given": (row.name or "").strip()[:100],
        "phone_given": (row.phone or "").strip()[:20],
        "degree": row.degree,
        "via_id_number": row.via_id_number.strip().upper()[:18],
        "relation": row.relation,
        "venue": venue,
        "exposure_start": row.exposure_start,
        "exposure_end": row.exposure_end,
        "last_exposure_on": row.last_exposure_on,
        "overlap_minutes": row.overlap_minutes,
        "note": (row.note or "").strip()[:300],
        "identified_at": row.identified_at,  # checked like a local row's (`_plan_bulk`)
    }


def contact_requests_write(
    *, actor: Any, rows: list[dict[str, Any]], reason: str = ""
) -> list[ContactRequest]:
    """Store requests (each a dict of `_request_fields`, optionally with `candidate`) in one
    columnar write, with one audited `contact_request.created` per person; in `rows` order."""
    if not rows:
        return []
    now = timezone.now()
    user_id = getattr(acting_user(actor), "pk", None)

    def values(r: dict[str, Any]) -> tuple[Any, ...]:
        venue, candidate = r.get("venue"), r.get("candidate")
        return (
            r["case"].pk,
            r["person"].pk,
            r["id_number_given"],
            r["name_given"],
            r["phone_given"],
            r["degree"],
            r["via_id_number"],
            r["relation"],
            venue.pk if venue else None,
            r["exposure_start"],
            r["exposure_end"],
            r["last_exposure_on"],
            r["overlap_minutes"],
            r["note"],
            candidate.pk if candidate else None,
            RequestStatus.PENDING,
            user_id,
            now,
            "",
            r["person"].division_key,
            r["case"].division_key,
            r.get("identified_at") or now,
        )

    copy_rows(ContactRequest, REQUEST_FIELDS, (values(r) for r in rows))
    stored = {
        (q.case_id, q.person_id): q
        for q in ContactRequest.objects.filter(
            status=RequestStatus.PENDING,
            case_id__in={r["case"].pk for r in rows},
            person_id__in={r["person"].pk for r in rows},
        ).select_related("case")
    }
    sent = [stored[(r["case"].pk, r["person"].pk)] for r in rows]
    events_record_bulk(_request_events(actor, sent, reason))
    return sent


def _request_events(actor: Any, requests: list[ContactRequest], reason: str) -> Iterable[EventRow]:
    """In the person's history and their jurisdiction's log; the label names only the case."""
    now = timezone.now()
    user_id, actor_name = actor_columns(actor)
    for q in requests:
        yield EventRow(
            at=now,
            actor=user_id,
            actor_name=actor_name,
            action="contact_request.created",
            object_type="epi.contactrequest",
            object_id=str(q.pk),
            object_label=f"#{q.pk} ← {q.case.number}"[:200],
            person_id=q.person_id,
            division_key=q.division_key,
            field="status",
            to_value=str(RequestStatus.PENDING.label),
            reason=reason,
            data=json.dumps({"case": q.case.number, "degree": q.degree}, ensure_ascii=False),
        )


def requested_message(sent: Requested) -> str:
    """What the requester reads: the request, never who the person is."""
    if sent.new:
        return _(
            "Not in your jurisdiction: sent for confirmation to the jurisdiction where this "
            "person is registered (request #%(id)s)"
        ) % {"id": sent.request.pk}
    return _("Already sent for confirmation (request #%(id)s)") % {"id": sent.request.pk}


def contacts_check(
    *, actor: Any, case: Case, rows: Iterable[ContactRow | Mapping[str, Any]]
) -> BulkErrors | None:
    """What `contacts_add_bulk` would refuse in these rows, without writing anything."""
    _check_contact_case(actor, case)
    batch = [_as_row(r) for r in rows]
    if not batch:
        return None
    try:
        _plan_bulk(actor, case, batch)
    except BulkErrors as exc:
        return exc
    return None


def duplicate_message(dup: Duplicate) -> str:
    return _("%(name)s is already a %(degree)s of this case") % {
        "name": dup.contact.person.name,
        "degree": dup.contact.get_degree_display().lower(),
    }
