"""The whitelist and pass pages: lists, forms with errors at the field, issuing, revoking;
the public checkpoint page (camera allowed there only) and the courier's own page."""

import pytest
from django.test import Client

from fangkong.places.models import Level
from fangkong.supplies.models import Courier, Enterprise, PassStatus, SupplyPass, Vehicle
from fangkong.supplies.passes import services

pytestmark = pytest.mark.usefixtures("english")


def test_the_task_force_registers_an_enterprise_with_errors_at_the_field(login, personas, city):
    client = login(personas["task_force"])
    page = client.get("/supplies/enterprises/")
    assert page.status_code == 200 and b'id="register"' in page.content
    bad = client.post(
        "/supplies/enterprises/",
        {"kind": "farm", "name": "绿源农场", "credit_code": "123", "place": city.weidu.code},
    )
    assert bad.status_code == 200
    assert "18 digits" in bad.context["form"].errors["credit_code"][0]
    ok = client.post(
        "/supplies/enterprises/",
        {
            "kind": "farm",
            "name": "绿源农场",
            "credit_code": "91411002MA46E7WM5A",
            "place": city.weidu.code,
        },
    )
    e = Enterprise.objects.get(name="绿源农场")
    assert ok.status_code == 302 and ok["Location"] == f"/supplies/enterprises/{e.pk}/"
    detail = client.get(ok["Location"])
    assert "绿源农场" in detail.content.decode() and b'id="status"' in detail.content


def test_grant_register_courier_and_vehicle_from_the_page(login, personas, firm, people, city):
    client = login(personas["task_force"])
    client.post(
        f"/supplies/enterprises/{firm.pk}/status/",
        {"status": "suspended", "reason": "抽检不合格", "basis": "第 3 号通告"},
    )
    firm.refresh_from_db()
    assert (firm.status, firm.status_basis) == ("suspended", "第 3 号通告")
    client.post(
        f"/supplies/enterprises/{firm.pk}/couriers/",
        {
            "courier-id_number": people["zhang"].id_number,
            "courier-name": "张伟",
            "courier-phone": "13900000001",
            "courier-area": city.w[Level.STREET].code,
            "courier-home_address": "幸福小区",
        },
    )
    assert Courier.objects.filter(person=people["zhang"], enterprise=firm).exists()
    client.post(
        f"/supplies/enterprises/{firm.pk}/vehicles/",
        {"vehicle-plate": "豫K66666", "vehicle-area": city.w[Level.STREET].code},
    )
    assert Vehicle.objects.filter(plate="豫K66666").exists()
    page = client.get(f"/supplies/enterprises/{firm.pk}/").content.decode()
    assert "张伟" in page and "豫K66666" in page and "第 3 号通告" in page


def test_issue_show_and_revoke_a_pass_from_the_pages(login, personas, courier, negative):
    client = login(personas["supply"])
    refused = client.post(f"/supplies/couriers/{courier.pk}/pass/", follow=True)
    assert "No negative test" in refused.content.decode()
    negative(courier.person)
    issued = client.post(f"/supplies/couriers/{courier.pk}/pass/")
    p = SupplyPass.objects.get()
    assert issued["Location"] == f"/supplies/passes/{p.pk}/"
    page = client.get(issued["Location"]).content.decode()
    assert "<svg" in page and p.code in page
    client.post(f"/supplies/passes/{p.pk}/revoke/", {"reason": "离职"})
    p.refresh_from_db()
    assert (p.status, p.revoked_reason) == (PassStatus.REVOKED, "离职")
    listing = client.get("/supplies/passes/?status=revoked").content.decode()
    assert p.serial in listing


def test_an_outsider_gets_404_on_another_enterprises_pages(login, personas, firm, courier, vehicle):
    client = login(personas["outsider"])
    for url in (
        f"/supplies/enterprises/{firm.pk}/",
        f"/supplies/couriers/{courier.pk}/",
        f"/supplies/vehicles/{vehicle.pk}/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/supplies/couriers/{courier.pk}/pass/").status_code == 403  # no cap


def test_the_checkpoint_page_is_public_and_may_use_the_camera():
    page = Client().get("/pass-check/")
    assert page.status_code == 200
    assert "camera=(self)" in page["Permissions-Policy"]
    assert "microphone=()" in page["Permissions-Policy"]
    body = page.content.decode()
    assert 'data-keys="/api/pass-keys"' in body and "vendor/jsqr/jsQR.js" in body
    assert "camera=()" in Client().get("/my-pass/")["Permissions-Policy"]


def test_the_courier_sees_why_the_pass_was_revoked(personas, courier, negative):
    negative(courier.person)
    p = services.pass_issue(actor=personas["task_force"], holder=courier)
    services.pass_revoke(actor=personas["task_force"], supply_pass=p, reason="密接")
    client = Client()
    wrong = client.post(
        "/my-pass/", {"id_number": courier.person.id_number, "phone": "13000000000"}
    )
    assert "No person matches" in wrong.content.decode()
    client.post("/my-pass/", {"id_number": courier.person.id_number, "phone": courier.person.phone})
    page = client.get("/my-pass/").content.decode()
    assert "Revoked because:" in page and "密接" in page and "王*" in page
