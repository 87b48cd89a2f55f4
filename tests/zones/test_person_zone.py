"""A resident sees their own zone and its obligations on their health-code page; staff see it
on the person's status page."""

from django.test import Client
from django.urls import reverse

from fangkong.zones.selectors import zone_for_person


def test_my_code_page_shows_the_zone_and_its_obligations(draw, people, login, personas):
    zone = draw()
    zhang = people["zhang"]  # lives in the zone's building; 赵强 lives in 建安区
    assert zone_for_person(zhang).zone == zone
    assert zone_for_person(people["other"]) is None

    client = Client()
    client.post(reverse("public:my_code"), {"id_number": zhang.id_number, "phone": zhang.phone})
    html = client.get(reverse("public:my_code")).content.decode()
    assert 'id="my-zone"' in html
    found = zone_for_person(zhang)
    assert found.label in html and found.obligations and found.obligations in html

    staff = login(personas["street"]).get(reverse("healthcode:status", args=[zhang.pk]))
    assert 'id="person-zone"' in staff.content.decode()
    other = login(personas["command"]).get(reverse("healthcode:status", args=[people["other"].pk]))
    assert 'id="person-zone"' not in other.content.decode()
