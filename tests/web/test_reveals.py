"""Reveals carry a reason and land in each person's history; exports are masked unless a role
that may reveal asks for identifiers with a reason."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from fangkong.audit.models import Event
from tests import factories as f

EXPORT = "people:key_persons_export"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def cells(response) -> list:
    wb = load_workbook(io.BytesIO(response.content))
    return [c for row in wb.active.iter_rows(values_only=True) for c in row]


# One person at a time -------------------------------------------------------------------


def test_the_reveal_button_asks_for_a_reason(login, personas, people):
    zhang = people["zhang"]
    page = login(personas["grid"]).get(reverse("people:resident", args=[zhang.pk]))
    html = page.content.decode()
    assert 'name="reason"' in html.split('id="pii-phone"')[1].split("</dd>")[0]


def test_a_reveal_without_a_reason_is_refused_and_not_logged(login, personas, people):
    zhang = people["zhang"]
    client = login(personas["grid"])
    for data in ({}, {"reason": "  "}):
        response = client.post(reverse("people:reveal", args=[zhang.pk, "phone"]), data)
        assert response.status_code == 400
        assert zhang.phone not in response.content.decode()
        assert "reason" in response.content.decode().lower()
    assert not Event.objects.filter(action="pii.revealed").exists()


def test_a_reveal_with_a_reason_is_shown_and_kept_in_the_history(login, personas, people):
    zhang = people["zhang"]
    client = login(personas["grid"])
    shown = client.post(
        reverse("people:reveal", args=[zhang.pk, "phone"]), {"reason": "上门送药前电话联系"}
    )
    assert shown.status_code == 200 and zhang.phone in shown.content.decode()
    event = Event.objects.get(action="pii.revealed")
    assert (event.person_id, event.reason) == (zhang.pk, "上门送药前电话联系")
    history = client.get(reverse("people:resident", args=[zhang.pk])).content.decode()
    assert "上门送药前电话联系" in history


# The key-person export ------------------------------------------------------------------


@pytest.mark.parametrize("role", ["command", "street", "grid", "hospital"])
def test_the_key_person_export_is_masked_for_every_role(login, personas, people, role):
    zhang = people["zhang"]
    response = login(personas[role]).get(reverse(EXPORT))
    assert response.status_code == 200
    values = cells(response)
    assert zhang.id_number not in values and zhang.phone not in values
    assert zhang.id_number_masked in values
    exported = Event.objects.get(action="key_persons.exported")
    assert exported.data["unmasked"] is False
    assert not Event.objects.filter(action="pii.exported").exists()


def test_an_unmasked_export_needs_a_reason(login, personas, people):
    client = login(personas["street"])
    response = client.post(reverse(EXPORT), {"reveal": "1", "reason": ""})
    assert response.status_code == 400
    assert response.content[:2] != b"PK"
    assert not Event.objects.filter(action__in=["key_persons.exported", "pii.exported"]).exists()


def test_an_unmasked_export_needs_the_capability(login, personas, people):
    response = login(personas["hospital"]).post(reverse(EXPORT), {"reveal": "1", "reason": "x"})
    assert response.status_code == 403
    assert not Event.objects.filter(action__in=["key_persons.exported", "pii.exported"]).exists()


def test_an_unmasked_export_is_one_event_with_the_reason_and_one_per_person(
    login, personas, people
):
    zhang = people["zhang"]
    client = login(personas["street"])
    response = client.post(reverse(EXPORT), {"reveal": "1", "reason": "发放药品名单核对"})
    assert response.status_code == 200
    values = cells(response)
    assert zhang.id_number in values and zhang.phone in values
    exported = Event.objects.get(action="key_persons.exported")
    assert exported.reason == "发放药品名单核对" and exported.data["unmasked"] is True
    [person_event] = Event.objects.filter(action="pii.exported")
    assert (person_event.person_id, person_event.reason) == (zhang.pk, "发放药品名单核对")
    assert person_event.division_key == zhang.division_key
    assert person_event.data["export_id"] == exported.data["export_id"]
    history = client.get(reverse("people:resident", args=[zhang.pk])).content.decode()
    assert "发放药品名单核对" in history


def test_the_export_page_offers_the_reason_only_to_roles_that_may_reveal(login, personas, people):
    ledger = reverse("people:key_persons")
    street = login(personas["street"]).get(ledger).content.decode()
    assert 'name="reason"' in street
    hospital = login(personas["hospital"]).get(ledger).content.decode()
    assert 'name="reason"' not in hospital


def test_unmasked_export_events_are_written_in_bulk(login, personas, people, city):
    client = login(personas["street"])

    def run() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.post(reverse(EXPORT), {"reveal": "1", "reason": "核对"})
            assert response.status_code == 200
        return len(ctx.captured_queries)

    few = run()
    unit = city.w[f.Level.UNIT]
    for i in range(12):
        f.key_person(f.resident(unit, f"老人{i}"), "elderly_alone")
    many = run()
    assert many == few
    assert Event.objects.filter(action="pii.exported").count() == 1 + 13
