"""`fangkong price_alerts [--day YYYY-MM-DD]`: compute the price and stock lights of a day
(today by default) city-wide and open an alert for each red item × district that has none
(run it daily, after the reports are in; reports written through the platform do it too)."""

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from fangkong.supplies.prices.services import alerts_sync


class Command(BaseCommand):
    help = "Open price alerts for the red lights of a day (today by default)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--day", type=dt.date.fromisoformat, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        day = options["day"] or timezone.localdate()
        opened = alerts_sync(days=[day])
        self.stdout.write(f"{day.isoformat()}: {opened} alert(s) opened")
