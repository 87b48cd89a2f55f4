"""Requests: the control state attached from the person's facts, routed by the rule in force
to a facility, the rule said in words; scoped (an outsider's person refused, nothing written;
a hospital account sees only its facilities' requests); status changes audited; the batch
routing path."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from fangkong.audit.labels import SELF_SERVICE
from fangkong.audit.models import Event
from fangkong.care.facilities import services as facility_services
from fangkong.care.models import CareRequest, Channel, RequestStatus
from fangkong.care.requests import selectors, services
from fangkong.healthcode.models import CodeStatus
from fangkong.places.models import Level
from fangkong.policy.schema import CONTROL_STATES, REQUEST_TYPES
from tests import factories as f
from tests.care.conftest import in_state
from tests.care.test_routing import seed_004

pytestmark = pytest.mark.usefixtures("english")


def raise_for(actor, person, request_type="emergency", channel=Channel.GRID):
    return services.request_raise(actor=actor, person=person, type=request_type, channel=channel)


@pytest.mark.parametrize("state", CONTROL_STATES)
def test_the_control_state_is_attached_and_every_type_routed_by_the_rule_in_force(
    state, personas, city, facilities
):
    person = in_state(city, state)
    for request_type in REQUEST_TYPES:
        item = raise_for(personas["grid"], person, request_type)
        item.refresh_from_db()
        assert item.control_state == state
        destination, via_120, closed_loop = seed_004(request_type, state)
        assert (item.destination, item.via_120, item.closed_loop) == (
            destination,
            via_120,
            closed_loop,
        ), request_type
        assert item.facility == facilities[destination]
        assert item.status == RequestStatus.ROUTED
        assert item.rule_number and item.profile_code and item.due_at
        assert item.due_at > item.raised_at


def test_the_request_says_which_rule_routed_it_and_why(personas, city, facilities):
    person = in_state(city, "sealed_zone")
    item = raise_for(personas["grid"], person, "dialysis")
    why = selectors.why(item)
    assert "Rule 6 of the policy profile" in why and "version 1" in why
    assert "Request: Dialysis session. The person: In a sealed zone" in why
    assert "risk zone no." in why and "Dialysis centre" in why
    assert "closed-loop vehicle" in why and "(same street)" in why
    event = Event.objects.get(action="care.request_raised", object_id=str(item.pk))
    assert event.data["control_state"] == "sealed_zone"
    assert event.data["rule"] == 6
    assert event.person_id == person.pk


def test_a_suspended_facility_gets_no_request(personas, city, facilities):
    facility_services.facility_set_active(
        actor=personas["command"], facility=facilities["pharmacy"], active=False, reason="停电"
    )
    item = raise_for(personas["grid"], in_state(city, "none"), "medicine")
    assert item.facility is None and item.status == RequestStatus.REQUESTED
    assert "no facility of this kind is in service" in selectors.why(item)


def test_a_request_for_a_person_outside_the_jurisdiction_is_refused_and_nothing_written(
    personas, city, facilities
):
    stranger = f.resident(city.j[Level.UNIT], "外区人")
    events = Event.objects.count()
    with pytest.raises(ValidationError) as refused:
        raise_for(personas["outsider"], in_state(city, "none"))
    assert "id_number" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.person_in_scope(personas["grid"], stranger.id_number)
    assert CareRequest.objects.count() == 0 and Event.objects.count() == events


def test_only_who_may_request_raises_one(personas, city, facilities):
    with pytest.raises(PermissionDenied):
        raise_for(personas["lab"], in_state(city, "none"))
    with pytest.raises(PermissionDenied):
        raise_for(personas["hospital"], in_state(city, "none"))


def test_the_resident_raises_their_own_request(city, facilities):
    item = raise_for(SELF_SERVICE, in_state(city, "red_code"), "fever", Channel.RESIDENT)
    assert item.facility == facilities["designated"] and item.created_by is None
    assert Event.objects.get(action="care.request_raised").actor_name == SELF_SERVICE


def test_scoping_hospital_accounts_see_only_their_facilities_requests(personas, city, facilities):
    hospital = personas["hospital"]
    facility_services.facility_staff_set(
        actor=personas["command"], facility=facilities["designated"], usernames=[hospital.username]
    )
    person = in_state(city, "quarantine")
    mine = raise_for(personas["grid"], person, "emergency")
    other = raise_for(personas["grid"], person, "medicine")
    assert list(selectors.requests_for_user(hospital)) == [mine]
    with pytest.raises(Http404):
        selectors.request_for_user(hospital, other.pk)
    assert not selectors.requests_for_user(personas["outsider"]).exists()
    assert selectors.requests_for_user(personas["task_force"]).count() == 2
    # The hospital accepts what was routed to it, audited.
    services.request_set_status(actor=hospital, request=mine, status=RequestStatus.ACCEPTED)
    with pytest.raises(ValidationError):
        services.request_set_status(actor=hospital, request=other, status="accepted")
    event = Event.objects.get(action="care.request_accepted")
    assert (event.from_value, event.to_value, event.actor_name) == (
        "routed",
        "accepted",
        str(hospital),
    )


def test_cancelling_needs_a_reason_and_closed_requests_do_not_move(personas, city, facilities):
    item = raise_for(personas["grid"], in_state(city, "none"), "other")
    with pytest.raises(ValidationError) as refused:
        services.request_set_status(actor=personas["grid"], request=item, status="cancelled")
    assert "reason" in refused.value.message_dict
    services.request_set_status(
        actor=personas["grid"], request=item, status="cancelled", reason="已自行就医"
    )
    with pytest.raises(ValidationError) as refused:
        services.request_set_status(actor=personas["task_force"], request=item, status="accepted")
    assert "status" in refused.value.message_dict
    assert Event.objects.get(action="care.request_cancelled").reason == "已自行就医"


def test_batch_routing_reads_the_states_now_and_writes_columnar(
    personas, city, facilities, django_assert_max_num_queries
):
    people = [in_state(city, "none", f"人{i}") for i in range(5)]
    items = [raise_for(personas["grid"], p, "fever") for p in people]
    assert {i.facility for i in items} == {facilities["fever_clinic"]}
    # Two of them turn red; the batch sends those to the designated campus.
    for person in people[:2]:
        in_state_red(person)
    with django_assert_max_num_queries(20):
        routed = services.requests_route(actor=personas["task_force"], ids=[i.pk for i in items])
    assert routed == 5
    stored = {r.person_id: r for r in CareRequest.objects.all()}
    assert {stored[p.pk].facility for p in people[:2]} == {facilities["designated"]}
    assert {stored[p.pk].control_state for p in people[:2]} == {"red_code"}
    assert stored[people[0].pk].state_basis == "code:red"
    assert {stored[p.pk].facility for p in people[2:]} == {facilities["fever_clinic"]}
    assert Event.objects.filter(action="care.request_routed").count() == 5
    # Outsiders route nothing of ours; grid workers may not route.
    other_district = f.user("tf_jianan", "task_force", city.jianan)
    with pytest.raises(ValidationError) as refused:
        services.requests_route(actor=other_district, ids=[i.pk for i in items])
    assert "ids" in refused.value.message_dict
    assert Event.objects.filter(action="care.request_routed").count() == 5
    with pytest.raises(PermissionDenied):
        services.requests_route(actor=personas["grid"], ids=[items[0].pk])


def in_state_red(person):
    CodeStatus.objects.create(
        person=person,
        colour="red",
        since=timezone.now(),
        division_key=person.division_key,
        verify_token=f"red{person.pk}",
    )
