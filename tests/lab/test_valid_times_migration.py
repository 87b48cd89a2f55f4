"""The valid-time migration of testing backfills (tests run without migrations, so the data step
is called on the current models): tubes and the people sampled into them, written before it,
were entered when they were taken."""

import datetime as dt
import importlib

from django.apps import apps

from fangkong.lab.models import Tube, TubeMember
from tests.lab.conftest import make_tube

WRITTEN = dt.datetime(2022, 5, 3, 9, 30, tzinfo=dt.UTC)


def backfill(module: str) -> None:
    importlib.import_module(module).backfill(apps, None)


def test_existing_tubes_and_samplings_were_entered_when_they_were_taken(people, a_round):
    tube = make_tube("M-001", [people["zhang"], people["li"]], round=a_round, collected_at=WRITTEN)
    later = WRITTEN + dt.timedelta(hours=2)
    TubeMember.objects.filter(person=people["li"]).update(sampled_at=later)
    assert Tube.objects.get(pk=tube.pk).recorded_at != WRITTEN  # the column's default: now
    backfill("fangkong.lab.migrations.0008_valid_times")
    assert Tube.objects.get(pk=tube.pk).recorded_at == WRITTEN
    recorded = dict(TubeMember.objects.values_list("person_id", "recorded_at"))
    assert recorded == {people["zhang"].pk: WRITTEN, people["li"].pk: later}
