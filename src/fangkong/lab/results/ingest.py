"""Result ingest: a lab's CSV/XLSX file or FHIR Bundle, validated and applied all-or-nothing.

Results are rows of their own (`Result`, table lab_result: barcode, upload, outcome, Ct, time),
appended once per tube and never updated, so an upload writes only new rows. Two paths lead
there, in one transaction:

- Column-wise, for a CSV file in the plain form labs export (`fangkong.lab.results.columnar`): the
  file is read in blocks with pyarrow and its rows go straight into lab_result (PostgreSQL:
  one binary COPY; SQLite: executemany). The table's key refuses a tube that has a result
  already or comes twice, and one join against the tubes counts the rows that are wrong
  (unknown tube, never collected, tested before collection, another lab's tube). Any of that,
  or any cell not in the plain form, undoes the attempt (a savepoint) and the file takes the
  second path.
- Row by row, for everything else and for every file with a problem: the resident import's
  readers (UTF-8 or GBK/GB18030, XLSX, row numbers as the user sees them) or the FHIR reader
  clean rows into a temporary staging table; set-wise checks name each wrong row and column
  (also: a different result stored already, the same tube twice with different values); a
  tube that already holds the same result counts as already applied.

Uploading the same file again changes nothing: its digest is stored per lab (`ResultUpload`).
An upload is audited once ("results.uploaded", its figures, the digest as basis); what results
do to people (pools, retests, cases, see `fangkong.lab.pools.services`) is audited person by person.
"""

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext as _
from psycopg.copy import QueuedLibpqWriter

from fangkong.audit.services import event_record
from fangkong.core.access import Cap, require
from fangkong.core.changes import changed, deferred
from fangkong.core.errors import field_error
from fangkong.core.tabular import (
    E_EMPTY,
    E_EXTRA_CELLS,
    E_JSON_DEPTH,
    E_REQUIRED,
    JSON_MAX_DEPTH,
    MAX_ERRORS_KEPT,
    Columns,
    FileProblem,
    ImportResult,
    Limits,
    RowError,
    file_error,
    json_depth,
    load_json,
    read_rows,
    scan,
)
from fangkong.epi.checkins.importing import _epochs
from fangkong.lab import tally
from fangkong.lab.models import Lab, Outcome, Result, ResultUpload, Tube, TubeMember, TubeStatus
from fangkong.lab.pools import services as pools
from fangkong.lab.results import columnar, fhir
from fangkong.lab.results.reasons import (
    E_BEFORE_COLLECTED,
    E_CONCURRENT,
    E_CONFLICT,
    E_CT,
    E_FUTURE,
    E_NOT_COLLECTED,
    E_NOT_SUPPORTED,
    E_OTHER_LAB,
    E_OTHER_RESULT,
    E_RESULT,
    E_TIME,
    E_TUBE_UNKNOWN,
)
from fangkong.lab.selectors import labs_for_user
from fangkong.policy.accessor import current

CHUNK = 50_000
CT_MAX = 50.0
COLUMNWISE_FROM = 1 << 20  # bytes: smaller files are read row by row (fast enough, and exact)
POSITIVE, NEGATIVE = str(Outcome.POSITIVE), str(Outcome.NEGATIVE)
OUTCOME_BYTES = (NEGATIVE.encode(), POSITIVE.encode())  # as stored, 8 bytes each
RESULT_COLUMNS = columnar.RESULT_COLUMNS

COLUMNS = Columns(
    names=("barcode", "result", "ct_value", "tested_at"),
    chinese={
        "barcode": "试管编码",
        "result": "检测结果",
        "ct_value": "Ct值",
        "tested_at": "检测时间",
    },
    aliases={
        "barcode": (
            "试管编码",
            "试管条码",
            "试管号",
            "管码",
            "条码",
            "barcode",
            "tubebarcode",
            "tube",
        ),
        "result": ("检测结果", "结果", "核酸结果", "result", "outcome"),
        "ct_value": ("ct值", "ct", "ctvalue"),
        "tested_at": ("检测时间", "报告时间", "testedat", "testtime", "tested", "reportedat"),
    },
    required=("barcode", "result", "tested_at"),
)
RESULT_WORDS = {
    "阴性": Outcome.NEGATIVE,
    "阳性": Outcome.POSITIVE,
    "未检出": Outcome.NEGATIVE,
    "检出": Outcome.POSITIVE,
    "negative": Outcome.NEGATIVE,
    "positive": Outcome.POSITIVE,
    "neg": Outcome.NEGATIVE,
    "pos": Outcome.POSITIVE,
    "n": Outcome.NEGATIVE,
    "p": Outcome.POSITIVE,
    "-": Outcome.NEGATIVE,
    "+": Outcome.POSITIVE,
    "not detected": Outcome.NEGATIVE,
    "detected": Outcome.POSITIVE,
}


@dataclass
class ResultsImport(ImportResult):
    """What an upload did: counts for the page and the API, or the errors that stopped it."""

    format: str = ""
    applied: int = 0
    already_applied: int = 0
    positives: int = 0
    retests_created: int = 0
    controls_started: int = 0
    controls_cleared: int = 0
    cases_opened: int = 0
    uploaded_before: dt.datetime | None = None  # the same file was applied then
    kind: str = field(default="", repr=False)  # how the file is read: "xlsx" or an encoding

    def figures(self) -> dict[str, int]:
        names = ("rows_read", "applied", "already_applied", "positives", "retests_created")
        more = ("controls_started", "controls_cleared", "cases_opened")
        return {n: getattr(self, n) for n in (*names, *more)}


# Reading and cleaning -------------------------------------------------------------------


# (row number, barcode, outcome, ct, tested at in epoch seconds)
_Clean = tuple[int, str, str, float | None, int]


def _parse_ct(text: str) -> float | bool | None:
    """The Ct value, None when blank, False when it is not a plausible Ct."""
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return False
    return value if 0 < value <= CT_MAX else False


def _latest() -> int:
    """The latest test time an upload may give, in seconds since the epoch: now, and the
    policy's `records.future_tolerance_minutes` a lab's clock may run ahead of ours (read once
    per upload)."""
    return int(time.time() + current().rules.records.tolerance.total_seconds())


class _Cleaner:
    """Cleans chunks of file rows into staging rows, recording each bad cell."""

    def __init__(self, positions: dict[str, int], header: list[str], result: ResultsImport):
        self.pos = positions
        self.names = {canon: header[i] for canon, i in positions.items()}
        self.width = len(header)
        self.result = result
        self.tz = timezone.get_current_timezone()
        self.latest = _latest()

    def error(self, number: int, canon: str, value: str, message: str) -> None:
        self.result.add_error(RowError(number, self.names.get(canon, ""), value, message))

    def chunk(self, rows: list[tuple[int, list[str]]]) -> list[_Clean]:
        pos, width = self.pos, self.width
        at_barcode, at_result, at_time = pos["barcode"], pos["result"], pos["tested_at"]
        at_ct = pos.get("ct_value")
        cells_of = [c + [""] * (width - len(c)) if len(c) < width else c for _, c in rows]
        epochs, ok = _epochs([c[at_time] for c in cells_of], self.tz)
        good: list[_Clean] = []
        for i, ((number, raw), cells) in enumerate(zip(rows, cells_of, strict=True)):
            errors = self.result.error_count
            if len(raw) > width and any(raw[width:]):
                self.error(number, "", "", E_EXTRA_CELLS)
            barcode = cells[at_barcode]
            if not barcode:
                self.error(number, "barcode", "", E_REQUIRED)
            word = cells[at_result]
            outcome = RESULT_WORDS.get(word) or RESULT_WORDS.get(word.lower())
            if outcome is None:
                self.error(number, "result", word, E_REQUIRED if not word else E_RESULT)
            ct = _parse_ct(cells[at_ct]) if at_ct is not None else None
            if ct is False:
                self.error(number, "ct_value", cells[at_ct or 0], E_CT)
            if not ok[i]:
                text = cells[at_time]
                self.error(number, "tested_at", text, E_REQUIRED if not text else E_TIME)
            elif epochs[i] > self.latest:
                self.error(number, "tested_at", cells[at_time], E_FUTURE)
            if self.result.error_count == errors and outcome is not None and ct is not False:
                good.append((number, barcode, outcome, ct, int(epochs[i])))
        return good


def _file_chunks(path: Path, kind: str, result: ResultsImport) -> tuple[_Cleaner, Iterator[Any]]:
    rows = read_rows(path, kind)
    header: list[str] | None = None
    for _number, cells, _lossy in rows:
        if any(cells):
            header = cells
            break
    if header is None:
        raise file_error(E_EMPTY)
    positions, header = COLUMNS.positions(header)
    cleaner = _Cleaner(positions, header, result)

    def chunks() -> Iterator[list[_Clean]]:
        chunk: list[tuple[int, list[str]]] = []
        for number, cells, _lossy in rows:
            if not any(cells):
                continue
            chunk.append((number, cells))
            if len(chunk) >= CHUNK:
                result.rows_read += len(chunk)
                yield cleaner.chunk(chunk)
                chunk = []
        if chunk:
            result.rows_read += len(chunk)
            yield cleaner.chunk(chunk)

    return cleaner, chunks()


# Staging and set-wise checks (the row-by-row path) -----------------------------------------


def _from_epoch_sql(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"to_timestamp({column})"
    return f"datetime({column}, 'unixepoch')"  # the text form Django stores on SQLite


def _moment(value: Any) -> dt.datetime:
    """A datetime read by a raw query (SQLite hands back text in UTC)."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(str(value)).replace(tzinfo=dt.UTC)


class _Stage:
    """Temporary tables: the clean rows (STAGE), resolved against tubes and stored results
    (RESOLVED), and the tubes that get a result now (FRESH: barcode, outcome, ct, tested)."""

    STAGE = "lab_result_stage"
    RESOLVED = "lab_result_resolved"
    FRESH = "lab_result_fresh"

    def __init__(self) -> None:
        self.cursor = connection.cursor()
        self._drop()
        self.cursor.execute(
            f"CREATE TEMPORARY TABLE {self.STAGE} (row_number bigint, barcode text,"
            " outcome varchar(10), ct double precision, tested bigint)"
        )

    def _drop(self) -> None:
        for table in (self.STAGE, self.RESOLVED, self.FRESH):
            self.cursor.execute(f"DROP TABLE IF EXISTS {table}")

    def add(self, rows: list[_Clean]) -> None:
        if not rows:
            return
        if connection.vendor == "postgresql":
            with self.cursor.cursor.copy(f"COPY {self.STAGE} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            self.cursor.executemany(f"INSERT INTO {self.STAGE} VALUES (%s, %s, %s, %s, %s)", rows)

    def resolve(self) -> None:
        tube, member, stored = (
            Tube._meta.db_table,
            TubeMember._meta.db_table,
            Result._meta.db_table,
        )
        if connection.vendor == "sqlite":
            self.cursor.execute(f"CREATE INDEX {self.STAGE}_barcode ON {self.STAGE} (barcode)")
        self.cursor.execute(
            f"CREATE TEMPORARY TABLE {self.RESOLVED} AS"
            " SELECT s.row_number, s.barcode, s.outcome, s.ct, s.tested, t.id AS tube_id,"
            " COALESCE(r.outcome, '') AS old_outcome, t.collected_at AS collected,"
            f" CASE WHEN {_from_epoch_sql('s.tested')} < t.collected_at THEN 1 ELSE 0 END"
            " AS too_early, t.lab_id AS tube_lab, CASE WHEN t.id IS NULL OR EXISTS (SELECT 1"
            f" FROM {member} m WHERE m.tube_id = t.id) THEN 1 ELSE 0 END AS sampled"
            f" FROM {self.STAGE} s LEFT JOIN {tube} t ON t.barcode = s.barcode"
            f" LEFT JOIN {stored} r ON r.barcode = s.barcode",
            [],  # so that "%%" reads as "%" on every backend
        )

    def problems(self, lab_id: int, limit: int) -> tuple[int, list[tuple[Any, ...]]]:
        where = (
            f"FROM {self.RESOLVED} WHERE tube_id IS NULL OR sampled = 0"
            " OR (old_outcome <> '' AND old_outcome <> outcome) OR too_early = 1"
            " OR (tube_lab IS NOT NULL AND tube_lab <> %s)"
        )
        self.cursor.execute(f"SELECT count(*) {where}", [lab_id])
        total = int(self.cursor.fetchone()[0])
        if not total:
            return 0, []
        self.cursor.execute(
            "SELECT row_number, barcode, tube_id, sampled, old_outcome, outcome, tested,"
            f" collected, too_early, tube_lab {where} ORDER BY row_number LIMIT %s",
            [lab_id, limit],
        )
        return total, self.cursor.fetchall()

    def conflicts(self, limit: int) -> list[tuple[int, str, int]]:
        """(row, barcode, first row) of a tube repeated with another result or Ct."""
        self.cursor.execute(
            f"SELECT s.row_number, s.barcode, f.first_row FROM {self.STAGE} s JOIN ("
            f" SELECT barcode, min(row_number) AS first_row FROM {self.STAGE} GROUP BY barcode"
            " HAVING count(DISTINCT outcome) > 1 OR count(DISTINCT ct) > 1) f"
            " ON s.barcode = f.barcode WHERE s.row_number > f.first_row"
            " ORDER BY s.row_number LIMIT %s",
            [limit],
        )
        return [(int(a), str(b), int(c)) for a, b, c in self.cursor.fetchall()]

    def freshen(self) -> int:
        """Collect the tubes without a result yet; how many there are."""
        self.cursor.execute(
            f"CREATE TEMPORARY TABLE {self.FRESH} AS SELECT barcode, max(outcome) AS outcome,"
            " max(ct) AS ct, min(tested) AS tested"
            f" FROM {self.RESOLVED} WHERE old_outcome = '' GROUP BY barcode"
        )
        self.cursor.execute(f"SELECT count(*) FROM {self.FRESH}")
        return int(self.cursor.fetchone()[0])

    def write(self, upload_id: int) -> tuple[int, list[str]]:
        """Append the fresh results; (how many, barcodes of the positive ones)."""
        columns = ", ".join(RESULT_COLUMNS)
        self.cursor.execute(
            f"INSERT INTO {Result._meta.db_table} ({columns}) SELECT barcode, %s, outcome, ct,"
            f" {_from_epoch_sql('tested')} FROM {self.FRESH}",
            [upload_id],
        )
        written = max(self.cursor.rowcount, 0)
        self.cursor.execute(f"SELECT barcode FROM {self.FRESH} WHERE outcome = %s", [POSITIVE])
        return written, [row[0] for row in self.cursor.fetchall()]

    def close(self) -> None:
        try:
            self._drop()
        finally:
            self.cursor.close()


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _from_epoch(epoch: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)


def _check(
    stage: _Stage, lab: Lab, result: ResultsImport, locate: Callable[[int, str], str]
) -> None:
    stage.resolve()
    room = MAX_ERRORS_KEPT * 2
    total, rows = stage.problems(lab.pk, room)
    found: list[RowError] = []
    for row in rows:
        number, barcode, tube_id, sampled, old, outcome, tested, collected, early, tube_lab = row
        number = int(number)
        if tube_id is None:
            found.append(RowError(number, locate(number, "barcode"), barcode, E_TUBE_UNKNOWN))
            continue
        if not sampled:
            found.append(RowError(number, locate(number, "barcode"), barcode, E_NOT_COLLECTED))
        if tube_lab is not None and tube_lab != lab.pk:
            found.append(RowError(number, locate(number, "barcode"), barcode, E_OTHER_LAB))
        if old and old != outcome:
            label = str(Outcome(old).label) if old in Outcome.values else old
            where = locate(number, "result")
            found.append(RowError(number, where, outcome, E_OTHER_RESULT, {"result": label}))
        if early:
            params = {"collected": _local(_moment(collected))}
            value = _local(_from_epoch(tested))
            where = locate(number, "tested_at")
            found.append(RowError(number, where, value, E_BEFORE_COLLECTED, params))
    for number, barcode, first in stage.conflicts(room):
        where = locate(first, "") or gettext("row %(row)s") % {"row": first}
        params = {"where": where}
        found.append(RowError(number, locate(number, "result"), barcode, E_CONFLICT, params))
    extra = max(total - len(rows), 0)
    for error in found:
        result.add_error(error)
    result.errors.sort(key=lambda e: e.row)
    result.error_count += extra


# The column-wise path: plain CSV files straight into lab_result ------------------------------


class _Refused(Exception):
    """Some row of a plain file is wrong: undo it and read the file row by row."""


@dataclass
class _Written:
    """What the column-wise path appended: rows, positive barcodes, the barcodes' range."""

    rows: int = 0
    positives: list[str] = field(default_factory=list)
    lowest: str | None = None
    highest: str | None = None

    def add(self, block: columnar.Columns) -> None:
        self.rows += len(block)
        self.positives.extend(_positive_barcodes(block))
        low, high = columnar.barcode_range(block)
        self.lowest = low if self.lowest is None else min(self.lowest, low)
        self.highest = high if self.highest is None else max(self.highest, high)


def _write_columns(upload_id: int, blocks: Iterator[columnar.Columns]) -> _Written:
    """Append every block to lab_result.

    PostgreSQL takes the rows as one COPY in binary form, fed from a queue so the next block
    is read while the server stores the last one; SQLite takes executemany. The table's key
    refuses a tube twice (in this file, or a result stored before): IntegrityError.
    """
    written = _Written()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor
            sql = f"COPY {Result._meta.db_table} ({', '.join(RESULT_COLUMNS)}) FROM STDIN"
            with (
                connection.wrap_database_errors,  # psycopg's errors as Django's
                raw.copy(f"{sql} (FORMAT binary)", writer=QueuedLibpqWriter(raw)) as copy,
            ):
                copy.write(columnar.COPY_SIGNATURE)
                for block in blocks:
                    copy.write(columnar.copy_binary(block, upload_id, OUTCOME_BYTES))
                    written.add(block)
                copy.write(columnar.COPY_TRAILER)
            return written
        marks = ", ".join(["%s"] * len(RESULT_COLUMNS))
        sql = f"INSERT INTO {Result._meta.db_table} ({', '.join(RESULT_COLUMNS)}) VALUES ({marks})"
        for block in blocks:
            cursor.executemany(sql, _sqlite_rows(block, upload_id))
            written.add(block)
    return written


def _positive_barcodes(block: columnar.Columns) -> list[str]:
    if not block.positive.any():
        return []
    return [str(b) for b in block.barcode.take(np.nonzero(block.positive)[0]).to_pylist()]


def _sqlite_rows(block: columnar.Columns, upload_id: int) -> list[tuple[Any, ...]]:
    stamps = pa.array(block.tested_us, type=pa.timestamp("us", tz="UTC"))
    tested = pc.strftime(stamps, format="%Y-%m-%d %H:%M:%S").to_pylist()
    outcome = np.where(block.positive, POSITIVE, NEGATIVE).tolist()
    ct = [None if c != c else c for c in block.ct.tolist()]  # NaN → NULL
    barcodes = block.barcode.to_pylist()
    return list(zip(barcodes, [upload_id] * len(block), outcome, ct, tested, strict=True))


def _wrong_rows(upload_id: int, lab_id: int, written: _Written) -> int:
    """Rows of the upload that are wrong: unknown tube, nobody sampled, tested before it was
    collected, another lab's tube. Tubes that left the site were never empty: they went
    through `tubes_send`, which refuses empty tubes, and members are never taken out.

    Only tubes within the upload's barcode range are read (both barcode columns sort
    byte-wise on PostgreSQL, as Python compares them): a lab's file covers the kits it
    received, not the whole history of tubes."""
    tube, member = Tube._meta.db_table, TubeMember._meta.db_table
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres:  # a large upload: hash it in memory (no statistics on its rows yet)
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute("SET LOCAL enable_nestloop = off")
        cursor.execute(
            f"SELECT count(*) FROM {Result._meta.db_table} r LEFT JOIN {tube} t"
            " ON t.barcode = r.barcode AND t.barcode >= %s AND t.barcode <= %s"
            " WHERE r.upload_id = %s AND (t.id IS NULL"
            " OR r.tested_at < t.collected_at OR (t.lab_id IS NOT NULL AND t.lab_id <> %s)"
            f" OR (t.status = %s AND NOT EXISTS (SELECT 1 FROM {member} m"
            " WHERE m.tube_id = t.id)))",
            [written.lowest, written.highest, upload_id, lab_id, TubeStatus.COLLECTED],
        )
        wrong = int(cursor.fetchone()[0])
        if postgres:
            cursor.execute("RESET enable_nestloop")
        return wrong


def _plain_blocks(path: Path, result: ResultsImport) -> Iterator[columnar.Columns] | None:
    """Blocks of a plain CSV file (the header checked as for any file), or None."""
    plain = columnar.first_line(path, result.kind)
    time_zone = getattr(timezone.get_current_timezone(), "key", "")
    if plain is None or not time_zone:
        return None
    positions, header = COLUMNS.positions(plain.names)
    if len(header) != len(plain.names):
        return None
    words = {word: outcome == Outcome.POSITIVE for word, outcome in RESULT_WORDS.items()}
    latest_us = _latest() * 1_000_000
    blocks = columnar.plain_columns(
        plain, positions, words=words, time_zone=time_zone, latest_us=latest_us, ct_max=CT_MAX
    )
    return _within_rows(blocks, Limits.from_settings().rows)


def _within_rows(blocks: Iterator[columnar.Columns], limit: int) -> Iterator[columnar.Columns]:
    """The blocks until the file passes the row limit; then the row-by-row reader names it."""
    seen = 0
    for block in blocks:
        seen += len(block)
        if seen > limit:
            raise columnar.NotPlain
        yield block


def _columnwise(actor: Any, lab: Lab, path: Path, result: ResultsImport) -> list[int] | None:
    """Apply a plain file straight from its columns; None when it must be read row by row
    (not plain, or some row is wrong: then nothing of this attempt is kept)."""
    if path.stat().st_size < COLUMNWISE_FROM:
        return None
    blocks = _plain_blocks(path, result)
    if blocks is None:
        return None
    try:
        with transaction.atomic():
            upload = _upload_create(actor, lab, result)
            written = _write_columns(upload.pk, blocks)
            if not written.rows or _wrong_rows(upload.pk, lab.pk, written):
                raise _Refused
    except (columnar.NotPlain, _Refused, IntegrityError):
        return None
    result.rows_read = result.applied = written.rows
    return _finish(actor, lab, upload, written.positives, result)


# Writing ------------------------------------------------------------------------------------


def _upload_create(actor: Any, lab: Lab, result: ResultsImport) -> ResultUpload:
    return ResultUpload.objects.create(
        lab=lab,
        sha256=result.sha256,
        filename=result.filename[:300],
        format=result.format,
        rows=result.rows_read,
        uploaded_by=actor,
    )


def _apply(stage: _Stage, actor: Any, lab: Lab, result: ResultsImport) -> list[int]:
    """Append the fresh results of a checked stage and follow them up."""
    upload = _upload_create(actor, lab, result)
    fresh = stage.freshen()
    result.applied, positives = stage.write(upload.pk)
    if result.applied != fresh:
        raise IntegrityError("tubes resulted concurrently")
    return _finish(actor, lab, upload, positives, result)


def _finish(
    actor: Any, lab: Lab, upload: ResultUpload, positives: list[str], result: ResultsImport
) -> list[int]:
    """Pools, retests and cases for the new results; the upload's one event (its figures,
    the file's digest as basis); the people whose facts changed."""
    result.already_applied = result.rows_read - result.applied
    tally.results_tallied(upload.pk)
    report = pools.tubes_resulted(
        actor=actor, upload=upload, positives=positives, reason=result.filename
    )
    result.positives = report.positives
    result.retests_created = report.retests_created
    result.controls_started = report.controls_started
    result.controls_cleared = report.controls_cleared
    result.cases_opened = report.cases_opened
    upload.rows, upload.applied = result.rows_read, result.applied
    upload.save(update_fields=["rows", "applied"])
    event_record(
        actor=actor,
        action="results.uploaded",
        obj=upload,
        division_key=lab.division_key,
        reason=result.filename,
        basis=f"sha256:{result.sha256}",
        data={"lab": lab.code, "sha256": result.sha256, **result.figures()},
    )
    return report.person_ids


def _csv_locate(names: dict[str, str]) -> Callable[[int, str], str]:
    return lambda number, canon: names.get(canon, "")


def _fhir_locate(rows: list[fhir.FhirRow]) -> Callable[[int, str], str]:
    paths = {row.number: row.paths for row in rows}

    def locate(number: int, canon: str) -> str:
        row_paths = paths.get(number, {})
        if not canon:
            return f"Bundle.entry[{number}]"
        return row_paths.get(canon, f"Bundle.entry[{number}]")

    return locate


def _fhir_rows(data: Any, result: ResultsImport) -> tuple[list[_Clean], Callable[..., str]]:
    read = fhir.read_bundle(data)
    for error in read.errors:
        result.add_error(error)
    latest = _latest()
    rows: list[_Clean] = []
    for row in read.rows:
        epoch = int(row.tested.timestamp())
        if epoch > latest:
            where = row.paths["tested_at"]
            result.add_error(RowError(row.number, where, row.tested.isoformat(), E_FUTURE))
            continue
        rows.append((row.number, row.barcode, row.outcome, row.ct, epoch))
    result.rows_read = len(read.rows)
    return rows, _fhir_locate(read.rows)


def _looks_like_json(path: Path) -> bool:
    with path.open("rb") as fh:
        head = fh.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{")


def _run(actor: Any, lab: Lab, path: Path | None, bundle: Any, result: ResultsImport) -> list[int]:
    tally.results_lock(exclusive=True)  # nobody is sampled into a tube being resulted
    if path is not None and result.format == "csv":
        people = _columnwise(actor, lab, path, result)
        if people is not None:
            result.written = True
            return people
    stage = _Stage()
    try:
        if path is not None and not _looks_like_json(path):
            result.format = "xlsx" if result.format == "xlsx" else "csv"
            cleaner, chunks = _file_chunks(path, result.kind, result)
            for rows in chunks:
                stage.add(rows)
            locate = _csv_locate(cleaner.names)
        else:
            if path is not None:
                try:
                    bundle = load_json(path.read_bytes(), column="Bundle")
                except ValueError:
                    raise file_error(fhir.E_NOT_JSON, column="Bundle") from None
            result.format = "fhir"
            rows, locate = _fhir_rows(bundle, result)
            if not result.ok:
                result.fatal = True
                return []
            stage.add(rows)
        _check(stage, lab, result, locate)
        if not result.ok:
            return []
        people = _apply(stage, actor, lab, result)
        result.written = True
        return people
    finally:
        stage.close()


def _digest(path: Path | None, bundle: Any, result: ResultsImport) -> str:
    """The upload's SHA-256 (file bytes, or the Bundle's canonical JSON); sets the format."""
    if path is not None:
        sha256, kind = scan(path)
        result.kind = kind
        if _looks_like_json(path):
            result.format = "fhir"
        elif kind == "xlsx":
            result.format = "xlsx"
        elif kind == "xls":
            read_rows(path, kind)  # raises the "save as .xlsx" problem
        elif path.suffix.lower() not in {".csv", ".txt", ""}:
            raise file_error(E_NOT_SUPPORTED)
        else:
            result.format = "csv"
        return sha256
    if not isinstance(bundle, bytes) and json_depth(bundle) > JSON_MAX_DEPTH:
        raise file_error(E_JSON_DEPTH, column="Bundle", params={"limit": JSON_MAX_DEPTH})
    raw = bundle if isinstance(bundle, bytes) else json.dumps(bundle, sort_keys=True).encode()
    return hashlib.sha256(raw).hexdigest()


def results_import(
    *,
    actor: Any,
    lab: Lab,
    path: str | Path | None = None,
    bundle: Any = None,
    filename: str = "",
) -> ResultsImport:
    """Validate a lab's results (a CSV/XLSX file at `path`, or a FHIR Bundle as parsed JSON)
    and apply them all, or none when anything is wrong.

    Tubes get their result, Ct and test time; positive pools put their members under
    temporary control with single-tube retests; positive single tubes open cases; negative
    retests clear the control. Uploading the same results again changes nothing.
    """
    require(actor, Cap.RESULTS_UPLOAD)
    if not labs_for_user(actor, Cap.RESULTS_UPLOAD).filter(pk=lab.pk).exists():
        raise field_error("lab", _("This laboratory is outside your jurisdiction"))
    started = time.perf_counter()
    file_path = Path(path) if path is not None else None
    name = filename or (file_path.name if file_path else "bundle.json")
    result = ResultsImport(filename=name)
    with deferred():  # cases opened by the upload: their people recomputed once
        people = _import(actor, lab, file_path, bundle, result)
        if people:
            changed("person", people)  # their health codes
    result.seconds = time.perf_counter() - started
    return result


def _import(
    actor: Any, lab: Lab, file_path: Path | None, bundle: Any, result: ResultsImport
) -> list[int]:
    people: list[int] = []
    try:
        result.sha256 = _digest(file_path, bundle, result)
        earlier = ResultUpload.objects.filter(lab=lab, sha256=result.sha256).first()
        if earlier is not None:
            result.rows_read = result.already_applied = earlier.rows
            result.uploaded_before = earlier.uploaded_at
            result.written = True
        else:
            with transaction.atomic():
                people = _run(actor, lab, file_path, bundle, result)
    except FileProblem as problem:
        result.fatal = True
        result.add_error(problem.error)
    except IntegrityError:
        result.fatal = True
        result.written = False
        result.add_error(RowError(0, "", "", E_CONCURRENT))
    return people


SAMPLE_ROWS = (
    ("T20220507000001", "阴性", "", "2022-05-07 20:15"),
    ("T20220507000002", "阳性", "28.5", "2022-05-07 20:15"),
)


def sample_csv() -> str:
    return COLUMNS.sample_csv(SAMPLE_ROWS)
