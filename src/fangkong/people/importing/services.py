"""Resident import from CSV or XLSX: the entry point, `import_residents`.

The file is read and validated in chunks (validation.py), then written in one transaction
(writing.py), so a file is either written whole (or its valid rows, when asked) or not at
all. The columns, reasons and result are in spec.py; the refused rows of a valid-only import
are kept as a file to download (core/rejected.py).
"""

import time
from pathlib import Path
from typing import Any

from django.db import IntegrityError

from fangkong.core.access import Cap, require
from fangkong.core.rejected import RejectedFile, discard_rejected, sweep_rejected
from fangkong.core.tabular import (
    E_EMPTY,
    E_NOT_TABULAR,
    FileProblem,
    RowError,
    file_error,
    read_rows,
    scan,
)
from fangkong.people.importing.spec import CHUNK, COLUMNS, E_CONCURRENT, ResidentImportResult
from fangkong.people.importing.validation import Row, Validator
from fangkong.people.importing.writing import write


def import_residents(
    *, actor: Any, path: str | Path, filename: str = "", valid_only: bool = False
) -> ResidentImportResult:
    """Validate a CSV/XLSX file of residents and write it: whole, or only its valid rows.

    Nothing is written when any row is bad, unless `valid_only`; then the bad rows can be
    downloaded (with an error column) under `result.token`. Importing the same file again
    changes nothing.
    """
    require(actor, Cap.RESIDENTS_IMPORT)
    started = time.perf_counter()
    path = Path(path)
    result = ResidentImportResult(filename=filename or path.name, valid_only=valid_only)
    sweep_rejected()
    try:
        validator = _validate(actor, path, result)
    except FileProblem as problem:
        result.fatal = True
        result.add_error(problem.error)
        validator = None
    if validator is not None and (result.ok or valid_only):
        try:
            write(validator, result, actor)
            result.written = True
        except IntegrityError:
            result.fatal = True
            result.add_error(RowError(0, "", "", E_CONCURRENT))
    if not result.written and result.token:
        discard_rejected(result.token)  # nothing was written: the file would only mislead
        result.token = None
    result.seconds = time.perf_counter() - started
    return result


def _validate(actor: Any, path: Path, result: ResidentImportResult) -> Validator | None:
    result.sha256, kind = scan(path)
    if kind not in {"xlsx", "xls"} and path.suffix.lower() not in {".csv", ".txt", ""}:
        raise file_error(E_NOT_TABULAR)
    rows = read_rows(path, kind)
    header: list[str] | None = None
    for _number, cells, _lossy in rows:
        if any(cells):
            header = cells
            break
    if header is None:
        raise file_error(E_EMPTY)
    positions, header = COLUMNS.positions(header)
    validator = Validator(actor, positions, header)
    rejected: RejectedFile | None = None
    chunk: list[Row] = []
    try:
        for number, cells, lossy in rows:
            if not any(cells):
                continue
            chunk.append(validator.clean(number, cells, lossy))
            if len(chunk) >= CHUNK:
                rejected = _finish_chunk(validator, chunk, result, rejected, actor)
                chunk = []
        if chunk:
            rejected = _finish_chunk(validator, chunk, result, rejected, actor)
    finally:
        if rejected is not None:
            rejected.close()
    result.unchanged = validator.unchanged
    return validator


def _finish_chunk(
    validator: Validator,
    chunk: list[Row],
    result: ResidentImportResult,
    rejected: RejectedFile | None,
    actor: Any,
) -> RejectedFile | None:
    validator.check_chunk(chunk)
    result.rows_read += len(chunk)
    for row in chunk:
        if not row.errors:
            continue
        result.rejected += 1
        row.errors.sort(key=lambda e: validator.pos.get(e[0], -1))
        errors = [
            RowError(
                row=row.number,
                column=validator.column(canon) if canon else "",
                value=row.cells[validator.pos[canon]] if canon else "",
                message=message,
                params=params,
            )
            for canon, message, params in row.errors
        ]
        for error in errors:
            result.add_error(error)
        if not result.valid_only:
            continue  # all or nothing: the errors are listed, no file of rejected rows
        if rejected is None:
            rejected = RejectedFile(actor, result.filename, validator.header)
            result.token = rejected.token
        rejected.add(row.cells, errors)
    return rejected
