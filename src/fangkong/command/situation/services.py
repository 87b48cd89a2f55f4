"""The situation line-list import: a city adopting the platform mid-outbreak loads its people,
cases, contacts, people under measures, quarantine sites and rooms, stays, zones and testing
rounds (files, one per kind, or JSON arrays through the API) with the times each fact
happened, so the daily report for any past morning comes out of its own data.

`read_files` / `read_json` turn the input into lines per kind; `situation_check` checks every
line of every kind (cells, then each kind against the earlier ones and the database) and says
what it found and the defaults it applies (the preview); `situation_import` checks again and,
when no line is wrong, writes every kind in one transaction (columnar, audited per row, one
`situation.imported` event, derived state told once) or nothing. Natural keys make a second
run of the same lines write nothing. `stash` keeps a previewed import for its confirmation.
"""

import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_noop

from fangkong.audit.models import Event
from fangkong.audit.services import event_record
from fangkong.command.situation.base import Context, Found, Kind, Line, SheetError, translated
from fangkong.command.situation.registry import BY_NAME, KINDS
from fangkong.core import changes
from fangkong.core.access import Cap, require, scope_key
from fangkong.core.bulk import analyze
from fangkong.core.rejected import TOKEN_RE, discard_rejected, imports_dir
from fangkong.core.tabular import (
    E_EXTRA_CELLS,
    E_NUMBER_LOST,
    E_UNKNOWN_COLUMN,
    MAX_ERRORS_KEPT,
    FileProblem,
    header_key,
    open_table,
)
from fangkong.places.models import Division
from fangkong.policy.accessor import current

E_NOTHING = gettext_noop("There is nothing to import: give at least one file")
E_NOT_A_LIST = gettext_noop("A list of rows (objects) is expected")
E_NOT_AN_OBJECT = gettext_noop("Each row is an object of column → value")
ANALYZE_AFTER_ROWS = 5_000  # the tally reads the fresh events back at once


@dataclass
class Sheet:
    """The lines of one kind and where they came from (a file's name, or the JSON key)."""

    kind: Kind
    source: str
    lines: list[Line] = field(default_factory=list)
    sha256: str = ""


@dataclass
class SituationResult:
    """What checking (the preview) or importing found and did."""

    sheets: dict[str, Sheet] = field(default_factory=dict)
    found: Found = field(default_factory=Found)
    errors: list[SheetError] = field(default_factory=list)
    error_count: int = 0
    fatal: bool = False
    written: bool = False
    events: int = 0
    seconds: float = 0.0

    def add_error(self, error: SheetError) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(error)

    @property
    def ok(self) -> bool:
        return self.error_count == 0 and any(s.lines for s in self.sheets.values())

    def kinds(self) -> list[dict[str, Any]]:
        """Per kind, in the registry's order: what the pages and the API show."""
        f = self.found
        out = []
        for kind in KINDS:
            sheet = self.sheets.get(kind.name)
            if sheet is None:
                continue
            out.append(
                {
                    "kind": kind.name,
                    "title": str(kind.title),
                    "source": sheet.source,
                    "rows": f.rows[kind.name],
                    "new": f.new[kind.name],
                    "changed": f.changed[kind.name],
                    "unchanged": f.unchanged[kind.name],
                    "by_status": dict(sorted(f.by_status.get(kind.name, {}).items())),
                    "by_district": _district_names(f.by_district.get(kind.name, {})),
                }
            )
        return out

    def defaults(self) -> list[dict[str, Any]]:
        """What the lines did not say and what was taken instead, with how many rows."""
        out = []
        for (kind, canon, message, params), rows in sorted(self.found.defaults.items()):
            k = BY_NAME[kind]
            out.append(
                {
                    "kind": kind,
                    "title": str(k.title),
                    "column": k.label(canon),
                    "default": translated(message, dict(params)),
                    "rows": rows,
                }
            )
        return out

    def flagged(self) -> list[dict[str, Any]]:
        return [
            {"kind": kind, "title": str(BY_NAME[kind].title), "row": row, "name": name, "why": why}
            for kind, row, name, why in self.found.flagged
        ]

    def counts(self) -> dict[str, dict[str, int]]:
        f = self.found
        return {
            k.name: {
                "rows": f.rows[k.name],
                "new": f.new[k.name],
                "changed": f.changed[k.name],
                "unchanged": f.unchanged[k.name],
            }
            for k in KINDS
            if k.name in self.sheets
        }


def _district_names(counts: Mapping[str, int]) -> dict[str, int]:
    names = dict(Division.objects.filter(key__in=list(counts)).values_list("key", "name"))
    return {names.get(key, key): n for key, n in sorted(counts.items())}


# Reading ------------------------------------------------------------------------------------


def read_files(files: Mapping[str, tuple[str | Path, str]]) -> SituationResult:
    """Lines of each kind from its CSV/XLSX file: kind name → (path, the file's name)."""
    result = SituationResult()
    for kind in KINDS:
        if kind.name not in files:
            continue
        path, filename = files[kind.name]
        sheet = Sheet(kind, filename or Path(path).name)
        result.sheets[kind.name] = sheet
        try:
            _read_table(Path(path), sheet)
        except FileProblem as problem:
            e = problem.error
            result.fatal = True
            result.add_error(
                SheetError(e.row, e.column, e.value, e.message, e.params, sheet.source)
            )
    return result


def _read_table(path: Path, sheet: Sheet) -> None:
    table = open_table(path)
    sheet.sha256 = table.sha256
    positions, header = sheet.kind.columns.positions(table.header)
    for number, cells, lossy in table.rows:
        if not any(cells):
            continue
        line = Line(
            number, {canon: cells[i] if i < len(cells) else "" for canon, i in positions.items()}
        )
        for canon, i in positions.items():
            if i in lossy:
                line.error(canon, E_NUMBER_LOST)
        if len(cells) > len(header) and any(cells[len(header) :]):
            line.error("", E_EXTRA_CELLS)
        sheet.lines.append(line)


def read_json(data: Mapping[str, Any]) -> SituationResult:
    """Lines of each kind from JSON arrays of objects (keys: the English column names or the
    Chinese headers); row numbers count from 1 in each array."""
    result = SituationResult()
    for kind in KINDS:
        items = data.get(kind.name)
        if items is None:
            continue
        sheet = Sheet(kind, kind.name)
        result.sheets[kind.name] = sheet
        if not isinstance(items, list):
            result.fatal = True
            result.add_error(SheetError(0, "", "", E_NOT_A_LIST, {}, kind.name))
            continue
        aliases = kind.columns.header_map
        allowed = ", ".join(kind.label(c) for c in kind.columns)
        for number, item in enumerate(items, start=1):
            line = Line(number, {})
            if not isinstance(item, dict):
                line.error("", E_NOT_AN_OBJECT)
                item = {}
            for key, value in item.items():
                canon = aliases.get(header_key(str(key)))
                if canon is None:
                    line.errors.append((str(key), E_UNKNOWN_COLUMN, {"allowed": allowed}))
                    continue
                line.cells[canon] = "" if value is None else str(value)
            sheet.lines.append(line)
    return result


# Checking and writing -----------------------------------------------------------------------


def _context(actor: Any, result: SituationResult) -> Context:
    rules = current().rules
    sources = ", ".join(s.source for s in result.sheets.values())
    return Context(
        actor=actor, tolerance=rules.records.tolerance, rules=rules, reason=sources[:300]
    )


def _check(actor: Any, result: SituationResult) -> Context:
    ctx = _context(actor, result)
    ctx.found = result.found
    if not result.sheets:
        result.fatal = True
        result.add_error(SheetError(0, "", "", E_NOTHING, {}, ""))
        return ctx
    for kind in KINDS:
        sheet = result.sheets.get(kind.name)
        lines = sheet.lines if sheet else []
        for line in lines:
            kind.parse(line)
        kind.check(lines, ctx)
    for kind in KINDS:
        sheet = result.sheets.get(kind.name)
        if sheet is None:
            continue
        for line in sheet.lines:
            for canon, message, params in line.errors:
                column = kind.label(canon) if canon in kind.columns.chinese else canon
                value = line.cells.get(canon, "")
                error = SheetError(line.number, column, value, message, params, sheet.source, canon)
                result.add_error(error)
    return ctx


def situation_check(*, actor: Any, result: SituationResult) -> SituationResult:
    """Check every line and fill `result.found` (the preview); nothing is written."""
    require(actor, Cap.SITUATION_IMPORT)
    started = time.perf_counter()
    if not result.fatal:
        _check(actor, result)
    result.seconds = time.perf_counter() - started
    return result


def situation_import(*, actor: Any, result: SituationResult) -> SituationResult:
    """Check every line and, when none is wrong, write them all; else write nothing."""
    require(actor, Cap.SITUATION_IMPORT)
    started = time.perf_counter()
    if result.fatal:
        return result
    with transaction.atomic():
        ctx = _check(actor, result)
        if not result.ok:
            result.seconds = time.perf_counter() - started
            return result
        with changes.deferred():
            for kind in KINDS:
                sheet = result.sheets.get(kind.name)
                kind.write(sheet.lines if sheet else [], ctx)
            if ctx.events >= ANALYZE_AFTER_ROWS:
                analyze(Event)  # the health codes read the people's fresh events
            changes.changed("person", sorted(ctx.person_ids))
            result.events = ctx.events
            event_record(
                actor=actor,
                action="situation.imported",
                object_type="command.situation",
                object_id=_digest(result),
                division_key=scope_key(actor),
                reason=ctx.reason,
                to_value=str(sum(result.found.new.values()) + sum(result.found.changed.values())),
                data={"counts": result.counts(), "events": ctx.events},
            )
        result.written = True
    result.seconds = time.perf_counter() - started
    return result


def _digest(result: SituationResult) -> str:
    shas = [s.sha256 for s in result.sheets.values() if s.sha256]
    return shas[0][:16] if shas else secrets.token_hex(8)


# Preview → confirm --------------------------------------------------------------------------


def stash(actor: Any, result: SituationResult) -> str:
    """Keep a previewed import's lines for its owner's confirmation; return its token."""
    token = secrets.token_urlsafe(18)
    folder = imports_dir() / token
    folder.mkdir(parents=True)
    data = {
        "user_id": getattr(actor, "pk", None),
        "sheets": {
            name: {
                "source": s.source,
                "sha256": s.sha256,
                "lines": [[ln.number, ln.cells] for ln in s.lines],
            }
            for name, s in result.sheets.items()
        },
    }
    (folder / "situation.json").write_text(json.dumps(data, ensure_ascii=False))
    return token


def unstash(actor: Any, token: str) -> SituationResult | None:
    """The lines previewed under `token`, if `actor` previewed them (else None)."""
    if not TOKEN_RE.match(token or ""):
        return None
    path = imports_dir() / token / "situation.json"
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    if data.get("user_id") != getattr(actor, "pk", None):
        return None
    result = SituationResult()
    for name, s in data["sheets"].items():
        if name in BY_NAME:
            sheet = Sheet(
                BY_NAME[name], s["source"], [Line(n, cells) for n, cells in s["lines"]], s["sha256"]
            )
            result.sheets[name] = sheet
    return result


def discard(token: str) -> None:
    """Forget a previewed import once written (old ones are swept with the rejected rows)."""
    if TOKEN_RE.match(token or ""):
        discard_rejected(token)
