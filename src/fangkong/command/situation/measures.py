"""People under measures of a situation import: each person's measure, its category, when it
started and, when it has ended, when and how.

Natural key: the person and the start time. A person already under a measure of the same
category started at the same time is matched and left alone; a person under another open
measure is refused (close it on the person's page first). A new measure is started through
the quarantine service's bulk start (`measures_start_bulk`): the phases and test days planned
by the policy in force at its start, counted from the anchor day (the last exposure; when not
given, the day the measure started, and the preview says so), its `measure.started` event
dated when it started. An ended measure is then closed, its `measure.closed` event dated when
it ended, its test days still due dropped.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from fangkong.audit.services import EventRow, actor_columns, events_record_bulk
from fangkong.command.situation.base import (
    E_DUPLICATE_KEY,
    Context,
    Kind,
    Line,
    PersonRef,
    before_last,
    last_changes,
    later_fact,
)
from fangkong.command.situation.cases import person_missing
from fangkong.core import changes, dates
from fangkong.core.access import in_scope
from fangkong.core.db import in_ids
from fangkong.core.tabular import E_REQUIRED, Columns
from fangkong.people.importing.validation import lookup
from fangkong.people.models import Resident
from fangkong.quarantine.measures.services import MeasureStart, measures_start_bulk
from fangkong.quarantine.models import (
    Category,
    DueTestStatus,
    Measure,
    MeasureStatus,
    ScheduledTest,
)

E_OTHER_MEASURE = gettext_noop(
    "This person is already under another measure (%(category)s since %(since)s)"
)
E_ANCHOR = gettext_noop("The measure cannot start before its anchor day")
E_CLOSED_BEFORE = gettext_noop("A measure cannot end before it started")
E_END_STATUS = gettext_noop("Give the time the measure ended")
E_OTHER_END_STATUS = gettext_noop("The measure ended otherwise: %(status)s, as recorded")

D_ANCHOR = gettext_noop("Not given: the day the measure started")
D_END_STATUS = gettext_noop("Not given: released")
D_KNOWN = gettext_noop("Already under this measure: matched by person and start, kept")


def _words(choices: Any, extra: dict[str, str]) -> dict[str, str]:
    out = {v: v for v in choices.values}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            out.update({str(label).lower(): value for value, label in choices.choices})
    return out | extra


CATEGORIES = _words(
    Category,
    {
        "密接": "close_contact",
        "密切接触者": "close_contact",
        "次密接": "secondary_contact",
        "密接的密接": "secondary_contact",
        "高风险区来返": "high_risk_area_leaver",
        "入境人员": "inbound_traveller",
        "风险岗位": "risk_post_leaver",
    },
)
END_STATUSES = _words(
    MeasureStatus, {"解除": "released", "已解除": "released", "转运": "transferred"}
)
END_STATUSES.pop(MeasureStatus.ACTIVE, None)


@dataclass(frozen=True)
class MeasureRef:
    """A person's measure a stay may name: registered (pk) or new in this import."""

    pk: int | None
    started_at: dt.datetime
    closed_at: dt.datetime | None


@dataclass
class MeasureRow:
    id_number: str
    category: str
    started_at: dt.datetime
    anchor_on: dt.date
    closed_at: dt.datetime | None
    status: str
    known: bool = False
    ending: bool = False  # a registered measure the line ends (a later fact)


class Measures(Kind):
    name = "measures"
    title = gettext_lazy("People under measures")
    columns = Columns(
        names=("id_number", "category", "started_at", "anchor_on", "closed_at", "end_status"),
        chinese={
            "id_number": "身份证号",
            "category": "管控类别",
            "started_at": "开始时间",
            "anchor_on": "起算日期",
            "closed_at": "解除时间",
            "end_status": "解除方式",
        },
        aliases={
            "id_number": ("身份证号", "身份证号码", "idnumber", "id"),
            "category": ("管控类别", "人员类别", "类别", "category"),
            "started_at": ("开始时间", "管控时间", "startedat", "started"),
            "anchor_on": ("起算日期", "末次暴露日期", "anchoron", "anchor"),
            "closed_at": ("解除时间", "结束时间", "closedat", "closed"),
            "end_status": ("解除方式", "endstatus"),
        },
        required=("id_number", "category", "started_at"),
    )
    sample = (("411002198005170014", "密接", "2022-05-03 12:00", "2022-05-02", "", ""),)

    def notes(self) -> dict[str, str]:
        one_of = _("One of: %(values)s")
        return {
            "id_number": _("The person's ID number: in the people sheet or already registered"),
            "category": one_of % {"values": "密接 次密接 高风险区来返 入境人员 风险岗位"},
            "started_at": _("When the measure started, such as 2022-05-03 12:00"),
            "anchor_on": _("The day the policy's days count from (the last exposure)"),
            "closed_at": _("When the measure ended; empty while it lasts"),
            "end_status": one_of % {"values": "解除 转运 结束"},
        }

    def parse(self, line: Line) -> None:
        id_number = line.cell("id_number").replace(" ", "").upper()
        if not id_number:
            line.error("id_number", E_REQUIRED)
        category = line.choice("category", CATEGORIES, Category.values)
        if not line.cell("category"):
            line.error("category", E_REQUIRED)
        started = line.moment("started_at")
        if not line.cell("started_at"):
            line.error("started_at", E_REQUIRED)
        anchor = line.date("anchor_on")
        closed = line.moment("closed_at")
        status = line.choice(
            "end_status",
            END_STATUSES,
            [MeasureStatus.RELEASED, MeasureStatus.TRANSFERRED, MeasureStatus.ENDED],
        )
        if status and closed is None and not line.cell("closed_at"):
            line.error("closed_at", E_END_STATUS)
        if line.errors or started is None:
            return
        line.value = MeasureRow(
            id_number=id_number,
            category=category,
            started_at=started,
            anchor_on=anchor or timezone.localtime(started).date(),
            closed_at=closed,
            status=(status or MeasureStatus.RELEASED) if closed else MeasureStatus.ACTIVE,
        )

    def check(self, lines: list[Line], ctx: Context) -> None:
        found = ctx.found
        wanted = {ln.value.id_number for ln in lines if ln.value} - set(ctx.people)
        load_people(wanted, ctx)
        numbers = [ln.value.id_number for ln in lines if ln.value]
        existing: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        fields = (
            *("person__id_number", "pk", "category", "status"),
            *("started_at", "closed_at", "starts_on"),
        )
        for number, *rest in lookup(Measure, "person__id_number", numbers, fields):
            existing[number].append(tuple(rest))
        first: dict[str, int] = {}
        ending: dict[int, Line] = {}
        for line in lines:
            found.rows[self.name] += 1
            row: MeasureRow | None = line.value
            if row is None:
                continue
            if row.id_number in first:
                line.error(
                    "id_number", E_DUPLICATE_KEY, {"key": "身份证号", "row": first[row.id_number]}
                )
                continue
            first[row.id_number] = line.number
            person = ctx.people.get(row.id_number)
            if person is None:
                line.error("id_number", person_missing(ctx, row.id_number))
                continue
            same = [m for m in existing[row.id_number] if m[3] == row.started_at]
            if same:
                row.known = True
                pk, _c, status, started, closed, _s = same[0]
                row.ending = self._ends(line, row, status, closed, ctx)
                ctx.measures[row.id_number] = MeasureRef(
                    pk, started, row.closed_at if row.ending else closed
                )
                if row.ending:
                    ending[pk] = line
                    continue
                if not line.errors:
                    found.unchanged[self.name] += 1
                    found.default(self.name, "id_number", D_KNOWN)
                continue
            open_ = [m for m in existing[row.id_number] if m[2] == MeasureStatus.ACTIVE]
            if open_:
                params = {
                    "category": str(Category(open_[0][1]).label),
                    "since": open_[0][5].isoformat(),
                }
                line.error("id_number", E_OTHER_MEASURE, params)
                continue
            self._check_times(line, row, ctx, person)
            if line.errors:
                continue
            if not line.cell("anchor_on"):
                found.default(self.name, "anchor_on", D_ANCHOR)
            if row.closed_at and not line.cell("end_status"):
                found.default(self.name, "end_status", D_END_STATUS)
            ctx.measures[row.id_number] = MeasureRef(None, row.started_at, row.closed_at)
            found.new[self.name] += 1
            found.status(self.name, str(MeasureStatus(row.status).label))
            found.district(self.name, person.division_key)
        self._ending(ending, ctx)
        ctx.wrong_measures.update(
            ln.cell("id_number").replace(" ", "").upper() for ln in lines if ln.errors
        )

    def _ends(
        self, line: Line, row: MeasureRow, status: str, closed: dt.datetime | None, ctx: Context
    ) -> bool:
        """A registered measure the line now says has ended: applied as a later fact."""
        said = line.cell("end_status")
        if closed is not None and row.closed_at == closed and said and row.status != status:
            params = {"status": str(MeasureStatus(status).label)}
            line.error("end_status", E_OTHER_END_STATUS, params)
        if status != MeasureStatus.ACTIVE and closed is None:
            return False
        return later_fact(
            line,
            "closed_at",
            given=row.closed_at,
            known=closed,
            after=((row.started_at, _(E_CLOSED_BEFORE)),),
            tolerance=ctx.tolerance,
        )

    def _ending(self, ending: dict[int, Line], ctx: Context) -> None:
        """The measures the lines end: not before their last recorded change; counted."""
        last = last_changes("quarantine.measure", list(ending))
        for pk, line in ending.items():
            row: MeasureRow = line.value
            assert row.closed_at is not None
            before_last(line, "closed_at", row.closed_at, last.get(pk))
            if line.errors:
                row.ending = False
                continue
            if not line.cell("end_status"):
                ctx.found.default(self.name, "end_status", D_END_STATUS)
            ctx.found.changed[self.name] += 1
            ctx.found.status(self.name, str(MeasureStatus(row.status).label))
            ctx.found.district(self.name, ctx.people[row.id_number].division_key)

    def _check_times(self, line: Line, row: MeasureRow, ctx: Context, person: PersonRef) -> None:
        try:
            dates.check_date("anchor_on", row.anchor_on)
            dates.check_happened(
                "started_at",
                row.started_at,
                tolerance=ctx.tolerance,
                born=person.birth_date,
                after=((row.anchor_on, _(E_ANCHOR)),),
            )
            if row.closed_at is not None:
                dates.check_happened(
                    "closed_at",
                    row.closed_at,
                    tolerance=ctx.tolerance,
                    after=((row.started_at, _(E_CLOSED_BEFORE)),),
                )
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                for message in messages:
                    line.error(name, message)

    def write(self, lines: list[Line], ctx: Context) -> None:
        ending: list[MeasureRow] = [ln.value for ln in lines if ln.value and ln.value.ending]
        self._close(ending, ctx)
        ctx.person_ids.update(_pk(ctx.people[r.id_number]) for r in ending)
        rows: list[MeasureRow] = [ln.value for ln in lines if ln.value and not ln.value.known]
        if not rows:
            return
        groups: dict[str, list[MeasureRow]] = defaultdict(list)
        for r in rows:  # the bulk start takes one category a batch, each row its own time
            groups[r.category].append(r)
        measure_of: dict[int, int] = {}
        for category, group in sorted(groups.items()):
            starts = [
                MeasureStart(
                    person_id=_pk(ctx.people[r.id_number]),
                    division_key=ctx.people[r.id_number].division_key,
                    anchor_on=r.anchor_on,
                    source="situation",
                    name=ctx.people[r.id_number].name,
                    started_at=r.started_at,
                )
                for r in group
            ]
            measure_of |= measures_start_bulk(
                actor=ctx.actor,
                category=category,
                starts=starts,
                note=ctx.reason,
                check_scope=False,  # the people were checked in scope above
            )
            ctx.events += len(starts)
        for r in rows:
            pk = measure_of[_pk(ctx.people[r.id_number])]
            ctx.measures[r.id_number] = MeasureRef(pk, r.started_at, r.closed_at)
        self._close([r for r in rows if r.closed_at is not None], ctx)
        ctx.person_ids.update(_pk(ctx.people[r.id_number]) for r in rows)

    def _close(self, rows: list[MeasureRow], ctx: Context) -> None:
        if not rows:
            return
        ids = {r.id_number: ctx.measures[r.id_number].pk for r in rows}
        counted = changes.changing("measure", list(ids.values()))
        Measure.objects.bulk_update(
            [Measure(pk=ids[r.id_number], status=r.status, closed_at=r.closed_at) for r in rows],
            ["status", "closed_at"],
            batch_size=2000,
        )
        ScheduledTest.objects.filter(
            measure_id__in=in_ids(list(ids.values())), status=DueTestStatus.DUE
        ).delete()
        user_id, actor_name = actor_columns(ctx.actor)
        ctx.events += events_record_bulk(
            EventRow(
                at=r.closed_at,
                actor=user_id,
                actor_name=actor_name,
                action="measure.closed",
                object_type="quarantine.measure",
                object_id=str(ids[r.id_number]),
                object_label=f"{ctx.people[r.id_number].name} · {Category(r.category).label}"[:200],
                person_id=ctx.people[r.id_number].pk,
                division_key=ctx.people[r.id_number].division_key,
                field="status",
                from_value=MeasureStatus.ACTIVE,
                to_value=r.status,
                reason=ctx.reason,
            )
            for r in rows
            if r.closed_at is not None
        )
        counted.done()


def _pk(person: PersonRef) -> int:
    assert person.pk is not None
    return person.pk


def load_people(numbers: set[str], ctx: Context) -> None:
    """Registered people the lines name and the people sheet does not, within scope."""
    fields = ("id_number", "pk", "division_key", "birth_date", "name")
    for row in lookup(Resident, "id_number", sorted(numbers), fields):
        if in_scope(ctx.actor, row[2]):
            ctx.people[row[0]] = PersonRef(*row)
        else:
            ctx.outside.add(row[0])


KIND = Measures()
