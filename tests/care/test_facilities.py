"""The facilities' registry: the medical task force registers, changes, suspends and staffs a
facility, each audited; who sees which facility; the pages and the API."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from fangkong.audit.models import Event
from fangkong.care.facilities import selectors, services
from fangkong.care.models import Facility
from fangkong.places.models import Level

pytestmark = pytest.mark.usefixtures("english")


def register(actor, place, code="XC-CAMPUS", **kw):
    defaults = {"name": "许昌市中心医院东院区", "kind": "designated", "phone": "0374-2966120"}
    return services.facility_register(actor=actor, code=code, division=place, **{**defaults, **kw})


def test_the_task_force_registers_a_facility_audited(personas, city):
    street = city.w[Level.STREET]
    facility = register(
        personas["task_force"], street, code="xc-campus", capabilities=["emergency", "dialysis"]
    )
    stored = Facility.objects.get(code="XC-CAMPUS")
    assert stored == facility and stored.division_key == street.key
    assert stored.capabilities == ["dialysis", "emergency"] and stored.active
    event = Event.objects.get(action="care.facility_registered")
    assert event.data["kind"] == "designated" and event.division_key == street.key


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"code": "bad code!"}, "code"),
        ({"name": " "}, "name"),
        ({"kind": "spa"}, "kind"),
        ({"capabilities": ["flying"]}, "capabilities"),
    ],
)
def test_bad_details_are_refused_at_the_field(personas, city, change, field):
    with pytest.raises(ValidationError) as refused:
        register(personas["task_force"], city.weidu, **change)
    assert field in refused.value.message_dict
    assert not Facility.objects.exists()


def test_a_place_outside_the_jurisdiction_or_a_duplicate_code_is_refused(personas, city):
    with pytest.raises(ValidationError) as refused:
        register(personas["task_force"], city.jianan)
    assert "division" in refused.value.message_dict
    register(personas["task_force"], city.weidu)
    with pytest.raises(ValidationError) as refused:
        register(personas["task_force"], city.weidu)
    assert "code" in refused.value.message_dict


def test_only_the_medical_task_force_and_command_register(personas, city):
    for role in ("grid", "street", "hospital", "hotline"):
        with pytest.raises(PermissionDenied):
            register(personas[role], city.weidu)


def test_update_suspend_and_staff_are_audited(personas, city):
    tf = personas["task_force"]
    facility = register(tf, city.weidu)
    services.facility_update(
        actor=tf,
        facility=facility,
        name=facility.name,
        kind="general",
        division=city.weidu,
        phone="0374-2966121",
        capabilities=["emergency"],
        reason="改为综合医院",
    )
    fields = set(
        Event.objects.filter(action="care.facility_updated").values_list("field", flat=True)
    )
    assert fields == {"kind", "phone", "capabilities"}
    with pytest.raises(ValidationError) as refused:
        services.facility_set_active(actor=tf, facility=facility, active=False, reason="")
    assert "reason" in refused.value.message_dict
    services.facility_set_active(actor=tf, facility=facility, active=False, reason="院感")
    event = Event.objects.get(action="care.facility_suspended")
    assert (event.from_value, event.to_value, event.reason) == ("in_service", "suspended", "院感")
    with pytest.raises(ValidationError) as refused:
        services.facility_staff_set(actor=tf, facility=facility, usernames=["p_grid"])
    assert "staff" in refused.value.message_dict
    services.facility_staff_set(actor=tf, facility=facility, usernames=["p_hospital"])
    assert list(facility.staff.values_list("username", flat=True)) == ["p_hospital"]


def test_who_sees_which_facility(personas, city):
    mine = register(personas["task_force"], city.weidu)
    other = register(personas["command"], city.jianan, code="JA-GEN", kind="general")
    assert set(selectors.facilities_for_user(personas["command"])) == {mine, other}
    assert list(selectors.facilities_for_user(personas["grid"])) == [mine]
    assert list(selectors.facilities_for_user(personas["outsider"])) == [other]
    # A hospital account sees only the facilities it staffs.
    assert not selectors.facilities_for_user(personas["hospital"]).exists()
    services.facility_staff_set(
        actor=personas["task_force"], facility=mine, usernames=["p_hospital"]
    )
    assert list(selectors.facilities_for_user(personas["hospital"])) == [mine]
    with pytest.raises(PermissionDenied):
        selectors.facilities_for_user(personas["lab"])


def test_the_pages_register_and_show_a_facility(login, personas, city):
    client = login(personas["task_force"])
    response = client.post(
        reverse("care:facilities"),
        {"code": "XC-DIAL", "name": "透析中心", "kind": "dialysis", "place": "411002",
         "phone": "0374-2966120", "capabilities": ["dialysis"]},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[-3000:]
    facility = Facility.objects.get(code="XC-DIAL")
    page = client.get(reverse("care:facility", args=[facility.pk])).content.decode()
    assert "透析中心" in page and "Haemodialysis" in page
    bad = client.post(
        reverse("care:facilities"),
        {"code": "XC-2", "name": "x", "kind": "general", "place": "411003"},
    )
    assert (
        bad.status_code == 200
        and "No place with this code in your jurisdiction" in bad.content.decode()
    )
    outsider = login(personas["outsider"])
    assert outsider.get(reverse("care:facility", args=[facility.pk])).status_code == 404


def test_the_api_registers_and_lists_facilities(login, personas, city):
    client = login(personas["task_force"])
    body = {"code": "XC-PH", "name": "大药房", "kind": "pharmacy", "place": "411002",
            "capabilities": ["pharmacy"]}  # fmt: skip
    created = client.post("/api/care/facilities", body, content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["place"]["name"] == "魏都区" and created.json()["staff"] == []
    again = client.post("/api/care/facilities", body, content_type="application/json")
    assert again.status_code == 422 and "code" in again.content.decode()
    listed = client.get("/api/care/facilities").json()
    assert [i["code"] for i in listed["items"]] == ["XC-PH"]
    pk = created.json()["id"]
    suspended = client.post(
        f"/api/care/facilities/{pk}/status", {"active": False, "reason": "停业"},
        content_type="application/json",
    )  # fmt: skip
    assert suspended.json()["active"] is False
    grid = login(personas["grid"])
    assert (
        grid.post("/api/care/facilities", body, content_type="application/json").status_code == 403
    )
