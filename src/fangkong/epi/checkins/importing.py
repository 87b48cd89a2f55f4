"""Venue check-in import (场所码 scans) from CSV or Parquet, by the tens of millions.

The file is read in chunks: CSV with the resident import's reader (UTF-8 or GBK/GB18030,
row numbers as the user sees them), Parquet with pyarrow record batches. Each chunk's ID
numbers and venue codes are resolved with batched `__in` lookups into a dict that lives for
the import, times are parsed column-wise with NumPy (row by row only to name a bad cell),
and the valid rows go into a temporary staging table. Duplicates inside the file are found
in the staging table with one GROUP BY. Only when no row is wrong is the staging table
copied into `epi_checkin` with a single INSERT … SELECT that skips check-ins already stored
(ON CONFLICT DO NOTHING / INSERT OR IGNORE on the (person, venue, time in) constraint), so a
file is written whole or not at all, and importing it again adds nothing.
"""

import datetime as dt
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from fangkong.audit.services import event_record
from fangkong.core import dates
from fangkong.core.access import Cap, in_scope, require, scope_key, scoped
from fangkong.core.db import LOOKUP_BATCH
from fangkong.core.tabular import (
    E_EMPTY,
    E_EXTRA_CELLS,
    E_MISSING_CELLS,
    E_REQUIRED,
    Columns,
    FileProblem,
    ImportResult,
    RowError,
    check_parquet,
    file_error,
    read_rows,
    scan,
)
from fangkong.core.uploads import uploaded_path
from fangkong.epi.finding.index import checkins_changed
from fangkong.people.models import Resident
from fangkong.places.models import Venue

CHUNK = 50_000

COLUMNS = Columns(
    names=("id_number", "venue_code", "time_in", "time_out"),
    chinese={
        "id_number": "身份证号",
        "venue_code": "场所码",
        "time_in": "进入时间",
        "time_out": "离开时间",
    },
    aliases={
        "id_number": ("身份证号", "身份证号码", "公民身份号码", "证件号码", "idnumber", "personid"),
        "venue_code": ("场所码", "场所编码", "场所代码", "venuecode", "venue"),
        "time_in": ("进入时间", "入场时间", "签到时间", "扫码时间", "timein", "checkin", "in"),
        "time_out": ("离开时间", "离场时间", "签离时间", "timeout", "checkout", "out"),
    },
    required=("id_number", "venue_code", "time_in", "time_out"),
)

E_NOT_SUPPORTED = gettext_noop("Only CSV and Parquet files can be imported")
E_PARQUET = gettext_noop("The Parquet file cannot be read: it is damaged or truncated")
E_TRUNCATED = gettext_noop("The file ends in the middle of this row: it looks truncated")
E_PERSON_UNKNOWN = gettext_noop("No person is registered with this ID number")
E_VENUE_UNKNOWN = gettext_noop("No venue has this code")
E_VENUE_SCOPE = gettext_noop("This venue is outside your jurisdiction")
E_TIME = gettext_noop("Not a time: write it as 2022-05-01 08:30 or 2022-05-01 08:30:00")
E_OUT_BEFORE_IN = gettext_noop("Time out is before time in")
E_DUPLICATE_ROW = gettext_noop("This check-in already appears in row %(row)s")

TIME_RE = re.compile(
    r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?[T ]+(\d{1,2})[:时](\d{2})(?:[:分](\d{2}))?秒?$"
)


@dataclass
class CheckinImportResult(ImportResult):
    created: int = 0
    already_present: int = 0


# Reading ------------------------------------------------------------------------------------


def parse_header(cells: list[str]) -> dict[str, int]:
    return COLUMNS.positions(cells)[0]


@dataclass
class _Chunk:
    """Rows of the file as columns of text (or datetimes from Parquet)."""

    numbers: list[int]
    columns: dict[str, list[Any]]
    short: set[int] = field(default_factory=set)  # positions of rows with missing cells
    extra: set[int] = field(default_factory=set)


def _csv_chunks(path: Path, encoding: str) -> tuple[dict[str, str], Iterator[_Chunk]]:
    rows = read_rows(path, encoding)
    header: list[str] | None = None
    for _number, cells, _lossy in rows:
        if any(cells):
            header = cells
            break
    if header is None:
        raise file_error(E_EMPTY)
    pos = parse_header(header)
    width = max(pos.values()) + 1
    names = {canon: header[i] for canon, i in pos.items()}

    def chunks() -> Iterator[_Chunk]:
        chunk = _Chunk([], {c: [] for c in COLUMNS})
        for number, cells, _lossy in rows:
            if not any(cells):
                continue
            at = len(chunk.numbers)
            chunk.numbers.append(number)
            if len(cells) < width:
                chunk.short.add(at)
                cells = cells + [""] * (width - len(cells))
            elif len(cells) > width and any(cells[width:]):
                chunk.extra.add(at)
            for canon, i in pos.items():
                chunk.columns[canon].append(cells[i])
            if len(chunk.numbers) >= CHUNK:
                yield chunk
                chunk = _Chunk([], {c: [] for c in COLUMNS})
        if chunk.numbers:
            yield chunk

    return names, chunks()


def _parquet_chunks(path: Path) -> tuple[dict[str, str], Iterator[_Chunk]]:
    # pyarrow costs ~0.2 s to import and only check-in Parquet files need it.
    from pyarrow import ArrowException, parquet

    try:
        reader = parquet.ParquetFile(path)
    except (ArrowException, OSError):
        raise file_error(E_PARQUET) from None
    check_parquet(reader.metadata)
    header = list(reader.schema_arrow.names)
    pos = parse_header(header)
    names = {canon: header[i] for canon, i in pos.items()}

    def chunks() -> Iterator[_Chunk]:
        first = 2  # row 1 is the header, as in a CSV
        try:
            for batch in reader.iter_batches(batch_size=CHUNK, columns=list(names.values())):
                columns = {canon: batch.column(names[canon]).to_pylist() for canon in COLUMNS}
                numbers = list(range(first, first + batch.num_rows))
                first += batch.num_rows
                yield _Chunk(numbers, columns)
        except (ArrowException, OSError):
            raise file_error(E_PARQUET, row=first) from None

    return names, chunks()


# Cleaning -----------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _epoch_one(value: Any, tz: Any) -> int | None:
    """Epoch seconds of one cell (text, datetime or date), None if it is not a time."""
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=tz)
        try:
            return int(aware.timestamp())
        except (OverflowError, ValueError):
            return None
    text = _text(value)
    match = TIME_RE.match(text)
    if match is None:
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            return None
        return _epoch_one(parsed, tz)
    y, mo, d, h, mi, s = (int(g) if g else 0 for g in match.groups())
    try:
        return int(dt.datetime(y, mo, d, h, mi, s, tzinfo=tz).timestamp())
    except ValueError:
        return None


def _epochs(values: list[Any], tz: Any) -> tuple[np.ndarray, np.ndarray]:
    """(epoch seconds, ok mask) for a column; NumPy parses the common forms in one call."""
    n = len(values)
    if n and all(isinstance(v, str) for v in values):
        try:
            parsed = np.array(values, dtype="datetime64[s]")
        except ValueError:
            parsed = None
        if parsed is not None and not np.isnat(parsed).any():
            local = parsed.astype(np.int64)
            lo, hi = int(local.min()), int(local.max())
            first, last = _utcoffset(lo, tz), _utcoffset(hi, tz)
            if first is not None and first == last:
                return local - first, np.ones(n, dtype=bool)
    out = np.zeros(n, dtype=np.int64)
    ok = np.ones(n, dtype=bool)
    for i, value in enumerate(values):
        seconds = _epoch_one(value, tz)
        if seconds is None:
            ok[i] = False
        else:
            out[i] = seconds
    return out, ok


def _utcoffset(local_seconds: int, tz: Any) -> int | None:
    """The zone's offset at that local time; None outside Python's calendar (NumPy reads
    years such as 0 or 10000; those rows are then read one by one and marked bad)."""
    try:
        naive = dt.datetime(1970, 1, 1) + dt.timedelta(seconds=local_seconds)
    except OverflowError:
        return None
    offset = naive.replace(tzinfo=tz).utcoffset()
    return int(offset.total_seconds()) if offset else 0


class _Resolver:
    """ID numbers and venue codes → ids, looked up in batches and kept for the whole import."""

    def __init__(self, actor: Any) -> None:
        self.actor = actor
        self.people: dict[str, int | None] = {}
        self.venues: dict[str, tuple[int, bool] | None] = {}  # code → (pk, in scope)

    def resolve(self, ids: set[str], codes: set[str]) -> None:
        missing = [i for i in ids if i not in self.people]
        for start in range(0, len(missing), LOOKUP_BATCH):
            batch = missing[start : start + LOOKUP_BATCH]
            self.people.update(dict.fromkeys(batch))
            found = Resident.objects.filter(id_number__in=batch).values_list("id_number", "pk")
            self.people.update(found)
        missing = [c for c in codes if c not in self.venues]
        for start in range(0, len(missing), LOOKUP_BATCH):
            batch = missing[start : start + LOOKUP_BATCH]
            self.venues.update(dict.fromkeys(batch))
            rows = Venue.objects.filter(code__in=batch).values_list("code", "pk", "division_key")
            for code, pk, key in rows:
                self.venues[code] = (pk, in_scope(self.actor, key))


class _Stage:
    """A temporary table holding the valid rows until the file is known to be good."""

    TABLE = "epi_checkin_stage"

    def __init__(self) -> None:
        self.cursor = connection.cursor()
        self.cursor.execute(f"DROP TABLE IF EXISTS {self.TABLE}")
        self.cursor.execute(
            f"CREATE TEMPORARY TABLE {self.TABLE} (row_number bigint, person_id bigint,"
            " venue_id bigint, t_in bigint, t_out bigint)"
        )

    def add(self, rows: list[tuple[int, int, int, int, int]]) -> None:
        if connection.vendor == "postgresql":
            sql = f"COPY {self.TABLE} FROM STDIN"
            with self.cursor.cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            self.cursor.executemany(f"INSERT INTO {self.TABLE} VALUES (%s, %s, %s, %s, %s)", rows)

    def duplicates(self) -> list[tuple[int, int]]:
        """(row, first row with the same person, venue and time in) of repeated rows."""
        self.cursor.execute(
            f"SELECT s.row_number, f.first_row FROM {self.TABLE} s JOIN ("
            f" SELECT person_id, venue_id, t_in, min(row_number) AS first_row FROM {self.TABLE}"
            " GROUP BY person_id, venue_id, t_in HAVING count(*) > 1) f"
            " ON s.person_id = f.person_id AND s.venue_id = f.venue_id AND s.t_in = f.t_in"
            " WHERE s.row_number > f.first_row ORDER BY s.row_number"
        )
        return [(int(a), int(b)) for a, b in self.cursor.fetchall()]

    def publish(self) -> int:
        """Copy into epi_checkin, skipping what is stored already; how many were added."""
        if connection.vendor == "postgresql":
            sql = (
                "INSERT INTO epi_checkin (person_id, venue_id, time_in, time_out)"
                " SELECT person_id, venue_id, to_timestamp(t_in), to_timestamp(t_out)"
                f" FROM {self.TABLE} ON CONFLICT (person_id, venue_id, time_in) DO NOTHING"
            )
        else:
            sql = (
                "INSERT OR IGNORE INTO epi_checkin (person_id, venue_id, time_in, time_out)"
                " SELECT person_id, venue_id, datetime(t_in, 'unixepoch'),"
                f" datetime(t_out, 'unixepoch') FROM {self.TABLE}"
            )
        self.cursor.execute(sql)
        return max(self.cursor.rowcount, 0)

    def close(self) -> None:
        try:
            self.cursor.execute(f"DROP TABLE IF EXISTS {self.TABLE}")
        finally:
            self.cursor.close()


def _out_of_bounds(seconds: int, first: int, tz: Any) -> str:
    """Why a time before the epoch or in the future is refused (the rule of fangkong.core.dates)."""
    try:
        moment = dt.datetime.fromtimestamp(seconds, tz)
    except (OverflowError, OSError, ValueError):
        moment = (dt.datetime.min if seconds < first else dt.datetime.max).replace(tzinfo=tz)
    return dates.date_problem(moment) or E_TIME


def _check_chunk(
    chunk: _Chunk, names: dict[str, str], resolver: _Resolver, result: CheckinImportResult
) -> list[tuple[int, int, int, int, int]]:
    tz = timezone.get_current_timezone()
    ids = [_text(v).replace(" ", "").upper() for v in chunk.columns["id_number"]]
    codes = [_text(v) for v in chunk.columns["venue_code"]]
    resolver.resolve(set(ids) - {""}, set(codes) - {""})
    t_in, in_ok = _epochs(chunk.columns["time_in"], tz)
    t_out, out_ok = _epochs(chunk.columns["time_out"], tz)
    first, last = (int(m.timestamp()) for m in dates.moment_bounds())
    good: list[tuple[int, int, int, int, int]] = []
    for at, number in enumerate(chunk.numbers):
        errors: list[tuple[str, str, str]] = []  # (column, value, message)
        if at in chunk.extra:
            errors.append(("", "", E_EXTRA_CELLS))
        if at in chunk.short:
            errors.append(("", "", E_MISSING_CELLS))
        person = resolver.people.get(ids[at]) if ids[at] else None
        if not ids[at]:
            errors.append(("id_number", "", E_REQUIRED))
        elif person is None:
            errors.append(("id_number", ids[at], E_PERSON_UNKNOWN))
        venue = resolver.venues.get(codes[at]) if codes[at] else None
        if not codes[at]:
            errors.append(("venue_code", "", E_REQUIRED))
        elif venue is None:
            errors.append(("venue_code", codes[at], E_VENUE_UNKNOWN))
        elif not venue[1]:
            errors.append(("venue_code", codes[at], E_VENUE_SCOPE))
        for canon, ok, seconds in (
            ("time_in", in_ok[at], t_in[at]),
            ("time_out", out_ok[at], t_out[at]),
        ):
            raw = _text(chunk.columns[canon][at])
            if not ok:
                errors.append((canon, raw, E_REQUIRED if not raw else E_TIME))
            elif not first <= seconds <= last:
                errors.append((canon, raw, _out_of_bounds(int(seconds), first, tz)))
        if in_ok[at] and out_ok[at] and t_out[at] < t_in[at]:
            raw = _text(chunk.columns["time_out"][at])
            errors.append(("time_out", raw, E_OUT_BEFORE_IN))
        if errors:
            for canon, value, message in errors:
                column = names.get(canon, "")
                result.add_error(RowError(number, column, value, message))
            continue
        assert person is not None and venue is not None
        good.append((number, person, venue[0], int(t_in[at]), int(t_out[at])))
    return good


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as fh:
        fh.seek(0, 2)
        if fh.tell() == 0:
            return True
        fh.seek(-1, 2)
        return fh.read(1) in (b"\n", b"\r")


def _open(path: Path, result: CheckinImportResult) -> tuple[dict[str, str], Iterator[_Chunk]]:
    result.sha256, kind = scan(path)
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic == b"PAR1" or path.suffix.lower() == ".parquet":
        return _parquet_chunks(path)
    if kind in {"xlsx", "xls"} or path.suffix.lower() not in {".csv", ".txt", ""}:
        raise file_error(E_NOT_SUPPORTED)
    return _csv_chunks(path, kind)


def import_checkins(*, actor: Any, path: str | Path, filename: str = "") -> CheckinImportResult:
    """Validate a check-in file and add its check-ins: all of them, or none when a row is bad.

    Check-ins already stored (same person, venue and time in) are counted, not added again.
    """
    require(actor, Cap.CHECKINS_IMPORT)
    started = time.perf_counter()
    path = Path(path)
    result = CheckinImportResult(filename=filename or path.name)
    try:
        with transaction.atomic():
            _run(actor, path, result)
    except FileProblem as problem:
        result.fatal = True
        result.add_error(problem.error)
    result.seconds = time.perf_counter() - started
    if result.written:
        checkins_changed()
    return result


class _Rollback(Exception):
    pass


def _run(actor: Any, path: Path, result: CheckinImportResult) -> None:
    names, chunks = _open(path, result)
    resolver = _Resolver(actor)
    stage = _Stage()
    try:
        last_row, last_bad = 0, False
        for chunk in chunks:
            result.rows_read += len(chunk.numbers)
            errors_before = result.error_count
            stage.add(_check_chunk(chunk, names, resolver, result))
            last_row = chunk.numbers[-1]
            last_bad = result.error_count > errors_before and any(
                e.row == last_row for e in result.errors[-8:]
            )
        if (
            last_row
            and last_bad
            and path.suffix.lower() != ".parquet"
            and not _ends_with_newline(path)
        ):
            result.add_error(RowError(last_row, "", "", E_TRUNCATED))
        for number, first in stage.duplicates():
            column = names["time_in"]
            error = RowError(number, column, "", E_DUPLICATE_ROW, {"row": first})
            result.add_error(error)
        if result.ok:
            result.created = stage.publish()
            result.already_present = result.rows_read - result.created
            result.written = True
            _audit(actor, result)
    finally:
        stage.close()


def _audit(actor: Any, result: CheckinImportResult) -> None:
    event_record(
        actor=actor,
        action="checkins.imported",
        object_type="epi.checkin_import",
        object_id=result.sha256[:16],
        division_key=scope_key(actor),
        reason=result.filename,
        data=result.event_data("created", "already_present"),
    )


SAMPLE_ROWS = (
    ("411002198005170014", "V-WD-0001", "2022-05-01 08:30", "2022-05-01 09:10"),
    ("411002198208230021", "V-WD-0001", "2022-05-01 08:45", "2022-05-01 09:05"),
)


def sample_csv(user: Any = None) -> str:
    """An example file; for a user, made of two residents and a venue of their jurisdiction
    (yesterday morning), so that importing it as it is works. Without them, `SAMPLE_ROWS`."""
    rows: tuple[tuple[str, ...], ...] = SAMPLE_ROWS
    if user is not None:
        people = list(
            scoped(Resident.objects.order_by("division_key", "id"), user).values_list(
                "id_number", flat=True
            )[:2]
        )
        venue = scoped(Venue.objects.order_by("division_key", "code"), user).first()
        if people and venue is not None:
            day = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
            times = (("08:30", "09:10"), ("08:45", "09:05"))
            rows = tuple(
                (number, venue.code, f"{day} {t_in}", f"{day} {t_out}")
                for number, (t_in, t_out) in zip(people, times, strict=False)
            )
    return COLUMNS.sample_csv(rows)


def run_upload(actor: object, upload: object) -> CheckinImportResult:
    """Import an uploaded file (from disk when Django spooled it there): the page and the API."""
    name = getattr(upload, "name", "") or "upload.csv"
    with uploaded_path(upload) as path:
        return import_checkins(actor=actor, path=path, filename=name)
