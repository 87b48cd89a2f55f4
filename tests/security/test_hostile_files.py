"""Hostile files fed to every importer, through its page and its API endpoint as a user would:
each is rejected with a clear message naming the row or the limit, and nothing is written."""

import io
import json
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from fangkong.audit.models import Event
from fangkong.core.tabular import E_ZIP_RATIO, FileProblem, Limits, read_rows, scan
from fangkong.epi.models import CheckIn, Contact
from fangkong.lab.models import Lab, Result, ResultUpload
from fangkong.people.importing.services import import_residents
from fangkong.people.models import Household, Resident
from fangkong.quarantine.models import Room
from tests import factories as f
from tests.api.conftest import bearer_client
from tests.epi.conftest import make_case
from tests.quarantine.sites_factory import make_site

ROWS_CAP = 1000  # settings.IMPORT_MAX_ROWS lowered so "a million rows" stays fast


@dataclass
class Importer:
    role: str
    header: list[str]
    row: list[str]
    page: Callable  # (client, world, upload) -> response
    api: Callable | None = None  # (client, world, upload) -> response
    xlsx: bool = True  # reads XLSX (else the XLSX files are refused by kind)


def _residents_page(client, world, upload):
    return client.post(reverse("people:import"), {"file": upload, "mode": "all"}, follow=True)


def _residents_valid_page(client, world, upload):
    return client.post(reverse("people:import"), {"file": upload, "mode": "valid"}, follow=True)


def _contacts_page(client, world, upload):
    url = reverse("epi:case_contacts_import", args=[world.case.pk])
    return client.post(url, {"file": upload}, follow=True)


def _rooms_page(client, world, upload):
    url = reverse("quarantine:site_rooms_import", args=[world.site.pk])
    return client.post(url, {"file": upload}, follow=True)


def _results_page(client, world, upload):
    return client.post(reverse("lab:results"), {"lab": world.lab.pk, "file": upload})


def _results_api(client, world, upload):
    return client.post("/api/results/import", {"lab": world.lab.code, "file": upload})


def _checkins_page(client, world, upload):
    return client.post(reverse("epi:checkins"), {"file": upload})


def _checkins_api(client, world, upload):
    return client.post("/api/checkins/import", {"file": upload})


IMPORTERS = {
    "residents": Importer(
        "street",
        ["身份证号", "姓名", "手机号", "单元编码"],
        ["411002198005170014", "张伟", "13900000001", "411002001001010100101"],
        _residents_page,
    ),
    "residents-valid-only": Importer(
        "street",
        ["身份证号", "姓名", "手机号", "单元编码"],
        ["411002198005170014", "张伟", "13900000001", "411002001001010100101"],
        _residents_valid_page,
    ),
    "contacts": Importer(
        "street",
        ["身份证号", "姓名", "手机号", "接触方式", "接触时间", "类别"],
        ["330102199001010011", "游客甲", "13800000001", "共餐", "2022-01-08 12:30", "密接"],
        _contacts_page,
    ),
    "rooms": Importer(
        "quarantine", ["楼栋", "楼层", "房间号", "床位"], ["B", "3", "301", "1"], _rooms_page
    ),
    "results": Importer(
        "lab",
        ["试管编码", "检测结果", "Ct值", "检测时间"],
        ["P-001", "阴性", "", "2022-05-07 20:15"],
        _results_page,
        _results_api,
    ),
    "checkins": Importer(
        "task_force",
        ["身份证号", "场所码", "进入时间", "离开时间"],
        ["411002198005170014", "V-WD-0001", "2022-05-01 08:30", "2022-05-01 09:10"],
        _checkins_page,
        _checkins_api,
        xlsx=False,
    ),
}


# Hostile files ------------------------------------------------------------------------------


def _csv(lines: list[list[str]]) -> bytes:
    return "".join(",".join(cells) + "\n" for cells in lines).encode()


def _xlsx(lines: list[list[str]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for cells in lines:
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rezip(xlsx: bytes, sheet_xml: bytes) -> bytes:
    """The workbook with its first sheet replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = sheet_xml if item.filename == "xl/worksheets/sheet1.xml" else src.read(item)
            dst.writestr(item.filename, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def zip_bomb(imp: Importer) -> tuple[str, bytes]:
    """A real workbook whose sheet (the header, then one row repeated) expands about 500-fold:
    ~10 KB to upload, ~9 MB to unpack. Rejected from the zip directory alone."""
    cells = "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in imp.row)
    header = "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in imp.header)
    rows = f"<row>{cells}</row>" * 40_000  # row numbers are optional
    xml = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData><row>{header}</row>{rows}</sheetData></worksheet>"
    )
    return "bomb.xlsx", _rezip(_xlsx([imp.header]), xml.encode())


def truncated_utf8(imp):
    return "cut.csv", _csv([imp.header, imp.row]) + "王".encode()[:2]


def truncated_utf8_mid_file(imp):
    """Cut inside the header's last character: the very first line cannot be decoded."""
    return "cut.csv", ",".join(imp.header).encode()[:-1]


def wrong_encoding(imp):
    """Neither UTF-8 nor GB18030 (0xFF never starts a GB18030 character)."""
    return "latin.csv", _csv([imp.header]) + b"\xff\xfe\xff,\xff\n"


def utf16_odd(imp):
    return "utf16.csv", "\ufeff".encode("utf-16-le") + ",".join(imp.header).encode("utf-16-le")[:-1]


def bom_only(imp):
    return "bom.csv", b"\xef\xbb\xbf"


def empty(imp):
    return "empty.csv", b""


def ten_thousand_columns(imp):
    return "wide.csv", _csv([imp.header, imp.row + ["x"] * 10_000])


def ten_thousand_columns_xlsx(imp):
    return "wide.xlsx", _xlsx([imp.header, imp.row + ["x"] * 10_000])


def too_many_rows(imp):
    """Over the row cap (lowered for the test: the cap is what matters, not a million rows)."""
    return "many.csv", _csv([imp.header] + [imp.row] * (ROWS_CAP + 50))


def formula(imp):
    row = list(imp.row)
    row[1] = '=HYPERLINK("http://x","y")'
    return "formula.csv", _csv([imp.header, row])


def formula_xlsx(imp):
    row = list(imp.row)
    row[0] = "=cmd|' /C calc'!A0"
    return "formula.xlsx", _xlsx([imp.header, row])


def nul_bytes(imp):
    row = list(imp.row)
    row[1] = row[1][:1] + "\x00" + row[1][1:]
    return "nul.csv", _csv([imp.header, row])


def not_a_zip(imp):
    return "broken.xlsx", b"PK\x03\x04" + b"this is not a zip archive" * 40


def broken_sheet(imp):
    return "broken-sheet.xlsx", _rezip(_xlsx([imp.header]), b"<worksheet><sheetData><row r=")


def huge_cell(imp):
    row = list(imp.row)
    row[1] = "张" * 200_000
    return "huge-cell.csv", _csv([imp.header, row])


# (builder, what the message says, in English) for every importer
HOSTILE = [
    (truncated_utf8, "ends in the middle of a character"),
    (truncated_utf8_mid_file, "ends in the middle of a character"),
    (wrong_encoding, "neither UTF-8 nor GBK"),
    (utf16_odd, "neither UTF-8 nor GBK"),
    (bom_only, "empty"),
    (empty, "empty"),
    (zip_bomb, "compressed more than 100 times"),
    (ten_thousand_columns, "at most 100 columns"),
    (ten_thousand_columns_xlsx, "at most 100 columns"),
    (too_many_rows, f"at most {ROWS_CAP} rows"),
    (formula, "spreadsheet formula"),
    (formula_xlsx, "spreadsheet formula"),
    (nul_bytes, "control character"),
    (not_a_zip, "workbook cannot be read"),
    (broken_sheet, "workbook cannot be read"),
    (huge_cell, "cannot be read as CSV"),
]
NOT_SUPPORTED = "Only CSV and Parquet files can be imported"


@dataclass
class World:
    city: object
    personas: dict
    case: object
    site: object
    lab: Lab


@pytest.fixture
def world(city, personas, people, settings, tmp_path):
    settings.LANGUAGE_CODE = "en"
    settings.VAR_DIR = tmp_path / "var"
    settings.IMPORT_MAX_ROWS = ROWS_CAP
    site = make_site(city.w[f.Level.COMMUNITY], "QW1", staff=[personas["quarantine"]])
    lab = Lab.objects.create(
        code="LAB-W", name="许昌魏都检测中心", division=city.weidu, division_key=city.weidu.key
    )
    lab.staff.add(personas["lab"])
    return World(city, personas, make_case(people["zhang"]), site, lab)


def counts() -> dict[str, int]:
    models = (Resident, Household, Contact, Room, Result, ResultUpload, CheckIn, Event)
    return {m.__name__: m.objects.count() for m in models}


def _text(response) -> str:
    if response.get("Content-Type", "").startswith("application/json"):
        body = response.json()
        return json.dumps(body, ensure_ascii=False)
    return response.content.decode()


def _cases():
    for name, imp in IMPORTERS.items():
        for build, expected in HOSTILE:
            ways = ["page"] + (["api"] if imp.api else [])
            for way in ways:
                yield pytest.param(name, way, build, expected, id=f"{name}-{way}-{build.__name__}")


@pytest.mark.parametrize(("importer", "way", "build", "expected"), list(_cases()))
def test_hostile_file_is_rejected_with_a_clear_message_and_nothing_written(
    world, importer, way, build, expected
):
    imp = IMPORTERS[importer]
    user = world.personas[imp.role]
    if way == "api":
        client = bearer_client(user)
    else:
        client = Client()
        f.sign_in(client, user)
    filename, content = build(imp)
    upload = SimpleUploadedFile(filename, content)
    before = counts()

    with translation.override("en"):
        response = (imp.api if way == "api" else imp.page)(client, world, upload)

    assert response.status_code in (200, 400, 422), response.status_code
    text = _text(response)
    wanted = [expected]
    if not imp.xlsx and filename.endswith(".xlsx") and build is not zip_bomb:
        wanted.append(NOT_SUPPORTED)
    if filename == "empty.csv" and way == "page":
        wanted.append("The submitted file is empty")  # Django's form refuses it first
    assert any(w in text for w in wanted), (wanted, text[:3000])
    assert counts() == before
    rejected = Path(django_settings.VAR_DIR) / "imports"
    assert not rejected.exists() or not any(rejected.iterdir())


def _sender(world, importer: str, way: str):
    """A function posting a file to the importer's page or API as its user (the client and
    its token are made first, so they are not counted as written)."""
    imp = IMPORTERS[importer]
    user = world.personas[imp.role]
    if way == "api":
        client = bearer_client(user)
    else:
        client = Client()
        f.sign_in(client, user)

    def send(filename: str, content: bytes):
        with translation.override("en"):
            view = imp.api if way == "api" else imp.page
            return view(client, world, SimpleUploadedFile(filename, content))

    return send


@pytest.mark.parametrize("way", ["page", "api"])
def test_deeply_nested_json_results_file_is_refused(world, way):
    body = b'{"resourceType": "Bundle", "type": "batch", "entry": ' + b"[" * 100_000
    body += b"]" * 100_000 + b"}"
    send = _sender(world, "results", way)
    before = counts()
    response = send("bundle.json", body)
    assert response.status_code in (200, 422)
    assert "nested more than 64 levels" in _text(response)
    assert counts() == before


def _parquet(columns: dict[str, list]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = io.BytesIO()
    pq.write_table(pa.table(columns), out)
    return out.getvalue()


PARQUET = [
    (
        "many.parquet",
        lambda imp: _parquet(
            {h: [v] * (ROWS_CAP + 1) for h, v in zip(imp.header, imp.row, strict=True)}
        ),
        f"at most {ROWS_CAP} rows",
    ),
    (
        "wide.parquet",
        lambda imp: _parquet({f"c{i}": ["x"] for i in range(10_000)}),
        "at most 100 columns",
    ),
    ("cut.parquet", lambda imp: _parquet({"身份证号": ["1"] * 10})[:-30], "cannot be read"),
]


@pytest.mark.parametrize("way", ["page", "api"])
@pytest.mark.parametrize(("filename", "build", "expected"), PARQUET, ids=[p[0] for p in PARQUET])
def test_hostile_parquet_checkins_are_refused(world, way, filename, build, expected):
    send = _sender(world, "checkins", way)
    before = counts()
    response = send(filename, build(IMPORTERS["checkins"]))
    assert response.status_code in (200, 422)
    assert expected in _text(response)
    assert counts() == before


def test_upload_over_the_size_limit_is_refused_through_the_api(world, settings):
    settings.IMPORT_MAX_UPLOAD_MB = 1
    content = _csv([IMPORTERS["checkins"].header]) + b"x" * (1024 * 1024 + 1)
    send = _sender(world, "checkins", "api")
    before = counts()
    response = send("big.csv", content)
    assert response.status_code == 422
    assert "larger than 1 MB" in _text(response)
    assert counts() == before


def test_messages_are_in_chinese_for_chinese_readers(world, settings):
    """The page speaks the reader's language (zh-Hans by default)."""
    settings.LANGUAGE_CODE = "zh-hans"
    client = Client()
    f.sign_in(client, world.personas["street"])
    _name, content = zip_bomb(IMPORTERS["residents"])
    response = client.post(
        reverse("people:import"),
        {"file": SimpleUploadedFile("bomb.xlsx", content), "mode": "all"},
    )
    with translation.override("zh-hans"):
        expected = gettext(E_ZIP_RATIO) % {"limit": 100}
    assert expected == "工作簿的压缩比超过 100 倍，疑似压缩炸弹"
    assert expected in response.content.decode()


# The limits, one by one, on the shared reader -----------------------------------------------


def _archive(tmp_path, members: dict[str, bytes]) -> Path:
    path = tmp_path / "book.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


NOISE = random.Random(12)  # incompressible bytes
LIMITS = Limits(
    upload_mb=5, rows=100, columns=10, uncompressed_mb=3, member_mb=2, ratio=100, members=20
)


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        ({f"part{i}.xml": b"x" for i in range(21)}, "more than 20 parts"),
        ({"a.xml": NOISE.randbytes(2_200_000)}, "A part of the workbook unpacks to more than 2 MB"),
        (
            {n: NOISE.randbytes(1_100_000) for n in ("a.xml", "b.xml", "c.xml")},
            "The workbook unpacks to more than 3 MB",
        ),
        ({"a.xml": b"<row/>" * 300_000}, "compressed more than 100 times"),
    ],
    ids=["members", "member-size", "total-size", "ratio"],
)
def test_each_archive_limit_is_checked_before_parsing(tmp_path, members, expected):
    path = _archive(tmp_path, members)
    with pytest.raises(FileProblem) as caught:
        scan(path, LIMITS)
    with translation.override("en"):
        assert expected in caught.value.error.reason


def test_a_sheet_with_one_row_far_down_stops_at_the_row_cap(tmp_path):
    """openpyxl fills the rows a sheet skips; a lone row 1,000,000 must not mean a million."""
    xml = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c t="inlineStr"><is><t>a</t></is></c></row>'
        '<row r="1000000"><c t="inlineStr"><is><t>b</t></is></c></row></sheetData></worksheet>'
    )
    path = tmp_path / "far.xlsx"
    path.write_bytes(_rezip(_xlsx([["a"]]), xml.encode()))
    _sha, kind = scan(path, LIMITS)
    with pytest.raises(FileProblem) as caught:
        list(read_rows(path, kind, LIMITS))
    assert caught.value.error.row == 102 and caught.value.error.params == {"limit": 100}


def test_rejected_rows_are_kept_only_when_valid_rows_are_written(
    city, personas, tmp_path, settings
):
    settings.VAR_DIR = tmp_path / "var"
    unit = city.w[f.Level.UNIT].code
    path = tmp_path / "mixed.csv"
    path.write_text(
        f"身份证号,姓名,单元编码\n411002198005170014,张伟,{unit}\nnot-an-id,李四,{unit}\n"
    )
    all_or_nothing = import_residents(actor=personas["street"], path=path)
    assert not all_or_nothing.written and all_or_nothing.token is None
    assert not (tmp_path / "var" / "imports").exists()
    settings.IMPORT_MAX_ROWS = 1  # the file is refused whole: nothing written, nothing kept
    refused = import_residents(actor=personas["street"], path=path, valid_only=True)
    assert refused.fatal and not refused.written and refused.token is None
    assert not any((tmp_path / "var" / "imports").glob("*/rows.jsonl"))
    settings.IMPORT_MAX_ROWS = 100
    valid_only = import_residents(actor=personas["street"], path=path, valid_only=True)
    assert valid_only.written and valid_only.token
