"""The supply whitelist: enterprises, vehicles and couriers registered by the supply task
force, each status change audited with reason and basis; an enterprise account keeps only its
own; credit codes, plates and ID numbers checked."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from fangkong.audit.models import Event
from fangkong.core.roles import ROLE_CAPS, Cap, Role
from fangkong.people.idnumber import make_id_number
from fangkong.people.models import Resident
from fangkong.places.models import Level
from fangkong.supplies import selectors
from fangkong.supplies.enterprises import services
from fangkong.supplies.models import Courier, Enterprise, Vehicle, WhitelistStatus

pytestmark = pytest.mark.usefixtures("english")


def refusal(exc: pytest.ExceptionInfo) -> dict[str, str]:
    return {field: " ".join(msgs) for field, msgs in exc.value.message_dict.items()}


def register(actor, place, **kw):
    defaults = {
        "kind": "pharmacy",
        "name": "魏都大药房",
        "credit_code": "91411002MA46E7WM5A",
        "contact_name": "刘经理",
        "phone": "13812345678",
    }
    return services.enterprise_register(actor=actor, division=place, **{**defaults, **kw})


def test_the_task_force_registers_an_enterprise_pending_and_audited(personas, city):
    e = register(personas["task_force"], city.weidu, credit_code=" 91411002ma46e7wm5a ")
    assert (e.credit_code, e.status, e.division_key) == (
        "91411002MA46E7WM5A",
        WhitelistStatus.PENDING,
        city.weidu.key,
    )
    event = Event.objects.get(action="enterprise.registered")
    assert event.object_id == str(e.pk) and event.data["kind"] == "pharmacy"


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("91411002MA46E7WM5B", "check character"),
        ("91411002MA46E7WM5", "18 digits"),
        ("91411002MA46E7WMOA", "18 digits"),  # O is not in the alphabet
    ],
)
def test_a_wrong_credit_code_is_refused_at_the_field(personas, city, code, words):
    with pytest.raises(ValidationError) as exc:
        register(personas["task_force"], city.weidu, credit_code=code)
    assert words in refusal(exc)["credit_code"]


def test_only_the_task_force_registers_and_only_in_its_jurisdiction(personas, city):
    with pytest.raises(PermissionDenied):
        register(personas["street"], city.weidu)
    with pytest.raises(PermissionDenied):
        register(personas["supply"], city.weidu)
    with pytest.raises(ValidationError) as exc:
        register(personas["task_force"], city.jianan)
    assert "outside your jurisdiction" in refusal(exc)["place"]


@pytest.mark.parametrize("plate", ["豫K12346", "豫k 1234d", "豫KD12345", "豫K12345F", "京A·B7C8D"])
def test_chinese_plates_are_accepted(personas, firm, city, plate):
    v = services.vehicle_register(
        actor=personas["task_force"], enterprise=firm, plate=plate, area=city.w[Level.STREET]
    )
    assert v.plate == plate.replace(" ", "").replace("·", "").upper()
    assert v.status == WhitelistStatus.PENDING and v.division_key == firm.division_key


@pytest.mark.parametrize(
    "plate", ["K12345", "豫12345", "豫KI2345", "豫K1234", "AB12345", "豫K123456"]
)
def test_other_plates_are_refused(personas, firm, city, plate):
    with pytest.raises(ValidationError) as exc:
        services.vehicle_register(
            actor=personas["task_force"], enterprise=firm, plate=plate, area=city.w[Level.STREET]
        )
    assert "plate" in refusal(exc)


def test_a_courier_is_tied_to_the_registry_person_by_id_number(personas, firm, people, city):
    zhang = people["zhang"]
    c = services.courier_register(
        actor=personas["task_force"],
        enterprise=firm,
        id_number=zhang.id_number.lower(),
        name="张伟",
        phone="13900000001",
        area=city.w[Level.COMMUNITY],
        home_address="西大街 1 号",
    )
    assert c.person == zhang and c.area_key == city.w[Level.COMMUNITY].key
    event = Event.objects.get(action="courier.registered")
    assert event.person_id == zhang.pk


def test_an_unknown_person_is_created_where_they_live(personas, firm, city):
    number = make_id_number("411002", dt.date(1990, 3, 4), 77, "F")
    with pytest.raises(ValidationError) as exc:
        services.courier_register(
            actor=personas["task_force"],
            enterprise=firm,
            id_number=number,
            name="孙丽",
            phone="13700000077",
            area=city.w[Level.STREET],
            home_address="幸福小区 3 号楼",
        )
    assert "home_place" in refusal(exc)
    c = services.courier_register(
        actor=personas["task_force"],
        enterprise=firm,
        id_number=number,
        name="孙丽",
        phone="13700000077",
        area=city.w[Level.STREET],
        home_address="幸福小区 3 号楼",
        home_place=city.w[Level.COMPOUND],
    )
    person = Resident.objects.get(id_number=number)
    assert c.person == person and person.sex == "F" and person.division == city.w[Level.COMPOUND]
    assert Event.objects.filter(action="resident.created", person_id=person.pk).exists()


def test_a_bad_id_number_or_another_name_is_refused(personas, firm, people, city):
    kw = {
        "actor": personas["task_force"],
        "enterprise": firm,
        "phone": "13900000001",
        "area": city.w[Level.STREET],
        "home_address": "西大街 1 号",
    }
    bad = people["zhang"].id_number[:-1] + ("0" if people["zhang"].id_number[-1] != "0" else "1")
    with pytest.raises(ValidationError) as exc:
        services.courier_register(id_number=bad, name="张伟", **kw)
    assert "id_number" in refusal(exc)
    with pytest.raises(ValidationError) as exc:
        services.courier_register(id_number=people["zhang"].id_number, name="张三", **kw)
    assert "another name" in refusal(exc)["name"]


def test_whitelist_changes_are_audited_with_reason_and_basis(personas, city):
    e = register(personas["task_force"], city.weidu)
    tf = personas["task_force"]
    with pytest.raises(ValidationError) as exc:
        services.whitelist_set(actor=tf, obj=e, status="granted", reason="", basis="通知")
    assert "reason" in refusal(exc)
    with pytest.raises(ValidationError) as exc:
        services.whitelist_set(actor=tf, obj=e, status="granted", reason="核验通过", basis=" ")
    assert "basis" in refusal(exc)
    services.whitelist_set(
        actor=tf, obj=e, status="granted", reason="核验通过", basis="许昌市保供企业白名单通知"
    )
    services.whitelist_set(
        actor=tf, obj=e, status="suspended", reason="员工阳性", basis="第 5 号通告"
    )
    services.whitelist_set(actor=tf, obj=e, status="revoked", reason="违规", basis="第 6 号通告")
    events = list(
        Event.objects.filter(object_type="supplies.enterprise", field="status").order_by("id")
    )
    assert [(ev.action, ev.from_value, ev.to_value, ev.reason, ev.basis) for ev in events] == [
        (
            "enterprise.whitelist_granted",
            "pending",
            "granted",
            "核验通过",
            "许昌市保供企业白名单通知",
        ),
        ("enterprise.whitelist_suspended", "granted", "suspended", "员工阳性", "第 5 号通告"),
        ("enterprise.whitelist_revoked", "suspended", "revoked", "违规", "第 6 号通告"),
    ]
    e.refresh_from_db()
    assert (e.status, e.status_reason, e.status_basis) == ("revoked", "违规", "第 6 号通告")
    with pytest.raises(ValidationError) as exc:  # revoked is final
        services.whitelist_set(actor=tf, obj=e, status="granted", reason="再审", basis="x")
    assert "not allowed" in refusal(exc)["status"]


def test_a_street_cannot_change_the_whitelist(personas, firm):
    with pytest.raises(PermissionDenied):
        services.whitelist_set(
            actor=personas["street"], obj=firm, status="suspended", reason="x", basis="y"
        )


def test_staff_are_supply_accounts(personas, firm):
    tf = personas["task_force"]
    with pytest.raises(ValidationError) as exc:
        services.enterprise_staff_set(actor=tf, enterprise=firm, usernames=["p_street"])
    assert "supply enterprise role" in refusal(exc)["staff"]
    assert services.enterprise_staff_set(actor=tf, enterprise=firm, usernames=[]) == (0, 1)
    assert Event.objects.get(action="enterprise.staff_changed").from_value == "p_supply"


# Who sees what ----------------------------------------------------------------------------


def test_an_enterprise_account_sees_only_its_own(
    personas, firm, other_firm, courier, vehicle, city
):
    supply = personas["supply"]
    # another enterprise in the same district, with a courier and a vehicle
    rival = Enterprise.objects.create(
        kind="platform",
        name="团购平台",
        credit_code="91411002MA46E7WM5A",
        division=city.weidu,
        division_key=city.weidu.key,
    )
    Vehicle.objects.create(
        enterprise=rival,
        plate="豫K99999",
        area=city.weidu,
        area_key=city.weidu.key,
        division_key=city.weidu.key,
    )
    assert list(selectors.enterprises_for_user(supply)) == [firm]
    assert list(selectors.vehicles_for_user(supply)) == [vehicle]
    assert list(selectors.couriers_for_user(supply)) == [courier]
    with pytest.raises(Http404):
        selectors.enterprise_for_user(supply, rival.pk)
    # the task force of 魏都 sees both of its district, not 建安's
    assert set(selectors.enterprises_for_user(personas["task_force"])) == {firm, rival}
    assert list(selectors.enterprises_for_user(personas["outsider"])) == [other_firm]


def test_an_enterprise_account_registers_its_own_couriers_pending(personas, firm, people, city):
    supply = personas["supply"]
    c = services.courier_register(
        actor=supply,
        enterprise=firm,
        id_number=people["li"].id_number,
        name="李秀英",
        phone="13900000002",
        area=city.w[Level.STREET],
        home_address="西大街 1 号",
    )
    assert c.status == WhitelistStatus.PENDING
    with pytest.raises(PermissionDenied):  # but may not grant it
        services.whitelist_set(actor=supply, obj=c, status="granted", reason="x", basis="y")


def test_an_enterprise_account_cannot_touch_another_enterprise(personas, other_firm, city):
    with pytest.raises(ValidationError) as exc:
        services.vehicle_register(
            actor=personas["supply"],
            enterprise=other_firm,
            plate="豫K54321",
            area=city.w[Level.STREET],
        )
    assert "outside your jurisdiction" in refusal(exc)["enterprise"]
    assert not Courier.objects.exists()


def test_supplies_capabilities_by_role():
    assert Cap.SUPPLIES_MANAGE in ROLE_CAPS[Role.TASK_FORCE]
    assert Cap.SUPPLIES_MANAGE in ROLE_CAPS[Role.COMMAND]
    assert Cap.SUPPLIES_MANAGE not in ROLE_CAPS[Role.SUPPLY]
    assert {Cap.SUPPLIES_VIEW, Cap.SUPPLY_ENTERPRISE} <= ROLE_CAPS[Role.SUPPLY]


def test_a_decision_keeps_when_it_was_taken_and_cannot_go_before_the_last(personas, city):
    tf = personas["task_force"]
    e = register(tf, city.weidu)
    Enterprise.objects.filter(pk=e.pk).update(created_at=timezone.now() - dt.timedelta(days=3))
    e.refresh_from_db()
    yesterday = timezone.now() - dt.timedelta(days=1)
    services.whitelist_set(
        actor=tf, obj=e, status="granted", reason="核验通过", basis="通知", decided_at=yesterday
    )
    event = Event.objects.get(action="enterprise.whitelist_granted")
    assert event.at == yesterday and event.recorded_at > yesterday
    e.refresh_from_db()
    assert e.status_at == yesterday
    with pytest.raises(ValidationError) as exc:
        services.whitelist_set(
            actor=tf,
            obj=e,
            status="suspended",
            reason="抽检",
            basis="通告",
            decided_at=yesterday - dt.timedelta(hours=1),
        )
    assert "before the last recorded whitelist change" in refusal(exc)["decided_at"]
    with pytest.raises(ValidationError) as exc:
        services.whitelist_set(
            actor=tf,
            obj=e,
            status="suspended",
            reason="抽检",
            basis="通告",
            decided_at=timezone.now() + dt.timedelta(hours=2),
        )
    assert "decided_at" in refusal(exc)
