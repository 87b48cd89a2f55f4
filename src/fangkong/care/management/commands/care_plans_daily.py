"""`fangkong care_plans_daily [--date YYYY-MM-DD]`: the standing needs of health plans falling
due on the day raise their care requests (run after midnight; running again raises nothing
new)."""

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fangkong.care.plans.generate import plans_raise_due


class Command(BaseCommand):
    help = (
        "Health plans: raise the care requests of the standing needs falling due on a day "
        "(default today); running again the same day raises nothing new."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="the day to run for (YYYY-MM-DD); default today")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = dt.date.fromisoformat(options["date"]) if options["date"] else None
        except ValueError:
            raise CommandError(f"not a date: {options['date']}") from None
        counts = plans_raise_due(day)
        self.stdout.write(" ".join(f"{k}={v}" for k, v in counts.items()))
