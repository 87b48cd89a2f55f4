"""Property tests on every parser that reads what a user sends: each either returns a result
or raises its own error (a row, a column, a reason), never anything else."""

import contextlib
import csv
import datetime as dt
import io
import json
import zipfile
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import openpyxl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from fangkong.core.tabular import (
    E_JSON_DEPTH,
    JSON_MAX_DEPTH,
    FileProblem,
    Limits,
    load_json,
    read_rows,
    scan,
)
from fangkong.epi.checkins import importing as checkins
from fangkong.lab.results import fhir
from fangkong.people.idnumber import (
    CHECK_CHARS,
    IdNumberError,
    check_digit,
    make_id_number,
    parse_id_number,
)
from fangkong.policy.schema import Rules
from fangkong.policy.services import shipped_documents

FILE_CHECKS = settings(
    max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
LIMITS = Limits(
    upload_mb=1, rows=200, columns=20, uncompressed_mb=2, member_mb=2, ratio=100, members=50
)
TZ = ZoneInfo("Asia/Shanghai")

# ID numbers -------------------------------------------------------------------------------

REGIONS = st.sampled_from(["411002", "411003", "330102", "110101", "440305"])
BIRTHS = st.dates(min_value=dt.date(1890, 1, 1), max_value=dt.date(2022, 5, 1))


@given(st.text(max_size=40))
def test_id_number_parser_raises_only_its_own_error(raw):
    try:
        info = parse_id_number(raw)
    except IdNumberError:
        return
    assert len(info.number) == 18 and check_digit(info.number[:17]) == info.number[17]


@given(REGIONS, BIRTHS, st.integers(0, 499), st.sampled_from(["M", "F"]))
def test_id_number_round_trips_and_any_other_check_digit_is_refused(region, born, seq, sex):
    number = make_id_number(region, born, seq, sex)
    info = parse_id_number(number)
    assert (info.region, info.birth_date, info.sex) == (region, born, sex)
    assert parse_id_number(f" {number.lower()} ").number == number
    for wrong in CHECK_CHARS.replace(number[17], ""):
        with pytest.raises(IdNumberError):
            parse_id_number(number[:17] + wrong)


# The tabular reader (CSV in UTF-8 / GBK, XLSX) --------------------------------------------


def _read(path: Path) -> list[list[str]]:
    _sha, kind = scan(path, LIMITS)
    return [cells for _n, cells, _lossy in read_rows(path, kind, LIMITS)]


@FILE_CHECKS
@given(content=st.binary(max_size=3000), suffix=st.sampled_from([".csv", ".xlsx", ".txt"]))
def test_any_bytes_give_rows_or_a_file_problem(tmp_path, content, suffix):
    path = tmp_path / f"any{suffix}"
    path.write_bytes(content)
    try:
        _read(path)
    except FileProblem as problem:
        assert problem.error.reason


@FILE_CHECKS
@given(content=st.binary(max_size=3000))
def test_any_bytes_in_a_zip_give_rows_or_a_file_problem(tmp_path, content):
    book = io.BytesIO()
    with zipfile.ZipFile(book, "w") as archive:
        archive.writestr("[Content_Types].xml", content[:200])
        archive.writestr("xl/workbook.xml", content)
        archive.writestr("xl/worksheets/sheet1.xml", content[::-1])
    path = tmp_path / "any.xlsx"
    path.write_bytes(book.getvalue())
    try:
        _read(path)
    except FileProblem as problem:
        assert problem.error.reason


# Text a person types: Chinese, Latin, digits, spaces and punctuation (no delimiters, no
# control characters; cells starting with "=" are refused as formulas and tested apart).
CELL = st.text(
    alphabet=st.sampled_from(
        "张王李赵刘陈杨黄周吴伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平"
        "社区楼单元号abcXYZ0123456789 -+@'\"().:/"
    ),
    max_size=12,
).filter(lambda t: not t.strip().startswith("="))
TABLE = st.lists(st.lists(CELL, min_size=1, max_size=6), min_size=1, max_size=15)


def _expected(rows: list[list[str]]) -> list[list[str]]:
    return [[c.strip() for c in row] for row in rows]


@FILE_CHECKS
@given(rows=TABLE, encoding=st.sampled_from(["utf-8", "utf-8-sig", "gbk", "gb18030"]))
def test_csv_in_utf8_or_gbk_reads_back_cell_for_cell(tmp_path, rows, encoding):
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    path = tmp_path / "table.csv"
    path.write_bytes(out.getvalue().encode(encoding))
    got = _read(path)
    expected = _expected(rows)
    assert [r for r in got if any(r)] == [r for r in expected if any(r)]


@FILE_CHECKS
@given(rows=TABLE)
def test_xlsx_reads_back_cell_for_cell(tmp_path, rows):
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append([c or None for c in row])
    path = tmp_path / "table.xlsx"
    book.save(path)
    got = _read(path)

    def trimmed(table):  # trailing empty cells and rows carry nothing
        out = [list(r) for r in table]
        for r in out:
            while r and not r[-1]:
                r.pop()
        while out and not out[-1]:
            out.pop()
        return out

    assert trimmed(got) == trimmed(_expected(rows))


@FILE_CHECKS
@given(rows=TABLE, cut=st.integers(1, 2))
def test_utf8_cut_inside_a_character_is_a_file_problem_naming_the_last_row(tmp_path, rows, cut):
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    assume(not out.getvalue().isascii())  # else the cut bytes may as well be GBK
    data = out.getvalue().encode() + "张".encode()[:cut]
    path = tmp_path / "cut.csv"
    path.write_bytes(data)
    with pytest.raises(FileProblem) as caught:
        _read(path)
    assert caught.value.error.row == data.count(b"\n") + 1


# FHIR Bundles -----------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=30,
)
FHIR_WORDS = st.sampled_from(
    [
        "Bundle",
        "Observation",
        "Specimen",
        "batch",
        "final",
        "94500-6",
        "260373001",
        "#s1",
        "Specimen/1",
        "http://loinc.org",
        "http://snomed.info/sct",
        "2022-05-07T20:15:00+08:00",
    ]
)
FHIR_VALUE = st.recursive(
    st.none() | st.integers() | st.floats() | FHIR_WORDS | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "resourceType",
                    "type",
                    "entry",
                    "resource",
                    "code",
                    "coding",
                    "system",
                    "specimen",
                    "reference",
                    "identifier",
                    "value",
                    "issued",
                    "status",
                    "valueCodeableConcept",
                    "valueQuantity",
                    "component",
                    "contained",
                    "id",
                    "fullUrl",
                    "effectiveDateTime",
                ]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=40,
)


def _read_bundle_cleanly(data):
    read = fhir.read_bundle(data)
    for error in read.errors:
        assert error.reason and fhir.issue_code(error.message)
    for row in read.rows:
        assert row.barcode and row.tested.tzinfo is not None
    return read


@settings(max_examples=300)
@given(JSON)
def test_any_json_is_read_or_refused_with_errors(data):
    _read_bundle_cleanly(data)


@settings(max_examples=300)
@given(FHIR_VALUE, st.sampled_from(["batch", "collection", "searchset"]))
def test_bundle_shaped_json_is_read_or_refused_with_errors(entries, kind):
    _read_bundle_cleanly({"resourceType": "Bundle", "type": kind, "entry": entries})


@given(st.integers(JSON_MAX_DEPTH + 1, 50_000))
def test_deeply_nested_json_is_a_clear_error_not_a_recursion_error(depth):
    nested = "[" * depth + "]" * depth
    with pytest.raises(FileProblem) as caught:
        load_json(nested.encode())
    assert caught.value.error.message == E_JSON_DEPTH
    data: list = []
    for _ in range(depth):
        data = [data]
    read = fhir.read_bundle({"resourceType": "Bundle", "type": "batch", "entry": data})
    assert [e.message for e in read.errors] == [E_JSON_DEPTH]


def test_a_bundle_nested_past_the_interpreters_limit_is_refused():
    body = b'{"resourceType": "Bundle", "entry": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    with pytest.raises(FileProblem):
        load_json(body)
    with pytest.raises(RecursionError):
        json.loads(body)  # what the reader guards against


# Check-in times ---------------------------------------------------------------------------

TIME_TEXT = st.one_of(
    st.text(max_size=30),
    st.builds(
        lambda d, h, m: f"{d:%Y-%m-%d} {h:02d}:{m:02d}",
        st.dates(min_value=dt.date(1, 1, 1)),
        st.integers(0, 30),
        st.integers(0, 70),
    ),
    st.datetimes().map(lambda d: d.isoformat()),
)


@settings(max_examples=300)
@given(st.lists(TIME_TEXT, max_size=8))
def test_checkin_times_parse_or_are_marked_bad_never_raise(values):
    seconds, ok = checkins._epochs(values, TZ)
    assert len(seconds) == len(ok) == len(values)
    for value, good in zip(values, ok, strict=True):
        if not good:
            assert checkins._epoch_one(value, TZ) is None


@settings(max_examples=200)
@given(
    st.lists(st.one_of(st.none(), st.datetimes(), st.dates(), st.integers(), TIME_TEXT), max_size=6)
)
def test_checkin_cells_of_any_type_parse_or_are_marked_bad(values):
    seconds, ok = checkins._epochs(values, TZ)
    assert isinstance(seconds, np.ndarray) and len(ok) == len(values)


@settings(max_examples=200)
@given(st.lists(st.text(max_size=12), max_size=8))
def test_checkin_header_is_read_or_refused_as_a_file_problem(cells):
    try:
        positions = checkins.parse_header(cells)
    except FileProblem as problem:
        assert problem.error.reason
    else:
        assert set(positions) == set(checkins.COLUMNS)


# Policy profiles --------------------------------------------------------------------------

SHIPPED = [doc["rules"] for doc in shipped_documents()]


@pytest.mark.parametrize("rules", SHIPPED)
def test_shipped_profiles_round_trip_through_the_schema(rules):
    parsed = Rules.model_validate(rules)
    assert Rules.model_validate(parsed.model_dump(mode="json")) == parsed


def _paths(doc, prefix=()):
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            yield (*prefix, i)
            yield from _paths(value, (*prefix, i))


def _replace(doc, path, value):
    if not path:
        return value
    copy = list(doc) if isinstance(doc, list) else dict(doc)
    copy[path[0]] = _replace(copy[path[0]], path[1:], value)
    return copy


@settings(max_examples=300)
@given(st.data(), JSON)
def test_a_profile_with_any_value_anywhere_validates_or_raises_a_validation_error(data, value):
    rules = data.draw(st.sampled_from(SHIPPED))
    path = data.draw(st.sampled_from(list(_paths(rules))))
    changed = _replace(rules, path, value)
    with contextlib.suppress(ValidationError):
        Rules.model_validate(changed)


@settings(max_examples=200)
@given(JSON)
def test_any_json_as_a_profile_validates_or_raises_a_validation_error(value):
    with contextlib.suppress(ValidationError):
        Rules.model_validate(value)


def test_gbk_whose_only_chinese_character_ends_the_file_is_read_as_gbk(tmp_path):
    """EB BE is GBK 刖 and also the start of a UTF-8 character: with nothing else beyond ASCII
    in the file it is read as GBK, not refused as cut UTF-8."""
    path = tmp_path / "tail.csv"
    path.write_bytes(b"id,name\n1," + "刖".encode("gbk"))
    assert _read(path) == [["id", "name"], ["1", "刖"]]


@pytest.mark.parametrize("text", ["0000-01-01 00:00", "-0001-01-01 00:00", "10000-01-01 00:00"])
def test_checkin_times_outside_the_calendar_are_marked_bad(text):
    """Found by the property above: NumPy reads year 0 (and beyond 9999), Python cannot."""
    _seconds, ok = checkins._epochs([text, "2022-05-01 08:30"], TZ)
    assert list(ok) == [False, True]


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("伟", "gbk"),  # CE B0: also UTF-8 for ΰ
        ("楼,英\n平,强", "gbk"),  # ¥, Ӣ, ƽ, ǿ in UTF-8
        ("姓名\n张伟", "utf-8"),
        ("name\nZoë – “café”", "utf-8"),  # European text stays UTF-8 (é is 茅 in GBK)
        ("@", "utf-8-sig"),  # a byte-order mark says UTF-8 whatever follows
    ],
)
def test_short_text_valid_in_both_encodings_reads_as_written(tmp_path, text, encoding):
    path = tmp_path / "short.csv"
    path.write_bytes(text.encode(encoding))
    assert [cells for cells in _read(path) if any(cells)] == [
        [c.strip() for c in line.split(",")] for line in text.split("\n")
    ]
