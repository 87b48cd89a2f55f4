"""Citizen requests (issue 18, items 1 and 3): taken from each channel, the caller matched to
the registry, the place found, dispatched by the rule in force to the nearest department with
its SLA; the department's and the caller's steps; duplicates merged; late ones escalated at the
right minute; every status change audited; an outsider sees and changes nothing."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from fangkong.audit.labels import SYSTEM
from fangkong.audit.models import Event
from fangkong.hotline.dispatch.services import requests_escalate
from fangkong.hotline.models import HotlineChannel, HotlineRequest, HotlineStatus, TrainingExample
from fangkong.hotline.requests import selectors, services
from fangkong.places.models import Level
from fangkong.policy.accessor import current

pytestmark = pytest.mark.django_db

REPAIR = "幸福小区1号楼停水两天了，物业电话打不通"


def take(actor, text=REPAIR, **kw):
    return services.request_take(actor=actor, channel=HotlineChannel.PHONE, text=text, **kw)


def test_taken_request_is_classified_placed_and_dispatched(personas, city, departments):
    hotline = personas["hotline"]
    r = take(hotline, caller_phone="13900000123")
    assert r.number.endswith("-00001")
    assert r.category == r.suggested_category == "repair"
    assert 0 < r.suggested_confidence <= 1
    # The compound and building named in the text are found in the registry.
    assert r.place_text.startswith("幸福小区1号楼")
    assert r.division == city.w[Level.BUILDING]
    assert r.division_key == city.w[Level.BUILDING].key
    # The repair rule of the policy in force: to utilities, within its SLA.
    index, rule = current().rules.hotline.route_for("repair")
    assert r.rule_number == index + 1
    assert r.department == departments["utilities"]
    assert r.status == HotlineStatus.DISPATCHED
    assert r.sla_minutes == rule.sla_minutes
    assert r.due_at == r.happened_at + dt.timedelta(minutes=rule.sla_minutes)
    event = Event.objects.get(object_type="hotline.hotlinerequest", object_id=str(r.pk))
    assert event.action == "hotline.request_taken"
    assert event.actor == hotline
    assert (event.from_value, event.to_value) == ("", HotlineStatus.DISPATCHED)
    assert event.data["rule"] == r.rule_number
    assert event.data["suggested"] == "repair"


def test_caller_matched_by_phone_or_id_number(personas, people, departments):
    hotline = personas["hotline"]
    zhang = people["zhang"]
    by_phone = take(hotline, caller_phone=zhang.phone, text="家里的降压药吃完了，药店关门")
    assert by_phone.person == zhang
    assert by_phone.caller_name == zhang.name
    # No place in the text: the caller's home places it.
    assert by_phone.division_key == zhang.division_key
    by_id = take(hotline, id_number=people["li"].id_number.lower(), text="买不到菜了")
    assert by_id.person == people["li"]
    # An ID number of someone outside the operator's jurisdiction: refused, nothing written.
    with pytest.raises(ValidationError) as exc:
        take(hotline, id_number=people["other"].id_number)
    assert "id_number" in exc.value.message_dict
    assert HotlineRequest.objects.count() == 2


def test_operator_choice_kept_as_training_example(personas, departments):
    r = take(personas["hotline"], text="小区门口的菜卖得太贵了", category="prices")
    assert r.category == "prices"
    if r.suggested_category != "prices":
        example = TrainingExample.objects.get(request=r)
        assert (example.category, example.suggested) == ("prices", r.suggested_category)
    r2 = take(personas["hotline"], text=REPAIR, category="other")
    assert r2.department == departments["street_office"]
    example = TrainingExample.objects.get(request=r2)
    assert (example.category, example.suggested, example.source) == (
        "other",
        "repair",
        "correction",
    )


def test_bad_input_names_the_field(personas, departments):
    hotline = personas["hotline"]
    for kwargs, field in (
        ({"text": "  "}, "text"),
        ({"text": "x" * 4001}, "text"),
        ({"category": "nonsense"}, "category"),
        ({"caller_phone": "12"}, "phone"),
        ({"happened_at": timezone.now() + dt.timedelta(days=1)}, "happened_at"),
    ):
        with pytest.raises(ValidationError) as exc:
            take(hotline, **{"text": REPAIR, **kwargs})
        assert field in exc.value.message_dict, kwargs
    assert HotlineRequest.objects.count() == 0


def test_no_department_of_the_kind_leaves_it_received(personas, city):
    r = take(personas["hotline"])
    assert r.status == HotlineStatus.RECEIVED
    assert r.department is None
    assert r.due_at is not None  # the clock runs from the call all the same


def test_department_accepts_notes_completes_caller_confirms(personas, departments):
    hotline, staff = personas["hotline"], departments["staff"]
    r = take(hotline, caller_phone="13900000123")
    # Someone who neither staffs the department nor runs the 12345 centre cannot act on it.
    with pytest.raises(ValidationError):
        services.request_accept(actor=personas["outsider"], request=r)
    services.request_accept(actor=staff, request=r)
    services.request_note(actor=staff, request=r, text="已联系物业，维修工在路上")
    with pytest.raises(ValidationError) as exc:
        services.request_complete(actor=staff, request=r, reply=" ")
    assert "reply" in exc.value.message_dict
    services.request_complete(actor=staff, request=r, reply="水管已修好，恢复供水")
    r.refresh_from_db()
    assert r.status == HotlineStatus.COMPLETED and r.completed_at is not None
    # The caller says it is not solved: back to the department.
    services.request_callback(actor=hotline, request=r, solved=False, satisfaction=2)
    r.refresh_from_db()
    assert r.status == HotlineStatus.DISPATCHED and r.confirmed is False
    services.request_complete(actor=staff, request=r, reply="更换了水泵")
    with pytest.raises(ValidationError) as exc:
        services.request_callback(actor=hotline, request=r, solved=True, satisfaction=None)
    assert "satisfaction" in exc.value.message_dict
    services.request_callback(actor=hotline, request=r, solved=True, satisfaction=5)
    r.refresh_from_db()
    assert (r.status, r.confirmed, r.satisfaction) == (HotlineStatus.CLOSED, True, 5)
    actions = list(
        Event.objects.filter(object_id=str(r.pk), object_type="hotline.hotlinerequest")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "hotline.request_taken",
        "hotline.request_accepted",
        "hotline.request_noted",
        "hotline.request_completed",
        "hotline.request_reopened",
        "hotline.request_completed",
        "hotline.request_confirmed",
    ]
    assert [n.kind for n in r.notes.all()] == [
        "progress",
        "progress",
        "callback",
        "progress",
        "callback",
    ]


def test_duplicates_same_person_or_same_place_similar_text_merge(personas, people, departments):
    hotline = personas["hotline"]
    first = take(hotline, caller_phone="13900000123")
    second = take(hotline, text="幸福小区1号楼停水两天了，一直没人来修", caller_phone="13900000777")
    other_text = take(hotline, text="幸福小区1号楼的电梯坏了，老人上不了楼")
    by_person = take(hotline, caller_phone=people["zhang"].phone, text="想咨询隔离政策")
    found = {o.pk: why for o, why, _s in selectors.duplicates_of(hotline, second)}
    assert found == {first.pk: "place"}  # similar text at the same building; not the lift
    assert other_text.pk not in found
    again = take(hotline, caller_phone=people["zhang"].phone, text="家里没菜了")
    assert {o.pk: w for o, w, _s in selectors.duplicates_of(hotline, again)} == {
        by_person.pk: "person"
    }
    services.request_merge(actor=hotline, duplicate=second, into=first)
    second.refresh_from_db()
    assert second.status == HotlineStatus.MERGED and second.merged_into == first
    assert [r.pk for r in selectors.callers_of(first)] == [first.pk, second.pk]
    with pytest.raises(ValidationError):
        services.request_merge(actor=hotline, duplicate=first, into=second)
    # The department cannot merge: that is the 12345 centre's.
    with pytest.raises(Exception):  # noqa: B017 -- PermissionDenied
        services.request_merge(actor=departments["staff"], duplicate=other_text, into=first)


def test_escalation_at_the_right_minute(personas, departments):
    r = take(personas["hotline"])
    again = current().rules.hotline.escalate_again_hours
    assert requests_escalate(r.due_at) == 0  # due, not late
    assert requests_escalate(r.due_at + dt.timedelta(minutes=1)) == 1
    r.refresh_from_db()
    assert r.escalation_level == 1
    assert requests_escalate(r.due_at + dt.timedelta(hours=again) - dt.timedelta(minutes=1)) == 0
    assert requests_escalate(r.due_at + dt.timedelta(hours=again)) == 1
    r.refresh_from_db()
    assert r.escalation_level == 2
    event = Event.objects.filter(action="hotline.escalated").order_by("-id").first()
    assert (event.actor_name, event.from_value, event.to_value) == (SYSTEM, "1", "2")
    # A completed request is not escalated.
    services.request_complete(actor=departments["staff"], request=r, reply="修好了")
    assert requests_escalate(r.due_at + dt.timedelta(hours=again * 5)) == 0


def test_public_form_over_the_limits_is_queued_not_dropped(personas, departments):
    rules = current().rules.hotline
    made = [
        services.public_submit(
            text=f"幸福小区1号楼停水了 第{i}次", phone="13900000555", address="10.0.0.9"
        )
        for i in range(rules.public_per_phone_per_day + 2)
    ]
    statuses = [r.status for r in made]
    limit = rules.public_per_phone_per_day
    assert statuses[:limit] == [HotlineStatus.DISPATCHED] * limit
    assert statuses[limit:] == [HotlineStatus.QUEUED] * 2
    assert HotlineRequest.objects.count() == len(made)
    queued = made[-1]
    services.request_dispatch(actor=personas["hotline"], request=queued, reason="真实诉求")
    queued.refresh_from_db()
    assert queued.status == HotlineStatus.DISPATCHED
    with pytest.raises(ValidationError) as exc:
        services.public_submit(text="停水", phone="")
    assert "phone" in exc.value.message_dict


def test_outsider_sees_nothing(personas, departments):
    r = take(personas["hotline"])
    outsider = personas["outsider"]  # street staff of 建安区, staff of 建安's community office
    assert not selectors.requests_for_user(outsider).filter(pk=r.pk).exists()
    assert selectors.requests_for_user(departments["staff"]).filter(pk=r.pk).exists()
    with pytest.raises(ValidationError):
        services.request_cancel(actor=personas["hotline"], request=r, reason="")
    jianan = take(personas["command"], text="阳光小区2号楼的暖气不热")
    assert selectors.requests_for_user(outsider).filter(pk=jianan.pk).exists()
    assert not selectors.requests_for_user(personas["hotline"]).filter(pk=jianan.pk).exists()


def test_the_sweep_command_and_task_escalate(personas, departments, settings):
    import io

    from django.core.management import call_command

    from fangkong.hotline.tasks import sweep_hotline_sla

    r = take(personas["hotline"], happened_at=timezone.now() - dt.timedelta(days=3))
    out = io.StringIO()
    call_command("hotline_sweep", stdout=out)
    assert out.getvalue().strip() == "escalated=1"
    r.refresh_from_db()
    assert r.escalation_level >= 1
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    assert sweep_hotline_sla.enqueue().return_value == 0
