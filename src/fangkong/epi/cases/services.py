"""Writes to the case registry: registration, reclassification, transfer, outcome. Each change
is audited and tells the health-code engine (through `core.changes`, subject "person") whose
facts changed. `case_create` and the checks before it are shared with contacts/services.py (a
contact who tests positive becomes a case)."""

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from fangkong.audit.history import changes_of, last_change_at
from fangkong.audit.services import EventRow, actor_columns, event_record, events_record_bulk
from fangkong.core import changes, dates
from fangkong.core.access import Cap, in_scope, require, scoped
from fangkong.core.bulk import StatusBatch, chunks
from fangkong.core.db import LOOKUP_BATCH
from fangkong.core.errors import field_error, need_reason
from fangkong.epi.models import Case, CaseKind, CaseStatus, Destination, FoundBy, FoundWhere
from fangkong.people.idnumber import IdNumberError, parse_id_number
from fangkong.people.models import Resident
from fangkong.people.services import person_register_non_resident
from fangkong.places.models import Division
from fangkong.policy.accessor import current

OPEN_CASE = (CaseStatus.REPORTED, CaseStatus.TRANSFERRED)
CLOSED_CASE = (CaseStatus.RECOVERED, CaseStatus.DIED)


def check_choice(name: str, value: str, choices: Any, message: str) -> str:
    if value not in choices.values:
        raise field_error(name, message)
    return value


def _check_dates(
    *, sampled_on: dt.date, onset_on: dt.date | None, reported_on: dt.date, born: dt.date
) -> None:
    dates.check_dates(
        {"sampled_on": sampled_on, "onset_on": onset_on, "reported_on": reported_on}, born=born
    )
    if sampled_on > reported_on:
        raise field_error("sampled_on", _("Sampling cannot be after the report date"))
    if onset_on is not None and onset_on > reported_on:
        raise field_error("onset_on", _("Onset cannot be after the report date"))


def check_happened(
    field: str,
    value: dt.datetime | None,
    *,
    after: tuple[tuple[dt.date | dt.datetime | None, str], ...] = (),
    born: dt.date | None = None,
    tolerance: dt.timedelta | None = None,
) -> dt.datetime:
    """The valid time of a fact (now if not given), refused naming `field` when ahead of the
    clock beyond the policy's tolerance (read here unless a bulk caller passes it, read once)
    or before a fact it must follow (`core.dates`)."""
    at = dates.happened_at(value)
    if tolerance is None:
        tolerance = current().rules.records.tolerance
    dates.check_happened(field, at, tolerance=tolerance, after=after, born=born)
    return at


def _after_last(case: Case, name: str) -> tuple[dt.datetime | None, str]:
    """The case's last audited change of `name`: a later change may not be dated before it."""
    return (
        last_change_at("epi.case", case.pk, name),
        _("This is before the case's last recorded change"),
    )


def _next_case_number(person: Resident, year: int) -> str:
    prefix = f"{person.division_key[:4]}-{year}-"
    last = Case.objects.filter(number__startswith=prefix).aggregate(n=Max("number"))["n"]
    sequence = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{sequence:04d}"


def _label(choices: Any, value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


def _person_for_case(
    actor: Any, id_number: str, name: str, place: Division | None, reason: str
) -> Resident:
    try:
        info = parse_id_number(id_number)
    except IdNumberError as exc:
        raise field_error("id_number", exc.args[0]) from None
    person = Resident.objects.filter(id_number=info.number).first()
    if person is not None:
        if not in_scope(actor, person.division_key):
            raise field_error("id_number", _("This person is registered outside your jurisdiction"))
        return person
    if place is None:
        raise field_error("place", _("Unknown ID number: give the place where this person stays"))
    if not (name or "").strip():
        raise field_error("name", _("Unknown ID number: give the person's name"))
    return person_register_non_resident(
        actor=actor, id_number=info.number, name=name, division=place, reason=reason
    )


def case_create(
    *,
    actor: Any,
    person: Resident,
    kind: str,
    found_by: str,
    found_where: str,
    sampled_on: dt.date,
    onset_on: dt.date | None,
    reported_on: dt.date,
    reason: str,
    basis: str = "",
    data: Mapping[str, Any] | None = None,
    registered_at: dt.datetime | None = None,
) -> Case:
    """Open a case for a known person (audited, counted). The caller checks the actor's
    authority and tells the health-code engine: `case_register`, `contact_convert_to_case`.
    `registered_at`: when the case was registered (valid time, now if not given)."""
    check_choice("kind", kind, CaseKind, _("Unknown classification"))
    check_choice("found_by", found_by, FoundBy, _("Unknown way of finding"))
    check_choice(
        "found_where",
        found_where,
        FoundWhere,
        _("Say whether found in quarantine or in the community"),
    )
    _check_dates(
        sampled_on=sampled_on, onset_on=onset_on, reported_on=reported_on, born=person.birth_date
    )
    registered_at = check_happened(
        "registered_at",
        registered_at,
        after=((sampled_on, _("A case is registered after its sample was taken")),),
    )
    if Case.objects.filter(person=person, status__in=OPEN_CASE).exists():
        raise field_error("id_number", _("This person already has an open case"))
    case = Case.objects.create(
        number=_next_case_number(person, reported_on.year),
        person=person,
        kind=kind,
        found_by=found_by,
        found_where=found_where,
        sampled_on=sampled_on,
        onset_on=onset_on,
        reported_on=reported_on,
        registered_at=registered_at,
        division_key=person.division_key,
    )
    event_record(
        at=registered_at,
        actor=actor,
        action="case.registered",
        obj=case,
        person_id=person.pk,
        field="kind",
        to_value=case.get_kind_display(),
        reason=reason,
        basis=basis,
        data=dict(data or {}),
    )
    changes.added("case", [case.pk])  # the command dashboard's running counts
    return case


@transaction.atomic
def case_register(
    *,
    actor: Any,
    id_number: str,
    name: str = "",
    kind: str,
    found_by: str,
    found_where: str,
    sampled_on: dt.date,
    onset_on: dt.date | None = None,
    reported_on: dt.date,
    place: Division | None = None,
    reason: str = "",
    basis: str = "",
    data: Mapping[str, Any] | None = None,
    registered_at: dt.datetime | None = None,
) -> Case:
    """Register a confirmed case or asymptomatic infection by ID number.

    A known person is linked; an unknown one is registered as a non-resident staying at
    `place` (which must be within the actor's jurisdiction). `basis` and `data` go into the
    "case.registered" event (e.g. the lab result behind a case the system actor opens).
    """
    require(actor, Cap.CASES_EDIT)
    person = _person_for_case(actor, id_number, name, place, reason)
    case = case_create(
        actor=actor,
        person=person,
        kind=kind,
        found_by=found_by,
        found_where=found_where,
        sampled_on=sampled_on,
        onset_on=onset_on,
        reported_on=reported_on,
        reason=reason,
        basis=basis,
        data=data,
        registered_at=registered_at,
    )
    _changed([person.pk])
    return case


def _check_case(actor: Any, case: Case) -> None:
    require(actor, Cap.CASES_EDIT)
    if not in_scope(actor, case.division_key):
        raise field_error("case", _("This case is outside your jurisdiction"))


def _audit_case(
    actor: Any,
    case: Case,
    action: str,
    field_name: str,
    old: Any,
    new: Any,
    reason: str,
    at: dt.datetime | None = None,
) -> None:
    event_record(
        at=at,
        actor=actor,
        action=action,
        obj=case,
        person_id=case.person_id,
        field=field_name,
        from_value=old,
        to_value=new,
        reason=reason,
    )


@transaction.atomic
def case_reclassify(
    *, actor: Any, case: Case, kind: str, reason: str, reclassified_at: dt.datetime | None = None
) -> Case:
    """Asymptomatic → confirmed (or a correction back), with a reason; `reclassified_at`:
    when (valid time, now if not given)."""
    _check_case(actor, case)
    check_choice("kind", kind, CaseKind, _("Unknown classification"))
    reason = need_reason(reason)
    if case.status in CLOSED_CASE:
        raise field_error("kind", _("A closed case cannot be reclassified"))
    if kind == case.kind:
        raise field_error("kind", _("The case already has this classification"))
    at = check_happened(
        "reclassified_at",
        reclassified_at,
        after=(
            (case.registered_at, _("The case was not registered yet")),
            _after_last(case, "kind"),
        ),
    )
    old = case.get_kind_display()
    counted = changes.changing("case", [case.pk])
    case.kind = kind
    case.save(update_fields=["kind"])
    _audit_case(actor, case, "case.reclassified", "kind", old, case.get_kind_display(), reason, at)
    counted.done()
    _changed([case.person_id])
    return case


@transaction.atomic
def case_transfer(
    *,
    actor: Any,
    case: Case,
    destination: str,
    destination_name: str,
    transferred_at: dt.datetime,
    reason: str,
    check_access: bool = True,
) -> Case:
    """Record the closed-loop transfer to a designated or shelter hospital.

    `check_access=False` is for the quarantine transfer service, which has checked the
    actor's authority over the person (transfer task force, site staff) itself.
    """
    if check_access:
        _check_case(actor, case)
    check_choice(
        "destination", destination, Destination, _("Choose a designated or shelter hospital")
    )
    destination_name = (destination_name or "").strip()
    if not destination_name:
        raise field_error("destination_name", _("Name the hospital"))
    reason = need_reason(reason)
    if case.status in CLOSED_CASE:
        raise field_error("status", _("A closed case cannot be transferred"))
    transferred_at = check_happened(
        "transferred_at",
        transferred_at,
        born=case.person.birth_date,
        after=(
            (case.sampled_on, _("The transfer cannot be before sampling")),
            (case.reported_on, _("The transfer cannot be before the report")),
            _after_last(case, "status"),
        ),
    )
    old = _where(case)
    old_status = case.get_status_display()
    counted = changes.changing("case", [case.pk])
    case.status = CaseStatus.TRANSFERRED
    case.destination, case.destination_name = destination, destination_name
    case.transferred_at = transferred_at
    case.save(update_fields=["status", "destination", "destination_name", "transferred_at"])
    new_status = case.get_status_display()
    at = transferred_at
    _audit_case(actor, case, "case.transferred", "destination", old, _where(case), reason, at)
    if old_status != new_status:
        _audit_case(actor, case, "case.transferred", "status", old_status, new_status, reason, at)
    counted.done()
    return case


def _where(case: Case) -> str:
    if not case.destination:
        return ""
    return f"{_label(Destination, case.destination)} {case.destination_name}".strip()


@transaction.atomic
def case_close(
    *,
    actor: Any,
    case: Case,
    status: str,
    outcome_on: dt.date,
    reason: str,
    closed_at: dt.datetime | None = None,
) -> Case:
    """Record the outcome: recovered and discharged, or died; `closed_at`: when the case was
    closed (valid time, now if not given)."""
    _check_case(actor, case)
    if status not in CLOSED_CASE:
        raise field_error("status", _("The outcome is recovered or died"))
    reason = need_reason(reason)
    if case.status in CLOSED_CASE:
        raise field_error("status", _("This case is already closed"))
    if outcome_on < case.sampled_on:
        raise field_error("outcome_on", _("The outcome cannot be before sampling"))
    dates.check_date("outcome_on", outcome_on)
    at = check_happened(
        "closed_at",
        closed_at,
        after=(
            (outcome_on, _("The case cannot be closed before its outcome date")),
            (case.registered_at, _("The case was not registered yet")),
            _after_last(case, "status"),
        ),
    )
    old = case.get_status_display()
    counted = changes.changing("case", [case.pk])
    case.status, case.outcome_on = status, outcome_on
    case.save(update_fields=["status", "outcome_on"])
    _audit_case(actor, case, "case.closed", "status", old, case.get_status_display(), reason, at)
    counted.done()
    _changed([case.person_id])
    return case


def _changed(person_ids: list[int]) -> None:
    # In the same transaction: a status is never out of step with the facts it rests on.
    changes.changed("person", person_ids)


# Many cases at once ------------------------------------------------------------------------


class _Row(NamedTuple):
    pk: int
    kind: str
    status: str
    outcome_on: dt.date | None
    sampled_on: dt.date
    reported_on: dt.date
    registered_at: dt.datetime
    destination: str
    destination_name: str
    person_id: int
    division_key: str
    number: str
    name: str
    born: dt.date | None


ROW_COLUMNS = (
    "pk",
    "kind",
    "status",
    "outcome_on",
    "sampled_on",
    "reported_on",
    "registered_at",
    "destination",
    "destination_name",
    "person_id",
    "division_key",
    "number",
    "person__name",
    "person__birth_date",
)


def _case_rows(actor: Any, ids: list[int] | None, selection: Any) -> list[_Row]:
    """The chosen cases in the actor's jurisdiction, locked until the change is written."""
    qs = scoped(Case.objects.all() if selection is None else selection, actor)
    qs = qs.select_for_update(of=("self",)).order_by("pk")
    if ids is None:
        return [_Row(*r) for r in qs.values_list(*ROW_COLUMNS)]
    rows: list[_Row] = []
    for chunk in chunks(ids):
        rows.extend(_Row(*r) for r in qs.filter(pk__in=chunk).values_list(*ROW_COLUMNS))
    return rows


def _last_changes(rows: list[_Row], name: str) -> dict[int, dt.datetime]:
    """Each case's last audited change of `name` (a change may not be dated before it): one
    query a thousand cases."""
    last: dict[int, dt.datetime] = {}
    for chunk in chunks([r.pk for r in rows], LOOKUP_BATCH):
        found = (
            changes_of("epi.case", [name])
            .filter(object_id__in=[str(pk) for pk in chunk])
            .values("object_id")
            .annotate(last=Max("at"))
            .values_list("object_id", "last")
        )
        last.update((int(pk), when) for pk, when in found)
    return last


UNCHANGED = "unchanged"


@dataclass
class _Change:
    """One bulk change of cases, as its single path makes it for one case."""

    action: str  # of the audit events
    at_field: str  # the valid time's name, in refusals
    at: dt.datetime
    tolerance: dt.timedelta
    reason: str
    columns: dict[str, Any]  # written to every changed row
    tracked: str  # the field whose last audited change the time may not precede
    # row → UNCHANGED, a refusal, or "" to change; checked before anything is written
    decide: Callable[[_Row], str]
    # row → the (field, from, to) its events record, in codes (shown in the reader's language)
    events: Callable[[_Row], list[tuple[str, str, str]]]
    # row → facts of the case the time may not precede (as the single path lists them)
    after: Callable[[_Row], tuple[tuple[dt.date | None, str], ...]] = lambda row: ()


def _registered(row: _Row) -> tuple[tuple[dt.date | None, str], ...]:
    return ((row.registered_at, _("The case was not registered yet")),)


def _cases_change(actor: Any, ids: Iterable[int] | None, selection: Any, c: _Change) -> StatusBatch:
    """Check every row, then write all of them or none: the engine of `cases_reclassify`,
    `cases_transfer` and `cases_close` (docs/cases.md, "Changing many cases at once")."""
    wanted = None if ids is None else sorted(set(ids))
    rows = _case_rows(actor, wanted, selection)
    batch = StatusBatch()
    if wanted is not None:
        found = {r.pk for r in rows}
        for missing in (i for i in wanted if i not in found):
            batch.refused[missing] = _("No case with this id in your jurisdiction")
    moving = []
    for row in rows:
        verdict = c.decide(row)
        if verdict == UNCHANGED:
            batch.unchanged.append(row.pk)
        elif verdict:
            batch.refused[row.pk] = verdict
        else:
            moving.append(row)
    last = _last_changes(moving, c.tracked)
    for row in moving:
        after = (
            *c.after(row),
            (last.get(row.pk), _("This is before the case's last recorded change")),
        )
        try:
            dates.check_happened(
                c.at_field, c.at, tolerance=c.tolerance, after=after, born=row.born
            )
        except ValidationError as exc:
            batch.refused[row.pk] = " ".join(exc.message_dict[c.at_field])
    if batch.refused or not moving:
        return batch
    batch.changed = [r.pk for r in moving]
    counted = changes.changing("case", batch.changed)
    for chunk in chunks(batch.changed):
        Case.objects.filter(pk__in=chunk).update(**c.columns)
    events_record_bulk(_case_events(actor, moving, c))
    counted.done()
    _changed(sorted({r.person_id for r in moving}))
    return batch


def _case_events(actor: Any, rows: list[_Row], c: _Change) -> Iterable[EventRow]:
    user_id, actor_name = actor_columns(actor)
    for row in rows:
        for name, old, new in c.events(row):
            yield EventRow(
                at=c.at,
                actor=user_id,
                actor_name=actor_name,
                action=c.action,
                object_type="epi.case",
                object_id=str(row.pk),
                object_label=f"{row.number} {row.name}"[:200],
                person_id=row.person_id,
                division_key=row.division_key,
                field=name,
                from_value=old,
                to_value=new,
                reason=c.reason,
            )


@transaction.atomic
def cases_reclassify(
    *,
    actor: Any,
    kind: str,
    reason: str,
    ids: Iterable[int] | None = None,
    selection: Any = None,
    reclassified_at: dt.datetime | None = None,
) -> StatusBatch:
    """Reclassify many cases at once, saying why: the cases `ids`, or every case of
    `selection` (a queryset from `selectors.case_search`, i.e. a list filter).

    All rows are checked first: an id outside the actor's jurisdiction (or unknown), a closed
    case, or a time before a case's registration or its last reclassification refuses the
    whole batch, naming each such id, and nothing is written. Cases already of `kind` are left
    alone (`unchanged`): the same request again changes nothing. The rest change in one UPDATE
    per 10,000 rows, one audit event per case written at once, the tally told once and the
    health codes of the people concerned recomputed once. `reclassified_at`: when (valid time,
    the same for all, now if not given), checked as `case_reclassify` checks it."""
    require(actor, Cap.CASES_EDIT)
    check_choice("kind", kind, CaseKind, _("Unknown classification"))
    reason = need_reason(reason)
    tolerance = current().rules.records.tolerance
    at = check_happened("reclassified_at", reclassified_at, tolerance=tolerance)

    def decide(row: _Row) -> str:
        if row.kind == kind:
            return UNCHANGED
        if row.status in CLOSED_CASE:
            return _("A closed case cannot be reclassified")
        return ""

    change = _Change(
        action="case.reclassified",
        at_field="reclassified_at",
        at=at,
        tolerance=tolerance,
        reason=reason,
        columns={"kind": kind},
        tracked="kind",
        decide=decide,
        events=lambda row: [("kind", row.kind, kind)],
        after=_registered,
    )
    return _cases_change(actor, ids, selection, change)


def _destination(code: str, name: str) -> str:
    """A destination as its events keep it: the kind's code, then the hospital's name."""
    return f"{code} {name}".strip() if code else ""


@transaction.atomic
def cases_transfer(
    *,
    actor: Any,
    destination: str,
    destination_name: str,
    transferred_at: dt.datetime,
    reason: str,
    ids: Iterable[int] | None = None,
    selection: Any = None,
) -> StatusBatch:
    """Record the closed-loop transfer of many cases to one hospital at one time, saying why
    (a bus to the shelter hospital): the cases `ids`, or every case of `selection`.

    Checked and written as `cases_reclassify`: all or nothing, each refused id named (a closed
    case; a time before a case's sampling, report or last status change, or its person's
    birth).
    Cases already transferred to this hospital are left alone (`unchanged`). Each changed case
    has its `case.transferred` events (destination, and status when it changes), as
    `case_transfer` writes them."""
    require(actor, Cap.CASES_EDIT)
    check_choice(
        "destination", destination, Destination, _("Choose a designated or shelter hospital")
    )
    destination_name = (destination_name or "").strip()
    if not destination_name:
        raise field_error("destination_name", _("Name the hospital"))
    reason = need_reason(reason)
    tolerance = current().rules.records.tolerance
    at = check_happened("transferred_at", transferred_at, tolerance=tolerance)
    to = _destination(destination, destination_name)

    def decide(row: _Row) -> str:
        if row.status in CLOSED_CASE:
            return _("A closed case cannot be transferred")
        if row.status == CaseStatus.TRANSFERRED and (
            _destination(row.destination, row.destination_name) == to
        ):
            return UNCHANGED
        return ""

    def events(row: _Row) -> list[tuple[str, str, str]]:
        out = [("destination", _destination(row.destination, row.destination_name), to)]
        if row.status != CaseStatus.TRANSFERRED:
            out.append(("status", row.status, CaseStatus.TRANSFERRED.value))
        return out

    change = _Change(
        action="case.transferred",
        at_field="transferred_at",
        at=at,
        tolerance=tolerance,
        reason=reason,
        columns={
            "status": CaseStatus.TRANSFERRED,
            "destination": destination,
            "destination_name": destination_name,
            "transferred_at": at,
        },
        tracked="status",
        decide=decide,
        events=events,
        after=lambda row: (
            (row.sampled_on, _("The transfer cannot be before sampling")),
            (row.reported_on, _("The transfer cannot be before the report")),
        ),
    )
    return _cases_change(actor, ids, selection, change)


@transaction.atomic
def cases_close(
    *,
    actor: Any,
    status: str,
    outcome_on: dt.date,
    reason: str,
    ids: Iterable[int] | None = None,
    selection: Any = None,
    closed_at: dt.datetime | None = None,
) -> StatusBatch:
    """Record the same outcome (recovered or died, on `outcome_on`) for many cases at once,
    saying why: the cases `ids`, or every case of `selection` (a list filter).

    Checked and written as `cases_reclassify`: all or nothing, each refused id named (already
    closed otherwise, an outcome before the case's sampling, a time before its registration or
    its last status change). Cases already closed with this outcome on this day are left alone
    (`unchanged`). `closed_at`: when (valid time, now if not given), checked as `case_close`."""
    require(actor, Cap.CASES_EDIT)
    if status not in CLOSED_CASE:
        raise field_error("status", _("The outcome is recovered or died"))
    reason = need_reason(reason)
    dates.check_date("outcome_on", outcome_on)
    tolerance = current().rules.records.tolerance
    at = check_happened(
        "closed_at",
        closed_at,
        after=((outcome_on, _("The case cannot be closed before its outcome date")),),
        tolerance=tolerance,
    )

    def decide(row: _Row) -> str:
        if row.status == status and row.outcome_on == outcome_on:
            return UNCHANGED
        if row.status in CLOSED_CASE:
            return _("This case is already closed")
        if outcome_on < row.sampled_on:
            return _("The outcome cannot be before sampling")
        return ""

    change = _Change(
        action="case.closed",
        at_field="closed_at",
        at=at,
        tolerance=tolerance,
        reason=reason,
        columns={"status": status, "outcome_on": outcome_on},
        tracked="status",
        decide=decide,
        events=lambda row: [("status", row.status, status)],
        after=_registered,
    )
    return _cases_change(actor, ids, selection, change)
