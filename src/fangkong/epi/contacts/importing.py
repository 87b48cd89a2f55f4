"""Contacts of one case from a CSV/XLSX file or from lines pasted into the line-listing grid.

Files are read with the resident import's helpers (UTF-8 or GBK text, XLSX). Every cell is
checked first; any bad row stops the whole file with its row, column and reason, in the
reader's language. Rows naming a person already known for the case are skipped, so importing
the same file again adds nothing.
"""

import datetime as dt
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from fangkong.audit.services import event_record
from fangkong.core.access import Cap, require
from fangkong.core.errors import BulkErrors
from fangkong.core.tabular import (
    E_EXTRA_CELLS,
    E_NUMBER_LOST,
    E_REQUIRED,
    Columns,
    FileProblem,
    ImportResult,
    RowError,
    header_key,
    open_table,
)
from fangkong.epi.cases.forms import GRID_COLUMNS
from fangkong.epi.contacts.services import (
    ContactRow,
    contacts_add_bulk,
    contacts_check,
    duplicate_message,
    requested_message,
)
from fangkong.epi.models import Case, Degree, ExposureRelation

MAX_ROWS = 20000

COLUMNS = Columns(
    names=(
        "id_number",
        "name",
        "phone",
        "relation",
        "venue_code",
        "exposure_at",
        "exposure_end",
        "last_exposure_on",
        "degree",
        "via_id_number",
        "note",
        "identified_at",
    ),
    chinese={
        "id_number": "身份证号",
        "name": "姓名",
        "phone": "手机号",
        "relation": "接触方式",
        "venue_code": "场所码",
        "exposure_at": "接触时间",
        "exposure_end": "接触结束时间",
        "last_exposure_on": "末次接触日期",
        "degree": "类别",
        "via_id_number": "经由密接身份证号",
        "note": "备注",
        "identified_at": "判定时间",
    },
    aliases={
        "id_number": ("身份证号", "身份证号码", "公民身份号码", "idnumber", "id"),
        "name": ("姓名", "name"),
        "phone": ("手机号", "手机号码", "手机", "联系电话", "phone", "mobile"),
        "relation": ("接触方式", "关系", "暴露方式", "relation", "exposure"),
        "venue_code": ("场所码", "场所编码", "venuecode", "venue"),
        "exposure_at": (
            "接触时间",
            "暴露时间",
            "接触开始时间",
            "exposureat",
            "exposurestart",
            "time",
        ),
        "exposure_end": ("接触结束时间", "暴露结束时间", "exposureend"),
        "last_exposure_on": ("末次接触日期", "末次接触时间", "lastexposureon", "lastexposure"),
        "degree": ("类别", "密接类别", "接触者类别", "degree"),
        "via_id_number": ("经由密接身份证号", "经由", "via", "vía", "viaidnumber"),
        "note": ("备注", "note", "notes"),
        "identified_at": ("判定时间", "发现时间", "identifiedat", "identified"),
    },
    required=("id_number",),
)


def _labels(choices: type[models.TextChoices]) -> dict[str, str]:
    """Each choice's label, in Chinese and in English, lower-cased → its value: what the page
    shows a tracer may be typed back in either language."""
    out = {}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            out.update({str(label).lower(): value for value, label in choices.choices})
    return out


RELATION_MAP: dict[str, str] = {v: v for v in ExposureRelation.values} | _labels(ExposureRelation)
RELATION_MAP.update(
    {
        "同住": "household",
        "家庭": "household",
        "共同居住": "household",
        "同事": "workplace",
        "工作": "workplace",
        "同工作场所": "workplace",
        "共餐": "meal",
        "聚餐": "meal",
        "同餐": "meal",
        "交通": "transport",
        "同乘": "transport",
        "交通工具": "transport",
        "场所": "venue",
        "同场所": "venue",
        "其他": "other",
        "其它": "other",
    }
)
DEGREE_MAP: dict[str, str] = {v: v for v in Degree.values} | _labels(Degree)
DEGREE_MAP.update(
    {"密接": "close", "密切接触者": "close", "次密接": "secondary", "密接的密接": "secondary"}
)

MOMENT_RE = re.compile(
    r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[T ]+(\d{1,2})[:：](\d{2})(?::(\d{2}))?)?"
    r"(?:\.\d+)?$"
)

E_RELATION = gettext_noop("Unknown exposure relation")
E_DEGREE = gettext_noop("Degree must be 密接 or 次密接 (close or secondary)")
E_MOMENT = gettext_noop("Write a date and time such as 2022-05-03 18:30")
E_TOO_MANY = gettext_noop("A file may hold at most %(max)s contacts")
E_NO_ROWS = gettext_noop("There are no contacts in this file")


@dataclass
class ContactImportResult(ImportResult):
    added: int = 0
    skipped: int = 0  # people already known for the case
    requested: int = 0  # people registered elsewhere: sent to their jurisdiction to confirm


def moment(text: str) -> tuple[dt.datetime | None, dt.date | None]:
    """(aware time or None when only a day is written, the day) of a cell such as
    "2022-05-03 18:30" or "2022年5月3日"; ValueError when it is neither."""
    match = MOMENT_RE.match(text.strip())
    if match is None:
        raise ValueError(text)
    y, mo, d, h, mi, s = (int(g) if g else 0 for g in match.groups())
    day = dt.date(y, mo, d)
    if match[4] is None:
        return None, day
    moment = dt.datetime(y, mo, d, h, mi, s)
    return timezone.make_aware(moment), day


@dataclass
class _Parsed:
    row: ContactRow
    number: int  # row number as the user sees it (file row or pasted line)
    columns: dict[str, str]  # canonical column → the header the user wrote


def parse_cells(
    number: int, cells: list[str], positions: dict[str, int], lossy: frozenset[int] = frozenset()
) -> tuple[ContactRow, list[tuple[str, str, dict[str, Any]]]]:
    """One row of cells → a ContactRow and its (column, msgid, params) errors."""
    errors: list[tuple[str, str, dict[str, Any]]] = []

    def cell(canon: str) -> str:
        i = positions.get(canon)
        if i is None or i >= len(cells):
            return ""
        return cells[i].strip().lstrip("'")

    row = ContactRow(id_number=cell("id_number").replace(" ", "").upper())
    for canon in ("id_number", "phone"):
        if positions.get(canon) in lossy:
            errors.append((canon, E_NUMBER_LOST, {}))
    if not row.id_number:
        errors.append(("id_number", E_REQUIRED, {}))
    row.name, row.phone, row.note = cell("name"), cell("phone").replace(" ", ""), cell("note")
    row.venue_code = cell("venue_code")
    row.via_id_number = cell("via_id_number").replace(" ", "").upper()
    relation = cell("relation")
    row.relation = RELATION_MAP.get(relation.lower(), "") if relation else ExposureRelation.OTHER
    if not row.relation:
        errors.append(("relation", E_RELATION, {}))
    degree = cell("degree")
    row.degree = DEGREE_MAP.get(degree.lower(), "") if degree else Degree.CLOSE
    if not row.degree:
        errors.append(("degree", E_DEGREE, {}))
    for canon in ("exposure_at", "exposure_end", "last_exposure_on"):
        text = cell(canon)
        if not text:
            continue
        try:
            when, day = moment(text)
        except ValueError:
            errors.append((canon, E_MOMENT, {}))
            continue
        if canon == "exposure_at":
            row.exposure_start = when
            row.last_exposure_on = row.last_exposure_on or day
        elif canon == "exposure_end":
            row.exposure_end = when
            row.last_exposure_on = day
        else:
            row.last_exposure_on = day
    identified = cell("identified_at")
    if identified:  # when the contact was identified (valid time), to the minute; else now
        try:
            row.identified_at = moment(identified)[0]
        except ValueError:
            row.identified_at = None
        if row.identified_at is None:
            errors.append(("identified_at", E_MOMENT, {}))
    return row, errors


def _parse_header(cells: list[str]) -> dict[str, int]:
    return COLUMNS.positions(cells)[0]


def _service_errors(exc: BulkErrors, parsed: list[_Parsed], label: Any) -> list[RowError]:
    """A bulk refusal (0-based rows, service field names) as rows and columns of the file."""
    out = []
    alias = {"exposure_start": "exposure_at", "via": "via_id_number"}
    for index in sorted(exc.rows):
        item = parsed[index]
        for name, messages in exc.rows[index].items():
            canon = alias.get(name, name)
            column = label(canon) if canon in COLUMNS else ""
            for message in messages:
                out.append(RowError(item.number, column, "", message))
    return out


def _write(actor: Any, case: Case, parsed: list[_Parsed], result: Any, label: Any) -> list[Any]:
    try:
        batch = contacts_add_bulk(actor=actor, case=case, rows=[p.row for p in parsed])
    except BulkErrors as exc:
        result.errors.extend(_service_errors(exc, parsed, label))
        return []
    result.added, result.skipped, result.written = len(batch), len(batch.duplicates), True
    result.requested = len(batch.requested)
    return batch


def import_contacts(
    *, actor: Any, case: Case, path: str | Path, filename: str = ""
) -> ContactImportResult:
    """Add the contacts listed in a CSV/XLSX file to `case`: all rows, or none."""
    require(actor, Cap.CONTACTS_EDIT)
    started = time.perf_counter()
    path = Path(path)
    result = ContactImportResult(filename=filename or path.name)
    try:
        parsed, headers = _read_file(path, result)
    except FileProblem as problem:
        result.fatal = True
        result.errors.append(problem.error)
        parsed, headers = [], {}
    if not result.ok and parsed and not result.fatal:
        label = lambda canon: headers.get(canon, canon)  # noqa: E731
        bad = {e.row for e in result.errors}
        result.errors.extend(_check_clean_rows(actor, case, parsed, bad, label))
        result.errors.sort(key=lambda e: e.row)
    if result.ok and parsed:
        with transaction.atomic():
            _write(actor, case, parsed, result, lambda canon: headers.get(canon, canon))
            if result.written:
                event_record(
                    actor=actor,
                    action="contacts.imported",
                    obj=case,
                    person_id=case.person_id,
                    to_value=str(result.added),
                    data=result.event_data("added", "skipped", "requested"),
                )
    result.seconds = time.perf_counter() - started
    return result


def _read_file(path: Path, result: ContactImportResult) -> tuple[list[_Parsed], dict[str, str]]:
    table = open_table(path)
    result.sha256, header, rows = table.sha256, table.header, table.rows
    positions = _parse_header(header)
    headers = {canon: header[i] for canon, i in positions.items()}
    parsed: list[_Parsed] = []
    for number, cells, lossy in rows:
        if not any(cells):
            continue
        result.rows_read += 1
        if result.rows_read > MAX_ROWS:
            raise FileProblem(RowError(number, "", "", E_TOO_MANY, {"max": MAX_ROWS}))
        row, errors = parse_cells(number, cells, positions, lossy)
        if len(cells) > len(header) and any(cells[len(header) :]):
            errors.append(("", E_EXTRA_CELLS, {}))
        for canon, message, params in errors:
            column = headers.get(canon, "") if canon else ""
            value = (
                cells[positions[canon]]
                if canon in positions and positions[canon] < len(cells)
                else ""
            )
            result.errors.append(RowError(number, column, value, message, params))
        parsed.append(_Parsed(row=row, number=number, columns=headers))
    if not parsed and not result.errors:
        raise FileProblem(RowError(0, "", "", E_NO_ROWS))
    return parsed, headers


def _check_clean_rows(
    actor: Any, case: Case, parsed: list[_Parsed], bad: set[int], label: Any
) -> list[RowError]:
    """Rows whose cells are fine are still checked against the registry, so one pass names
    every problem in the file."""
    clean = [p for p in parsed if p.number not in bad]
    problems = contacts_check(actor=actor, case=case, rows=[p.row for p in clean])
    if problems is None:
        return []
    return _service_errors(problems, clean, label)


# The line-listing grid ----------------------------------------------------------------


@dataclass
class GridResult:
    lines: list[list[str]] = field(default_factory=list)  # cells of each non-empty line
    errors: dict[tuple[int, str], list[str]] = field(default_factory=dict)  # (line, col) → msgs
    row_errors: dict[int, list[str]] = field(default_factory=dict)  # line → msgs
    added: list[Any] = field(default_factory=list)
    duplicates: list[tuple[int, str]] = field(default_factory=list)  # (line, message)
    requested: list[tuple[int, str]] = field(default_factory=list)  # (line, message)
    written: bool = False
    text: str = ""  # what was pasted, to show it again beside the errors
    table: list[Any] = field(default_factory=list)  # (line, [(cell, errors)], line errors)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.row_errors


def parse_grid(text: str) -> list[list[str]]:
    """Pasted lines (tab-separated, as Excel copies them; or commas) → cells per line."""
    lines = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        sep = "\t" if "\t" in line else ("," if "," in line else "\t")
        cells = [c.strip() for c in line.split(sep)]
        if COLUMNS.header_map.get(header_key(cells[0])) == "id_number":
            continue  # a pasted header line
        lines.append((cells + [""] * len(GRID_COLUMNS))[: max(len(GRID_COLUMNS), len(cells))])
    return lines


def add_from_grid(*, actor: Any, case: Case, text: str) -> GridResult:
    """Save every pasted line at once; errors are reported per line and column."""
    require(actor, Cap.CONTACTS_EDIT)
    result = GridResult(lines=parse_grid(text))
    positions = {canon: i for i, canon in enumerate(GRID_COLUMNS)}
    parsed = []
    for number, cells in enumerate(result.lines, start=1):
        row, errors = parse_cells(number, cells, positions)
        for canon, message, params in errors:
            text_ = gettext(message)
            result.errors.setdefault((number, canon), []).append(
                text_ % params if params else text_
            )
        parsed.append(_Parsed(row=row, number=number, columns={}))
    if not parsed:
        return result
    if not result.ok:
        bad = {number for number, _c in result.errors} | set(result.row_errors)
        clean = [p for p in parsed if p.number not in bad]
        problems = contacts_check(actor=actor, case=case, rows=[p.row for p in clean])
        if problems is not None:
            _grid_service_errors(result, problems, [p.number for p in clean])
        return result
    try:
        with transaction.atomic():
            batch = contacts_add_bulk(actor=actor, case=case, rows=[p.row for p in parsed])
    except BulkErrors as exc:
        _grid_service_errors(result, exc, [p.number for p in parsed])
        return result
    except ValidationError as exc:
        result.row_errors[0] = exc.messages
        return result
    result.added = list(batch)
    result.duplicates = [(d.index + 1, duplicate_message(d)) for d in batch.duplicates]
    result.requested = [(r.index + 1, requested_message(r)) for r in batch.requested]
    result.written = True
    return result


GRID_ALIASES = {
    "exposure_start": "exposure_at",
    "exposure_end": "exposure_at",
    "last_exposure_on": "exposure_at",
    "via": "via_id_number",
}


def _grid_service_errors(result: GridResult, exc: BulkErrors, numbers: list[int]) -> None:
    for index, fields in exc.rows.items():
        line = numbers[index]
        for name, messages in fields.items():
            canon = GRID_ALIASES.get(name, name)
            if canon in GRID_COLUMNS:
                result.errors.setdefault((line, canon), []).extend(messages)
            else:
                result.row_errors.setdefault(line, []).extend(messages)
