"""The demo city's price monitoring, written through the services as stores would report: the
demo supermarket's store in its street and a second store in the second district, each
reporting the last 14 days of every item of the catalogue. Prices hold still but for two
series, so the board is alive: pork climbs 12 % in ten days at the first store (red: pork's
red threshold is +10 % in the shipped profiles, which opens an alert for the task force) and
Chinese cabbage 12 % at the second (yellow: vegetables are red only above +15 %). Stock is
about 15 days of the district's registered consumption (green)."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from fangkong.demo import data
from fangkong.people.models import Resident
from fangkong.places.models import Division
from fangkong.supplies.models import Enterprise, Necessity, ReportSource
from fangkong.supplies.prices import services

DAYS = 14
CLIMBS = {(0, "pork"): Decimal("0.012"), (1, "cabbage"): Decimal("0.012")}  # a day, ~12 % in 10


def prices_write(*, actor: Any) -> int:
    """Two stores and their reports; returns how many reports were written (0 without the demo
    enterprise)."""
    firm = Enterprise.objects.filter(credit_code="91411002MA44C8XK3A").first()
    if firm is None:
        return 0
    services.catalogue_install()
    places = [firm.division, Division.objects.get(key=data.DISTRICTS[1][0])]
    names = [f"{firm.name}（{p.name}店）" for p in places]
    stores = [
        services.store_register(actor=actor, enterprise=firm, name=n, division=p)
        for n, p in zip(names, places, strict=True)
    ]
    today = timezone.localdate()
    written = 0
    for n, store in enumerate(stores):
        people = Resident.objects.filter(division_key__startswith=store.division_key[:6]).count()
        reports = []
        for item in Necessity.objects.filter(active=True):
            base = (item.max_price / 4).quantize(Decimal("0.01"))
            stock = (Decimal(max(people, 1)) * item.per_capita_daily * 15).quantize(Decimal(1))
            climb = CLIMBS.get((n, item.code), Decimal(0))
            for ago in range(DAYS - 1, -1, -1):
                price = base * (1 + climb * (DAYS - 1 - ago))
                reports.append(
                    services.ReportIn(
                        store,
                        item,
                        today - dt.timedelta(days=ago),
                        price.quantize(Decimal("0.01")),
                        stock,
                        (stock / 10).quantize(Decimal(1)),
                    )
                )
        written += sum(
            services.price_reports_record(actor=actor, reports=reports, source=ReportSource.API)
        )
    return written
