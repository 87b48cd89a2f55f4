"""Trip reports, arrivals and hand-overs: the measure each origin gets, refusals, audit."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangkong.audit.models import Event
from fangkong.lab.models import Purpose, Tube, TubeMember
from fangkong.people.models import Residency, Resident
from fangkong.policy.models import PolicyProfile
from fangkong.policy.services import profile_activate
from fangkong.quarantine.measures.services import measure_close, measure_start
from fangkong.quarantine.models import DueTestStatus, Measure, ScheduledTest
from fangkong.travel import obligations, selectors, services
from fangkong.travel.models import ArrivalTest, Handover, Trip, TripStatus
from tests import factories as f
from tests.lab.conftest import make_tube
from tests.travel.conftest import ARRIVED, TODAY, D, new_id

pytestmark = pytest.mark.usefixtures("english")


def activate(code, actor):
    profile_activate(profile=PolicyProfile.objects.get(code=code), actor=actor, reason="test")


# Reporting ----------------------------------------------------------------------------------


def test_staff_report_links_the_resident_and_is_audited(personas, people, report):
    reported = report(personas["task_force"], people["zhang"].id_number)
    trip = reported.trip
    assert reported.created and trip.person == people["zhang"]
    assert len(trip.code) == 8 and trip.status == TripStatus.REPORTED
    assert trip.division_key == trip.destination.key and trip.arriving_on == TODAY
    assert trip.transport_number == "G1234"
    event = Event.objects.get(action="trip.reported")
    assert event.person_id == people["zhang"].pk and event.actor == personas["task_force"]
    assert people["zhang"].id_number not in str(event.data)


def test_reporting_again_for_the_same_day_returns_the_same_trip(personas, people, report):
    first = report(personas["task_force"], people["zhang"].id_number).trip
    again = report(None, people["zhang"].id_number, origin="北京市朝阳区")
    assert not again.created and again.trip.pk == first.pk
    assert Trip.objects.count() == 1
    assert Event.objects.filter(action="trip.reported").count() == 1
    other_day = report(None, people["zhang"].id_number, arriving_at=ARRIVED + dt.timedelta(days=1))
    assert other_day.created


def test_a_public_report_of_a_newcomer_waits_for_the_checkpoint_to_register_them(
    personas, report, arrive, city
):
    number = new_id()
    trip = report(None, number, origin_kind="domestic").trip
    assert trip.person is None and trip.reported_by == "self"
    assert Event.objects.get(action="trip.reported").actor_name == "self-service"
    assert not Resident.objects.filter(id_number=number).exists()
    arrive(personas["task_force"], trip)
    person = Resident.objects.get(id_number=number)
    # registered where the address leads: "幸福小区 1号楼 1单元 101" in the community chosen
    assert person.residency == Residency.VISITOR and person.division == city.w[f.Level.UNIT]
    trip.refresh_from_db()
    assert trip.person == person and trip.status == TripStatus.NO_OBLIGATIONS


def test_staff_report_registers_a_newcomer_at_the_destination(personas, report, city):
    number = new_id()
    trip = report(personas["command"], number, destination=city.w[f.Level.BUILDING]).trip
    assert trip.person.id_number == number
    assert trip.person.division == city.w[f.Level.UNIT]  # the building, then "1单元" in the address
    assert trip.division_key == city.w[f.Level.UNIT].key
    plain = report(personas["command"], new_id(), destination=city.w[f.Level.BUILDING], address="")
    assert plain.trip.person.division == city.w[f.Level.BUILDING]


def test_refusals_name_the_field(personas, people, report, city, far_checkpoint):
    tf = personas["task_force"]
    zhang = people["zhang"].id_number
    cases = [
        ({"destination": None}, "destination", "Choose the destination"),
        ({"destination": city.w[f.Level.STREET]}, "destination", "community"),
        ({"departed_on": D(2022, 11, 15)}, "departed_on", "in the future"),
        (
            {"departed_on": D(2022, 11, 14), "arriving_at": ARRIVED - dt.timedelta(days=2)},
            "arriving_at",
            "before departure",
        ),
        ({"origin_kind": "moon"}, "origin_kind", "coming from"),
        ({"phone": ""}, "phone", "phone"),
    ]
    for fields, field, text in cases:
        with pytest.raises(ValidationError) as exc:
            report(tf, zhang, **fields)
        assert field in exc.value.message_dict, fields
        assert text in " ".join(exc.value.message_dict[field]), fields
    with pytest.raises(ValidationError, match="outside your jurisdiction"):
        report(far_checkpoint, zhang)
    with pytest.raises(PermissionDenied):
        report(personas["street"], zhang)
    assert not Trip.objects.exists()


def test_a_person_under_a_measure_is_refused_and_told_which(personas, people, report):
    measure_start(
        actor=personas["task_force"],
        person=people["zhang"],
        category="close_contact",
        anchor_on=D(2022, 11, 13),
        today=TODAY,
    )
    with pytest.raises(ValidationError, match=r"张伟 is already under a measure \(Close contact"):
        report(personas["task_force"], people["zhang"].id_number)
    with pytest.raises(ValidationError) as public:
        report(None, people["zhang"].id_number)
    assert "Close contact" not in str(public.value) and "control measure" in str(public.value)


# Arrival and hand-over -----------------------------------------------------------------------


def test_high_risk_area_leaver_gets_home_quarantine_counted_from_departure(
    personas, people, report, arrive, city
):
    trip = report(personas["task_force"], people["zhang"].id_number).trip
    arrive(personas["task_force"], trip)
    trip.refresh_from_db()
    assert trip.status == TripStatus.HANDED_OVER and trip.category == "high_risk_area_leaver"
    assert "101号" in trip.basis
    handover = Handover.objects.get(trip=trip)
    measure = handover.measure
    assert (measure.category, measure.anchor_on) == ("high_risk_area_leaver", D(2022, 11, 12))
    assert measure.source == f"trip:{trip.pk}"
    assert list(measure.phases.values_list("kind", "first_day", "last_day")) == [
        ("home_quarantine", D(2022, 11, 13), D(2022, 11, 19))
    ]
    assert handover.community == city.w[f.Level.COMMUNITY]
    assert handover.division_key == trip.division_key
    assert obligations.lines(handover.obligations) == [
        "Left a high-risk area, counted from 2022-11-12.",
        "Home quarantine from 2022-11-13 to 2022-11-19.",
        "Nucleic-acid tests on 2022-11-15, 2022-11-17, 2022-11-19.",
    ]
    trip_events = Event.objects.filter(object_type="travel.trip").order_by("id")
    actions = list(trip_events.values_list("action", flat=True))
    assert actions == ["trip.reported", "trip.arrived", "trip.handed_over"]
    assert Event.objects.get(action="measure.started").data["source"] == f"trip:{trip.pk}"


def test_more_than_the_lapse_since_leaving_means_one_test_and_the_arrival_test_counts(
    personas, people, report, arrive, a_site
):
    trip = report(personas["task_force"], people["li"].id_number, departed_on=D(2022, 11, 1)).trip
    arrive(personas["task_force"], trip, barcode="ARR-0001", site=a_site)
    handover = Handover.objects.get(trip=trip)
    assert handover.obligations["phases"] == [] and handover.obligations["tests"] == ["2022-11-14"]
    assert "No quarantine." in obligations.lines(handover.obligations)
    [due] = ScheduledTest.objects.filter(measure=handover.measure)
    tube = Tube.objects.get(barcode="ARR-0001")
    assert (due.status, due.tube) == (DueTestStatus.SAMPLED, tube)
    assert Event.objects.filter(action="measure.test_sampled", person_id=people["li"].pk).exists()


def test_inbound_traveller_is_counted_from_the_arrival_day(personas, people, report, arrive):
    trip = report(personas["task_force"], people["wang"].id_number, origin_kind="abroad").trip
    arrive(personas["task_force"], trip)
    measure = Handover.objects.get(trip=trip).measure
    assert (measure.category, measure.anchor_on) == ("inbound_traveller", TODAY)
    assert list(measure.phases.values_list("kind", "first_day", "last_day")) == [
        ("centralised", D(2022, 11, 15), D(2022, 11, 19)),
        ("home_quarantine", D(2022, 11, 20), D(2022, 11, 22)),
    ]


def test_domestic_traveller_has_no_obligations_with_the_profile_as_basis(
    personas, people, report, arrive
):
    trip = report(personas["task_force"], people["zhang"].id_number, origin_kind="domestic").trip
    arrive(personas["task_force"], trip)
    trip.refresh_from_db()
    assert trip.status == TripStatus.NO_OBLIGATIONS and not Measure.objects.exists()
    event = Event.objects.get(action="trip.completed")
    assert "101号" in event.basis and "no obligations" in event.reason
    assert not Handover.objects.exists()


def test_an_older_profile_whose_schedule_is_over_records_no_obligations(
    personas, people, report, arrive
):
    activate("9th-edition", personas["command"])
    trip = report(personas["task_force"], people["zhang"].id_number, departed_on=D(2022, 11, 1))
    arrive(personas["task_force"], trip.trip)
    trip.trip.refresh_from_db()
    assert trip.trip.status == TripStatus.NO_OBLIGATIONS
    assert "71号" in trip.trip.basis and "no measure is needed" in trip.trip.outcome_note
    assert not Measure.objects.exists()


def test_arrival_tube_is_opened_at_the_site_and_its_result_is_read_back(
    personas, people, report, arrive, a_site, a_lab
):
    from fangkong.lab.models import Result, ResultUpload

    trip = report(personas["task_force"], people["zhang"].id_number).trip
    arrive(personas["task_force"], trip, barcode=" ARR-0002 ", site=a_site)
    test = ArrivalTest.objects.get(trip=trip)
    tube = Tube.objects.get(barcode="ARR-0002")
    assert test.tube == tube and tube.purpose == Purpose.ARRIVAL and tube.site == a_site
    assert TubeMember.objects.filter(tube=tube, person=people["zhang"]).exists()
    assert test.result == ""
    upload = ResultUpload.objects.create(
        lab=a_lab, sha256="0" * 64, format="csv", uploaded_by=personas["lab"]
    )
    Result.objects.create(tube=tube, upload=upload, outcome="negative", tested_at=ARRIVED)
    test = ArrivalTest.objects.select_related("tube__result").get(trip=trip)
    assert test.result == "negative" and test.get_result_display() == "Negative"


def test_arrival_barcodes_link_existing_arrival_tubes_and_refuse_others(
    personas, people, report, arrive, a_site
):
    tf = personas["task_force"]
    make_tube("ARR-0003", [], site=a_site, purpose=Purpose.ARRIVAL)
    make_tube("RND-0001", [], site=a_site, purpose=Purpose.VOLUNTARY)
    zhang = report(tf, people["zhang"].id_number).trip
    with pytest.raises(ValidationError, match="not an arrival tube"):
        arrive(tf, zhang, barcode="RND-0001")
    arrive(tf, zhang, barcode="ARR-0003")
    assert ArrivalTest.objects.get(trip=zhang).tube.barcode == "ARR-0003"
    li = report(tf, people["li"].id_number).trip
    arrive(tf, li, barcode="NEW-0001")  # no site: the barcode is noted, no tube is opened
    assert ArrivalTest.objects.get(trip=li).tube is None
    assert not Tube.objects.filter(barcode="NEW-0001").exists()


def test_arrival_refusals(personas, people, report, arrive, far_checkpoint):
    tf = personas["task_force"]
    trip = report(tf, people["zhang"].id_number).trip
    with pytest.raises(ValidationError, match="Name the checkpoint"):
        arrive(tf, trip, checkpoint=" ")
    with pytest.raises(ValidationError, match="in the future"):
        arrive(tf, trip, arrived_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=2))
    with pytest.raises(ValidationError, match="before departure"):
        arrive(tf, trip, arrived_at=ARRIVED - dt.timedelta(days=3))
    with pytest.raises(ValidationError, match="outside your jurisdiction"):
        arrive(far_checkpoint, trip)
    with pytest.raises(PermissionDenied):
        arrive(personas["street"], trip)
    arrive(tf, trip)
    with pytest.raises(ValidationError, match="already recorded"):
        arrive(tf, Trip.objects.get(pk=trip.pk))
    assert ArrivalTest.objects.count() == 1


def test_a_measure_started_after_the_report_stops_the_arrival(personas, people, report, arrive):
    tf = personas["task_force"]
    trip = report(tf, people["zhang"].id_number).trip
    measure_start(
        actor=tf, person=people["zhang"], category="close_contact", anchor_on=TODAY, today=TODAY
    )
    with pytest.raises(ValidationError, match="already under a measure"):
        arrive(tf, trip)
    trip.refresh_from_db()
    assert trip.status == TripStatus.REPORTED and not ArrivalTest.objects.exists()


# The destination community -------------------------------------------------------------------


def test_the_address_grid_acknowledges_once_and_outsiders_cannot(personas, people, report, arrive):
    trip = report(personas["task_force"], people["zhang"].id_number).trip
    arrive(personas["task_force"], trip)
    handover = Handover.objects.get(trip=trip)
    with pytest.raises(ValidationError, match="outside your jurisdiction"):
        services.handover_acknowledge(actor=personas["outsider"], handover=handover)
    with pytest.raises(PermissionDenied):
        services.handover_acknowledge(actor=personas["lab"], handover=handover)
    services.handover_acknowledge(actor=personas["grid"], handover=handover)  # the address's grid
    handover.refresh_from_db()
    assert handover.acknowledged_by == personas["grid"] and handover.acknowledged_at
    with pytest.raises(ValidationError, match="already acknowledged"):
        services.handover_acknowledge(actor=personas["command"], handover=handover)
    assert Event.objects.filter(action="handover.acknowledged").count() == 1


def test_not_complied_lists_missed_and_overdue_tests_of_active_measures(
    personas, people, report, arrive
):
    tf = personas["task_force"]
    zhang = report(tf, people["zhang"].id_number).trip
    li = report(tf, people["li"].id_number).trip
    arrive(tf, zhang)
    arrive(tf, li)
    z_tests = list(ScheduledTest.objects.filter(person=people["zhang"]).order_by("due_on"))
    l_tests = list(ScheduledTest.objects.filter(person=people["li"]).order_by("due_on"))
    ScheduledTest.objects.filter(pk=z_tests[0].pk).update(status=DueTestStatus.MISSED)
    ScheduledTest.objects.filter(pk=l_tests[0].pk).update(status=DueTestStatus.NEGATIVE)
    on = D(2022, 11, 18)  # zhang: 15th missed, 17th due and not taken; li: 15th negative
    late = list(selectors.not_complied(personas["street"], today=on))
    assert [(t.person.name, t.due_on.day, t.status) for t in late] == [
        ("张伟", 15, "missed"),
        ("张伟", 17, "due"),
        ("李秀英", 17, "due"),
    ]
    assert list(selectors.not_complied(personas["outsider"], today=on)) == []
    measure_close(
        actor=tf, measure=Handover.objects.get(trip=li).measure, status="ended", reason="moved"
    )
    assert {t.person.name for t in selectors.not_complied(personas["street"], today=on)} == {"张伟"}


def test_settling_completes_trips_whose_measure_ended(personas, people, report, arrive):
    tf = personas["task_force"]
    trip = report(tf, people["zhang"].id_number).trip
    arrive(tf, trip)
    assert services.trips_settle() == 0
    measure_close(
        actor=tf, measure=Handover.objects.get(trip=trip).measure, status="released", reason="ok"
    )
    assert services.trips_settle() == 1
    trip.refresh_from_db()
    assert trip.status == TripStatus.COMPLETED
    event = Event.objects.get(action="trip.completed", object_id=str(trip.pk))
    assert event.from_value == "handed_over" and event.actor_name == "system"


def test_preview_for_the_public_answer_follows_the_profile(db):
    assert obligations.preview("domestic", D(2022, 11, 12), TODAY).obligations is None
    found = obligations.preview("high_risk_area", D(2022, 11, 12), TODAY)
    assert found.obligations["tests"] == ["2022-11-15", "2022-11-17", "2022-11-19"]
    assert "101号" in found.basis
    lapsed = obligations.preview("high_risk_area", D(2022, 11, 1), TODAY)
    assert lapsed.obligations["phases"] == [] and lapsed.obligations["tests"] == ["2022-11-14"]
