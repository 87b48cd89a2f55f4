"""The valid-time migration of zones backfills (tests run without migrations, so the data step
is called on the current models): zone changes written before it were entered when they
happened."""

import datetime as dt
import importlib

from django.apps import apps

from fangkong.zones.models import Zone, ZoneChange

WRITTEN = dt.datetime(2022, 5, 3, 9, 30, tzinfo=dt.UTC)


def test_existing_zone_changes_were_entered_when_they_happened(personas, city):
    zone = Zone.objects.create(
        name="阳光小区",
        level="high",
        started_at=WRITTEN,
        level_since=WRITTEN,
        reason="确诊",
        profile_code="9th-edition",
        division_key=city.weidu.key,
    )
    change = ZoneChange.objects.create(
        zone=zone, kind="drawn", to_level="high", at=WRITTEN, division_key=zone.division_key
    )
    assert ZoneChange.objects.get(pk=change.pk).recorded_at != WRITTEN
    importlib.import_module("fangkong.zones.migrations.0002_valid_times").backfill(apps, None)
    assert ZoneChange.objects.get(pk=change.pk).recorded_at == WRITTEN
