"""The command centre's exports (list CSV/XLSX, the report workbook) keep formulas inert."""

import csv
import io

import openpyxl
from django.urls import reverse

from fangkong.people.models import Resident
from fangkong.places.models import Division
from tests.command.test_pages import AS_OF, REPORT
from tests.security.test_formula_injection import PAYLOADS, assert_csv_inert, assert_xlsx_inert


def _name_cases(outbreak) -> dict[str, str]:
    """Each case's person renamed to one of the payloads: {case number: payload}."""
    named = {}
    for i, case in enumerate(outbreak.cases.values()):
        payload = PAYLOADS[i % len(PAYLOADS)]
        Resident.objects.filter(pk=case.person_id).update(name=payload)
        named[case.number] = payload
    return named


def _check_names(rows: list[list], named: dict[str, str], *, xlsx_cr: bool = False) -> None:
    at = rows[0].index("Name")
    checked = 0
    for row in rows[1:]:
        expected = "'" + named[row[0]]
        if xlsx_cr:  # XML reads a raw carriage return back as a line feed
            expected = expected.replace("\r", "\n")
        assert row[at] == expected, row
        checked += 1
    assert checked >= 3


def test_list_csv_export_is_inert(login, outbreak, personas, english):
    named = _name_cases(outbreak)
    response = login(personas["command"]).get(
        reverse("command:export", args=["cases", "csv"]), AS_OF
    )
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    _check_names(rows, named)
    assert_csv_inert(rows, [])


def test_list_xlsx_export_is_inert(login, outbreak, personas, english):
    named = _name_cases(outbreak)
    response = login(personas["command"]).get(
        reverse("command:export", args=["cases", "xlsx"]), AS_OF
    )
    content = b"".join(response.streaming_content)
    assert_xlsx_inert(content, [])
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    _check_names([list(r) for r in sheet.iter_rows(values_only=True)], named, xlsx_cr=True)


def test_report_xlsx_is_inert(login, outbreak, personas, english, city):
    Division.objects.filter(pk=city.weidu.pk).update(name=PAYLOADS[0])
    Division.objects.filter(pk=city.jianan.pk).update(name=PAYLOADS[1])
    response = login(personas["command"]).get(reverse("command:report_xlsx"), REPORT)
    assert response.status_code == 200
    assert_xlsx_inert(response.content, PAYLOADS[:2])
