"""Venue check-in import (page, CLI, API) and the per-venue check-in query."""

import datetime as dt
import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.management import CommandError, call_command

from fangkong.audit.models import Event
from fangkong.epi.checkins.importing import import_checkins
from fangkong.epi.models import CheckIn
from tests import factories as f

HEADER = "身份证号,场所码,进入时间,离开时间\n"


@pytest.fixture
def venues(city):
    return {
        "shop": f.venue(city.w[f.Level.COMMUNITY], "V-WD-1", "西大街超市"),
        "far": f.venue(city.j[f.Level.COMMUNITY], "V-JA-1", "新元药店"),
    }


@pytest.fixture
def tracer(personas):
    return personas["task_force"]


def write(tmp_path, text, name="checkins.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def good_csv(people):
    return (
        HEADER
        + f"{people['zhang'].id_number},V-WD-1,2022-05-01 08:30,2022-05-01 09:10\n"
        + f"{people['li'].id_number},V-WD-1,2022/05/01 08:45:00,2022/05/01 09:05:00\n"
    )


def test_a_good_csv_is_imported_and_importing_it_again_adds_nothing(
    tmp_path, people, venues, tracer
):
    path = write(tmp_path, good_csv(people))
    result = import_checkins(actor=tracer, path=path)
    assert (result.written, result.rows_read, result.created, result.error_count) == (
        True,
        2,
        2,
        0,
    )
    stored = CheckIn.objects.get(person=people["zhang"])
    assert stored.time_in == dt.datetime(2022, 5, 1, 0, 30, tzinfo=dt.UTC)  # 08:30 in 许昌
    assert stored.time_out - stored.time_in == dt.timedelta(minutes=40)
    again = import_checkins(actor=tracer, path=path)
    assert (again.written, again.created, again.already_present) == (True, 0, 2)
    assert CheckIn.objects.count() == 2
    assert Event.objects.filter(action="checkins.imported").count() == 2


def test_a_gbk_csv_with_header_aliases_is_read(tmp_path, people, venues, tracer):
    rows = good_csv(people).split("\n", 1)[1]
    path = write(tmp_path, "身份证号码,场所编码,入场时间,离场时间\n" + rows, encoding="gbk")
    result = import_checkins(actor=tracer, path=path)
    assert result.created == 2, [e.reason for e in result.errors]


def test_a_parquet_file_is_imported(tmp_path, people, venues, tracer):
    table = pa.table(
        {
            "id_number": [people["zhang"].id_number, people["wang"].id_number],
            "venue_code": ["V-WD-1", "V-WD-1"],
            "time_in": [dt.datetime(2022, 5, 1, 8, 30), dt.datetime(2022, 5, 2, 9, 0)],
            "time_out": [dt.datetime(2022, 5, 1, 9, 0), dt.datetime(2022, 5, 2, 9, 30)],
        }
    )
    path = tmp_path / "log.parquet"
    pq.write_table(table, path)
    result = import_checkins(actor=tracer, path=path)
    assert (result.written, result.created) == (True, 2), [e.reason for e in result.errors]
    assert import_checkins(actor=tracer, path=path).created == 0


def test_a_truncated_parquet_file_is_a_clear_error(tmp_path, people, venues, tracer):
    path = tmp_path / "log.parquet"
    pq.write_table(
        pa.table({"id_number": ["x"], "venue_code": ["y"], "time_in": ["z"], "time_out": ["w"]}),
        path,
    )
    path.write_bytes(path.read_bytes()[:-20])
    result = import_checkins(actor=tracer, path=path)
    assert result.fatal and not result.written
    assert "damaged or truncated" in result.errors[0].reason


def errors_of(result):
    return [(e.row, e.column, e.reason) for e in result.errors]


@pytest.mark.parametrize(
    ("line", "column", "reason"),
    [
        ("411002199001010000,V-WD-1,2022-05-01 08:30,2022-05-01 09:00", "身份证号", "No person"),
        ("{zhang},V-NOPE,2022-05-01 08:30,2022-05-01 09:00", "场所码", "No venue"),
        ("{zhang},V-JA-1,2022-05-01 08:30,2022-05-01 09:00", "场所码", "outside your"),
        ("{zhang},V-WD-1,五月一日,2022-05-01 09:00", "进入时间", "Not a time"),
        ("{zhang},V-WD-1,2022-05-01 08:30,2022-05-01 08:00", "离开时间", "before time in"),
        ("{zhang},V-WD-1,2022-05-01 08:30,2022-13-01 09:00", "离开时间", "Not a time"),
    ],
)
def test_each_bad_row_is_named_with_its_column_and_nothing_is_written(
    tmp_path, people, venues, tracer, line, column, reason
):
    text = good_csv(people) + line.format(zhang=people["zhang"].id_number) + "\n"
    result = import_checkins(actor=tracer, path=write(tmp_path, text))
    assert not result.written
    assert [(r, c) for r, c, _ in errors_of(result)] == [(4, column)]
    assert reason in result.errors[0].reason
    assert CheckIn.objects.count() == 0


def test_a_duplicate_row_names_the_first(tmp_path, people, venues, tracer):
    lines = good_csv(people).splitlines()
    text = "\n".join([*lines, lines[1].replace("09:10", "09:20")]) + "\n"
    result = import_checkins(actor=tracer, path=write(tmp_path, text))
    assert errors_of(result) == [(4, "进入时间", "This check-in already appears in row 2")]
    assert CheckIn.objects.count() == 0


def test_a_truncated_csv_names_the_last_row(tmp_path, people, venues, tracer):
    text = good_csv(people) + f"{people['wang'].id_number},V-WD-1,2022-05-01 08:3"
    result = import_checkins(actor=tracer, path=write(tmp_path, text))
    assert not result.written
    assert (4, "", "The file ends in the middle of this row: it looks truncated") in errors_of(
        result
    )
    assert CheckIn.objects.count() == 0


def test_a_missing_column_is_named(tmp_path, people, venues, tracer):
    result = import_checkins(
        actor=tracer, path=write(tmp_path, "身份证号,场所码,进入时间\n1,2,3\n")
    )
    assert result.fatal
    assert "离开时间/time_out" in result.errors[0].reason


def test_the_command_imports_a_file(tmp_path, people, venues, tracer):
    out = io.StringIO()
    call_command(
        "import_checkins", str(write(tmp_path, good_csv(people))), user=tracer.username, stdout=out
    )
    assert "created=2" in out.getvalue()
    bad = write(tmp_path, HEADER + "x,V-WD-1,2022-05-01 08:30,2022-05-01 09:00\n", "bad.csv")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_checkins", str(bad), user=tracer.username, stdout=out, stderr=err)
    assert " 2 " in err.getvalue() and "[身份证号] 'X'" in err.getvalue()


# Page -------------------------------------------------------------------------------------


def test_the_import_page_shows_counts(login, tmp_path, people, venues, tracer):
    client = login(tracer)
    assert client.get("/epi/checkins/").status_code == 200
    upload = io.BytesIO(good_csv(people).encode())
    upload.name = "log.csv"
    page = client.post("/epi/checkins/", {"file": upload})
    assert page.status_code == 200
    assert 'data-outcome="written"' in page.content.decode()
    assert CheckIn.objects.count() == 2


@pytest.mark.parametrize("role", ["lab", "outsider", "grid"])
def test_roles_without_the_import_capability_get_403(login, personas, role):
    assert login(personas[role]).get("/epi/checkins/").status_code == 403


# API --------------------------------------------------------------------------------------


def test_the_api_imports_a_multipart_upload(login, people, venues, tracer):
    client = login(tracer)
    upload = io.BytesIO(good_csv(people).encode())
    upload.name = "log.csv"
    response = client.post("/api/checkins/import", {"file": upload})
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 2
    bad = io.BytesIO((HEADER + "x,V-WD-1,2022-05-01 08:30,2022-05-01 09:00\n").encode())
    bad.name = "bad.csv"
    response = client.post("/api/checkins/import", {"file": bad})
    assert response.status_code == 422
    assert response.json()["errors"][0]["row"] == 2


def test_the_api_import_is_forbidden_to_a_lab(login, personas, people, venues):
    upload = io.BytesIO(b"x")
    upload.name = "log.csv"
    response = login(personas["lab"]).post("/api/checkins/import", {"file": upload})
    assert response.status_code == 403


@pytest.fixture
def logged(tmp_path, people, venues, tracer):
    import_checkins(actor=tracer, path=write(tmp_path, good_csv(people)))


def test_a_venue_lists_its_check_ins_in_a_time_window(login, personas, logged, people):
    client = login(personas["street"])
    items = client.get("/api/venues/V-WD-1/checkins").json()["items"]
    assert [i["person_id"] for i in items] == [people["zhang"].pk, people["li"].pk]
    assert "*" in items[0]["id_number"]
    window = client.get(
        "/api/venues/V-WD-1/checkins",
        {"from": "2022-05-01T09:06:00+08:00", "to": "2022-05-01T10:00:00+08:00"},
    ).json()["items"]
    assert [i["person_id"] for i in window] == [people["zhang"].pk]


def test_a_venue_outside_the_jurisdiction_is_not_found(login, personas, logged):
    assert login(personas["outsider"]).get("/api/venues/V-WD-1/checkins").status_code == 404


def test_a_lab_may_not_list_check_ins(login, personas, logged):
    assert login(personas["lab"]).get("/api/venues/V-WD-1/checkins").status_code == 403


def test_the_sample_file_is_made_of_the_users_own_people_and_venue_and_imports(
    login, tmp_path, people, venues, tracer
):
    """The downloaded example names people and a venue of the jurisdiction, so importing it as
    it is works (a fixed example named IDs and codes no city has)."""
    client = login(tracer)
    sample = client.get("/epi/checkins/?sample=csv").content.decode("utf-8")
    assert venues["shop"].code in sample and people["zhang"].id_number in sample
    result = import_checkins(actor=tracer, path=write(tmp_path, sample))
    assert result.ok and result.created == 2


def test_without_people_or_venues_the_sample_is_the_fixed_example(login, personas):
    sample = login(personas["task_force"]).get("/epi/checkins/?sample=csv").content.decode()
    assert "V-WD-0001" in sample
