"""Issuing the daily report, re-issuing it after late entries, and what changed between issues.

`report_issue` takes the report of a day as of its report time (the policy's
`reporting.report_hour`, e.g. "截至…8时") and keeps it as issued (`ReportIssue`): the figures as
structured data (`snapshot`), the text in every language, who issued it, when it was recorded
and under which policy version. Issuing the same day again (after facts were entered late)
makes the next issue; `changes` compares two issues figure by figure and place by place, and
`Changed.words` says each change in the reader's language ("许昌市确诊病例由4变为5。").

Issues are read as issued (`IssueView`): the page, the PDF and the XLSX of an issue never
recompute a figure. A reader sees the parts of an issue their role may see of the report now
(`sections_for`), within their jurisdiction (an outsider finds nothing).
"""

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from fangkong.audit.services import event_record
from fangkong.command import report as reporting
from fangkong.command.figures import sections_for, situation
from fangkong.command.models import ReportIssue
from fangkong.command.places import Node
from fangkong.core.access import Cap, key_filter, require, scope_key
from fangkong.core.errors import field_error
from fangkong.core.pdf import html_to_pdf_cached
from fangkong.core.tabular import xlsx_append
from fangkong.policy.audit_labels import profile_label

ISSUED = "command.report_issued"
REISSUED = "command.report_reissued"
CHANGE = "~change"  # a line's change in 24 hours, as a figure of its own (`confirmed~change`)


def languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def _in_each_language[T](make: Callable[[], T]) -> dict[str, T]:
    out = {}
    for language in languages():
        with translation.override(language):
            out[language] = make()
    return out


def _language(stored: dict[str, Any]) -> Any:
    """What `stored` (by language) holds for the reader's language, or the first it has."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    if language in stored:
        return stored[language]
    return next(iter(stored.values()))


# What is kept --------------------------------------------------------------------------------


def snapshot(report: reporting.Report) -> tuple[list[str], dict[str, Any], dict[str, Any]]:
    """The report as it is kept: its sections, its figures (totals, the headline lines with
    their labels in every language, the table by place) and its text in every language."""
    s = report.situation
    lines = reporting.headline_rows(s)
    line_labels = _in_each_language(
        lambda: [
            (
                str(line.label),
                _("%(figure)s, change in 24 hours") % {"figure": line.label},
            )
            for line in reporting.headline_rows(s)
        ]
    )
    columns = reporting.area_columns(s)
    column_labels = _in_each_language(
        lambda: [(str(c[0]), _("%(figure)s, new") % {"figure": c[0]}) for c in columns]
    )
    figures = {
        "total": {name: int(value) for name, value in s.total.items()},
        "lines": [
            {
                "key": line.key,
                "section": line.section,
                "value": line.value,
                "change": line.change,
                "label": {lang: labels[i][0] for lang, labels in line_labels.items()},
                "change_label": {lang: labels[i][1] for lang, labels in line_labels.items()},
            }
            for i, line in enumerate(lines)
        ],
        "columns": [
            {
                "figure": figure,
                "new": new,
                "section": section,
                "label": {lang: labels[i][0] for lang, labels in column_labels.items()},
                "new_label": {lang: labels[i][1] for lang, labels in column_labels.items()},
            }
            for i, (_label, figure, new, section) in enumerate(columns)
        ],
        "areas": [
            {
                "key": a.key,
                "code": a.division.code if a.division else "",
                "name": a.name,
                "values": [[value, new] for value, new in cells],
            }
            for a, cells in reporting.area_rows(s)
        ],
    }
    text = _in_each_language(
        lambda: {
            "title": report.title,
            "heading": report.as_of,
            "paragraphs": [
                {"section": section, "text": words}
                for section, words in reporting.sectioned_paragraphs(report)
            ],
        }
    )
    return sorted(s.sections), figures, text


# What changed --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    place: str  # the place's name
    label: str  # the figure's name in the reader's language
    value: int
    signed: bool  # a change over 24 hours (+3), not a count


def _signed(n: int) -> str:
    return f"+{n}" if n > 0 else (f"−{-n}" if n < 0 else "±0")


@dataclass(frozen=True)
class Changed:
    place_key: str
    figure: str
    place: str
    label: str
    old: int | None  # None: not in the earlier issue
    new: int | None  # None: not in the later one
    signed: bool = False

    def _number(self, n: int) -> str:
        return _signed(n) if self.signed else str(n)

    @property
    def words(self) -> str:
        """The change in a sentence of the reader's language."""
        names = {"place": self.place, "figure": self.label}
        if self.old is None and self.new is not None:
            return _("%(figure)s (%(place)s): not in the earlier issue, now %(new)s.") % {
                **names,
                "new": self._number(self.new),
            }
        if self.new is None and self.old is not None:
            return _("%(figure)s (%(place)s): was %(old)s, no longer listed.") % {
                **names,
                "old": self._number(self.old),
            }
        assert self.old is not None and self.new is not None
        return _("%(figure)s (%(place)s): was %(old)s, now %(new)s.") % {
            **names,
            "old": self._number(self.old),
            "new": self._number(self.new),
        }


def cells(issue: ReportIssue, sections: set[str]) -> dict[tuple[str, str], Cell]:
    """Every figure of `issue` in `sections`, by (place key, figure)."""
    f = issue.figures
    out: dict[tuple[str, str], Cell] = {}
    for line in f["lines"]:
        if line["section"] not in sections:
            continue
        key = (issue.division_key, line["key"])
        out[key] = Cell(issue.place_name, _language(line["label"]), line["value"], False)
        if line["change"] is not None:
            out[(issue.division_key, line["key"] + CHANGE)] = Cell(
                issue.place_name, _language(line["change_label"]), line["change"], True
            )
    for area in f["areas"]:
        for column, (value, new) in zip(f["columns"], area["values"], strict=True):
            if column["section"] not in sections:
                continue
            out[(area["key"], column["figure"])] = Cell(
                area["name"], _language(column["label"]), value, False
            )
            if column["new"]:
                out[(area["key"], column["new"])] = Cell(
                    area["name"], _language(column["new_label"]), new, False
                )
    return out


def changes(earlier: ReportIssue, later: ReportIssue, sections: set[str]) -> list[Changed]:
    """The figures of `later` that differ from `earlier` (in the later issue's order, then
    those only the earlier one had); nothing that stayed the same."""
    before, after = cells(earlier, sections), cells(later, sections)
    out = []
    for key, now in after.items():
        was = before.get(key)
        if was is None or was.value != now.value:
            out.append(
                Changed(
                    key[0],
                    key[1],
                    now.place,
                    now.label,
                    was.value if was else None,
                    now.value,
                    now.signed,
                )
            )
    for key, was in before.items():
        if key not in after:
            out.append(Changed(key[0], key[1], was.place, was.label, was.value, None, was.signed))
    return out


# Issuing -------------------------------------------------------------------------------------


def report_issue(*, actor: Any, node: Node, day: dt.date, reason: str = "") -> ReportIssue:
    """Issue the report of `day` for `node` as of its report time, as `actor` sees it: the
    first issue, or (with a reason) the next one. One audited event."""
    require(actor, Cap.REPORT_ISSUE)
    reason = reason.strip()
    policy = reporting.policy_for_day(day)
    hour = policy.rules.reporting.report_hour
    at = reporting.cut_off(day, hour)
    if at > timezone.now():
        raise field_error(
            "day",
            _("The report of %(day)s can be issued from %(hour)s:00, its report time.")
            % {"day": formats.date_format(day, "DATE_FORMAT"), "hour": hour},
        )
    report = reporting.Report(situation(actor, node, at), day, hour)
    sections, figures, text = snapshot(report)
    name = getattr(actor, "get_username", lambda: str(actor))()
    full = getattr(actor, "get_full_name", lambda: "")() or name
    try:
        with transaction.atomic():
            issued = ReportIssue.objects.select_for_update().filter(division_key=node.key, day=day)
            previous = issued.order_by("-number").first()
            if previous is not None and not reason:
                raise field_error(
                    "reason",
                    _("Say why the report of this day is issued again (e.g. late entries)."),
                )
            issue = ReportIssue.objects.create(
                division_key=node.key,
                place_code=node.code,
                place_name=node.name,
                day=day,
                hour=hour,
                as_of=at,
                number=previous.number + 1 if previous else 1,
                sections=sections,
                figures=figures,
                text=text,
                profile_code=policy.profile.code,
                profile_version=policy.profile.version,
                reason=reason,
                issued_by=actor if getattr(actor, "is_authenticated", False) else None,
                issued_by_name=full[:150],
            )
            changed = len(changes(previous, issue, set(sections))) if previous is not None else None
            event_record(
                actor=actor,
                action=REISSUED if previous else ISSUED,
                obj=issue,
                division_key=node.key,
                reason=reason,
                at=issue.recorded_at,
                data={
                    "place": node.key,
                    "day": day.isoformat(),
                    "hour": hour,
                    "as_of": at.isoformat(),
                    "number": issue.number,
                    "profile": issue.profile,
                    "changed_since_previous": changed,
                },
            )
    except IntegrityError as exc:  # issued at the same moment by someone else
        raise field_error("day", _("This day was issued at the same moment; try again.")) from exc
    return issue


# Reading -------------------------------------------------------------------------------------


def issues_of(user: Any, node: Node, day: dt.date | None = None) -> QuerySet[ReportIssue]:
    """The issues of `node` (the caller's, or a place within it: `node_for` scopes), of one
    day or all, newest day first."""
    require(user, Cap.CASES_VIEW)
    qs = ReportIssue.objects.filter(division_key=node.key)
    if day is not None:
        qs = qs.filter(day=day)
    return qs.order_by("-day", "-number")


def issue_for(user: Any, pk: int) -> ReportIssue:
    """One issue within the caller's jurisdiction, else a 404."""
    require(user, Cap.CASES_VIEW)
    issue = (
        ReportIssue.objects.filter(key_filter(scope_key(user), "division_key"))
        .filter(pk=pk)
        .first()
    )
    if issue is None:
        raise Http404
    return issue


@dataclass(frozen=True)
class _Head:
    title: str
    as_of: str


@dataclass(frozen=True)
class _Place:
    name: str
    key: str = ""
    code: str = ""


@dataclass(frozen=True)
class _Situation:
    node: _Place
    total: dict[str, int]


@dataclass
class IssueView:
    """An issue as a reader sees it: the parts their role may see, in their language, with
    what changed since the first issue of the day and since the one before."""

    issue: ReportIssue
    sections: set[str]
    first: ReportIssue | None = None
    previous: ReportIssue | None = None
    since_first: list[Changed] = field(default_factory=list)
    since_previous: list[Changed] = field(default_factory=list)

    @property
    def text(self) -> dict[str, Any]:
        stored: dict[str, Any] = _language(self.issue.text)
        return stored

    @property
    def report(self) -> _Head:
        return _Head(self.text["title"], self.text["heading"])

    @property
    def s(self) -> _Situation:
        i = self.issue
        return _Situation(_Place(i.place_name, i.division_key, i.place_code), i.figures["total"])

    @property
    def paragraphs(self) -> list[str]:
        return [p["text"] for p in self.text["paragraphs"] if p["section"] in self.sections]

    @property
    def headline(self) -> list[reporting.Line]:
        return [
            reporting.Line(
                line["key"],
                _language(line["label"]),
                line["value"],
                line["change"],
                line["section"],
            )
            for line in self.issue.figures["lines"]
            if line["section"] in self.sections
        ]

    def _columns(self) -> list[tuple[int, dict[str, Any]]]:
        return [
            (i, c)
            for i, c in enumerate(self.issue.figures["columns"])
            if c["section"] in self.sections
        ]

    @property
    def columns(self) -> list[tuple[str, str, str, str]]:
        return [
            (_language(c["label"]), c["figure"], c["new"], c["section"])
            for _i, c in self._columns()
        ]

    @property
    def rows(self) -> list[tuple[_Place, list[tuple[int, int | None]]]]:
        shown = self._columns()
        return [
            (
                _Place(a["name"], a["key"], a["code"]),
                [(a["values"][i][0], a["values"][i][1]) for i, _c in shown],
            )
            for a in self.issue.figures["areas"]
        ]


def issue_view(user: Any, issue: ReportIssue) -> IssueView:
    sections = set(issue.sections) & sections_for(user)
    view = IssueView(issue, sections)
    if issue.number > 1:
        earlier = {
            i.number: i
            for i in ReportIssue.objects.filter(
                division_key=issue.division_key,
                day=issue.day,
                number__in={1, issue.number - 1},
            )
        }
        view.first = earlier.get(1)
        view.previous = earlier.get(issue.number - 1)
        if view.first is not None:
            view.since_first = changes(view.first, issue, sections)
        if view.previous is not None and issue.number > 2:
            view.since_previous = changes(view.previous, issue, sections)
    return view


def issue_context(view: IssueView) -> dict[str, Any]:
    """What `command/_report_body.html` and the issue's templates read."""
    return {
        "view": view,
        "issue": view.issue,
        "report": view.report,
        "s": view.s,
        "paragraphs": view.paragraphs,
        "headline": view.headline,
        "columns": view.columns,
        "rows": view.rows,
        "issued_at": timezone.localtime(view.issue.recorded_at),
        "issue_line": issue_line(view.issue),
        "issue_reason": _("Reason: %(reason)s") % {"reason": view.issue.reason}
        if view.issue.reason
        else "",
    }


def issue_pdf(view: IssueView) -> bytes:
    """The issue as a PDF, as issued (made once for what it says)."""
    html = render_to_string("command/issue_pdf.html", {**issue_context(view), "in_pdf": True})
    return html_to_pdf_cached(html, version=html)


def issue_xlsx(view: IssueView) -> bytes:
    """The issue as a workbook: its text, what changed, its figures and places as issued."""
    issue = view.issue
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = _("Report")[:31]
    xlsx_append(ws, [view.report.title])
    ws["A1"].font = Font(bold=True, size=14)
    xlsx_append(ws, [view.report.as_of])
    xlsx_append(ws, [issue_line(issue)])
    if issue.reason:
        xlsx_append(ws, [_("Reason: %(reason)s") % {"reason": issue.reason}])
    for text in view.paragraphs:
        xlsx_append(ws, [text])
        ws.cell(ws.max_row, 1).alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 120
    if issue.number > 1:
        changed = wb.create_sheet(_("Changes")[:31])
        xlsx_append(
            changed,
            [_("Compared with"), _("Place"), _("Figure"), _("Was"), _("Now"), _("In words")],
        )
        for since, items in (
            (_("Issue 1"), view.since_first),
            (_("Previous issue"), view.since_previous),
        ):
            for c in items:
                xlsx_append(changed, [since, c.place, c.label, c.old, c.new, c.words])
        changed.column_dimensions["C"].width = 40
        changed.column_dimensions["F"].width = 80
    figures = wb.create_sheet(_("Figures")[:31])
    xlsx_append(figures, [_("Figure"), _("Total"), _("Change in 24 hours")])
    for line in view.headline:
        xlsx_append(figures, [str(line.label), line.value, line.change])
    figures.column_dimensions["A"].width = 40
    places = wb.create_sheet(_("By place")[:31])
    columns = view.columns
    header: list[str] = [_("Place")]
    for label, _fig, fresh, _section in columns:
        header.append(label)
        if fresh:
            header.append(_("%(figure)s, new") % {"figure": label})
    xlsx_append(places, header)
    for place, values in view.rows:
        row: list[Any] = [place.name]
        for (value, new), column in zip(values, columns, strict=True):
            row.append(value)
            if column[2]:
                row.append(new)
        xlsx_append(places, row)
    places.column_dimensions["A"].width = 24
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def issue_line(issue: ReportIssue) -> str:
    """ "Issue 2, issued at 2026-12-07 10:15 by 王五 under 9th-edition v1"."""
    return _("Issue %(number)s, issued at %(at)s by %(who)s under %(policy)s") % {
        "number": issue.number,
        "at": timezone.localtime(issue.recorded_at).strftime("%Y-%m-%d %H:%M"),
        "who": issue.issued_by_name,
        "policy": policy_label(issue),
    }


def policy_label(issue: ReportIssue) -> str:
    """The policy version's name in the reader's language (or `code vN` if not on record)."""
    return profile_label(issue.profile) or issue.profile
