"""Contacts import from CSV/XLSX: row/column errors, all-or-nothing, GBK, idempotent."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from fangkong.audit.models import Event
from fangkong.epi.contacts.importing import import_contacts
from fangkong.epi.models import Contact
from fangkong.people.idnumber import make_id_number

HEADER = "身份证号,姓名,手机号,接触方式,接触时间,类别\n"


def visitor(seq):
    return make_id_number("330102", dt.date(1990, 1, 1), seq, "M")


def write(tmp_path, text, name="contacts.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def good_file(people):
    return (
        HEADER
        + f"{people['li'].id_number},李秀英,,同住,2022-01-09 18:00,密接\n"
        + f"{visitor(1)},游客甲,13800000001,共餐,2022/1/8 12:30,密接\n"
    )


def test_import_adds_contacts_and_is_idempotent(tmp_path, personas, a_case, people):
    path = write(tmp_path, good_file(people))
    result = import_contacts(actor=personas["street"], case=a_case, path=path)
    assert result.ok and (result.added, result.skipped) == (2, 0)
    again = import_contacts(actor=personas["street"], case=a_case, path=path)
    assert again.ok and (again.added, again.skipped) == (0, 2)
    assert Contact.objects.filter(case=a_case).count() == 2
    assert Event.objects.filter(action="contacts.imported").count() == 2


def test_gbk_csv_is_read(tmp_path, personas, a_case, people):
    path = write(tmp_path, good_file(people), encoding="gbk")
    result = import_contacts(actor=personas["street"], case=a_case, path=path)
    assert result.ok, [e.reason for e in result.errors]
    assert {c.person.name for c in Contact.objects.filter(case=a_case)} == {"李秀英", "游客甲"}


def test_xlsx_is_read(tmp_path, personas, a_case, people):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["身份证号", "姓名", "接触方式", "接触时间"])
    sheet.append([people["wang"].id_number, "王芳", "同事", dt.datetime(2022, 1, 8, 9, 0)])
    path = tmp_path / "contacts.xlsx"
    book.save(path)
    result = import_contacts(actor=personas["street"], case=a_case, path=path)
    assert result.ok and result.added == 1
    assert Contact.objects.get().relation == "workplace"


def test_bad_rows_name_row_and_column_and_nothing_is_written(tmp_path, personas, a_case, people):
    text = (
        HEADER
        + f"{people['li'].id_number},李秀英,,同住,2022-01-09 18:00,密接\n"
        + "12345,坏行,,同住,2022-01-09,密接\n"
        + f"{visitor(2)},游客,,跳舞,2022-01-09,密接\n"
        + f"{visitor(3)},游客,,同住,昨天,密接\n"
        + f"{visitor(4)},,,同住,2022-01-09,密接\n"
    )
    result = import_contacts(actor=personas["street"], case=a_case, path=write(tmp_path, text))
    assert not result.ok and not result.written
    found = {(e.row, e.column) for e in result.errors}
    assert found == {(3, "身份证号"), (4, "接触方式"), (5, "接触时间"), (6, "姓名")}
    assert not Contact.objects.exists()


def test_errors_are_in_the_readers_language(tmp_path, personas, a_case):
    text = HEADER + f"{visitor(2)},游客,,跳舞,2022-01-09,密接\n"
    result = import_contacts(actor=personas["street"], case=a_case, path=write(tmp_path, text))
    with translation.override("zh-hans"):
        chinese = result.errors[0].reason
    assert result.errors[0].reason == "Unknown exposure relation"
    assert chinese != "Unknown exposure relation"


def test_unknown_column_and_missing_id_column_are_file_errors(tmp_path, personas, a_case):
    result = import_contacts(
        actor=personas["street"], case=a_case, path=write(tmp_path, "姓名,颜色\n张三,红\n")
    )
    assert result.fatal and result.errors[0].row == 1 and result.errors[0].column == "颜色"
    result = import_contacts(
        actor=personas["street"], case=a_case, path=write(tmp_path, "姓名\n张三\n")
    )
    assert result.fatal and "身份证号" in result.errors[0].reason


def test_import_page_shows_the_result(login, personas, a_case, people, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login(personas["street"])
    upload = SimpleUploadedFile("c.csv", good_file(people).encode("gbk"))
    response = client.post(reverse("epi:case_contacts_import", args=[a_case.pk]), {"file": upload})
    assert response.status_code == 200
    assert Contact.objects.filter(case=a_case).count() == 2
    bad = SimpleUploadedFile("c.csv", (HEADER + "123,x,,同住,2022-01-09,密接\n").encode())
    response = client.post(reverse("epi:case_contacts_import", args=[a_case.pk]), {"file": bad})
    assert response.status_code == 400
    assert 'id="import-errors"' in response.content.decode()


def test_the_time_a_contact_was_identified_is_imported_and_checked(tmp_path, personas, a_case):
    a_case.registered_at = timezone.make_aware(dt.datetime(2022, 1, 10, 8, 0))
    a_case.save(update_fields=["registered_at"])
    header = "身份证号,姓名,接触方式,接触时间,判定时间\n"
    later = (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    bad = (
        header
        + f"{visitor(5)},游客戊,同住,2022-01-09 18:00,2022-01-10 20:00\n"
        + f"{visitor(6)},游客己,同住,2022-01-09 18:00,{later}\n"
        + f"{visitor(7)},游客庚,同住,2022-01-09 18:00,2022-01-09 20:00\n"
        + f"{visitor(8)},游客辛,同住,2022-01-09 18:00,2022-01-10\n"
    )
    result = import_contacts(actor=personas["street"], case=a_case, path=write(tmp_path, bad))
    assert not result.ok and not Contact.objects.exists()
    assert {(e.row, e.column) for e in result.errors} == {
        (3, "判定时间"),  # in the future
        (4, "判定时间"),  # before the case was registered
        (5, "判定时间"),  # a day without the time
    }
    good = header + f"{visitor(5)},游客戊,同住,2022-01-09 18:00,2022-01-10 20:00\n"
    result = import_contacts(actor=personas["street"], case=a_case, path=write(tmp_path, good))
    assert result.ok, [e.reason for e in result.errors]
    contact = Contact.objects.get()
    assert contact.identified_at == timezone.make_aware(dt.datetime(2022, 1, 10, 20, 0))
    event = Event.objects.get(action="contact.added", object_id=str(contact.pk))
    assert event.at == contact.identified_at and event.recorded_at > event.at
