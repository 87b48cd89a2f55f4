"""120 linkage, the hospital side and the SLA clocks (issue 17, items 4, 5 and 8): a dispatch
moves through its steps, each dated twice and audited; 110 hands over into the same queue; a
refusal or a missed SLA is an incident escalated to the command centre; "no test result" is
never a reason offered and is flagged when written; the clocks run out at the exact minute;
each role sees only its own."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation

from fangkong.audit.models import Event
from fangkong.care.admission import selectors as board
from fangkong.care.admission import services as admission
from fangkong.care.admission.forms import RefuseForm
from fangkong.care.admission.models import Incident, IncidentKind
from fangkong.care.dispatch import selectors as queue
from fangkong.care.dispatch import services as dispatch
from fangkong.care.dispatch.models import Stage
from fangkong.care.facilities import services as facility_services
from fangkong.care.models import Channel, RequestStatus
from fangkong.care.requests import selectors, services
from fangkong.command import report
from fangkong.policy.accessor import current
from tests.care.conftest import in_state

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def staffed(personas, facilities):
    """The hospital account on the designated campus, the dispatcher on the 120 centre, one
    ambulance."""
    command = personas["command"]
    facility_services.facility_staff_set(
        actor=command, facility=facilities["designated"], usernames=["p_hospital"]
    )
    facility_services.facility_staff_set(
        actor=command, facility=facilities["dispatch_120"], usernames=["p_dispatch_120"]
    )
    ambulance = dispatch.vehicle_register(
        actor=personas["dispatch_120"], centre=facilities["dispatch_120"], plate="豫K12012"
    )
    return ambulance


def emergency(personas, city, state="red_code"):
    return services.request_raise(
        actor=personas["grid"], person=in_state(city, state), type="emergency", channel=Channel.GRID
    )


def test_an_emergency_from_a_red_code_person_is_queued_for_120_and_goes_through_its_steps(
    personas, city, facilities, staffed
):
    item = emergency(personas, city)
    assert item.via_120 and item.facility == facilities["designated"]
    dispatcher = personas["dispatch_120"]
    assert list(queue.queue_for_user(dispatcher)) == [item]
    with pytest.raises(ValidationError) as refused:
        dispatch.vehicle_of(dispatcher, 999_999)
    assert "vehicle" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        dispatch.dispatch_step(actor=dispatcher, request=item, step="pick_up")
    assert "step" in refused.value.message_dict
    start = item.raised_at
    for n, step in enumerate(("assign", "pick_up", "arrive", "hand_over"), start=1):
        done = dispatch.dispatch_step(
            actor=dispatcher,
            request=item,
            step=step,
            vehicle=staffed if step == "assign" else None,
            happened_at=start + dt.timedelta(minutes=n),
        )
    assert done.stage == Stage.HANDED_OVER and done.vehicle == staffed
    assert done.picked_up_at == start + dt.timedelta(minutes=2)
    assert done.handed_over_recorded is not None and done.handed_over_recorded > start
    events = Event.objects.filter(object_type="care.dispatch").order_by("at")
    assert [e.to_value for e in events] == ["assigned", "picked_up", "arrived", "handed_over"]
    assert events[1].at == start + dt.timedelta(minutes=2) and events[1].recorded_at != events[1].at
    assert not queue.queue_for_user(dispatcher).exists()


def test_a_step_dated_before_the_one_before_it_is_refused(personas, city, facilities, staffed):
    item = emergency(personas, city)
    dispatcher = personas["dispatch_120"]
    dispatch.dispatch_step(actor=dispatcher, request=item, step="assign", vehicle=staffed)
    with pytest.raises(ValidationError) as refused:
        dispatch.dispatch_step(
            actor=dispatcher,
            request=item,
            step="pick_up",
            happened_at=item.raised_at - dt.timedelta(minutes=5),
        )
    assert "happened_at" in refused.value.message_dict


def test_110_hands_over_into_the_same_queue_once(personas, city, facilities, staffed):
    person = in_state(city, "none")
    dispatcher = personas["dispatch_120"]
    item = dispatch.transfer_from_110(actor=dispatcher, person=person, ref_110="110-20221107-0042")
    assert item.type == "emergency" and item.via_120 and item.facility == facilities["general"]
    assert item.dispatch.source == "110" and list(queue.queue_for_user(dispatcher)) == [item]
    assert Event.objects.filter(action="care.dispatch_transferred").count() == 1
    with pytest.raises(ValidationError) as refused:
        dispatch.transfer_from_110(actor=dispatcher, person=person, ref_110="110-20221107-0042")
    assert "ref_110" in refused.value.message_dict


def test_scope_hospital_dispatcher_outsider(personas, city, facilities, staffed):
    mine = emergency(personas, city)  # → designated campus, by 120
    medicine = services.request_raise(
        actor=personas["grid"], person=in_state(city, "none"), type="medicine", channel="grid"
    )
    hospital, dispatcher, outsider = (personas[k] for k in ("hospital", "dispatch_120", "outsider"))
    assert list(selectors.requests_for_user(hospital)) == [mine]
    assert list(selectors.requests_for_user(dispatcher)) == [mine]  # only its queue
    with pytest.raises(Http404):
        selectors.request_for_user(dispatcher, medicine.pk)
    assert not selectors.requests_for_user(outsider).exists()
    assert not board.incidents_for_user(outsider).exists()
    with pytest.raises(PermissionDenied):
        queue.queue_for_user(hospital)
    with pytest.raises(PermissionDenied):
        queue.queue_for_user(outsider)
    assert not queue.vehicles_for_user(personas["task_force"]).filter(centre__staff=None).exists()
    # a dispatcher in another district has no centre, so no vehicle to dispatch
    with pytest.raises(ValidationError):
        dispatch.vehicle_of(personas["task_force"], 0)


def test_a_refusal_is_an_incident_escalated_to_the_command_centre(
    personas, city, facilities, staffed
):
    item = emergency(personas, city, "quarantine")
    hospital = personas["hospital"]
    incident = admission.admission_refuse(actor=hospital, request=item, reason="no_bed")
    assert incident.kind == IncidentKind.REFUSED and incident.facility == facilities["designated"]
    assert incident.escalated_at is not None and not incident.flagged
    event = Event.objects.get(action="care.incident_recorded")
    assert event.data["escalated_to"] == "command" and event.to_value == "refused"
    item.refresh_from_db()
    assert item.status == RequestStatus.ROUTED  # the patient is still the hospital's to admit
    assert board.incident_counts(personas["command"], item.raised_at)["recent"] == 1
    assert list(board.incidents_for_user(hospital)) == [incident]
    with pytest.raises(ValidationError) as refused:
        admission.admission_refuse(actor=hospital, request=item, reason="other")
    assert "reason_text" in refused.value.message_dict
    with pytest.raises(ValidationError):
        admission.admission_refuse(actor=personas["grid"], request=item, reason="no_bed")


def test_no_test_result_is_not_offered_and_flagged_when_written(personas, city, staffed):
    offered = " ".join(str(label) for _v, label in RefuseForm().fields["reason"].choices)
    assert "test" not in offered.lower() and "核酸" not in offered
    hospital = personas["hospital"]
    for text in ("无核酸结果，不予接收", "没有48小时核酸证明", "No negative PCR test result"):
        item = emergency(personas, city)
        flagged = admission.admission_refuse(
            actor=hospital, request=item, reason="other", reason_text=text
        )
        assert flagged.flagged, text
    plain = admission.admission_refuse(
        actor=hospital, request=emergency(personas, city), reason="other", reason_text="病房停电"
    )
    assert not plain.flagged


def test_the_sla_clock_runs_out_at_the_exact_minute_and_the_sweep_is_idempotent(
    personas, city, staffed
):
    item = emergency(personas, city)
    minutes = current().rules.care.clock_for("emergency").minutes
    assert item.due_at == item.raised_at + dt.timedelta(minutes=minutes)
    due = item.due_at
    assert admission.incidents_sweep(now=due - dt.timedelta(minutes=1)) == 0
    assert admission.incidents_sweep(now=due) == 0  # due by then: not yet late
    assert board.board_counts(personas["task_force"], due)["late"] == 0
    after = due + dt.timedelta(minutes=1)
    assert board.board_counts(personas["task_force"], after) == {"open": 1, "late": 1}
    assert admission.incidents_sweep(now=after) == 1
    assert admission.incidents_sweep(now=after + dt.timedelta(minutes=5)) == 0
    incident = Incident.objects.get()
    assert incident.kind == IncidentKind.NOT_CONFIRMED and incident.happened_at == due
    assert Event.objects.filter(action="care.incident_recorded").count() == 1


def test_a_confirmed_admission_is_no_incident(personas, city, staffed):
    item = emergency(personas, city)
    admission.admission_confirm(actor=personas["hospital"], request=item)
    assert admission.incidents_sweep(now=item.due_at + dt.timedelta(hours=1)) == 0


def test_dialysis_is_due_the_same_day(personas, city, facilities):
    item = services.request_raise(
        actor=personas["grid"], person=in_state(city, "none"), type="dialysis", channel="grid"
    )
    local = timezone.localtime(item.due_at)
    assert (local.hour, local.minute) == (0, 0)
    assert local.date() == timezone.localtime(item.raised_at).date() + dt.timedelta(days=1)


def test_pages_and_api(login, client, personas, city, facilities, staffed):
    item = emergency(personas, city)
    dispatcher = login(personas["dispatch_120"])
    page = dispatcher.get(reverse("care:dispatch_queue")).content.decode()
    assert f'data-request="{item.pk}"' in page
    response = dispatcher.post(
        reverse("care:dispatch", args=[item.pk]), {"step": "assign", "vehicle": str(staffed.pk)}
    )
    assert response.status_code == 302
    api = dispatcher.post(
        f"/api/care/dispatch/{item.pk}/step", {"step": "pick_up"}, content_type="application/json"
    )
    assert api.status_code == 200 and api.json()["stage"] == "picked_up"
    wrong = dispatcher.post(
        "/api/care/dispatch/transfers-110",
        {"ref_110": "110-1", "id_number": "110101199001011237"},
        content_type="application/json",
    )
    assert wrong.status_code == 422
    hospital = login(personas["hospital"])
    board_page = hospital.get(reverse("care:board")).content.decode()
    assert f'data-request="{item.pk}"' in board_page
    refused = hospital.post(
        f"/api/care/requests/{item.pk}/admission",
        {"decision": "refuse", "reason": "other", "reason_text": "无核酸结果"},
        content_type="application/json",
    )
    assert refused.status_code == 200
    listed = hospital.get("/api/care/incidents").json()["items"]
    assert listed[0]["flagged"] is True
    tf = login(personas["task_force"])
    data = tf.get("/api/care/board?late=true").json()
    assert data["open"] == 1 and data["late"] == 0


def test_the_daily_report_tells_care_in_both_languages(personas, city, staffed):
    item = emergency(personas, city)
    admission.admission_refuse(actor=personas["hospital"], request=item, reason="no_bed")
    now = timezone.now() + dt.timedelta(minutes=1)
    figures = board.care_figures(city.city.key, now, now - dt.timedelta(days=1))
    assert figures["raised"] == figures["open"] == figures["incidents"] == 1
    with translation.override("zh-hans"):
        text = report._care_text(figures)
    assert text.startswith("就医保障：") and "首诊负责制事件" in text and " " not in text
    with translation.override("en"):
        assert "1 first-diagnosis incident" in report._care_text(figures)
