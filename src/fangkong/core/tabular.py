"""Spreadsheets in and out: one reader for every import, one writer for every export.

Reading (CSV in UTF-8/GBK/GB18030/UTF-16, XLSX, Parquet and FHIR JSON checks) enforces the
limits in settings (`IMPORT_MAX_*`, see `Limits`) before a file is parsed: its size, an XLSX
archive's parts, their unpacked sizes and compression ratio, then rows and columns while the
file streams. A file over a limit, cut in the middle of a character, in an unknown encoding,
or with a cell holding a control character or a formula raises `FileProblem` naming the row,
the column and the limit, so an importer stops before it writes anything.

Writing neutralises formula injection (OWASP "CSV injection"): a text cell starting with
`=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, in CSV and XLSX alike, and
XLSX cells holding text are always stored as text, never as a formula. Numbers and dates
are left as they are.
"""

import codecs
import csv
import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import openpyxl
from django.conf import settings
from django.utils.translation import gettext, gettext_noop
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

# Writing ------------------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(value: Any) -> Any:
    """The value as it may go into an exported cell: text that a spreadsheet would read as a
    formula gets a leading quote; anything that is not text is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def inert_row(values: Iterable[Any]) -> list[Any]:
    return [inert(v) for v in values]


class CsvOut:
    """csv.writer whose cells are neutralised; use it for every CSV a user downloads."""

    def __init__(self, out: Any, **options: Any) -> None:  # anything with write(str)
        self._writer = csv.writer(out, **options)

    def writerow(self, values: Iterable[Any]) -> Any:
        return self._writer.writerow(inert_row(values))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_text(rows: Iterable[Iterable[Any]]) -> str:
    """Rows as CSV text (a sample file, a small export), through the same neutraliser."""
    out = io.StringIO()
    CsvOut(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def xlsx_row(sheet: Any, values: Iterable[Any]) -> list[Any]:
    """Cells for `sheet.append(...)` (a write-only or an ordinary worksheet): text is
    neutralised, stripped of the control characters XLSX cannot hold, and typed as text, so
    openpyxl never stores it as a formula (or as an error such as #N/A)."""
    row: list[Any] = []
    for value in values:
        if isinstance(value, str):
            cell = WriteOnlyCell(sheet, value=None)
            cell._value = inert(ILLEGAL_CHARACTERS_RE.sub("\ufffd", value))
            cell.data_type = "s"
            row.append(cell)
        else:
            row.append(value)
    return row


def xlsx_append(sheet: Any, values: Iterable[Any]) -> None:
    sheet.append(xlsx_row(sheet, values))


# Reading: limits and problems ---------------------------------------------------------------

MB = 1024 * 1024
XLSX_MAX_ROWS = 1_048_576  # what a worksheet can hold
JSON_MAX_DEPTH = 64  # a FHIR Bundle nests about ten levels
RATIO_FROM_BYTES = MB  # smaller archive members are not judged by their compression ratio
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

E_NOT_TABULAR = gettext_noop("Only CSV and XLSX files can be imported")
E_OLD_XLS = gettext_noop("Old .xls workbooks cannot be read: save the file as .xlsx or CSV")
E_UNREADABLE_XLSX = gettext_noop("The workbook cannot be read; save it again as .xlsx")
E_ENCODING = gettext_noop("The file is neither UTF-8 nor GBK text")
E_CUT_CHARACTER = gettext_noop(
    "The file ends in the middle of a character: it looks truncated; export it again"
)
E_BROKEN_CSV = gettext_noop("This row cannot be read as CSV: %(detail)s")
E_CONTROL = gettext_noop("This cell holds a control character (such as NUL) that text cannot hold")
E_FORMULA = gettext_noop(
    "This cell holds a spreadsheet formula; type the value itself (a formula is never imported)"
)
E_EMPTY = gettext_noop("The file is empty: its first row must name the columns")
E_TOO_BIG = gettext_noop("The file is larger than %(limit)s MB")
E_TOO_MANY_ROWS = gettext_noop("A file may hold at most %(limit)s rows")
E_TOO_MANY_COLUMNS = gettext_noop("A row may hold at most %(limit)s columns")
E_ZIP_MEMBERS = gettext_noop("The workbook holds more than %(limit)s parts")
E_ZIP_TOTAL = gettext_noop("The workbook unpacks to more than %(limit)s MB")
E_ZIP_MEMBER = gettext_noop("A part of the workbook unpacks to more than %(limit)s MB")
E_ZIP_RATIO = gettext_noop(
    "The workbook is compressed more than %(limit)s times: it looks like a zip bomb"
)
E_PARQUET_SIZE = gettext_noop("The Parquet file unpacks to more than %(limit)s MB")
E_JSON_DEPTH = gettext_noop("The JSON is nested more than %(limit)s levels deep")
E_MISSING_COLUMN = gettext_noop("Required column %(column)s is missing")
E_UNKNOWN_COLUMN = gettext_noop("Unknown column; the columns are: %(allowed)s")
E_DUPLICATE_COLUMN = gettext_noop("This column appears twice")
# Reasons every row reader gives.
E_REQUIRED = gettext_noop("This value is required")
E_EXTRA_CELLS = gettext_noop("This row has more cells than the header has columns")
E_MISSING_CELLS = gettext_noop("This row has fewer cells than the header has columns")
E_NUMBER_LOST = gettext_noop(
    "Stored as a number, so digits were lost; format the column as text and type it again"
)

MAX_ERRORS_KEPT = 500  # an import counts every error and keeps this many to show


@dataclass(frozen=True)
class Limits:
    """What one imported file may hold (settings.IMPORT_* from FANGKONG_IMPORT_MAX_*)."""

    upload_mb: int
    rows: int
    columns: int
    uncompressed_mb: int
    member_mb: int
    ratio: int
    members: int

    @classmethod
    def from_settings(cls) -> "Limits":
        return cls(
            upload_mb=settings.IMPORT_MAX_UPLOAD_MB,
            rows=settings.IMPORT_MAX_ROWS,
            columns=settings.IMPORT_MAX_COLUMNS,
            uncompressed_mb=settings.IMPORT_MAX_UNCOMPRESSED_MB,
            member_mb=settings.IMPORT_MAX_MEMBER_MB,
            ratio=settings.IMPORT_MAX_RATIO,
            members=settings.IMPORT_MAX_MEMBERS,
        )


@dataclass(frozen=True)
class RowError:
    """One problem: the row and column as the user sees them in the file, and why."""

    row: int
    column: str
    value: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        text = gettext(self.message)
        return text % self.params if self.params else text

    def as_list(self) -> list[Any]:
        return [self.row, self.column, self.value, self.message, self.params]


class FileProblem(Exception):
    """The file as a whole cannot be imported; nothing of it is written."""

    def __init__(self, error: RowError) -> None:
        super().__init__(error.message)
        self.error = error


def file_error(
    message: str, column: str = "", row: int = 0, params: dict[str, Any] | None = None
) -> FileProblem:
    error = RowError(row=row, column=column, value="", message=message, params=params or {})
    return FileProblem(error)


# What an import reads and what it did ------------------------------------------------------


@dataclass(frozen=True)
class Columns:
    """The columns of one kind of import file: canonical names in the sample's order, the
    Chinese header of each, the other names people write for them (matched ignoring case,
    spaces, marks and bracketed notes, see `header_key`) and which must be present."""

    names: tuple[str, ...]
    chinese: Mapping[str, str]
    aliases: Mapping[str, tuple[str, ...]]
    required: tuple[str, ...] = ()

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    @cached_property
    def header_map(self) -> dict[str, str]:
        return {alias: canon for canon, names in self.aliases.items() for alias in names}

    def positions(
        self, cells: list[str], required: Sequence[str] | None = None
    ) -> tuple[dict[str, int], list[str]]:
        """Canonical column → position in the header row (see `header_positions`)."""
        return header_positions(
            cells,
            columns=self.names,
            required=self.required if required is None else required,
            chinese=self.chinese,
            aliases=self.header_map,
        )

    def label(self, canon: str) -> str:
        """How an error names a column: its Chinese header and its English name."""
        return f"{self.chinese.get(canon, canon)}/{canon}"

    def sample_csv(self, rows: Iterable[Iterable[Any]], names: Sequence[str] = ()) -> str:
        """An example file under the Chinese headers of `names` (default: every column)."""
        return csv_text([[self.chinese[c] for c in names or self.names], *rows])

    def help(self, notes: Mapping[str, str]) -> list[tuple[str, str, bool, str]]:
        """(Chinese header, English name, required, what to write) for an upload page."""
        return [(self.chinese[c], c, c in self.required, notes[c]) for c in self.names]


@dataclass
class ImportResult:
    """What a file import did, for its page, its API answer and its audit event: each import
    adds its own counts. Errors are all counted; the first MAX_ERRORS_KEPT are kept to show."""

    filename: str
    sha256: str = ""
    rows_read: int = 0
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    fatal: bool = False  # the file as a whole could not be read
    written: bool = False
    seconds: float = 0.0

    def add_error(self, error: RowError) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(error)

    @property
    def ok(self) -> bool:
        return self.error_count == 0 and not self.errors

    def event_data(self, *counts: str) -> dict[str, Any]:
        """What the import's audit event keeps: the file, its hash, the rows read and `counts`
        (names of this result's fields)."""
        data = {"file": self.filename, "sha256": self.sha256, "rows": self.rows_read}
        return data | {name: getattr(self, name) for name in counts}


# Reading: the header ------------------------------------------------------------------------


def header_key(text: str) -> str:
    text = re.sub(r"[（(].*?[)）]", "", text).strip().strip("*＊").lower()
    return re.sub(r"[\s_\-]+", "", text)


def header_positions(
    cells: list[str],
    *,
    columns: Sequence[str],
    required: Sequence[str],
    chinese: Mapping[str, str],
    aliases: Mapping[str, str],
) -> tuple[dict[str, int], list[str]]:
    """Map canonical column → position in a header row (Chinese or English names, any case);
    raise FileProblem naming the first unknown, repeated or missing column."""
    positions: dict[str, int] = {}
    while cells and not cells[-1]:
        cells = cells[:-1]
    allowed = ", ".join(f"{chinese[c]}/{c}" for c in columns)
    for index, text in enumerate(cells):
        canon = aliases.get(header_key(text))
        if canon is None:
            column = text or f"#{index + 1}"
            raise file_error(E_UNKNOWN_COLUMN, column, row=1, params={"allowed": allowed})
        if canon in positions:
            raise file_error(E_DUPLICATE_COLUMN, column=text, row=1)
        positions[canon] = index
    for canon in required:
        if canon not in positions:
            column = f"{chinese[canon]}/{canon}"
            raise file_error(E_MISSING_COLUMN, column, row=1, params={"column": column})
    return positions, cells


# Reading: the whole file --------------------------------------------------------------------

# Chinese characters and the punctuation Chinese text uses (CJK, fullwidth forms).
CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
# Beyond ASCII, neither Chinese nor the letters and punctuation of European text (é, ü, ß,
# –, “”, €, °): what short GBK text read as UTF-8 turns into (ΰ, Ӣ, ǿ, ¥).
UNUSUAL = re.compile(
    r"[^\x00-\x7f\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u017f\u00b0\u2010-\u2027\u20ac"
    r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]"
)


def scan(path: Path, limits: Limits | None = None) -> tuple[str, str]:
    """(sha256, kind) where kind is "xlsx", "xls" or a text encoding; FileProblem when the file
    is over the size limit, an XLSX archive over its limits, or UTF-8 cut in a character."""
    limits = limits or Limits.from_settings()
    if path.stat().st_size > limits.upload_mb * MB:
        raise file_error(E_TOO_BIG, params={"limit": limits.upload_mb})
    digest = hashlib.sha256()
    decoder: Any = codecs.getincrementaldecoder("utf-8")()
    kind = ""
    lines = 0
    last = b""
    first = b""
    multibyte = False  # UTF-8 characters beyond ASCII seen before the end
    chinese = False  # ... Chinese among them
    unusual = False  # ... or a character neither Chinese nor common in European text
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
            lines += block.count(b"\n")
            last = block[-1:]
            first = first or block[:3]
            if not kind:
                if block.startswith(b"PK\x03\x04"):
                    kind = "xlsx"
                elif block.startswith(b"\xd0\xcf\x11\xe0"):
                    kind = "xls"
                elif block.startswith((b"\xff\xfe", b"\xfe\xff")):
                    kind = "utf-16"
                else:
                    kind = "utf-8-sig"
            if kind == "utf-8-sig":
                try:
                    text = decoder.decode(block)
                    if not text.isascii():
                        multibyte = True
                        chinese = chinese or CHINESE.search(text) is not None
                        unusual = unusual or UNUSUAL.search(text) is not None
                except UnicodeDecodeError:
                    kind = "gb18030"
    if kind == "utf-8-sig":
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            if not multibyte:  # only the last bytes are not ASCII: as likely GBK as UTF-8
                return digest.hexdigest(), "gb18030"
            # UTF-8 text up to its last bytes, which begin a character that never ends.
            row = lines + (0 if last in (b"\n", b"") else 1)
            raise file_error(E_CUT_CHARACTER, row=row) from None
    bom = first.startswith(codecs.BOM_UTF8)  # says UTF-8 outright
    if kind == "utf-8-sig" and unusual and not chinese and not bom and _reads_as_chinese_gbk(path):
        kind = "gb18030"  # e.g. 伟 in GBK reads as ΰ in UTF-8: a Chinese sheet is Chinese
    if kind == "xlsx":
        check_archive(path, limits)
    return digest.hexdigest(), kind or "utf-8-sig"


def _reads_as_chinese_gbk(path: Path) -> bool:
    """Whether a file that is valid UTF-8 without a Chinese character in it is GBK text whose
    every character beyond ASCII is Chinese (short GBK text is often valid UTF-8 too)."""
    try:
        text = path.read_bytes().decode("gb18030")
    except UnicodeDecodeError:
        return False
    return all(CHINESE.match(c) for c in text if not c.isascii())


def check_archive(path: Path, limits: Limits) -> None:
    """Refuse an XLSX whose zip directory promises too many parts, too many bytes, or a
    compression no spreadsheet reaches, before anything is unpacked."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise file_error(E_UNREADABLE_XLSX) from None
    if len(members) > limits.members:
        raise file_error(E_ZIP_MEMBERS, params={"limit": limits.members})
    total = 0
    for member in members:
        size = member.file_size
        total += size
        if size > limits.member_mb * MB:
            raise file_error(E_ZIP_MEMBER, params={"limit": limits.member_mb})
        if size > RATIO_FROM_BYTES and size > limits.ratio * max(member.compress_size, 1):
            raise file_error(E_ZIP_RATIO, params={"limit": limits.ratio})
    if total > limits.uncompressed_mb * MB:
        raise file_error(E_ZIP_TOTAL, params={"limit": limits.uncompressed_mb})


# Reading: rows ------------------------------------------------------------------------------

Rows = Iterator[tuple[int, list[str], frozenset[int]]]
LOSSY_NUMBER = 10**15  # spreadsheets keep 15 significant digits


def _csv_rows(path: Path, encoding: str) -> Rows:
    none: frozenset[int] = frozenset()
    number = 0
    try:
        with path.open(encoding=encoding, newline="") as fh:
            first = fh.readline()
        delimiter = max(",\t;", key=first.count) if first else ","
        with path.open(encoding=encoding, newline="") as fh:
            for number, cells in enumerate(csv.reader(fh, delimiter=delimiter), start=1):
                yield number, [c.strip() for c in cells], none
    except UnicodeDecodeError:
        raise file_error(E_ENCODING, row=number + 1) from None
    except csv.Error as exc:
        raise file_error(E_BROKEN_CSV, row=number + 1, params={"detail": str(exc)}) from None


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float | dt.time):
        return str(value)
    return "=" + str(getattr(value, "text", "") or "")  # an array or data-table formula


def _xlsx_rows(path: Path, limits: Limits) -> Rows:
    try:
        # Formulas are read as written (not their cached values), so they can be refused.
        book = openpyxl.load_workbook(path, read_only=True, data_only=False)
        sheet = book.worksheets[0]
    except Exception:
        raise file_error(E_UNREADABLE_XLSX) from None
    # Rows are padded to the sheet's declared width: read one column past the limit (to see
    # it is used), never more, whatever the sheet declares.
    width = min(limits.columns + 1, sheet.max_column or limits.columns + 1)
    number = 0
    try:
        for number, values in enumerate(sheet.iter_rows(values_only=True, max_col=width), start=1):
            lossy = frozenset(
                i
                for i, v in enumerate(values)
                if isinstance(v, int | float) and not isinstance(v, bool) and abs(v) >= LOSSY_NUMBER
            )
            yield number, [cell_text(v) for v in values], lossy
    except FileProblem:
        raise
    except Exception:
        raise file_error(E_UNREADABLE_XLSX, row=number + 1) from None
    finally:
        book.close()


def _checked(rows: Rows, limits: Limits, max_rows: int) -> Rows:
    """The rows, stopped with a FileProblem at the first over a limit, or at the first cell
    holding a control character or a formula (text starting with "="): such a cell is a
    mistake or an attack, never data. Trailing empty cells are not counted as columns."""
    header: list[str] = []
    for number, cells, lossy in rows:
        if number > max_rows:
            raise file_error(E_TOO_MANY_ROWS, row=number, params={"limit": max_rows - 1})
        used = len(cells)
        while used and not cells[used - 1]:
            used -= 1
        if used > limits.columns:
            raise file_error(E_TOO_MANY_COLUMNS, row=number, params={"limit": limits.columns})
        if CONTROL_RE.search("".join(cells)) or any(c.startswith("=") for c in cells):
            for i, cell in enumerate(cells[:used]):
                problem = E_FORMULA if cell.startswith("=") else E_CONTROL
                if problem is E_FORMULA or CONTROL_RE.search(cell):
                    column = header[i] if i < len(header) and header[i] else f"#{i + 1}"
                    raise file_error(problem, column=column, row=number)
        if not header and any(cells):
            header = cells
        yield number, cells, lossy


def read_rows(path: Path, kind: str, limits: Limits | None = None) -> Rows:
    """(row number in the file, stripped cells, indexes of cells that lost digits), within
    the limits: at most `limits.rows` rows after the header, `limits.columns` columns."""
    limits = limits or Limits.from_settings()
    max_rows = limits.rows + 1  # the header row comes on top
    if kind == "xlsx":
        return _checked(_xlsx_rows(path, limits), limits, min(max_rows, XLSX_MAX_ROWS))
    if kind == "xls":
        raise file_error(E_OLD_XLS)
    return _checked(_csv_rows(path, kind), limits, max_rows)


@dataclass
class Table:
    """A CSV/XLSX file opened for an import: its hash, how it is read, its header row and the
    rows after it (`read_rows`' tuples, streamed)."""

    sha256: str
    kind: str
    header: list[str]
    rows: Rows


def open_table(path: Path, limits: Limits | None = None) -> Table:
    """A spreadsheet file whose first non-empty row names the columns; FileProblem when it is
    not CSV or XLSX, or holds no row at all."""
    sha256, kind = scan(path, limits)
    if kind not in {"xlsx", "xls"} and path.suffix.lower() not in {".csv", ".txt", ""}:
        raise file_error(E_NOT_TABULAR)
    rows = read_rows(path, kind, limits)
    for _number, cells, _lossy in rows:
        if any(cells):
            return Table(sha256, kind, cells, rows)
    raise file_error(E_EMPTY)


# Reading: Parquet and JSON ------------------------------------------------------------------


def check_parquet(metadata: Any, limits: Limits | None = None) -> None:
    """Refuse a Parquet file whose footer announces too many rows, columns or bytes."""
    limits = limits or Limits.from_settings()
    if metadata.num_columns > limits.columns:
        raise file_error(E_TOO_MANY_COLUMNS, row=1, params={"limit": limits.columns})
    if metadata.num_rows > limits.rows:
        raise file_error(E_TOO_MANY_ROWS, params={"limit": limits.rows})
    unpacked = sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
    if unpacked > limits.uncompressed_mb * MB:
        raise file_error(E_PARQUET_SIZE, params={"limit": limits.uncompressed_mb})


def json_depth(data: Any, limit: int = JSON_MAX_DEPTH) -> int:
    """How deep lists and objects nest in parsed JSON, counted without recursion and
    stopping once past `limit`."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if not isinstance(value, dict | list):
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, depth + 1) for child in children)
    return deepest


def load_json(raw: bytes, *, column: str = "") -> Any:
    """Parse JSON text (UTF-8, with or without BOM), refusing nesting past JSON_MAX_DEPTH;
    ValueError when it is not JSON."""
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except RecursionError:
        raise file_error(E_JSON_DEPTH, column=column, params={"limit": JSON_MAX_DEPTH}) from None
    except UnicodeDecodeError as exc:
        raise ValueError(str(exc)) from None
    if json_depth(data) > JSON_MAX_DEPTH:
        raise file_error(E_JSON_DEPTH, column=column, params={"limit": JSON_MAX_DEPTH})
    return data
