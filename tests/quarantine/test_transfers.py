"""Closed-loop transfers: requested, departed (stay, room, measure and case follow), handed over."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangkong.audit.models import Event
from fangkong.epi.models import CaseStatus
from fangkong.quarantine.measures import services, transfers
from fangkong.quarantine.models import MeasureStatus, RoomStatus, StayStatus, TransferStatus
from tests.epi.conftest import make_case
from tests.quarantine.conftest import give_result, today, tube_with

pytestmark = pytest.mark.usefixtures("english")


def request(actor, measure, **kw):
    fields = {"destination_kind": "designated_hospital", "destination": "许昌市传染病医院"}
    fields.update(kw)
    return transfers.transfer_request(actor=actor, measure=measure, **fields)


def test_a_positive_test_makes_a_candidate_until_a_transfer_is_requested(at_site, personas, people):
    assert transfers.transfer_candidates(personas["task_force"]) == []
    tube = tube_with("T-POS", people["zhang"])
    services.test_mark_sampled(
        actor=personas["quarantine"], test=at_site.tests.get(due_on=today()), barcode="T-POS"
    )
    give_result(tube, "positive")
    assert [m.pk for m in transfers.transfer_candidates(personas["quarantine"])] == [at_site.pk]
    request(personas["quarantine"], at_site, vehicle="豫K·12345", escort="李医生")
    assert transfers.transfer_candidates(personas["quarantine"]) == []


def test_departure_ends_the_stay_frees_the_room_closes_the_measure_and_transfers_the_case(
    at_site, personas, people, rooms
):
    case = make_case(people["zhang"], reported_on=today(), sampled_on=today())
    assert [m.pk for m in transfers.transfer_candidates(personas["task_force"])] == [at_site.pk]
    manager = personas["quarantine"]  # may transfer, may not edit cases: the loop still closes
    t = request(manager, at_site, vehicle="豫K·12345", escort="李医生")
    assert (t.case, t.stay.room, t.division_key) == (case, rooms["101"], rooms["101"].division_key)
    with pytest.raises(ValidationError, match="already has a transfer"):
        request(manager, at_site)
    transfers.transfer_depart(actor=manager, transfer=t)
    t.refresh_from_db()
    at_site.refresh_from_db()
    case.refresh_from_db()
    rooms["101"].refresh_from_db()
    stay = at_site.stays.get()
    assert t.status == TransferStatus.DEPARTED and t.departed_at is not None
    assert (stay.status, stay.checked_out_at) == (StayStatus.TRANSFERRED, t.departed_at)
    assert rooms["101"].status == RoomStatus.CLEANING
    assert (
        at_site.status == MeasureStatus.TRANSFERRED and "许昌市传染病医院" in at_site.close_reason
    )
    assert (case.status, case.destination_name, case.transferred_at) == (
        CaseStatus.TRANSFERRED,
        "许昌市传染病医院",
        t.departed_at,
    )
    with pytest.raises(ValidationError, match="Name who received"):
        transfers.transfer_hand_over(actor=personas["hospital"], transfer=t, received_by="")
    transfers.transfer_hand_over(actor=personas["hospital"], transfer=t, received_by="王护士")
    t.refresh_from_db()
    assert (t.status, t.received_by) == (TransferStatus.HANDED_OVER, "王护士")
    actions = set(Event.objects.values_list("action", flat=True))
    assert {
        "transfer.requested",
        "transfer.departed",
        "transfer.handed_over",
        "stay.ended",
        "room.status_changed",
        "measure.closed",
        "case.transferred",
    } <= actions


def test_a_transfer_from_a_case_with_no_measure(twenty, personas, people):
    case = make_case(people["li"], reported_on=today(), sampled_on=today())
    t = transfers.transfer_request(
        actor=personas["task_force"],
        case=case,
        destination_kind="shelter_hospital",
        destination="方舱医院一号",
    )
    assert (t.measure, t.stay, t.division_key) == (None, None, people["li"].division_key)
    transfers.transfer_depart(actor=personas["task_force"], transfer=t)
    case.refresh_from_db()
    assert case.status == CaseStatus.TRANSFERRED and case.destination == "shelter_hospital"


def test_refusals_and_scope(at_site, personas, city):
    with pytest.raises(ValidationError, match="hospital"):
        request(personas["task_force"], at_site, destination=" ")
    with pytest.raises(ValidationError, match="designated or shelter"):
        request(personas["task_force"], at_site, destination_kind="home")
    with pytest.raises(PermissionDenied):
        request(personas["street"], at_site)
    from tests import factories as f

    far = f.user("tf_far", "task_force", city.jianan)
    with pytest.raises(ValidationError, match="outside"):
        request(far, at_site)
    t = request(personas["task_force"], at_site)
    assert list(transfers.transfers_for_user(far)) == []
    assert list(transfers.transfers_for_user(personas["hospital"])) == [t]
    with pytest.raises(ValidationError, match="outside"):
        transfers.transfer_depart(actor=far, transfer=t)
    with pytest.raises(ValidationError, match="requested"):
        transfers.transfer_hand_over(actor=personas["task_force"], transfer=t, received_by="x")
    with pytest.raises(ValidationError, match="reason"):
        transfers.transfer_cancel(actor=personas["task_force"], transfer=t, reason="")
    transfers.transfer_cancel(actor=personas["task_force"], transfer=t, reason="negative retest")
    t.refresh_from_db()
    at_site.refresh_from_db()
    assert t.status == TransferStatus.CANCELLED and at_site.status == MeasureStatus.ACTIVE
    request(personas["task_force"], at_site)  # a new one may follow
