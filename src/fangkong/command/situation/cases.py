"""Cases of a situation import: registered, classified, transferred to hospital, closed, each
at the time the line gives.

Natural key: the case number (the city's own numbering, kept as written). A new case is
registered at `registered_at` (its `case.registered` event dated then), transferred at
`transferred_at` and closed at `closed_at` (their status events dated then), so the figures as
of any past moment read the case as it was. A case already registered is matched by number:
the same status is left alone; a later one (reported → transferred → recovered or died) is a
status change dated by the line's time, refused when it would come before the case's last
recorded change.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from fangkong.audit.history import changes_of
from fangkong.audit.services import EventRow, actor_columns, events_record_bulk
from fangkong.command.situation.base import (
    E_DUPLICATE_KEY,
    E_LONG,
    E_OTHER_END,
    E_PERSON_ROW,
    CaseRef,
    Context,
    Kind,
    Line,
    recorded,
)
from fangkong.core import changes, dates
from fangkong.core.access import in_scope
from fangkong.core.bulk import copy_rows
from fangkong.core.tabular import E_REQUIRED, Columns
from fangkong.epi.cases.services import CLOSED_CASE, OPEN_CASE, check_happened
from fangkong.epi.models import Case, CaseKind, CaseStatus, Destination, FoundBy, FoundWhere
from fangkong.people.importing.validation import lookup

E_NO_PERSON = gettext_noop(
    "No person with this ID number in the people sheet or registered in your jurisdiction"
)
E_PERSON_OUTSIDE = gettext_noop("This person is registered outside your jurisdiction")
E_CASE_OUTSIDE = gettext_noop("A case with this number is registered outside your jurisdiction")
E_OTHER_PERSON = gettext_noop("This case number is registered for another person")
E_OTHER_KIND = gettext_noop(
    "The case is registered with another classification: reclassify it on the case's page"
)
E_OPEN_CASE = gettext_noop("This person already has an open case")
E_CLOSED = gettext_noop("A closed case cannot change status")
E_BACKWARDS = gettext_noop("The case is already %(status)s")
E_NEED = gettext_noop("Required when the status is %(status)s")
E_REPORT_OR_TIME = gettext_noop("Give the report date or the registration time")

D_FOUND_BY = gettext_noop("Not given: community screening")
D_FOUND_WHERE = gettext_noop("Not given: in the community")
D_REGISTERED = gettext_noop("Not given: 00:00 of the report date")
D_REPORTED = gettext_noop("Not given: the day of registration")
D_STATUS = gettext_noop("Not given: transferred when a transfer time is given, else reported")
D_OUTCOME = gettext_noop("Not given: the day the case was closed")


def _words(choices: Any, extra: dict[str, str]) -> dict[str, str]:
    out = {v: v for v in choices.values}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            out.update({str(label).lower(): value for value, label in choices.choices})
    return out | extra


KINDS = _words(
    CaseKind,
    {
        "确诊": "confirmed",
        "确诊病例": "confirmed",
        "无症状": "asymptomatic",
        "无症状感染者": "asymptomatic",
    },
)
FOUND_BY = _words(
    FoundBy,
    {
        "社区筛查": "community_screening",
        "社区筛查发现": "community_screening",
        "隔离管控中发现": "in_quarantine",
        "集中隔离": "in_quarantine",
        "入境检测": "arrival_test",
        "落地检": "arrival_test",
        "发热门诊": "fever_clinic",
        "风险岗位": "risk_post",
        "主动就诊": "self_report",
        "自述": "self_report",
    },
)
FOUND_WHERE = _words(
    FoundWhere, {"社会面": "community", "隔离管控": "quarantine", "管控区": "quarantine"}
)
STATUSES = _words(
    CaseStatus,
    {
        "已报告": "reported",
        "已转运": "transferred",
        "治愈出院": "recovered",
        "出院": "recovered",
        "死亡": "died",
    },
)
DESTINATIONS = _words(
    Destination,
    {"定点医院": "designated_hospital", "方舱医院": "shelter_hospital", "方舱": "shelter_hospital"},
)
ORDER = {
    CaseStatus.REPORTED: 0,
    CaseStatus.TRANSFERRED: 1,
    CaseStatus.RECOVERED: 2,
    CaseStatus.DIED: 2,
}


@dataclass
class CaseRow:
    number: str
    id_number: str
    kind: str
    found_by: str
    found_where: str
    sampled_on: dt.date
    onset_on: dt.date | None
    reported_on: dt.date
    registered_at: dt.datetime
    status: str
    destination: str = ""
    destination_name: str = ""
    transferred_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    outcome_on: dt.date | None = None
    old: Any = None  # (pk, person id number, kind, status, transferred_at, division_key)
    moves: list[tuple[str, str, dt.datetime]] = field(default_factory=list)  # old, new, at


class Cases(Kind):
    name = "cases"
    title = gettext_lazy("Cases")
    columns = Columns(
        names=(
            "number",
            "id_number",
            "kind",
            "found_by",
            "found_where",
            "sampled_on",
            "onset_on",
            "reported_on",
            "registered_at",
            "status",
            "destination",
            "destination_name",
            "transferred_at",
            "closed_at",
            "outcome_on",
        ),
        chinese={
            "number": "病例编号",
            "id_number": "身份证号",
            "kind": "病例分类",
            "found_by": "发现途径",
            "found_where": "发现地点",
            "sampled_on": "采样日期",
            "onset_on": "发病日期",
            "reported_on": "报告日期",
            "registered_at": "登记时间",
            "status": "病例状态",
            "destination": "转运去向",
            "destination_name": "收治医院",
            "transferred_at": "转运时间",
            "closed_at": "结案时间",
            "outcome_on": "转归日期",
        },
        aliases={
            "number": ("病例编号", "编号", "casenumber", "number", "case"),
            "id_number": ("身份证号", "身份证号码", "idnumber", "id"),
            "kind": ("病例分类", "分类", "类型", "kind", "classification"),
            "found_by": ("发现途径", "foundby"),
            "found_where": ("发现地点", "发现场所", "foundwhere"),
            "sampled_on": ("采样日期", "sampledon", "sampled"),
            "onset_on": ("发病日期", "onseton", "onset"),
            "reported_on": ("报告日期", "reportedon", "reported"),
            "registered_at": ("登记时间", "报告时间", "registeredat", "registered"),
            "status": ("病例状态", "状态", "status"),
            "destination": ("转运去向", "destination"),
            "destination_name": ("收治医院", "医院", "destinationname", "hospital"),
            "transferred_at": ("转运时间", "transferredat", "transferred"),
            "closed_at": ("结案时间", "closedat", "closed"),
            "outcome_on": ("转归日期", "outcomeon", "outcome"),
        },
        required=("number", "id_number", "kind", "sampled_on"),
    )
    sample = (
        (
            "XC-001",
            "411002198005170014",
            "确诊",
            "社区筛查",
            "社会面",
            "2022-05-02",
            "2022-05-01",
            "2022-05-03",
            "2022-05-03 06:30",
            "已转运",
            "定点医院",
            "许昌市中心医院",
            "2022-05-03 10:00",
            "",
            "",
        ),
    )

    def notes(self) -> dict[str, str]:
        one_of = _("One of: %(values)s")
        return {
            "number": _("The city's own case number, kept as written; the case's key"),
            "id_number": _("The person's ID number: in the people sheet or already registered"),
            "kind": one_of % {"values": "确诊 无症状"},
            "found_by": one_of
            % {"values": "社区筛查 隔离管控中发现 入境检测 发热门诊 风险岗位 主动就诊"},
            "found_where": one_of % {"values": "社会面 隔离管控"},
            "sampled_on": _("Date such as 2022-05-02"),
            "onset_on": _("Date; empty for an asymptomatic infection"),
            "reported_on": _("Date; the report date or the registration time must be given"),
            "registered_at": _("When the case was registered, such as 2022-05-03 06:30"),
            "status": one_of % {"values": "已报告 已转运 治愈出院 死亡"},
            "destination": one_of % {"values": "定点医院 方舱医院"},
            "destination_name": _("The hospital's name; required with a transfer"),
            "transferred_at": _("When the case was transferred (closed loop)"),
            "closed_at": _("When the case was closed (recovered or died)"),
            "outcome_on": _("Date of the outcome"),
        }

    def parse(self, line: Line) -> None:
        number = line.cell("number")
        if not number:
            line.error("number", E_REQUIRED)
        elif len(number) > 40:
            line.error("number", E_LONG, {"max": 40})
        id_number = line.cell("id_number").replace(" ", "").upper()
        if not id_number:
            line.error("id_number", E_REQUIRED)
        kind = line.choice("kind", KINDS, CaseKind.values)
        if not line.cell("kind"):
            line.error("kind", E_REQUIRED)
        found_by = line.choice("found_by", FOUND_BY, FoundBy.values)
        where = line.choice("found_where", FOUND_WHERE, FoundWhere.values)
        sampled = line.date("sampled_on")
        if not line.cell("sampled_on"):
            line.error("sampled_on", E_REQUIRED)
        onset, reported = line.date("onset_on"), line.date("reported_on")
        registered = line.moment("registered_at")
        status = line.choice("status", STATUSES, CaseStatus.values)
        destination = line.choice("destination", DESTINATIONS, Destination.values)
        transferred, closed = line.moment("transferred_at"), line.moment("closed_at")
        outcome = line.date("outcome_on")
        if not line.cell("reported_on") and not line.cell("registered_at"):
            line.error("reported_on", E_REPORT_OR_TIME)
        if line.errors or sampled is None:
            return
        if reported is None:
            assert registered is not None
            reported = timezone.localtime(registered).date()
        if registered is None:
            registered = timezone.make_aware(dt.datetime.combine(reported, dt.time()))
        if not status:
            status = CaseStatus.TRANSFERRED if transferred else CaseStatus.REPORTED
        line.value = CaseRow(
            number=number,
            id_number=id_number,
            kind=kind,
            found_by=found_by or FoundBy.COMMUNITY_SCREENING,
            found_where=where or FoundWhere.COMMUNITY,
            sampled_on=sampled,
            onset_on=onset,
            reported_on=reported,
            registered_at=registered,
            status=status,
            destination=destination,
            destination_name=line.cell("destination_name")[:200],
            transferred_at=transferred,
            closed_at=closed,
            outcome_on=outcome or (timezone.localtime(closed).date() if closed else None),
        )

    def _defaults(self, line: Line, ctx: Context) -> None:
        said = {c for c in self.columns if line.cell(c)}
        for canon, message in (
            ("found_by", D_FOUND_BY),
            ("found_where", D_FOUND_WHERE),
            ("registered_at", D_REGISTERED),
            ("reported_on", D_REPORTED),
            ("status", D_STATUS),
        ):
            if canon not in said:
                ctx.found.default(self.name, canon, message)
        if "outcome_on" not in said and line.value.status in CLOSED_CASE:
            ctx.found.default(self.name, "outcome_on", D_OUTCOME)

    def check(self, lines: list[Line], ctx: Context) -> None:
        found = ctx.found
        numbers = [ln.value.number for ln in lines if ln.value]
        registered = {
            row[0]: row[1:]
            for row in lookup(
                Case,
                "number",
                numbers,
                (
                    "number",
                    "pk",
                    "person__id_number",
                    "kind",
                    "status",
                    "transferred_at",
                    "division_key",
                    "registered_at",
                ),
            )
        }
        people = [ln.value.id_number for ln in lines if ln.value]
        open_cases = {
            row[0]: row[1]
            for row in lookup(
                Case, "person__id_number", people, ("person__id_number", "number", "status")
            )
            if row[2] in OPEN_CASE
        }
        first: dict[str, int] = {}
        first_person: dict[str, int] = {}
        for line in lines:
            found.rows[self.name] += 1
            row: CaseRow | None = line.value
            if row is None:
                continue
            if row.number in first:
                line.error("number", E_DUPLICATE_KEY, {"key": "病例编号", "row": first[row.number]})
            first.setdefault(row.number, line.number)
            if row.id_number in first_person:
                line.error(
                    "id_number",
                    E_DUPLICATE_KEY,
                    {"key": "身份证号", "row": first_person[row.id_number]},
                )
            first_person.setdefault(row.id_number, line.number)
            self._defaults(line, ctx)
            person = ctx.people.get(row.id_number)
            if person is None:
                line.error("id_number", person_missing(ctx, row.id_number))
                continue
            self._check_times(line, row, ctx, person.birth_date)
            old = registered.get(row.number)
            if old is not None:
                self._check_known(line, row, old, ctx)
            elif open_cases.get(row.id_number) not in (None, row.number):
                line.error("id_number", E_OPEN_CASE)
            if line.errors:
                continue
            key = old[5] if old is not None else person.division_key
            at = old[6] if old is not None else row.registered_at
            ctx.cases[row.number] = CaseRef(
                row.number, old[0] if old else None, row.id_number, key, at
            )
            found.status(self.name, str(CaseStatus(row.status).label))
            found.district(self.name, key)
            if old is None:
                found.new[self.name] += 1
            elif row.moves:
                found.changed[self.name] += 1
            else:
                found.unchanged[self.name] += 1
        self._check_after_last(lines)
        ctx.wrong_cases.update(ln.cell("number") for ln in lines if ln.errors)

    def _check_times(self, line: Line, row: CaseRow, ctx: Context, born: dt.date) -> None:
        tolerance = ctx.tolerance
        try:
            dates.check_dates(
                {
                    "sampled_on": row.sampled_on,
                    "onset_on": row.onset_on,
                    "reported_on": row.reported_on,
                },
                born=born,
            )
            if row.sampled_on > row.reported_on:
                raise _field("sampled_on", _("Sampling cannot be after the report date"))
            if row.onset_on is not None and row.onset_on > row.reported_on:
                raise _field("onset_on", _("Onset cannot be after the report date"))
            check_happened(
                "registered_at",
                row.registered_at,
                after=((row.sampled_on, _("A case is registered after its sample was taken")),),
                tolerance=tolerance,
            )
            if row.status in (CaseStatus.TRANSFERRED,) or row.transferred_at:
                for canon in ("transferred_at", "destination", "destination_name"):
                    if not getattr(row, canon):
                        raise _field(canon, _(E_NEED) % {"status": CaseStatus.TRANSFERRED.label})
                check_happened(
                    "transferred_at",
                    row.transferred_at,
                    born=born,
                    after=(
                        (row.sampled_on, _("The transfer cannot be before sampling")),
                        (row.reported_on, _("The transfer cannot be before the report")),
                        (row.registered_at, _("The case was not registered yet")),
                    ),
                    tolerance=tolerance,
                )
            if row.status in CLOSED_CASE:
                if row.closed_at is None:
                    raise _field("closed_at", _(E_NEED) % {"status": CaseStatus(row.status).label})
                assert row.outcome_on is not None
                dates.check_date("outcome_on", row.outcome_on)
                if row.outcome_on < row.sampled_on:
                    raise _field("outcome_on", _("The outcome cannot be before sampling"))
                check_happened(
                    "closed_at",
                    row.closed_at,
                    after=(
                        (row.outcome_on, _("The case cannot be closed before its outcome date")),
                        (row.registered_at, _("The case was not registered yet")),
                        (row.transferred_at, _("The case cannot be closed before its transfer")),
                    ),
                    tolerance=tolerance,
                )
            elif row.closed_at is not None:
                raise _field("status", _("Give the outcome (recovered or died) of a closed case"))
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                for message in messages:
                    line.error(name, message)

    def _check_known(self, line: Line, row: CaseRow, old: tuple[Any, ...], ctx: Context) -> None:
        _pk, person, kind, status, transferred_at, key, _registered = old
        if not in_scope(ctx.actor, key):
            line.error("number", E_CASE_OUTSIDE)
            return
        if person != row.id_number:
            line.error("id_number", E_OTHER_PERSON)
        if kind != row.kind:
            line.error("kind", E_OTHER_KIND)
        row.old = old
        if transferred_at is not None and row.transferred_at not in (None, transferred_at):
            line.error("transferred_at", E_OTHER_END, {"at": recorded(transferred_at)})
        if status == row.status:
            return
        if status in CLOSED_CASE:
            line.error("status", E_CLOSED)
        elif ORDER[CaseStatus(row.status)] < ORDER[CaseStatus(status)]:
            line.error("status", E_BACKWARDS, {"status": str(CaseStatus(status).label)})
        else:
            row.moves = _moves(status, row, transferred_at)

    def _check_after_last(self, lines: list[Line]) -> None:
        """A change of a registered case is not dated before its last recorded change."""
        moving = {
            str(ln.value.old[0]): ln
            for ln in lines
            if ln.value and ln.value.moves and not ln.errors
        }
        if not moving:
            return
        last: dict[str, dt.datetime] = {}
        for oid, at in (
            changes_of("epi.case", ["status"])
            .filter(object_id__in=list(moving))
            .values_list("object_id", "at")
        ):
            last[oid] = max(at, last.get(oid, at))
        for oid, line in moving.items():
            first_move = line.value.moves[0]
            if oid in last and first_move[2] < last[oid]:
                canon = "transferred_at" if first_move[1] == CaseStatus.TRANSFERRED else "closed_at"
                line.error(canon, _("This is before the case's last recorded change"))

    def write(self, lines: list[Line], ctx: Context) -> None:
        rows: list[CaseRow] = [ln.value for ln in lines if ln.value]
        new = [r for r in rows if r.old is None]
        moving = [r for r in rows if r.old is not None and r.moves]
        now = timezone.now()
        people = {r.id_number: ctx.people[r.id_number] for r in rows}
        copy_rows(
            Case,
            CASE_FIELDS,
            (
                (
                    r.number,
                    people[r.id_number].pk,
                    r.kind,
                    r.found_by,
                    r.found_where,
                    r.sampled_on,
                    r.onset_on,
                    r.reported_on,
                    r.status,
                    r.destination,
                    r.destination_name,
                    r.transferred_at,
                    r.outcome_on if r.status in CLOSED_CASE else None,
                    r.registered_at,
                    people[r.id_number].division_key,
                    now,
                )
                for r in new
            ),
        )
        ids = dict(lookup(Case, "number", [r.number for r in rows], ("number", "pk")))
        for r in rows:
            ctx.cases[r.number].pk = ids[r.number]
        for r in new:
            r.moves = _moves(CaseStatus.REPORTED, r, None)
        counted = changes.changing("case", [ids[r.number] for r in moving])
        transfers = [r for r in moving if any(m[1] == CaseStatus.TRANSFERRED for m in r.moves)]
        if transfers:
            Case.objects.bulk_update(
                [
                    Case(
                        pk=ids[r.number],
                        status=CaseStatus.TRANSFERRED,
                        transferred_at=r.transferred_at,
                        destination=r.destination,
                        destination_name=r.destination_name,
                    )
                    for r in transfers
                ],
                ["status", "transferred_at", "destination", "destination_name"],
            )
        closes = [r for r in moving if r.status in CLOSED_CASE]
        if closes:
            Case.objects.bulk_update(
                [Case(pk=ids[r.number], status=r.status, outcome_on=r.outcome_on) for r in closes],
                ["status", "outcome_on"],
            )
        ctx.events += events_record_bulk(_events(ctx, rows, ids, new))
        counted.done()
        changes.added("case", [ids[r.number] for r in new])
        ctx.person_ids.update(
            pk for r in rows if (r.old is None or r.moves) and (pk := people[r.id_number].pk)
        )


CASE_FIELDS = (
    "number",
    "person",
    "kind",
    "found_by",
    "found_where",
    "sampled_on",
    "onset_on",
    "reported_on",
    "status",
    "destination",
    "destination_name",
    "transferred_at",
    "outcome_on",
    "registered_at",
    "division_key",
    "created_at",
)


def person_missing(ctx: Context, id_number: str) -> str:
    """Why a line's person is not known: outside, wrong in the people sheet, or nowhere."""
    if id_number in ctx.outside:
        return E_PERSON_OUTSIDE
    return E_PERSON_ROW if id_number in ctx.wrong_people else E_NO_PERSON


def _field(name: str, message: Any) -> ValidationError:
    return ValidationError({name: [ValidationError(str(message))]})


def _moves(
    old: str, row: CaseRow, transferred_at: dt.datetime | None
) -> list[tuple[str, str, dt.datetime]]:
    """The status changes from `old` to the line's status, each at the line's time."""
    moves = []
    status = old
    if status == CaseStatus.REPORTED and row.transferred_at and transferred_at is None:
        moves.append((status, str(CaseStatus.TRANSFERRED), row.transferred_at))
        status = CaseStatus.TRANSFERRED
    if row.status in CLOSED_CASE and row.closed_at is not None:
        moves.append((status, row.status, row.closed_at))
    return moves


def _events(ctx: Context, rows: list[CaseRow], ids: dict[str, int], new: list[CaseRow]) -> Any:
    user_id, actor_name = actor_columns(ctx.actor)
    fresh = {r.number for r in new}
    for r in rows:
        person = ctx.people[r.id_number]
        common: dict[str, Any] = {
            "actor": user_id,
            "actor_name": actor_name,
            "object_type": "epi.case",
            "object_id": str(ids[r.number]),
            "object_label": f"{r.number} {person.name}"[:200],
            "person_id": person.pk,
            "division_key": ctx.cases[r.number].division_key,
            "reason": ctx.reason,
        }
        if r.number in fresh:
            yield EventRow(
                at=r.registered_at,
                action="case.registered",
                field="kind",
                to_value=r.kind,
                **common,
            )
        for old, status, at in r.moves:
            if status == CaseStatus.TRANSFERRED:
                where = f"{Destination(r.destination).label} {r.destination_name}".strip()
                yield EventRow(
                    at=at, action="case.transferred", field="destination", to_value=where, **common
                )
                yield EventRow(
                    at=at,
                    action="case.transferred",
                    field="status",
                    from_value=old,
                    to_value=status,
                    **common,
                )
            else:
                yield EventRow(
                    at=at,
                    action="case.closed",
                    field="status",
                    from_value=old,
                    to_value=status,
                    **common,
                )


KIND = Cases()
