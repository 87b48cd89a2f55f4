"""Result files (CSV/XLSX): validation with row and column, atomic apply, idempotent re-upload."""

import datetime as dt

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from fangkong.audit.models import Event
from fangkong.lab.models import Lab, Outcome, Result, ResultUpload, Tube, TubeStatus
from fangkong.lab.results import columnar
from fangkong.lab.results import ingest as results
from fangkong.lab.results.ingest import results_import
from fangkong.lab.rounds import services
from tests import factories as f
from tests.lab.conftest import result_of

HEADER = "试管编码,检测结果,Ct值,检测时间\n"


@pytest.fixture
def tubes(a_round, a_site, people, tube_factory):
    """A 10-in-1 pool with 张伟 and 李秀英, and a single tube of 王芳."""
    return {
        "pool": tube_factory("P-001", [people["zhang"], people["li"]], round=a_round, site=a_site),
        "single": tube_factory("S-001", [people["wang"]], round=a_round, site=a_site),
    }


@pytest.fixture
def upload(tmp_path, personas, a_lab):
    def _upload(text, *, encoding="utf-8", name="results.csv", actor=None, lab=None):
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return results_import(
            actor=actor or personas["lab"], lab=lab or a_lab, path=path, filename=name
        )

    return _upload


def errors_of(result):
    return [(e.row, e.column, e.message) for e in result.errors]


def test_negative_results_are_applied_with_ct_and_time(upload, tubes, a_lab):
    result = upload(HEADER + "P-001,阴性,,2022-05-07 20:15\nS-001,阴性,36.5,2022-05-07 20:20\n")
    assert result.written and result.ok
    assert (result.rows_read, result.applied, result.already_applied) == (2, 2, 0)
    single = Tube.objects.select_related("result__upload").get(barcode="S-001")
    assert single.result.outcome == Outcome.NEGATIVE
    assert single.state == TubeStatus.TESTED
    assert single.result.ct_value == 36.5
    assert single.result.upload.lab == a_lab
    assert single.result.tested_at == dt.datetime(2022, 5, 7, 12, 20, tzinfo=dt.UTC)
    upload = ResultUpload.objects.get()
    assert (upload.rows, upload.applied) == (2, 2)
    uploaded = Event.objects.get(action="results.uploaded")
    assert uploaded.basis == f"sha256:{upload.sha256}"
    assert uploaded.data["applied"] == 2
    assert not Event.objects.filter(action="tube.resulted").exists()  # negatives: the upload


def test_english_headers_and_words_are_read(upload, tubes):
    result = upload(
        "barcode,result,tested_at\nP-001,negative,2022-05-07 20:15\nS-001,N,2022-05-07 20:15\n"
    )
    assert result.applied == 2


def test_gbk_encoded_csv_is_imported(upload, tubes):
    result = upload(HEADER + "P-001,阴性,,2022-05-07 20:15\n", encoding="gbk")
    assert result.ok, errors_of(result)
    assert result_of("P-001").outcome == Outcome.NEGATIVE


def test_xlsx_is_imported(tmp_path, personas, a_lab, tubes):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["试管编码", "检测结果", "Ct值", "检测时间"])
    sheet.append(["S-001", "阴性", None, dt.datetime(2022, 5, 7, 20, 15)])
    sheet.append(["P-001", "阴性", 37, "2022-05-07 20:15"])
    path = tmp_path / "results.xlsx"
    book.save(path)
    result = results_import(actor=personas["lab"], lab=a_lab, path=path)
    assert result.ok, errors_of(result)
    assert result.format == "xlsx"
    assert set(Result.objects.values_list("outcome", flat=True)) == {Outcome.NEGATIVE}


def test_uploading_the_same_file_again_changes_nothing(upload, tubes):
    text = HEADER + "P-001,阴性,,2022-05-07 20:15\nS-001,阴性,,2022-05-07 20:15\n"
    upload(text)
    events = Event.objects.count()
    again = upload(text)
    assert again.written and again.uploaded_before is not None
    assert (again.applied, again.already_applied) == (0, 2)
    assert Event.objects.count() == events
    assert ResultUpload.objects.count() == 1


def test_same_results_in_another_file_count_as_already_applied(upload, tubes):
    first = upload(HEADER + "P-001,阴性,,2022-05-07 20:15\n")
    result = upload(HEADER + "S-001,阴性,,2022-05-07 20:15\nP-001,阴性,,2022-05-07 20:15\n")
    assert result.ok
    assert (result.applied, result.already_applied) == (1, 1)
    assert result_of("P-001").upload.sha256 == first.sha256  # kept as first stored
    assert Result.objects.count() == 2


def test_a_different_result_for_a_resulted_tube_is_refused(upload, tubes):
    upload(HEADER + "S-001,阴性,,2022-05-07 20:15\n")
    with translation.override("en"):
        result = upload(HEADER + "P-001,阴性,,2022-05-07 20:15\nS-001,阳性,30,2022-05-07 21:00\n")
    assert not result.written
    assert errors_of(result) == [
        (3, "检测结果", "This tube already has a different result (%(result)s)")
    ]
    assert result.errors[0].params == {"result": "Negative"}
    assert result_of("P-001") is None  # nothing was written


def test_each_bad_row_is_reported_with_row_and_column(upload, tubes, tube_factory, a_round):
    tube_factory("EMPTY-1", [], round=a_round)
    text = HEADER + (
        "NOPE-1,阴性,,2022-05-07 20:15\n"  # 2 unknown tube
        "EMPTY-1,阴性,,2022-05-07 20:15\n"  # 3 never collected
        "P-001,maybe,,2022-05-07 20:15\n"  # 4 bad result
        "S-001,阴性,,2022-05-07 08:30\n"  # 5 tested before collected (09:00)
        "P-001,阳性,,2022-05-07 20:15\n"  # 6 (with row 7) same tube, different results
        "P-001,阴性,,2022-05-07 20:15\n"  # 7
        ",阴性,abc,yesterday\n"  # 8 missing barcode, bad Ct, bad time
        "S-001,阴性,,2099-01-01 10:00\n"  # 9 in the future
    )
    with translation.override("en"):
        result = upload(text)
    assert not result.written
    assert errors_of(result) == [
        (2, "试管编码", "No tube has this barcode"),
        (3, "试管编码", "No sample was ever collected in this tube"),
        (4, "检测结果", "Result must be 阴性 or 阳性 (negative or positive, N or P)"),
        (5, "检测时间", "Tested before the sample was collected (%(collected)s)"),
        (7, "检测结果", "This tube appears again in %(where)s with a different result"),
        (8, "试管编码", "This value is required"),
        (8, "Ct值", "Ct value must be a number between 0 and 50"),
        (8, "检测时间", "Not a time: write it as 2022-05-07 14:30"),
        (9, "检测时间", "This time is in the future"),
    ]
    assert result.errors[3].params == {"collected": "2022-05-07 09:00"}
    assert result.errors[4].params == {"where": "row 6"}
    assert not Result.objects.exists()
    assert not ResultUpload.objects.exists()


def test_reasons_are_shown_in_the_users_language(upload, tubes):
    result = upload(HEADER + "NOPE-1,阴性,,2022-05-07 20:15\n")
    with translation.override("zh-hans"):
        chinese = result.errors[0].reason
    with translation.override("en"):
        english = result.errors[0].reason
    assert english == "No tube has this barcode"
    assert chinese  # the lead's catalogue translates it; the msgid is the fallback


def test_missing_column_is_a_file_problem(upload, tubes):
    result = upload("试管编码,检测时间\nP-001,2022-05-07 20:15\n")
    assert result.fatal and not result.written
    assert result.errors[0].message == "Required column %(column)s is missing"
    assert result.errors[0].column == "检测结果/result"


def test_tube_sent_to_another_lab_is_refused(upload, tubes, city):
    other = Lab.objects.create(
        code="LAB-X", name="其他", division=city.weidu, division_key="411002"
    )
    Tube.objects.filter(barcode="S-001").update(lab=other)
    result = upload(HEADER + "S-001,阴性,,2022-05-07 20:15\n")
    assert errors_of(result) == [(2, "试管编码", "This tube was sent to another laboratory")]


def test_only_result_uploaders_may_upload(upload, personas, tubes):
    with pytest.raises(PermissionDenied):
        upload(HEADER + "P-001,阴性,,2022-05-07 20:15\n", actor=personas["supply"])
    with pytest.raises(PermissionDenied):
        upload(HEADER + "P-001,阴性,,2022-05-07 20:15\n", actor=personas["outsider"])


def test_a_lab_outside_the_users_jurisdiction_is_refused(upload, city, tubes):
    lab_jianan = Lab.objects.create(
        code="LAB-J", name="建安检测", division=city.jianan, division_key=city.jianan.key
    )
    outsider_lab = f.user("lab_jianan", "lab", city.jianan)
    with pytest.raises(ValidationError) as caught:
        upload(HEADER + "P-001,阴性,,2022-05-07 20:15\n", actor=outsider_lab)
    assert "lab" in caught.value.error_dict
    with pytest.raises(ValidationError):  # its district's lab, but not on its staff yet
        upload(HEADER + "P-001,阴性,,2022-05-07 20:15\n", lab=lab_jianan, actor=outsider_lab)
    lab_jianan.staff.add(outsider_lab)
    assert upload(HEADER + "P-001,阴性,,2022-05-07 20:15\n", lab=lab_jianan, actor=outsider_lab).ok


# Column-wise (plain files) and row by row -------------------------------------------------

PLAIN = HEADER + "P-001,阳性,31.5,2022-05-07 20:15\nS-001,阴性,,2022-05-07 20:20\n"


@pytest.fixture
def paths(monkeypatch):
    """Which way each CSV upload went: "columns" (plain reader) or "rows"."""
    taken: list[str] = []
    original = results._columnwise

    def spy(*args, **kwargs):
        people = original(*args, **kwargs)
        taken.append("rows" if people is None else "columns")
        return people

    monkeypatch.setattr(results, "_columnwise", spy)
    return taken


def stored():
    return sorted(Result.objects.values_list("tube_id", "outcome", "ct_value", "tested_at"))


PLAIN_STORED = [
    ("P-001", "positive", 31.5, dt.datetime(2022, 5, 7, 12, 15, tzinfo=dt.UTC)),
    ("S-001", "negative", None, dt.datetime(2022, 5, 7, 12, 20, tzinfo=dt.UTC)),
]


@pytest.mark.parametrize(
    ("text", "encoding", "way"),
    [
        (PLAIN, "utf-8", "columns"),
        ("\ufeff" + PLAIN.replace("\n", "\r\n"), "utf-8", "columns"),
        (PLAIN, "gbk", "columns"),
        (PLAIN.replace(",", "\t"), "utf-8", "columns"),
        (PLAIN.replace("P-001,阳性", '"P-001","阳性"'), "utf-8", "columns"),
        (PLAIN.replace("阳性", "POSITIVE").replace("20:20", "20:20:00"), "utf-8", "columns"),
        (PLAIN.replace("S-001,阴性", " S-001 ,阴性"), "utf-8", "rows"),
        (PLAIN.replace("2022-05-07 20:15", "2022/5/7 20:15"), "utf-8", "rows"),
        (PLAIN.replace("31.5", "31.50 "), "utf-8", "rows"),
        (PLAIN + "\n,,,\n", "utf-8", "rows"),
        ("\n" + PLAIN, "utf-8", "rows"),
    ],
)
def test_both_ways_store_the_same_results(upload, tubes, paths, text, encoding, way):
    result = upload(text, encoding=encoding)
    assert result.ok, errors_of(result)
    assert paths == [way]
    assert (result.rows_read, result.applied, result.positives) == (2, 2, 1)
    assert stored() == PLAIN_STORED


def test_wrong_rows_of_a_plain_file_are_reported_row_by_row(
    upload, tubes, tube_factory, a_round, city, paths
):
    tube_factory("EMPTY-1", [], round=a_round)
    other = Lab.objects.create(
        code="LAB-X", name="其他", division=city.weidu, division_key="411002"
    )
    Tube.objects.filter(barcode="P-001").update(lab=other)
    text = HEADER + (
        "NOPE-1,阴性,,2022-05-07 20:15\n"
        "EMPTY-1,阴性,,2022-05-07 20:15\n"
        "P-001,阴性,,2022-05-07 20:15\n"
        "S-001,阴性,,2022-05-07 08:30\n"
    )
    with translation.override("en"):
        result = upload(text)
    assert paths == ["rows"]
    assert errors_of(result) == [
        (2, "试管编码", "No tube has this barcode"),
        (3, "试管编码", "No sample was ever collected in this tube"),
        (4, "试管编码", "This tube was sent to another laboratory"),
        (5, "检测时间", "Tested before the sample was collected (%(collected)s)"),
    ]
    assert not Result.objects.exists() and not ResultUpload.objects.exists()


def test_a_tube_twice_in_a_plain_file(upload, tubes, paths):
    same = upload(HEADER + "S-001,阴性,,2022-05-07 20:15\nS-001,阴性,,2022-05-07 20:15\n")
    assert same.ok and (same.applied, same.already_applied) == (1, 1)
    with translation.override("en"):
        other = upload(HEADER + "P-001,阴性,31,2022-05-07 20:15\nP-001,阴性,30,2022-05-07 20:15\n")
    assert paths == ["rows", "rows"]
    assert errors_of(other) == [
        (3, "检测结果", "This tube appears again in %(where)s with a different result")
    ]
    assert result_of("P-001") is None


def test_a_resulted_tube_counts_as_tested_and_takes_no_more_people(upload, tubes, people):

    upload(HEADER + "S-001,阴性,,2022-05-07 20:15\n")
    tube = Tube.objects.get(barcode="S-001")
    assert tube.status == TubeStatus.COLLECTED and tube.state == TubeStatus.TESTED
    with pytest.raises(ValidationError):
        services.tube_add_member(
            actor=f.user("s1", "command", tube.round.area), tube=tube, person=people["zhang"]
        )


def test_a_block_that_is_not_plain_undoes_the_blocks_before_it(upload, tubes, paths, monkeypatch):

    monkeypatch.setattr(columnar, "BLOCK", 64)  # a block or two per row
    text = HEADER + "S-001,阴性,,2022-05-07 20:15\nP-001,阴性,,2022-05-07 20:15\n"
    text += "P-001,maybe,,2022-05-07 20:15\n"
    with translation.override("en"):
        result = upload(text)
    assert paths == ["rows"]
    assert errors_of(result) == [
        (4, "检测结果", "Result must be 阴性 or 阳性 (negative or positive, N or P)")
    ]
    assert not Result.objects.exists() and not ResultUpload.objects.exists()


def test_small_files_are_read_row_by_row(upload, tubes, paths, monkeypatch):
    monkeypatch.setattr(results, "COLUMNWISE_FROM", 1 << 20)
    assert upload(PLAIN).ok
    assert paths == ["rows"]
    assert stored() == PLAIN_STORED
