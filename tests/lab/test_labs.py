"""The laboratories' registry: registering, changing, suspending and staffing a lab, each
audited; who sees which lab; a lab account's tubes; turnaround hours from the policy."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from fangkong.audit.models import Event
from fangkong.core.roles import Cap
from fangkong.lab import selectors
from fangkong.lab.labs import services
from fangkong.lab.models import Lab, TubeStatus, TurnaroundClass
from fangkong.lab.rounds import selectors as round_selectors
from fangkong.lab.rounds import services as round_services
from fangkong.places.models import Level
from fangkong.policy.models import PolicyProfile
from tests import factories as f
from tests.lab.conftest import make_tube

pytestmark = pytest.mark.usefixtures("english")


def register(actor, place, code="LAB-N", **kw):
    defaults = {
        "name": "许昌新检测中心",
        "capacity_per_day": 8000,
        "turnaround": TurnaroundClass.FEVER_CLINIC,
        "phone": "0374-2966120",
        "contact_name": "陈技师",
        "address": "健康路 8 号",
    }
    return services.lab_register(actor=actor, code=code, division=place, **{**defaults, **kw})


def refusal(exc: pytest.ExceptionInfo) -> dict[str, str]:
    return {field: " ".join(msgs) for field, msgs in exc.value.message_dict.items()}


# Registering ------------------------------------------------------------------------------


def test_command_registers_a_lab_serving_an_area_with_an_audit_event(personas, city):
    street = city.w[Level.STREET]
    lab = register(personas["command"], street, code="lab-n", area=city.city)
    stored = Lab.objects.get(code="LAB-N")
    assert stored == lab and stored.division == street and stored.division_key == street.key
    assert (stored.area, stored.area_key, stored.served_key) == (city.city, "4110", "4110")
    assert (stored.capacity_per_day, stored.turnaround, stored.active) == (
        8000,
        "fever_clinic",
        True,
    )
    assert (stored.phone, stored.contact_name, stored.address) == (
        "0374-2966120",
        "陈技师",
        "健康路 8 号",
    )
    event = Event.objects.get(action="lab.registered")
    assert (event.object_type, event.object_id, event.actor) == (
        "lab.lab",
        str(lab.pk),
        personas["command"],
    )
    assert event.data["area"] == city.city.code and event.data["capacity_per_day"] == 8000
    assert event.action_label == "Laboratory registered"


def test_a_lab_serves_its_own_place_when_no_area_is_named(personas, city):
    lab = register(personas["command"], city.weidu)
    assert lab.area == city.weidu and lab.served_key == city.weidu.key


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"code": "实验室"}, "code"),
        ({"code": ""}, "code"),
        ({"name": "  "}, "name"),
        ({"capacity_per_day": 0}, "capacity_per_day"),
        ({"capacity_per_day": None}, "capacity_per_day"),
        ({"turnaround": "48h"}, "turnaround"),
        ({"phone": "call me"}, "phone"),
    ],
)
def test_registering_refuses_what_is_wrong_by_field(personas, city, kw, field):
    with pytest.raises(ValidationError) as exc:
        register(personas["command"], city.weidu, **kw)
    assert field in refusal(exc)
    assert not Lab.objects.exists() and not Event.objects.exists()


def test_a_code_is_registered_once(personas, city):
    register(personas["command"], city.weidu, code="LAB-1")
    with pytest.raises(ValidationError) as exc:
        register(personas["command"], city.jianan, code="lab-1")
    assert "already exists" in refusal(exc)["code"]


def test_a_district_registers_labs_at_and_for_its_own_places_only(personas, city):
    district_command = f.user("cmd_w", "command", city.weidu)
    with pytest.raises(ValidationError) as exc:
        register(district_command, city.jianan)
    assert "division" in refusal(exc)
    with pytest.raises(ValidationError) as exc:
        register(district_command, city.weidu, area=city.city)
    assert "area" in refusal(exc)
    assert register(district_command, city.weidu).area == city.weidu


@pytest.mark.parametrize("role", ["street", "task_force", "lab", "quarantine", "supply"])
def test_only_those_who_manage_labs_register_them(personas, city, role):
    with pytest.raises(PermissionDenied):
        register(personas[role], city.weidu)


# Changing, suspending, staff --------------------------------------------------------------


def test_a_change_is_one_audit_event_per_field_and_the_code_stays(personas, city):
    lab = register(personas["command"], city.weidu)
    services.lab_update(
        actor=personas["command"],
        lab=lab,
        name="许昌新检测中心",
        division=city.weidu,
        area=city.city,
        capacity_per_day=12000,
        turnaround=TurnaroundClass.ROUTINE,
        address="健康路 8 号",
        contact_name="陈技师",
        phone="0374-2966120",
        reason="扩建",
    )
    lab.refresh_from_db()
    assert (lab.code, lab.capacity_per_day, lab.area_key) == ("LAB-N", 12000, "4110")
    events = {e.field: e for e in Event.objects.filter(action="lab.updated")}
    assert set(events) == {"capacity_per_day", "turnaround", "area"}
    assert (events["capacity_per_day"].from_value, events["capacity_per_day"].to_value) == (
        "8000",
        "12000",
    )
    assert events["turnaround"].to_value == "Routine standard"
    assert events["area"].to_value == f"许昌市 ({city.city.code})"
    assert events["area"].reason == "扩建"


def test_a_lab_outside_the_jurisdiction_cannot_be_changed(personas, city):
    lab = register(personas["command"], city.jianan)
    district_command = f.user("cmd_w", "command", city.weidu)
    with pytest.raises(ValidationError):
        services.lab_set_active(actor=district_command, lab=lab, active=False, reason="质控")
    with pytest.raises(ValidationError):
        services.lab_staff_set(actor=district_command, lab=lab, usernames=[])
    assert Lab.objects.get(pk=lab.pk).active


def test_a_suspended_lab_takes_no_tubes_until_reopened(personas, people, a_round, a_site, city):
    lab = register(personas["command"], city.weidu)
    with pytest.raises(ValidationError) as exc:
        services.lab_set_active(actor=personas["command"], lab=lab, active=False, reason=" ")
    assert "reason" in refusal(exc)
    services.lab_set_active(
        actor=personas["command"], lab=lab, active=False, reason="室间质评未通过"
    )
    make_tube("C0", [people["zhang"]], round=a_round, site=a_site)
    with pytest.raises(ValidationError) as exc:
        round_services.tubes_send(actor=personas["street"], barcodes=["C0"], lab=lab)
    assert "suspended" in refusal(exc)["lab"]
    services.lab_set_active(actor=personas["command"], lab=lab, active=True, reason="复核通过")
    assert round_services.tubes_send(actor=personas["street"], barcodes=["C0"], lab=lab) == 1
    events = list(Event.objects.filter(field="active").order_by("id"))
    assert [(e.action, e.from_value, e.to_value) for e in events] == [
        ("lab.suspended", "in_use", "suspended"),
        ("lab.reopened", "suspended", "in_use"),
    ]
    with translation.override("zh-hans"):
        assert (events[0].from_label, events[0].to_label) == ("启用中", "已暂停")
    assert events[0].reason == "室间质评未通过"


def test_staff_are_lab_accounts_of_the_jurisdiction(personas, city):
    lab = register(personas["command"], city.weidu)
    tech = f.user("tech_w", "lab", city.weidu)
    assert services.lab_staff_set(
        actor=personas["command"], lab=lab, usernames=[tech.username, "p_lab"]
    ) == (2, 0)
    with pytest.raises(ValidationError) as exc:
        services.lab_staff_set(actor=personas["command"], lab=lab, usernames=["p_street"])
    assert "laboratory role" in refusal(exc)["staff"]
    outside = f.user("tech_j", "lab", city.jianan)
    district_command = f.user("cmd_w", "command", city.weidu)
    with pytest.raises(ValidationError) as exc:
        services.lab_staff_set(actor=district_command, lab=lab, usernames=[outside.username])
    assert "No active user named tech_j" in refusal(exc)["staff"]
    assert services.lab_staff_set(actor=personas["command"], lab=lab, usernames=["p_lab"]) == (0, 1)
    event = Event.objects.filter(action="lab.staff_changed").order_by("id").last()
    assert (event.from_value, event.to_value) == ("p_lab, tech_w", "p_lab")
    assert event.data == {"added": [], "removed": ["tech_w"]}


# Who sees what ----------------------------------------------------------------------------


def test_labs_are_seen_in_the_jurisdiction_and_by_their_own_staff_only(personas, city, a_lab):
    other = Lab.objects.create(
        code="LAB-J", name="建安检测", division=city.jianan, division_key=city.jianan.key
    )
    assert set(selectors.labs_for_user(personas["command"], Cap.LABS_VIEW)) == {a_lab, other}
    assert list(selectors.labs_for_user(personas["task_force"], Cap.LABS_VIEW)) == [a_lab]
    assert list(selectors.labs_for_user(personas["lab"], Cap.LABS_VIEW)) == [a_lab]
    unstaffed = f.user("tech_w", "lab", city.weidu)
    assert not selectors.labs_for_user(unstaffed, Cap.LABS_VIEW).exists()
    with pytest.raises(PermissionDenied):
        selectors.labs_for_user(personas["street"], Cap.LABS_VIEW)
    with pytest.raises(PermissionDenied):
        selectors.labs_for_user(personas["outsider"], Cap.LABS_VIEW)


def test_a_lab_account_sees_the_tubes_sent_to_its_labs_and_those_it_collected(
    personas, people, city, a_round, a_site, a_lab
):
    other = Lab.objects.create(
        code="LAB-2", name="二号实验室", division=city.weidu, division_key=city.weidu.key
    )
    for barcode, lab, person in (("MINE", a_lab, "zhang"), ("THEIRS", other, "wang")):
        make_tube(barcode, [people[person]], round=a_round, site=a_site)
        round_services.tubes_send(actor=personas["street"], barcodes=[barcode], lab=lab)
    make_tube("WAITING", [people["li"]], round=a_round, site=a_site)
    own = round_services.tube_open(
        actor=personas["lab"], barcode="OWN", site=a_site, capacity=1, purpose="voluntary"
    )
    seen = set(round_selectors.tubes_for_user(personas["lab"]).values_list("barcode", flat=True))
    assert seen == {"MINE", own.barcode}
    everyone = set(
        round_selectors.tubes_for_user(personas["street"]).values_list("barcode", flat=True)
    )
    assert everyone == {"MINE", "THEIRS", "WAITING", "OWN"}
    with pytest.raises(ValidationError):  # not its tube to send
        round_services.tubes_send(actor=personas["lab"], barcodes=["WAITING"], lab=a_lab)
    with pytest.raises(ValidationError):  # not its lab
        round_services.tubes_receive(actor=personas["lab"], barcodes=["THEIRS"], lab=other)
    assert round_services.tubes_receive(actor=personas["lab"], barcodes=["MINE"], lab=a_lab) == 1


def test_samplers_are_offered_the_labs_in_use_serving_their_area_first(personas, city, a_lab):
    city_lab = Lab.objects.create(
        code="LAB-C",
        name="市检测中心",
        division=city.jianan,
        division_key=city.jianan.key,
        area=city.city,
        area_key=city.city.key,
    )
    jianan_lab = Lab.objects.create(
        code="LAB-J", name="建安检测", division=city.jianan, division_key=city.jianan.key
    )
    Lab.objects.create(
        code="LAB-X", name="停用", division=city.weidu, division_key=city.weidu.key, active=False
    )
    serving, others = selectors.labs_for_sending(personas["grid"])
    assert (serving, others) == ([city_lab, a_lab], [jianan_lab])


def test_tubes_sent_today_count_against_each_lab(personas, people, a_round, a_site, a_lab):
    make_tube("C0", [people["zhang"]], round=a_round, site=a_site)
    make_tube("C1", [people["li"]], round=a_round, site=a_site)
    round_services.tubes_send(actor=personas["street"], barcodes=["C0", "C1"], lab=a_lab)
    assert selectors.tubes_sent_on([a_lab.pk], timezone.localdate()) == {a_lab.pk: 2}
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    assert selectors.tubes_sent_on([a_lab.pk], yesterday) == {}
    assert {t.status for t in a_round.tubes.all()} == {TubeStatus.SENT}


# Turnaround class -------------------------------------------------------------------------


def test_the_hours_a_turnaround_class_promises_come_from_the_active_policy(db):
    assert selectors.turnaround_labels()["fever_clinic"] == "Fever-clinic standard (within 6 h)"
    profile = PolicyProfile.objects.get(is_active=True)
    profile.rules["testing"]["turnaround_hours"]["fever_clinic"] = 4
    del profile.rules["testing"]["turnaround_hours"]["outpatient"]
    profile.save()
    assert selectors.turnaround_hours() == {"fever_clinic": 4, "voluntary": 24}
    labels = selectors.turnaround_labels()
    assert labels == {
        "fever_clinic": "Fever-clinic standard (within 4 h)",
        "outpatient": "Outpatient standard",  # the profile names no hours for it
        "voluntary": "Routine standard (within 24 h)",
    }
    assert list(labels) == TurnaroundClass.values
