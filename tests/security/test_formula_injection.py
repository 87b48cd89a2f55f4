"""Formula injection (OWASP "CSV injection"): names that a spreadsheet would run as formulas
come out inert in every export: a leading quote in CSV, text (never a formula) in XLSX.
Numbers and dates stay what they are."""

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation

from fangkong.core.tabular import CsvOut, inert, xlsx_append
from fangkong.epi.checkins import importing as checkins
from fangkong.lab.results import ingest as results
from fangkong.people.importing.services import import_residents
from fangkong.people.importing.spec import sample_csv
from fangkong.people.models import Resident
from tests import factories as f

PAYLOADS = [
    '=HYPERLINK("http://x","y")',
    "=cmd|' /C calc'!A0",
    "@SUM(1)",
    "+1",
    "-1+2",
    "\t=1+1",
    "\r=1+1",
]
REJECTED_PAYLOADS = ["@SUM(1)", "+1", "-1+2"]
STARTS = ("=", "+", "-", "@", "\t", "\r")


def assert_csv_inert(rows: list[list[str]], payloads=PAYLOADS) -> None:
    cells = [c for row in rows for c in row]
    for payload in payloads:
        assert "'" + payload in cells, payload
    assert not [c for c in cells if c.startswith(STARTS)]


def assert_xlsx_inert(content: bytes, payloads=PAYLOADS) -> None:
    book = openpyxl.load_workbook(io.BytesIO(content))
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = [c.value for c in cells if isinstance(c.value, str)]
    for payload in payloads:
        # XML reads a raw carriage return back as a line feed; the leading quote stays.
        assert "'" + payload in texts or "'" + payload.replace("\r", "\n") in texts, payload
    assert not [t for t in texts if t.startswith(STARTS)]


# The shared writer ------------------------------------------------------------------------


def test_inert_quotes_text_that_starts_a_formula_and_leaves_the_rest():
    for payload in PAYLOADS:
        assert inert(payload) == "'" + payload
    for value in ("张伟", "", "1+1", "a=b", "'=already", "13900000001"):
        assert inert(value) == value
    for value in (-1, -2.5, 0, None, dt.date(2022, 5, 1), True):
        assert inert(value) is value


def test_csv_writer_neutralises_every_cell():
    out = io.StringIO()
    CsvOut(out).writerow([*PAYLOADS, -1, 2.5])
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0][-2:] == ["-1", "2.5"]
    assert_csv_inert([rows[0][:-2]])


@pytest.mark.parametrize("write_only", [True, False])
def test_xlsx_cells_are_text_never_formulas_and_numbers_stay_numbers(write_only):
    book = openpyxl.Workbook(write_only=write_only)
    sheet = book.create_sheet() if write_only else book.active
    xlsx_append(sheet, [*PAYLOADS, "#N/A", "bad\x01char", -1, -2.5, dt.date(2022, 5, 1)])
    out = io.BytesIO()
    book.save(out)
    assert_xlsx_inert(out.getvalue())
    row = next(openpyxl.load_workbook(out).worksheets[0].iter_rows())
    tail = row[len(PAYLOADS) :]
    assert [c.data_type for c in tail[:2]] == ["s", "s"]
    assert tail[0].value == "#N/A" and tail[1].value == "bad\ufffdchar"
    assert [c.value for c in tail[2:4]] == [-1, -2.5]
    assert [c.data_type for c in tail[2:4]] == ["n", "n"]
    assert tail[4].value.date() == dt.date(2022, 5, 1)


# Every export ---------------------------------------------------------------------------


@pytest.fixture
def hostile_key_persons(city):
    unit = city.w[f.Level.UNIT]
    for n, payload in enumerate(PAYLOADS):
        person = f.resident(unit, f"k{n}", phone=f"139000001{n:02d}")
        Resident.objects.filter(pk=person.pk).update(name=payload)
        f.key_person(person, "elderly_alone")


def test_key_person_xlsx_export_is_inert(login, personas, hostile_key_persons):
    response = login(personas["street"]).get(reverse("people:key_persons_export"))
    assert response.status_code == 200
    assert_xlsx_inert(response.content)


@pytest.fixture
def rejected_token(city, personas, tmp_path, settings):
    """A valid-only resident import whose rejected rows carry payloads as names (those the
    reader lets through: a cell starting with = is refused as a formula, spaces are trimmed)."""
    settings.VAR_DIR = tmp_path / "var"
    path = tmp_path / "names.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["身份证号", "姓名", "单元编码"])
        for payload in REJECTED_PAYLOADS:
            writer.writerow(["not-an-id", payload, city.w[f.Level.UNIT].code])
    with translation.override("en"):
        result = import_residents(
            actor=personas["street"], path=path, filename="names.csv", valid_only=True
        )
    assert result.token and result.rejected == len(REJECTED_PAYLOADS)
    return result.token


def test_rejected_rows_csv_is_inert(login, personas, rejected_token):
    url = reverse("people:import_rejected", args=[rejected_token, "csv"])
    response = login(personas["street"]).get(url)
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert_csv_inert(list(csv.reader(io.StringIO(body))), REJECTED_PAYLOADS)


def test_rejected_rows_xlsx_is_inert(login, personas, rejected_token):
    url = reverse("people:import_rejected", args=[rejected_token, "xlsx"])
    response = login(personas["street"]).get(url)
    assert_xlsx_inert(b"".join(response.streaming_content), REJECTED_PAYLOADS)


def test_sample_files_go_through_the_writer():

    for sample in (sample_csv(), checkins.sample_csv(), results.sample_csv()):
        rows = list(csv.reader(io.StringIO(sample)))
        assert rows and not [c for row in rows for c in row if c.startswith(STARTS)]
