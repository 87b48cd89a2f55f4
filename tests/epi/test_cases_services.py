"""Case registry services: registration, numbering, reclassification, transfer, outcome."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from fangkong.audit.models import Event
from fangkong.epi.cases import services
from fangkong.epi.models import Case, CaseStatus
from fangkong.people.idnumber import make_id_number
from fangkong.people.models import Residency, Resident
from tests import factories as f
from tests.epi.conftest import make_case

DAY = dt.date(2022, 5, 3)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def register(actor, id_number, **kw):
    fields = {
        "kind": "confirmed",
        "found_by": "community_screening",
        "found_where": "community",
        "sampled_on": DAY,
        "reported_on": DAY + dt.timedelta(days=1),
    }
    fields.update(kw)
    return services.case_register(actor=actor, id_number=id_number, **fields)


def test_registering_a_resident_links_the_person_and_is_audited(personas, people):
    case = register(personas["task_force"], people["zhang"].id_number, reason="流调报告")
    assert case.person == people["zhang"]
    assert case.division_key == people["zhang"].division_key
    assert case.number == "4110-2022-0001"
    event = Event.objects.get(action="case.registered")
    assert event.person_id == people["zhang"].pk and event.reason == "流调报告"


def test_unknown_id_number_registers_a_non_resident_where_they_stay(personas, city):
    number = make_id_number("330102", dt.date(1991, 2, 3), 5, "F")
    community = city.w[f.Level.COMMUNITY]
    case = register(personas["task_force"], number, name="外地游客", place=community)
    person = Resident.objects.get(id_number=number)
    assert case.person == person
    assert person.residency == Residency.VISITOR
    assert person.division == community and person.sex == "F"


def test_unknown_id_number_needs_name_and_place(personas, city):
    number = make_id_number("330102", dt.date(1991, 2, 3), 5, "F")
    with pytest.raises(ValidationError) as exc:
        register(personas["task_force"], number, name="外地游客")
    assert "place" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        register(personas["task_force"], number, place=city.w[f.Level.COMMUNITY])
    assert "name" in exc.value.message_dict


def test_non_resident_place_must_be_in_the_actors_jurisdiction(personas, city):
    number = make_id_number("330102", dt.date(1991, 2, 3), 5, "F")
    with pytest.raises(ValidationError) as exc:
        register(personas["task_force"], number, name="游客", place=city.j[f.Level.COMMUNITY])
    assert "place" in exc.value.message_dict
    assert not Resident.objects.filter(id_number=number).exists()


def test_bad_id_number_is_named(personas, people):
    with pytest.raises(ValidationError) as exc:
        register(personas["task_force"], "41100219800517001X")
    assert "id_number" in exc.value.message_dict


def test_case_numbers_are_unique_and_sequential(personas, people):
    numbers = [
        register(personas["task_force"], people[k].id_number).number
        for k in ("zhang", "li", "wang")
    ]
    assert numbers == ["4110-2022-0001", "4110-2022-0002", "4110-2022-0003"]
    assert Case.objects.values("number").distinct().count() == 3


def test_a_person_with_an_open_case_is_not_registered_twice(personas, people):
    register(personas["task_force"], people["zhang"].id_number)
    with pytest.raises(ValidationError):
        register(personas["task_force"], people["zhang"].id_number)


def test_dates_in_the_wrong_order_are_refused(personas, people):
    with pytest.raises(ValidationError) as exc:
        register(
            personas["task_force"], people["zhang"].id_number, reported_on=DAY - dt.timedelta(1)
        )
    assert "sampled_on" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        register(personas["task_force"], people["zhang"].id_number, onset_on=DAY + dt.timedelta(5))
    assert "onset_on" in exc.value.message_dict


def test_street_staff_may_not_register_cases_and_other_districts_not_ours(personas, people, city):
    with pytest.raises(PermissionDenied):
        register(personas["street"], people["zhang"].id_number)
    tracer_elsewhere = f.user("tf_jianan", "task_force", city.jianan)
    with pytest.raises(ValidationError):
        register(tracer_elsewhere, people["zhang"].id_number)


def test_reclassify_is_audited_from_to(personas, people):
    case = make_case(people["zhang"], kind="asymptomatic")
    services.case_reclassify(
        actor=personas["task_force"], case=case, kind="confirmed", reason="出现症状"
    )
    case.refresh_from_db()
    assert case.kind == "confirmed"
    event = Event.objects.get(action="case.reclassified")
    assert (event.field, event.from_value, event.to_value) == (
        "kind",
        "Asymptomatic infection",
        "Confirmed case",
    )
    assert event.reason == "出现症状"


def test_reclassify_needs_a_reason_and_a_change(personas, a_case):
    with pytest.raises(ValidationError):
        services.case_reclassify(
            actor=personas["task_force"], case=a_case, kind="asymptomatic", reason=""
        )
    with pytest.raises(ValidationError):
        services.case_reclassify(
            actor=personas["task_force"], case=a_case, kind="confirmed", reason="x"
        )


def test_transfer_records_destination_and_status(personas, a_case):
    at = timezone.now() - dt.timedelta(hours=1)
    services.case_transfer(
        actor=personas["task_force"],
        case=a_case,
        destination="shelter_hospital",
        destination_name="许昌方舱医院",
        transferred_at=at,
        reason="闭环转运",
    )
    a_case.refresh_from_db()
    assert a_case.status == CaseStatus.TRANSFERRED and a_case.destination_name == "许昌方舱医院"
    changes = {
        e.field: (e.from_value, e.to_value) for e in Event.objects.filter(action="case.transferred")
    }
    assert changes["destination"] == ("", "Shelter hospital 许昌方舱医院")
    assert changes["status"] == ("Reported", "Transferred (closed loop)")
    assert {e.reason for e in Event.objects.filter(action="case.transferred")} == {"闭环转运"}


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_transfer_without_a_reason_is_refused(personas, a_case, reason):
    with pytest.raises(ValidationError) as exc:
        services.case_transfer(
            actor=personas["task_force"],
            case=a_case,
            destination="shelter_hospital",
            destination_name="许昌方舱医院",
            transferred_at=timezone.now() - dt.timedelta(hours=1),
            reason=reason,
        )
    assert exc.value.message_dict == {"reason": ["Give a reason for this change"]}
    a_case.refresh_from_db()
    assert a_case.status == CaseStatus.REPORTED
    assert not Event.objects.filter(action="case.transferred").exists()


def test_close_records_outcome_and_refuses_a_second_close(personas, a_case):
    services.case_close(
        actor=personas["task_force"],
        case=a_case,
        status="recovered",
        outcome_on=a_case.reported_on + dt.timedelta(days=10),
        reason="两次核酸阴性",
    )
    event = Event.objects.get(action="case.closed")
    assert (event.from_value, event.to_value) == ("Reported", "Recovered and discharged")
    with pytest.raises(ValidationError):
        services.case_close(
            actor=personas["task_force"],
            case=a_case,
            status="died",
            outcome_on=a_case.reported_on,
            reason="x",
        )
    with pytest.raises(ValidationError):
        services.case_reclassify(
            actor=personas["task_force"], case=a_case, kind="asymptomatic", reason="x"
        )


def test_close_needs_a_reason(personas, a_case):
    with pytest.raises(ValidationError) as exc:
        services.case_close(
            actor=personas["task_force"],
            case=a_case,
            status="recovered",
            outcome_on=a_case.reported_on,
            reason=" ",
        )
    assert "reason" in exc.value.message_dict


def test_facts_changed_hook_hears_about_the_person(personas, people, monkeypatch):
    heard = []
    monkeypatch.setattr(services, "_changed", lambda ids: heard.append(ids))
    register(personas["task_force"], people["zhang"].id_number)
    assert heard == [[people["zhang"].pk]]
