"""Resident import: every bad row reported, all or nothing, idempotent, bounded queries."""

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import translation

from fangkong.audit.models import Event
from fangkong.core.rejected import rejected_owner, write_rejected
from fangkong.people.idnumber import make_id_number
from fangkong.people.importing import services, writing
from fangkong.people.importing.services import import_residents
from fangkong.people.importing.spec import sample_csv
from fangkong.people.models import Household, Resident
from tests import factories as f

HEADER = ["身份证号", "姓名", "手机号", "单元编码", "户编号", "与户主关系", "性别", "出生日期"]


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"


def pid(n: int, sex: str = "M", born: dt.date = dt.date(1990, 1, 1)) -> str:
    """Distinct valid ID numbers in another region than the factories use."""
    return make_id_number("411081", born + dt.timedelta(days=n // 20), n % 20 * 5, sex)


def unit_code(city) -> str:
    return city.w[f.Level.UNIT].code


def good_rows(city, n: int = 3, start: int = 0) -> list[list[str]]:
    code = unit_code(city)
    rows = []
    for i in range(start, start + n):
        sex = "M" if i % 2 == 0 else "F"
        rows.append(
            [pid(i, sex), f"张{'伟芳'[i % 2]}{i}", f"139{i:08d}", code, f"HH-{i // 2}", "", "", ""]
        )
    return rows


def write_csv(path, rows, header=HEADER, encoding="utf-8"):
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(actor, path, **kwargs):
    with translation.override("en"):
        return import_residents(actor=actor, path=path, filename=path.name, **kwargs)


def reasons(result):
    with translation.override("en"):
        return [(e.row, e.column, e.reason) for e in result.errors]


def test_good_csv_imports_residents_households_pinyin_and_audit(city, personas, tmp_path):
    rows = good_rows(city, 4)
    rows[0][5] = "户主"
    rows[1][5] = "spouse"
    rows[0][6], rows[0][7] = "男", "1990-01-01"
    path = write_csv(tmp_path / "residents.csv", rows)

    result = run(personas["street"], path)

    assert result.ok and result.written
    assert (result.rows_read, result.created, result.updated, result.unchanged) == (4, 4, 0, 0)
    assert result.households_created == 2
    first = Resident.objects.get(id_number=rows[0][0])
    assert (first.name, first.name_initials, first.name_pinyin) == ("张伟0", "zw0", "zhangwei0")
    assert (first.sex, first.birth_date, first.relation) == ("M", dt.date(1990, 1, 1), "head")
    assert first.division_key == city.w[f.Level.UNIT].key
    assert first.household.code == "HH-0"
    assert first.household.address == "魏都区西大街街道西大社区幸福小区1号楼1单元"
    assert Resident.objects.get(id_number=rows[1][0]).household_id == first.household_id
    summary = Event.objects.get(action="residents.imported")
    assert summary.actor == personas["street"]
    assert summary.data["created"] == 4
    assert summary.data["file"] == "residents.csv"
    assert len(summary.data["sha256"]) == 64


BAD_CELLS = [
    (0, "411081199001010000", "ID number check digit is wrong"),
    (0, "41108119900101001", "ID number must have 18 characters"),
    (0, "", "This value is required"),
    (1, "", "Name is required"),
    (1, "张" * 61, "Name is longer than 60 characters"),
    (2, "12345", "Phone must be an 11-digit mobile"),
    (3, "999999999999", "No place has this code"),
    (3, "411002001000", "A resident lives in a community or a finer place"),
    (3, "411003001001010100101", "This place is outside your jurisdiction"),
    (5, "表哥", "Unknown relation"),
    (6, "男", "Sex does not match the ID number"),
    (6, "x", "Sex must be"),
    (7, "1990-01-02", "Birth date does not match the ID number (1990-01-01)"),
    (7, "someday", "Birth date must be a date"),
]


@pytest.mark.parametrize(("index", "value", "reason"), BAD_CELLS)
def test_each_bad_cell_is_reported_with_row_column_and_reason(
    city, personas, tmp_path, index, value, reason
):
    rows = good_rows(city, 3)
    rows[1][index] = value
    path = write_csv(tmp_path / "bad.csv", rows)

    result = run(personas["street"], path)

    assert not result.written and result.error_count == 1
    (row, column, text), *_ = reasons(result)
    assert (row, column) == (3, HEADER[index])  # the header is row 1
    assert text.startswith(reason)
    assert result.errors[0].value == value
    assert not Resident.objects.filter(id_number__startswith="411081").exists()
    assert not Household.objects.exists()
    assert not Event.objects.exists()


def test_one_row_with_several_errors_reports_each_in_column_order(city, personas, tmp_path):
    rows = good_rows(city, 2)
    rows[1][0], rows[1][1], rows[1][3] = "bad", "", "nope"
    result = run(personas["street"], write_csv(tmp_path / "bad.csv", rows))
    assert [(r, c) for r, c, _ in reasons(result)] == [
        (3, "身份证号"),
        (3, "姓名"),
        (3, "单元编码"),
    ]
    assert result.rejected == 1


def test_duplicate_id_in_the_file_names_the_first_row(city, personas, tmp_path):
    rows = good_rows(city, 3)
    rows.append([*rows[0]])
    result = run(personas["street"], write_csv(tmp_path / "dup.csv", rows))
    assert reasons(result) == [(5, "身份证号", "This ID number already appears in row 2")]
    assert not Resident.objects.filter(id_number__startswith="411081").exists()


def test_household_code_at_two_places_is_rejected(city, personas, tmp_path, people):
    rows = good_rows(city, 2)
    rows[0][4] = rows[1][4] = "HH-X"
    rows[1][3] = city.w[f.Level.BUILDING].code
    rows.append([pid(50), "王五", "", unit_code(city), "HH-W-1", "", "", ""])  # existing: same unit
    rows.append([pid(51), "赵六", "", city.w[f.Level.BUILDING].code, "HH-W-1", "", "", ""])
    result = run(personas["street"], write_csv(tmp_path / "hh.csv", rows))
    assert reasons(result) == [
        (3, "户编号", "Row 2 puts this household at another place"),
        (5, "户编号", "This household is registered at another place"),
    ]


def test_missing_and_unknown_columns_are_file_errors(city, personas, tmp_path):
    missing = write_csv(tmp_path / "m.csv", [["1", "2"]], header=["身份证号", "姓名"])
    unknown = write_csv(tmp_path / "u.csv", [], header=["id_number", "name", "unit_code", "年龄"])
    result = run(personas["street"], missing)
    assert result.fatal and reasons(result) == [
        (1, "单元编码/unit_code", "Required column 单元编码/unit_code is missing")
    ]
    result = run(personas["street"], unknown)
    assert result.fatal and result.errors[0].column == "年龄"
    assert reasons(result)[0][2].startswith("Unknown column")


def test_english_headers_blank_lines_and_whitespace_are_accepted(city, personas, tmp_path):
    rows = [[f" {pid(1)} ", " 李雷 ", "", f" {unit_code(city)}"], [], ["", "", "", ""]]
    path = write_csv(tmp_path / "en.csv", rows, header=["ID number", "name", "phone", "unit_code"])
    result = run(personas["street"], path)
    assert result.ok and result.created == 1
    assert Resident.objects.get(id_number=pid(1)).name == "李雷"


def test_nothing_is_written_when_any_row_is_bad(city, personas, tmp_path):
    rows = good_rows(city, 50)
    rows[-1][2] = "000"
    result = run(personas["street"], write_csv(tmp_path / "x.csv", rows))
    assert result.rows_read == 50 and result.rejected == 1 and not result.written
    assert result.created == 0
    assert Resident.objects.count() == 0 and Household.objects.count() == 0


def test_valid_only_writes_good_rows_and_returns_the_rest_as_a_file(city, personas, tmp_path):
    rows = good_rows(city, 4)
    rows[2][2] = "12345"
    result = run(personas["street"], write_csv(tmp_path / "v.csv", rows), valid_only=True)

    assert result.written and (result.created, result.rejected) == (3, 1)
    assert Resident.objects.count() == 3
    assert rejected_owner(result.token) == personas["street"].pk
    out = io.BytesIO()
    with translation.override("en"):
        write_rejected(result.token, "csv", out)
    lines = list(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"))))
    assert lines[0] == [*HEADER, "Errors"]
    assert lines[1][:8] == rows[2]
    assert lines[1][8].startswith("手机号: Phone must be")
    out = io.BytesIO()
    write_rejected(result.token, "xlsx", out)
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue())).active
    assert sheet["A2"].value == rows[2][0]  # the ID stays text


def test_reimporting_the_same_file_changes_nothing(city, personas, tmp_path):
    path = write_csv(tmp_path / "same.csv", good_rows(city, 6))
    run(personas["street"], path)
    counts = (Resident.objects.count(), Household.objects.count())
    events = Event.objects.count()

    again = run(personas["street"], path)

    assert (again.created, again.updated, again.unchanged, again.households_created) == (
        0,
        0,
        6,
        0,
    )
    assert (Resident.objects.count(), Household.objects.count()) == counts
    assert Event.objects.exclude(action="residents.imported").count() == 0
    assert Event.objects.count() == events + 1


def test_changed_phone_on_reimport_updates_and_audits(city, personas, tmp_path):
    rows = good_rows(city, 3)
    run(personas["street"], write_csv(tmp_path / "a.csv", rows))
    rows[1][2] = "13811112222"
    rows[2][2] = ""  # an empty optional cell keeps what is stored

    result = run(personas["street"], write_csv(tmp_path / "b.csv", rows))

    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    person = Resident.objects.get(id_number=rows[1][0])
    assert person.phone == "13811112222"
    assert Resident.objects.get(id_number=rows[2][0]).phone == "13900000002"
    event = Event.objects.get(action="resident.updated")
    assert (event.person_id, event.field) == (person.pk, "phone")
    assert (event.from_value, event.to_value) == ("139****0001", "138****2222")
    assert event.actor == personas["street"] and event.reason == "b.csv"


def test_moving_a_resident_updates_place_and_drops_the_old_household(city, personas, tmp_path):
    rows = good_rows(city, 1)
    run(personas["street"], write_csv(tmp_path / "a.csv", rows))
    rows[0][3], rows[0][4] = city.w[f.Level.BUILDING].code, ""
    result = run(personas["street"], write_csv(tmp_path / "b.csv", rows))
    person = Resident.objects.get(id_number=rows[0][0])
    assert result.updated == 1
    assert (person.division_key, person.household) == (city.w[f.Level.BUILDING].key, None)
    fields = set(Event.objects.filter(action="resident.updated").values_list("field", flat=True))
    assert fields == {"division", "household"}


def test_gbk_encoded_csv_is_read(city, personas, tmp_path):
    path = write_csv(tmp_path / "gbk.csv", good_rows(city, 2), encoding="gbk")
    result = run(personas["street"], path)
    assert result.ok and result.created == 2
    assert Resident.objects.filter(name="张伟0").exists()


def test_utf8_with_bom_is_read(city, personas, tmp_path):
    path = write_csv(tmp_path / "bom.csv", good_rows(city, 2), encoding="utf-8-sig")
    assert run(personas["street"], path).created == 2


def write_xlsx(path, rows, header=HEADER):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    sheet.append([None] * len(header))  # trailing empty rows are tolerated
    book.save(path)
    return path


def test_xlsx_file_is_imported_with_numbers_as_text(city, personas, tmp_path):
    rows = good_rows(city, 2)
    rows[0][2] = 13900000000  # a phone typed as a number is fine
    rows[1][0] = rows[1][0] + "  "
    rows[1][7] = dt.datetime(1990, 1, 1)
    result = run(personas["street"], write_xlsx(tmp_path / "r.xlsx", rows))
    assert result.ok and result.created == 2
    assert Resident.objects.get(id_number=rows[0][0]).phone == "13900000000"


def test_xlsx_id_number_stored_as_a_number_is_reported(city, personas, tmp_path):
    rows = good_rows(city, 2)
    rows[1][0] = float(rows[1][0][:17] + "0")
    result = run(personas["street"], write_xlsx(tmp_path / "n.xlsx", rows))
    ((row, column, text),) = reasons(result)
    assert (row, column) == (3, "身份证号")
    assert text.startswith("Stored as a number, so digits were lost")


def test_interrupted_import_leaves_nothing_half_written(
    city, personas, tmp_path, monkeypatch, transactional_db
):
    f.resident(city.w[f.Level.UNIT], "旧人")
    rows = good_rows(city, 10)
    path = write_csv(tmp_path / "crash.csv", rows)
    monkeypatch.setattr(services, "CHUNK", 3)
    monkeypatch.setattr(writing, "CHUNK", 3)
    calls = []
    real_copy = writing.copy_rows

    def crash_after_first_chunk(model, fields, values):
        calls.append(model)
        if model is Resident and calls.count(Resident) > 1:
            raise RuntimeError("disk full")
        return real_copy(model, fields, values)

    monkeypatch.setattr(writing, "copy_rows", crash_after_first_chunk)
    with pytest.raises(RuntimeError):
        run(personas["street"], path)

    assert calls.count(Household) >= 1 and calls.count(Resident) == 2
    assert Resident.objects.count() == 1
    assert Household.objects.count() == 0
    assert Event.objects.count() == 0


def test_outsider_cannot_import_into_another_district(city, personas, tmp_path):
    result = run(personas["outsider"], write_csv(tmp_path / "o.csv", good_rows(city, 2)))
    assert not result.written
    assert {text for _, _, text in reasons(result)} == {"This place is outside your jurisdiction"}


def test_resident_registered_outside_jurisdiction_is_not_taken_over(
    city, personas, people, tmp_path
):
    other = people["other"]
    row = [other.id_number, other.name, "", unit_code(city), "", "", "", ""]
    result = run(personas["street"], write_csv(tmp_path / "t.csv", [row]))
    assert reasons(result) == [
        (2, "身份证号", "A resident with this ID number is registered outside your jurisdiction")
    ]


def test_user_without_the_import_right_is_refused(city, personas, tmp_path):
    path = write_csv(tmp_path / "g.csv", good_rows(city, 1))
    with pytest.raises(PermissionDenied):
        import_residents(actor=personas["grid"], path=path)


def test_query_count_does_not_grow_with_rows(
    city, personas, tmp_path, django_assert_max_num_queries
):
    small = write_csv(tmp_path / "s.csv", good_rows(city, 10))
    large = write_csv(tmp_path / "l.csv", good_rows(city, 200, start=10))
    with django_assert_max_num_queries(16):
        assert run(personas["street"], small).created == 10
    with django_assert_max_num_queries(16):
        assert run(personas["street"], large).created == 200


# Pages --------------------------------------------------------------------------------


def upload(client, path, mode="all"):
    with open(path, "rb") as fh:
        return client.post(reverse("people:import"), {"file": fh, "mode": mode})


def test_grid_worker_gets_403_on_the_import_page(login, personas):
    assert login(personas["grid"]).get(reverse("people:import")).status_code == 403


def test_import_page_shows_form_and_sample(login, personas):
    client = login(personas["street"])
    page = client.get(reverse("people:import"))
    assert page.status_code == 200 and 'lang="zh-Hans"' in page.content.decode()
    assert "单元编码" in page.content.decode()
    sample = client.get(reverse("people:import"), {"sample": "csv"})
    assert sample.content.decode().startswith("身份证号,姓名")


def test_sample_file_imports_cleanly(city, personas, tmp_path):
    path = tmp_path / "sample.csv"
    path.write_text(sample_csv(), encoding="utf-8")
    result = run(personas["street"], path)
    assert result.ok and (result.created, result.households_created) == (3, 1)


def test_result_page_shows_errors_in_english_and_renders_in_chinese(
    login, personas, city, tmp_path, settings
):
    rows = good_rows(city, 3)
    rows[1][2] = "12345"
    path = write_csv(tmp_path / "p.csv", rows)
    client = login(personas["street"])

    page = upload(client, path)
    assert page.status_code == 200 and 'lang="zh-Hans"' in page.content.decode()
    assert 'data-count="rejected">1<' in page.content.decode()

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = upload(client, path).content.decode()
    assert "Phone must be an 11-digit mobile or an area-code number" in page
    assert "<td>手机号</td><td>12345</td>" in page
    assert "nothing was written" in page
    assert Resident.objects.filter(id_number__startswith="411081").count() == 0


def test_valid_only_upload_offers_rejected_rows_to_its_owner_only(
    login, personas, city, tmp_path, client
):
    rows = good_rows(city, 3)
    rows[0][1] = ""
    page = upload(login(personas["street"]), write_csv(tmp_path / "v.csv", rows), mode="valid")
    result = page.context["result"]
    assert result.written and result.created == 2
    url = reverse("people:import_rejected", args=[result.token, "xlsx"])
    assert url in page.content.decode()
    download = client.get(url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith('attachment; filename="v-rejected.xlsx"')
    assert (
        client.get(reverse("people:import_rejected", args=[result.token, "pdf"])).status_code == 404
    )

    other = f.user("p_street2", "street", city.weidu)
    assert login(other).get(url).status_code == 404


def test_changed_name_recomputes_pinyin_and_unchanged_name_keeps_it(city, personas, tmp_path):
    rows = good_rows(city, 2)
    run(personas["street"], write_csv(tmp_path / "a.csv", rows))
    rows[0][1], rows[1][2] = "李雷", "13812345678"
    result = run(personas["street"], write_csv(tmp_path / "b.csv", rows))
    assert result.updated == 2
    renamed = Resident.objects.get(id_number=rows[0][0])
    assert (renamed.name_initials, renamed.name_pinyin) == ("ll", "lilei")
    kept = Resident.objects.get(id_number=rows[1][0])
    assert (kept.name_initials, kept.name_pinyin) == ("zf1", "zhangfang1")
