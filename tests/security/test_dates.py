"""Hole 5: every date is bounded by the platform's epoch, the person's birth and today (a plan
may lie ahead, up to the horizon); out-of-bounds dates are field errors in both languages."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from fangkong.api import api
from fangkong.core import dates
from fangkong.epi.checkins.importing import import_checkins
from fangkong.epi.models import Case, CheckIn
from tests import factories as f
from tests.api.conftest import bearer_client

JSON = "application/json"
TODAY = dt.date(2022, 5, 10)
CASE = {
    "kind": "confirmed",
    "found_by": "fever_clinic",
    "found_where": "community",
    "sampled_on": "2022-05-01",
    "reported_on": "2022-05-02",
}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def young(city):
    """Born in 2003, as in the probe."""
    return f.resident(city.w[f.Level.UNIT], "周杰", born=dt.date(2003, 7, 1))


@pytest.fixture
def baby(city):
    return f.resident(city.w[f.Level.UNIT], "小宝", born=dt.date(2021, 6, 1))


def _loc(response):
    return [e["loc"] for e in response.json()["detail"]]


# The shared rule ----------------------------------------------------------------------


def test_a_fact_lies_between_the_epoch_and_today():
    assert dates.date_problem(dt.date(2022, 5, 1), today=TODAY) is None
    assert "2019-12-01" in dates.date_problem(dt.date(1, 1, 1), today=TODAY)
    assert "future" in dates.date_problem(dt.date(2022, 5, 11), today=TODAY)
    assert dates.date_problem(dt.date(2019, 12, 1), today=TODAY) is None


def test_a_fact_about_a_person_is_not_before_their_birth():
    born = dt.date(2021, 6, 1)
    assert "2021-06-01" in dates.date_problem(dt.date(2021, 5, 31), born=born, today=TODAY)
    assert dates.date_problem(dt.date(2021, 6, 1), born=born, today=TODAY) is None


def test_a_plan_may_lie_ahead_up_to_the_horizon(settings):
    settings.PLAN_HORIZON_DAYS = 30
    assert dates.date_problem(dt.date(2022, 6, 9), plan=True, today=TODAY) is None
    assert "2022-06-09" in dates.date_problem(dt.date(2022, 6, 10), plan=True, today=TODAY)
    assert dates.date_problem(dt.date(2019, 1, 1), plan=True, today=TODAY) is not None


def test_a_search_window_starts_at_the_epoch_and_may_reach_past_today():
    assert dates.date_problem(dt.date(2030, 1, 1), window=True, today=TODAY) is None
    assert dates.date_problem(dt.date(944, 3, 1), window=True, today=TODAY) is not None


def test_the_epoch_is_a_setting(settings):
    settings.DATE_EPOCH = dt.date(2022, 1, 1)
    assert dates.date_problem(dt.date(2021, 12, 31), today=TODAY) is not None
    assert dates.date_problem(dt.date(2022, 1, 1), today=TODAY) is None


def test_extreme_moments_are_refused_without_crashing():
    for value in (
        dt.datetime(1, 1, 1, tzinfo=dt.UTC),
        dt.datetime(1, 1, 1),
        dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.UTC),
        dt.datetime.max,
        dt.date.max,
        dt.date.min,
    ):
        assert dates.date_problem(value) is not None
        assert dates.date_problem(value, plan=True) is not None
    assert dates.date_problem(timezone.now() - dt.timedelta(minutes=1)) is None


def test_several_fields_are_named_in_one_error():
    with pytest.raises(ValidationError) as caught:
        dates.check_dates(
            {"sampled_on": dt.date(1, 1, 1), "onset_on": None, "next_due": dt.date(9999, 1, 1)},
            plans=("next_due",),
        )
    assert set(caught.value.error_dict) == {"sampled_on", "next_due"}


def test_messages_are_in_chinese_for_chinese_readers():
    with translation.override("zh-hans"):
        message = dates.date_problem(dt.date(1, 1, 1))
    assert "2019-12-01" in message and "平台" in message


# The API --------------------------------------------------------------------------------


def test_a_case_sampled_in_year_one_is_a_field_error(personas, young):
    client = bearer_client(personas["task_force"])
    body = {**CASE, "id_number": young.id_number, "sampled_on": "0001-01-01"}
    response = client.post("/api/cases", body, content_type=JSON)
    assert response.status_code == 422, response.content
    assert _loc(response) == [["body", "sampled_on"]]
    assert not Case.objects.exists()


def test_onset_before_birth_is_a_field_error(personas, baby):
    client = bearer_client(personas["task_force"])
    body = {**CASE, "id_number": baby.id_number, "onset_on": "2021-01-05"}
    response = client.post("/api/cases", body, content_type=JSON)
    assert response.status_code == 422, response.content
    assert _loc(response) == [["body", "onset_on"]]
    assert "2021-06-01" in response.json()["detail"][0]["msg"]


def test_valid_dates_are_still_accepted(personas, young):
    client = bearer_client(personas["task_force"])
    response = client.post("/api/cases", {**CASE, "id_number": young.id_number}, content_type=JSON)
    assert response.status_code == 201, response.content


def test_as_of_in_the_tenth_century_is_refused(personas):
    client = bearer_client(personas["command"])
    response = client.get("/api/command/situation", {"as_of": "0944-03-01T00:00:00+08:00"})
    assert response.status_code == 422, response.content
    assert _loc(response) == [["query", "as_of"]]
    report = client.get("/api/command/report", {"day": "0944-03-01"})
    assert report.status_code == 422
    assert _loc(report) == [["query", "day"]]


def test_a_need_due_years_ahead_is_refused_but_next_month_is_fine(personas, young):
    client = bearer_client(personas["street"])
    url = f"/api/residents/{young.pk}/needs"
    soon = timezone.localdate() + dt.timedelta(days=30)
    far = timezone.localdate() + dt.timedelta(days=3 * 366)
    body = {"kind": "medicine", "description": "降压药", "next_due": far.isoformat()}
    response = client.post(url, body, content_type=JSON)
    assert response.status_code == 422, response.content
    assert _loc(response) == [["body", "next_due"]]
    response = client.post(url, {**body, "next_due": soon.isoformat()}, content_type=JSON)
    assert response.status_code == 201, response.content


def test_a_contact_exposed_before_birth_is_refused(personas, young, baby):
    case = Case.objects.create(
        person=young,
        number="T-1",
        kind="confirmed",
        found_by="fever_clinic",
        found_where="community",
        sampled_on=dt.date(2021, 5, 1),
        reported_on=dt.date(2021, 5, 2),
        division_key=young.division_key,
    )
    client = bearer_client(personas["task_force"])
    body = {
        "id_number": baby.id_number,
        "degree": "close",
        "relation": "household",
        "last_exposure_on": "2021-04-30",
    }
    response = client.post(f"/api/cases/{case.pk}/contacts", body, content_type=JSON)
    assert response.status_code == 422, response.content
    assert _loc(response) == [["body", "last_exposure_on"]]


# Forms ------------------------------------------------------------------------------------


def test_the_case_form_names_the_field(login, personas, young):
    client = login(personas["task_force"])
    body = {**CASE, "id_number": young.id_number, "sampled_on": "0001-01-01"}
    response = client.post("/epi/cases/new/", body)
    assert response.status_code == 200
    assert "sampled_on" in response.context["form"].errors
    assert not Case.objects.exists()


# Imports ------------------------------------------------------------------------------------


def test_checkins_before_the_epoch_or_in_the_future_are_row_errors(tmp_path, people, personas):

    f.venue(people["zhang"].division.parent, "V-WD-1", "西大街超市")
    ahead = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    path = tmp_path / "checkins.csv"
    path.write_text(
        "身份证号,场所码,进入时间,离开时间\n"
        f"{people['zhang'].id_number},V-WD-1,0001-01-01 08:30,0001-01-01 09:10\n"
        f"{people['li'].id_number},V-WD-1,{ahead} 08:30,{ahead} 09:10\n"
        f"{people['wang'].id_number},V-WD-1,2022-05-01 08:30,2022-05-01 09:10\n",
        encoding="utf-8",
    )
    result = import_checkins(actor=personas["task_force"], path=path)
    assert not result.written and not CheckIn.objects.exists()
    reasons = {(e.row, e.column): e.reason for e in result.errors}
    assert "2019-12-01" in reasons[(2, "进入时间")]
    assert "future" in reasons[(3, "进入时间")]
    assert not any(row == 4 for row, _column in reasons)


# Every date the API accepts goes through the rule -----------------------------------------


def _dates_in(annotation, metadata):
    """(bounded?) for each date or datetime inside a field's annotation."""
    import typing

    if typing.get_origin(annotation) is typing.Annotated:
        base, *more = typing.get_args(annotation)
        yield from _dates_in(base, [*metadata, *more])
        return
    if annotation in (dt.date, dt.datetime):
        yield any(
            getattr(getattr(m, "func", None), "__module__", "") == dates.__name__ for m in metadata
        )
        return
    for arg in typing.get_args(annotation):
        yield from _dates_in(arg, metadata)


def _models_in(annotation):
    import typing

    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in typing.get_args(annotation):
        yield from _models_in(arg)


def test_every_date_the_api_accepts_is_bounded():

    unbounded, seen, count = [], set(), 0
    todo = [
        (op.view_func.__name__, model)
        for _prefix, router in api._routers
        for path_view in router.path_operations.values()
        for op in path_view.operations
        for model in op.models
    ]
    while todo:
        where, model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, field in model.model_fields.items():
            for bounded in _dates_in(field.annotation, field.metadata):
                count += 1
                if not bounded:
                    unbounded.append(f"{where}: {model.__name__}.{name}")
            todo += [(where, m) for m in _models_in(field.annotation)]
    assert count >= 40
    assert unbounded == []
