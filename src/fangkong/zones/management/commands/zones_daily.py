"""`fangkong zones_daily [--date YYYY-MM-DD]`: the daily evaluation of every zone in force."""

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from fangkong.zones.models import Verdict
from fangkong.zones.services import zones_evaluate


class Command(BaseCommand):
    help = (
        "Evaluate every risk zone in force against its policy's downgrade rule for a day "
        "(default today): zones that qualify get a proposed change for a person to approve."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="the day to evaluate (YYYY-MM-DD); default today")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = dt.date.fromisoformat(options["date"]) if options["date"] else None
        except ValueError as exc:
            raise CommandError(f"--date: {exc}") from None
        today = day or timezone.localdate()
        evaluations = zones_evaluate(today=today)
        proposed = sum(1 for e in evaluations if e.verdict == Verdict.PROPOSED)
        self.stdout.write(
            f"{today}: evaluated {len(evaluations)} zone(s), {proposed} change(s) proposed"
        )
