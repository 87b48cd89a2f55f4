"""Columnar reading of results CSV files in their plain form, with pyarrow.

Labs export the same plain shape every time: a header on the first line, then one line per
tube with a barcode of letters and digits, a result word, an optional Ct such as 28.5 and a
time such as 2022-05-07 20:15. `plain_columns` reads such a file in blocks, cleaning whole
columns at once, and raises `NotPlain` at the first block with anything else (a blank or
padded cell, quotes around a newline, another time format, a Ct out of range, a time in the
future, a ragged row, bytes that are not text).

This reader never decides that a file is wrong, only whether it is plain: for anything else
`fangkong.lab.results.ingest` reads the file again row by row, which reports each problem with its
row and column. Every plain cell means the same to both readers.
"""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

BLOCK = 1 << 22  # bytes per block: about 100,000 rows
BARCODE = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"
CT = r"^(?:[0-9]{1,2}(?:\.[0-9]{1,6})?)?$"
TIME_FORMATS = (
    (r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}$", "%Y-%m-%d %H:%M"),
    (r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$", "%Y-%m-%d %H:%M:%S"),
)
PG_EPOCH_US = 946_684_800 * 1_000_000  # PostgreSQL counts timestamps from 2000-01-01 UTC


class NotPlain(Exception):
    """The file is not in the plain form; read it row by row instead."""


@dataclass
class Columns:
    """One block of clean rows."""

    barcode: pa.Array  # string
    positive: np.ndarray  # bool
    ct: np.ndarray  # float64, NaN when blank
    tested_us: np.ndarray  # int64, microseconds since 1970-01-01 UTC

    def __len__(self) -> int:
        return len(self.positive)


@dataclass
class PlainFile:
    """A file whose first line is a header with no blank cells (positions: column → index)."""

    source: Any  # a path, or a buffer of UTF-8 text
    names: list[str]
    delimiter: str


def first_line(path: Path, kind: str) -> PlainFile | None:
    """The header cells and delimiter, when the file can be read column-wise at all."""
    if kind not in ("utf-8-sig", "gb18030"):
        return None
    try:
        with path.open(encoding=kind, newline="") as fh:
            line = fh.readline()
    except UnicodeDecodeError:
        return None
    if '"' in line or not line.strip():
        return None
    delimiter = max(",\t;", key=line.count)
    cells = [c.strip() for c in next(csv.reader([line], delimiter=delimiter))]
    if not all(cells):
        return None
    source: Any = path
    if kind == "gb18030":
        try:
            source = pa.py_buffer(path.read_bytes().decode(kind).encode())
        except UnicodeDecodeError:
            return None
    return PlainFile(source=source, names=cells, delimiter=delimiter)


def _full(column: pa.Array, pattern: str) -> bool:
    return bool(pc.all(pc.match_substring_regex(column, pattern)).as_py() is not False)


def _tested(column: pa.Array, time_zone: str, latest_us: int) -> np.ndarray:
    """Local times with or without seconds, as microseconds since the epoch (UTC)."""
    local: Any = None
    for pattern, form in TIME_FORMATS:
        matches = pc.match_substring_regex(column, pattern)
        if local is None and pc.all(matches).as_py() is not False:  # one form (the usual)
            local = pc.strptime(column, format=form, unit="us", error_is_null=True)
            break
        parsed = pc.if_else(
            matches, pc.strptime(column, format=form, unit="us", error_is_null=True), None
        )
        local = parsed if local is None else pc.coalesce(local, parsed)
    if local is None or local.null_count:
        raise NotPlain
    try:
        utc = pc.assume_timezone(local, timezone=time_zone, ambiguous="raise", nonexistent="raise")
    except pa.ArrowInvalid:
        raise NotPlain from None
    values = np.asarray(utc.cast(pa.int64()).to_numpy(zero_copy_only=False))
    if len(values) and int(values.max()) > latest_us:
        raise NotPlain
    return values


def _ct(column: pa.Array | None, rows: int, ct_max: float) -> np.ndarray:
    if column is None:
        return np.full(rows, np.nan)
    if not _full(column, CT):
        raise NotPlain
    values = pc.cast(pc.if_else(pc.equal(column, ""), None, column), pa.float64())
    ct = np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.float64)
    given = ct[~np.isnan(ct)]
    if len(given) and (given.min() <= 0 or given.max() > ct_max):
        raise NotPlain
    return ct


def plain_columns(
    plain: PlainFile,
    positions: dict[str, int],
    *,
    words: dict[str, bool],
    time_zone: str,
    latest_us: int,
    ct_max: float,
) -> Iterator[Columns]:
    """Clean blocks of the file's rows; NotPlain as soon as one is not plain.

    `words` maps each result word (lower case) to whether it means positive.
    """
    names = [f"c{i}" for i in range(len(plain.names))]
    try:
        reader = pcsv.open_csv(
            plain.source if not isinstance(plain.source, pa.Buffer) else io.BytesIO(plain.source),
            read_options=pcsv.ReadOptions(column_names=names, skip_rows=1, block_size=BLOCK),
            parse_options=pcsv.ParseOptions(
                delimiter=plain.delimiter, newlines_in_values=False, ignore_empty_lines=True
            ),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError):
        raise NotPlain from None
    known = pa.array(list(words))
    means = np.array(list(words.values()), dtype=bool)
    at_ct = positions.get("ct_value")
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            return
        except (pa.ArrowInvalid, UnicodeDecodeError):
            raise NotPlain from None
        barcode = batch.column(positions["barcode"])
        if not _full(barcode, BARCODE):
            raise NotPlain
        word = pc.index_in(pc.ascii_lower(batch.column(positions["result"])), value_set=known)
        if word.null_count:
            raise NotPlain
        yield Columns(
            barcode=barcode,
            positive=means[word.to_numpy(zero_copy_only=False)],
            ct=_ct(batch.column(at_ct) if at_ct is not None else None, batch.num_rows, ct_max),
            tested_us=_tested(batch.column(positions["tested_at"]), time_zone, latest_us),
        )


def barcode_range(columns: Columns) -> tuple[str, str]:
    """The block's lowest and highest barcode, byte-wise (as the "C" collation sorts)."""
    low, high = pc.min_max(columns.barcode.cast(pa.binary())).values()
    return low.as_py().decode(), high.as_py().decode()


# PostgreSQL binary COPY of result rows ------------------------------------------------------

COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" * 2
COPY_TRAILER = b"\xff\xff"
RESULT_COLUMNS = ("barcode", "upload_id", "outcome", "ct_value", "tested_at")


def copy_binary(columns: Columns, upload_id: int, outcomes: tuple[bytes, bytes]) -> bytes:
    """The block's rows in COPY BINARY form, in RESULT_COLUMNS order.

    Rows are grouped by barcode length and whether a Ct is given, so each group is one
    fixed-layout NumPy record array (order does not matter to a table). `outcomes` are the
    stored words for negative and positive, 8 bytes each.
    """
    barcode = columns.barcode
    if isinstance(barcode, pa.ChunkedArray):
        barcode = barcode.combine_chunks()
    lengths = np.asarray(pc.binary_length(barcode).to_numpy(zero_copy_only=False), dtype=np.int64)
    has_ct = ~np.isnan(columns.ct)
    keys = lengths * 2 + has_ct
    parts = []
    for key in np.unique(keys):
        rows = np.nonzero(keys == key)[0]
        parts.append(
            _group(barcode, rows, int(key) // 2, bool(key % 2), columns, upload_id, outcomes)
        )
    return b"".join(parts)


def _group(
    barcode: pa.Array,
    rows: np.ndarray,
    width: int,
    with_ct: bool,
    columns: Columns,
    upload_id: int,
    outcomes: tuple[bytes, bytes],
) -> bytes:
    fields: list[tuple[str, str]] = [("n", ">i2"), ("lb", ">i4"), ("barcode", f"S{width}")]
    fields += [("lu", ">i4"), ("upload", ">i8"), ("lo", ">i4"), ("outcome", "S8"), ("lc", ">i4")]
    if with_ct:
        fields.append(("ct", ">f8"))
    fields += [("lt", ">i4"), ("tested", ">i8")]
    out = np.empty(len(rows), dtype=np.dtype(fields))
    out["n"], out["lb"], out["lu"], out["upload"], out["lo"] = 5, width, 8, upload_id, 8
    out["outcome"] = np.where(columns.positive[rows], outcomes[1], outcomes[0])
    out["lc"] = 8 if with_ct else -1
    if with_ct:
        out["ct"] = columns.ct[rows]
    out["lt"], out["tested"] = 8, columns.tested_us[rows] - PG_EPOCH_US
    chosen = barcode if len(rows) == len(barcode) else barcode.take(pa.array(rows))
    offsets = np.frombuffer(chosen.buffers()[1], dtype=np.int32)
    offsets = offsets[chosen.offset : chosen.offset + len(chosen) + 1]
    data = np.frombuffer(chosen.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    out["barcode"] = data.view(f"S{width}")
    return out.tobytes()
