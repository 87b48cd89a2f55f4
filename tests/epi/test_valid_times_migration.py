"""The valid-time migrations backfill (tests run without migrations, so the data steps are
called on the current models): rows written before them happened when they were written (a
case's registration, a contact's identification), events were recorded when they happened."""

import datetime as dt
import importlib

from django.apps import apps

from fangkong.audit.models import Event
from fangkong.epi.models import Case, Contact
from tests.epi.conftest import make_case, make_contact

WRITTEN = dt.datetime(2022, 5, 3, 9, 30, tzinfo=dt.UTC)


def backfill(module: str) -> None:
    importlib.import_module(module).backfill(apps, None)


def test_existing_cases_and_contacts_happened_when_they_were_written(people):
    case = make_case(people["zhang"], created_at=WRITTEN)
    contact = make_contact(case, people["li"])
    Contact.objects.filter(pk=contact.pk).update(created_at=WRITTEN + dt.timedelta(hours=2))
    assert Case.objects.get(pk=case.pk).registered_at != WRITTEN  # the column's default: now
    backfill("fangkong.epi.migrations.0006_valid_times")
    assert Case.objects.get(pk=case.pk).registered_at == WRITTEN
    assert Contact.objects.get(pk=contact.pk).identified_at == WRITTEN + dt.timedelta(hours=2)


def test_existing_events_were_recorded_when_they_happened(db):
    event = Event.objects.create(at=WRITTEN, actor_name="system", action="case.registered")
    assert Event.objects.get(pk=event.pk).recorded_at != WRITTEN
    backfill("fangkong.audit.migrations.0002_recorded_at")
    assert Event.objects.get(pk=event.pk).recorded_at == WRITTEN
