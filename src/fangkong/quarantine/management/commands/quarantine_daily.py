"""`fangkong quarantine_daily [--date YYYY-MM-DD]`: the day's bookkeeping (run after midnight).

Stores tube results on the tests taken, marks tests not taken on their day as missed and flags
the days of home phases with no check-in.
"""

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fangkong.quarantine.measures.daily import quarantine_daily


class Command(BaseCommand):
    help = (
        "Quarantine bookkeeping for a day (default today): test results in, tests not taken "
        "on their day marked missed, home-phase days without a check-in flagged."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="the day to run for (YYYY-MM-DD); default today")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            today = dt.date.fromisoformat(options["date"]) if options["date"] else None
        except ValueError:
            raise CommandError(f"not a date: {options['date']}") from None
        counts = quarantine_daily(today)
        self.stdout.write(" ".join(f"{k}={v}" for k, v in counts.items()))
