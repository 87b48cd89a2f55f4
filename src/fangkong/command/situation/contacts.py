"""Contacts of a situation import: close and secondary contacts of the cases, each with the
time it was identified and its current status with the time it took it.

Natural key: (source case number, the person's ID number). The source case is in the cases
sheet or already registered in the actor's jurisdiction; a secondary contact names the close
contact of the same case they were exposed to. A new contact is identified at `identified_at`
(its `contact.added` event dated then) and, when its status is not "identified", moved there
at `status_at` (one status event, dated then: the figures as of a moment in between read it
identified). A contact already registered keeps its row; a different status is a status
change dated by the line's time, refused when the contact cannot reach that status or when the
time comes before its identification or its last recorded status change.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from fangkong.audit.history import changes_of
from fangkong.audit.models import Event
from fangkong.audit.services import EventRow, actor_columns, events_record_bulk
from fangkong.command.situation.base import (
    E_CASE_ROW,
    E_DUPLICATE_KEY,
    CaseRef,
    Context,
    Kind,
    Line,
    PersonRef,
)
from fangkong.command.situation.cases import E_CASE_OUTSIDE, person_missing
from fangkong.core import changes, dates
from fangkong.core.access import in_scope
from fangkong.core.bulk import analyze, copy_rows
from fangkong.core.db import LOOKUP_BATCH
from fangkong.core.tabular import E_REQUIRED, Columns
from fangkong.epi.cases.services import check_happened
from fangkong.epi.contacts.importing import DEGREE_MAP, RELATION_MAP
from fangkong.epi.contacts.services import CONTACT_FIELDS, CONTACT_NEXT, IDENTIFIED_BEFORE_CASE
from fangkong.epi.models import Case, Contact, ContactStatus, Degree, ExposureRelation
from fangkong.people.importing.validation import lookup
from fangkong.people.models import Resident

CHUNK = 10_000  # rows updated per statement (SQLite allows 32,766 parameters)
ANALYZE_AFTER_ROWS = 5_000

E_NO_CASE = gettext_noop("No case with this number in the cases sheet or in your jurisdiction")
E_OWN_CASE = gettext_noop("A case is not their own contact")
E_OTHER_DEGREE = gettext_noop("This person is already a contact of this case of another degree")
E_SECONDARY_OFF = gettext_noop("The active policy profile does not identify secondary contacts")
E_VIA = gettext_noop("Name the close contact of this case they were exposed to")
E_VIA_UNKNOWN = gettext_noop("This person is not a close contact of this case")
E_VIA_CLOSE = gettext_noop("Only a secondary contact is exposed through another contact")
E_UNREACHABLE = gettext_noop("A contact who is %(old)s cannot become %(new)s")
E_BEFORE_LAST = gettext_noop("This is before the contact's last recorded status change")
E_NOT_YET = gettext_noop("The contact was not identified yet")

D_RELATION = gettext_noop("Not given: other")
D_EXPOSURE = gettext_noop(
    "Not given: the day the source case was registered (the latest day of exposure before "
    "isolation, so a measure counted from it is never too short)"
)
D_IDENTIFIED = gettext_noop("Not given: when the source case was registered")
D_STATUS = gettext_noop("Not given: identified")
D_STATUS_AT = gettext_noop("Not given: when the contact was identified")

STATUSES = {v: v for v in ContactStatus.values} | {
    "已判定": "identified",
    "判定": "identified",
    "已找到": "located",
    "已落位": "located",
    "已管控": "under_control",
    "管控中": "under_control",
    "集中隔离": "under_control",
    "居家隔离": "under_control",
    "已解除": "released",
    "解除管控": "released",
    "失联": "lost",
}


def _reachable() -> dict[str, set[str]]:
    """Where a contact may get to from each status, through any number of moves."""
    out: dict[str, set[str]] = {}
    for start in CONTACT_NEXT:
        seen: set[str] = set()
        todo = list(CONTACT_NEXT[start])
        while todo:
            status = todo.pop()
            if status not in seen:
                seen.add(status)
                todo.extend(CONTACT_NEXT[status])
        out[start] = seen
    return out


REACHABLE = _reachable()


@dataclass
class ContactRow:
    case_number: str
    id_number: str
    degree: str
    via_id_number: str
    relation: str
    last_exposure_on: dt.date | None
    identified_at: dt.datetime | None
    status: str
    status_at: dt.datetime | None
    old: tuple[Any, ...] | None = None  # (pk, degree, status, identified_at)
    case: CaseRef | None = None
    person: PersonRef | None = None


class Contacts(Kind):
    name = "contacts"
    title = gettext_lazy("Contacts")
    columns = Columns(
        names=(
            "case_number",
            "id_number",
            "degree",
            "via_id_number",
            "relation",
            "last_exposure_on",
            "identified_at",
            "status",
            "status_at",
        ),
        chinese={
            "case_number": "病例编号",
            "id_number": "身份证号",
            "degree": "类别",
            "via_id_number": "经由密接身份证号",
            "relation": "接触方式",
            "last_exposure_on": "末次接触日期",
            "identified_at": "判定时间",
            "status": "当前状态",
            "status_at": "状态时间",
        },
        aliases={
            "case_number": ("病例编号", "关联病例", "casenumber", "case"),
            "id_number": ("身份证号", "身份证号码", "idnumber", "id"),
            "degree": ("类别", "密接类别", "接触者类别", "degree", "level"),
            "via_id_number": ("经由密接身份证号", "经由", "via", "viaidnumber"),
            "relation": ("接触方式", "暴露方式", "relation"),
            "last_exposure_on": ("末次接触日期", "暴露日期", "lastexposureon", "exposureon"),
            "identified_at": ("判定时间", "发现时间", "identifiedat", "identified"),
            "status": ("当前状态", "状态", "status"),
            "status_at": ("状态时间", "statusat", "changedat"),
        },
        required=("case_number", "id_number", "degree"),
    )
    sample = (
        (
            "XC-001",
            "411002201503150033",
            "密接",
            "",
            "同住",
            "2022-05-03",
            "2022-05-03 12:00",
            "已管控",
            "2022-05-03 18:00",
        ),
    )

    def notes(self) -> dict[str, str]:
        one_of = _("One of: %(values)s")
        return {
            "case_number": _("The source case: in the cases sheet or already registered"),
            "id_number": _("The person's ID number: in the people sheet or already registered"),
            "degree": one_of % {"values": "密接 次密接"},
            "via_id_number": _("For a secondary contact: the close contact of the same case"),
            "relation": one_of % {"values": "同住 同事 共餐 交通 场所 其他"},
            "last_exposure_on": _("Date of last exposure (the exposure date)"),
            "identified_at": _("When the contact was identified, such as 2022-05-03 12:00"),
            "status": one_of % {"values": "已判定 已找到 已管控 已解除 失联"},
            "status_at": _("When the contact took the current status"),
        }

    def parse(self, line: Line) -> None:
        case_number = line.cell("case_number")
        if not case_number:
            line.error("case_number", E_REQUIRED)
        id_number = line.cell("id_number").replace(" ", "").upper()
        if not id_number:
            line.error("id_number", E_REQUIRED)
        degree = line.choice("degree", DEGREE_MAP, Degree.values)
        if not line.cell("degree"):
            line.error("degree", E_REQUIRED)
        relation = line.choice("relation", RELATION_MAP, ExposureRelation.values)
        exposure = line.date("last_exposure_on")
        identified = line.moment("identified_at")
        status = line.choice("status", STATUSES, ContactStatus.values)
        status_at = line.moment("status_at")
        if line.errors:
            return
        line.value = ContactRow(
            case_number=case_number,
            id_number=id_number,
            degree=degree,
            via_id_number=line.cell("via_id_number").replace(" ", "").upper(),
            relation=relation or ExposureRelation.OTHER,
            last_exposure_on=exposure,
            identified_at=identified,
            status=status or ContactStatus.IDENTIFIED,
            status_at=status_at,
        )

    def check(self, lines: list[Line], ctx: Context) -> None:
        rows = [ln.value for ln in lines if ln.value is not None]
        self._load_cases({r.case_number for r in rows} - ctx.cases.keys(), ctx)
        self._load_people({r.id_number for r in rows} - ctx.people.keys() - ctx.outside, ctx)
        existing = self._existing(ctx)
        close_in_file = {(r.case_number, r.id_number) for r in rows if r.degree == Degree.CLOSE}
        secondary_ok = ctx.rules.contacts.secondary_contacts
        first: dict[tuple[str, str], int] = {}
        for line in lines:
            ctx.found.rows[self.name] += 1
            row: ContactRow | None = line.value
            if row is None:
                continue
            key = (row.case_number, row.id_number)
            if key in first:
                line.error(
                    "id_number", E_DUPLICATE_KEY, {"key": "病例编号 + 身份证号", "row": first[key]}
                )
            first.setdefault(key, line.number)
            row.case = ctx.cases.get(row.case_number)
            if row.case is None:
                line.error("case_number", _case_missing(ctx, row.case_number))
            row.person = ctx.people.get(row.id_number)
            if row.person is None:
                line.error("id_number", person_missing(ctx, row.id_number))
            if row.case is None or row.person is None:
                continue
            if row.case.person == row.id_number:
                line.error("id_number", E_OWN_CASE)
            if row.degree == Degree.SECONDARY:
                if not secondary_ok:
                    line.error("degree", E_SECONDARY_OFF)
                elif not row.via_id_number:
                    line.error("via_id_number", E_VIA)
                elif (row.case_number, row.via_id_number) not in close_in_file and existing.get(
                    (row.case_number, row.via_id_number), (None, None)
                )[1] != Degree.CLOSE:
                    line.error("via_id_number", E_VIA_UNKNOWN)
            elif row.via_id_number:
                line.error("via_id_number", E_VIA_CLOSE)
            self._defaults(line, row, ctx)
            self._check_times(line, row, ctx)
            row.old = existing.get(key)
            if row.old is not None:
                self._check_known(line, row)
            if line.errors:
                continue
            ctx.found.status(
                self.name, f"{Degree(row.degree).label} · {ContactStatus(row.status).label}"
            )
            ctx.found.district(self.name, row.person.division_key)
            if row.old is None:
                ctx.found.new[self.name] += 1
            elif row.old[2] != row.status:
                ctx.found.changed[self.name] += 1
            else:
                ctx.found.unchanged[self.name] += 1
        self._check_after_last(lines)

    def _load_cases(self, numbers: set[str], ctx: Context) -> None:
        fields = ("number", "pk", "person__id_number", "division_key", "registered_at")
        for number, pk, person, key, registered_at in lookup(Case, "number", list(numbers), fields):
            if in_scope(ctx.actor, key):
                ctx.cases[number] = CaseRef(number, pk, person, key, registered_at)
            else:
                ctx.outside_cases.add(number)

    def _load_people(self, numbers: set[str], ctx: Context) -> None:
        fields = ("id_number", "pk", "division_key", "birth_date", "name")
        for row in lookup(Resident, "id_number", list(numbers), fields):
            if in_scope(ctx.actor, row[2]):
                ctx.people[row[0]] = PersonRef(*row)
            else:
                ctx.outside.add(row[0])

    def _existing(self, ctx: Context) -> dict[tuple[str, str], tuple[Any, ...]]:
        """(case number, ID number) → (pk, degree, status, identified_at) of the contacts of
        the registered cases the lines name."""
        numbers = {ref.pk: ref.number for ref in ctx.cases.values() if ref.pk is not None}
        out: dict[tuple[str, str], tuple[Any, ...]] = {}
        fields = ("case_id", "person__id_number", "pk", "degree", "status", "identified_at")
        for case_id, number, *rest in lookup(Contact, "case_id", list(numbers), fields):
            out[(numbers[case_id], number)] = tuple(rest)
        return out

    def _defaults(self, line: Line, row: ContactRow, ctx: Context) -> None:
        assert row.case is not None
        found, kind = ctx.found, self.name
        if not line.cell("relation"):
            found.default(kind, "relation", D_RELATION)
        if row.identified_at is None:
            row.identified_at = row.case.registered_at
            found.default(kind, "identified_at", D_IDENTIFIED)
        if row.last_exposure_on is None:
            row.last_exposure_on = timezone.localtime(row.case.registered_at).date()
            found.default(kind, "last_exposure_on", D_EXPOSURE)
        if not line.cell("status"):
            found.default(kind, "status", D_STATUS)
        if row.status_at is None and row.status != ContactStatus.IDENTIFIED:
            row.status_at = row.identified_at
            found.default(kind, "status_at", D_STATUS_AT)

    def _check_times(self, line: Line, row: ContactRow, ctx: Context) -> None:
        assert row.case is not None and row.person is not None
        born = row.person.birth_date
        try:
            dates.check_dates({"last_exposure_on": row.last_exposure_on}, born=born)
            check_happened(
                "identified_at",
                row.identified_at,
                after=((row.case.registered_at, _(IDENTIFIED_BEFORE_CASE)),),
                born=born,
                tolerance=ctx.tolerance,
            )
            if row.status_at is not None and row.status != ContactStatus.IDENTIFIED:
                identified = row.old[3] if row.old else row.identified_at
                check_happened(
                    "status_at",
                    row.status_at,
                    after=((identified, _(E_NOT_YET)),),
                    tolerance=ctx.tolerance,
                )
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                for message in messages:
                    line.error(name, message)

    def _check_known(self, line: Line, row: ContactRow) -> None:
        assert row.old is not None
        _pk, degree, status, _identified = row.old
        if degree != row.degree:
            line.error("degree", E_OTHER_DEGREE)
        elif status != row.status and row.status not in REACHABLE[status]:
            params = {
                "old": str(ContactStatus(status).label).lower(),
                "new": str(ContactStatus(row.status).label).lower(),
            }
            line.error("status", E_UNREACHABLE, params)

    def _check_after_last(self, lines: list[Line]) -> None:
        moving = {
            str(ln.value.old[0]): ln
            for ln in lines
            if ln.value is not None
            and ln.value.old is not None
            and ln.value.old[2] != ln.value.status
            and not ln.errors
        }
        ids = list(moving)
        for start in range(0, len(ids), LOOKUP_BATCH):
            last = (
                changes_of("epi.contact", ["status"])
                .filter(object_id__in=ids[start : start + LOOKUP_BATCH])
                .values("object_id")
                .annotate(last=Max("at"))
                .values_list("object_id", "last")
            )
            for oid, at in last:
                line = moving[oid]
                if line.value.status_at < at:
                    line.error("status_at", E_BEFORE_LAST)

    def write(self, lines: list[Line], ctx: Context) -> None:
        rows: list[ContactRow] = [ln.value for ln in lines if ln.value is not None]
        for r in rows:  # people new in this import have their ids now
            r.person = ctx.people[r.id_number]
        new = [r for r in rows if r.old is None]
        moving = [r for r in rows if r.old is not None and r.old[2] != r.status]
        case_ids = sorted({_pk(r.case) for r in rows})
        now = timezone.now()
        copy_rows(
            Contact,
            CONTACT_FIELDS,
            (_values(r, None, now) for r in new if r.degree == Degree.CLOSE),
        )
        close: dict[tuple[int, str], int] = {}
        if any(r.degree == Degree.SECONDARY for r in new):
            for start in range(0, len(case_ids), LOOKUP_BATCH):
                close.update(
                    ((case_id, number), pk)
                    for case_id, number, pk in Contact.objects.filter(
                        case_id__in=case_ids[start : start + LOOKUP_BATCH], degree=Degree.CLOSE
                    ).values_list("case_id", "person__id_number", "pk")
                )
        copy_rows(
            Contact,
            CONTACT_FIELDS,
            (
                _values(r, close[(_pk(r.case), r.via_id_number)], now)
                for r in new
                if r.degree == Degree.SECONDARY
            ),
        )
        wanted = {(_pk(r.case), _person(r)): r for r in new}
        added: list[tuple[int, ContactRow]] = []
        for pk, case_id, person_id in lookup(
            Contact, "case_id", case_ids, ("pk", "case_id", "person_id")
        ):
            row = wanted.get((case_id, person_id))
            if row is not None:
                added.append((pk, row))
        counted = changes.changing("contact", [r.old[0] for r in moving if r.old])
        by_status: dict[str, list[int]] = defaultdict(list)
        for r in moving:
            assert r.old is not None
            by_status[r.status].append(r.old[0])
        for status, ids in by_status.items():
            for start in range(0, len(ids), CHUNK):
                Contact.objects.filter(pk__in=ids[start : start + CHUNK]).update(status=status)
        ctx.events += events_record_bulk(_events(ctx, added, moving))
        if len(added) + len(moving) >= ANALYZE_AFTER_ROWS:
            # the tally and the health codes read these rows and events back at once: planned
            # with a young table's statistics, PostgreSQL took minutes instead of seconds
            analyze(Contact, Event)
        counted.done()
        changes.added("contact", [pk for pk, _row in added])
        ctx.person_ids.update(_person(r) for r in new)
        ctx.person_ids.update(_person(r) for r in moving)


def _case_missing(ctx: Context, number: str) -> str:
    if number in ctx.outside_cases:
        return E_CASE_OUTSIDE
    return E_CASE_ROW if number in ctx.wrong_cases else E_NO_CASE


def _pk(ref: CaseRef | None) -> int:
    assert ref is not None and ref.pk is not None
    return ref.pk


def _person(row: ContactRow) -> int:
    assert row.person is not None and row.person.pk is not None
    return row.person.pk


def _values(r: ContactRow, via: int | None, now: dt.datetime) -> tuple[Any, ...]:
    assert r.person is not None
    return (
        _pk(r.case),
        _person(r),
        r.degree,
        via,
        r.relation,
        None,  # venue
        None,  # exposure_start
        None,  # exposure_end
        r.last_exposure_on,
        None,  # overlap_minutes
        r.status,
        "",  # note
        r.person.division_key,
        r.identified_at,
        now,
    )


def _events(ctx: Context, added: list[tuple[int, ContactRow]], moving: list[ContactRow]) -> Any:
    user_id, actor_name = actor_columns(ctx.actor)
    labels = {d: str(Degree(d).label) for d in Degree.values}

    def common(pk: int, r: ContactRow) -> dict[str, Any]:
        assert r.person is not None
        return {
            "actor": user_id,
            "actor_name": actor_name,
            "object_type": "epi.contact",
            "object_id": str(pk),
            "object_label": f"{r.person.name} ← {r.case_number}"[:200],
            "person_id": r.person.pk,
            "division_key": r.person.division_key,
            "reason": ctx.reason,
        }

    for pk, r in added:
        yield EventRow(
            at=r.identified_at,
            action="contact.added",
            field="degree",
            to_value=f"{labels[r.degree]} ← {r.case_number}",
            **common(pk, r),
        )
        if r.status != ContactStatus.IDENTIFIED:
            yield EventRow(
                at=r.status_at,
                action="contact.status_changed",
                field="status",
                from_value=ContactStatus.IDENTIFIED,
                to_value=r.status,
                **common(pk, r),
            )
    for r in moving:
        assert r.old is not None
        yield EventRow(
            at=r.status_at,
            action="contact.status_changed",
            field="status",
            from_value=r.old[2],
            to_value=r.status,
            **common(r.old[0], r),
        )


KIND = Contacts()
