"""Direct lines: kept by the community (scoped), shown to staff on the branch and to the
community's residents on their phone page."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from fangkong.care.lines import selectors, services
from fangkong.care.models import DirectLine
from fangkong.places.models import Level
from tests import factories as f
from tests.api.conftest import bearer_client

pytestmark = pytest.mark.usefixtures("english")


def add(actor, community, kind="vehicle", name="小区专车", phone="13900000001", **kw):
    return services.line_save(
        actor=actor, community=community, kind=kind, name=name, phone=phone, **kw
    )


def test_the_community_keeps_its_lines_and_staff_on_the_branch_see_them(personas, city):
    community = city.w[Level.COMMUNITY]
    add(personas["street"], community, "counselling", "心理援助热线", "12355")
    add(personas["street"], community, "hospital", "魏都医院", "0374-1200000")
    assert selectors.lines_for_user(personas["grid"]).count() == 2
    assert not selectors.lines_for_user(personas["outsider"]).exists()
    with pytest.raises(ValidationError) as err:
        add(personas["outsider"], community)
    assert "community" in err.value.message_dict
    with pytest.raises(ValidationError):
        add(personas["street"], city.w[Level.STREET])  # a street is not a community
    with pytest.raises(ValidationError) as err:
        add(personas["street"], community, phone="电话")
    assert "phone" in err.value.message_dict


def test_the_resident_sees_their_direct_lines_on_the_phone_page(client, personas, city):
    add(personas["street"], city.w[Level.COMMUNITY], note="京A·12345 王师傅")
    add(personas["outsider"], city.j[Level.COMMUNITY], name="别区专车", phone="13900000002")
    person = f.resident(city.w[Level.UNIT], "居民")
    client.post(
        reverse("care_public:my_request"), {"id_number": person.id_number, "phone": person.phone}
    )
    page = client.get(reverse("care_public:my_request")).content.decode()
    assert "Your community&#x27;s direct lines" in page or "Your community's direct lines" in page
    assert "小区专车" in page and 'href="tel:13900000001"' in page
    assert "别区专车" not in page


def test_the_api_adds_changes_and_removes_a_line(personas, city, login):
    client = login(personas["street"])
    community = city.w[Level.COMMUNITY]
    created = client.post(
        "/api/care/lines",
        {
            "community": community.code,
            "kind": "pharmacy",
            "name": "魏都药房",
            "phone": "0374-1300000",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    line_id = created.json()["id"]
    changed = client.put(
        f"/api/care/lines/{line_id}",
        {
            "community": community.code,
            "kind": "pharmacy",
            "name": "魏都大药房",
            "phone": "0374-1300001",
        },
        content_type="application/json",
    )
    assert changed.json()["phone"] == "0374-1300001"
    outsider = bearer_client(personas["outsider"])
    assert outsider.delete(f"/api/care/lines/{line_id}").status_code == 404
    assert client.delete(f"/api/care/lines/{line_id}").status_code == 204
    assert not DirectLine.objects.exists()
