import argparse
import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.demo.services import DemoError, demo_clear, demo_data_present, demo_generate


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("%(value)s is not a date (YYYY-MM-DD).") % {"value": text}
        ) from None


class Command(BaseCommand):
    help = "Generate the deterministic synthetic demo city (许昌市) with N residents."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--residents", type=int, default=20_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--checkins-per-day",
            type=float,
            default=1.0,
            help="venue check-ins per day of each adult who scans venue codes (14 days)",
        )
        parser.add_argument(
            "--as-of",
            type=_date,
            default=None,
            metavar="YYYY-MM-DD",
            help="the day the city is seen on: check-ins, cases, needs and ages count from it "
            "(default: today)",
        )
        parser.add_argument(
            "--no-outbreak",
            action="store_true",
            help="skip the outbreak scenario (check-ins, cases, contacts)",
        )
        group = parser.add_mutually_exclusive_group()
        group.add_argument(
            "--if-empty", action="store_true", help="do nothing if residents already exist"
        )
        group.add_argument(
            "--replace", action="store_true", help="delete the existing demo data first"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if demo_data_present():
            if options["if_empty"]:
                self.stdout.write(_("Residents or divisions exist already; demo data not loaded."))
                return
            if not options["replace"]:
                raise CommandError(
                    _(
                        "The database holds data already. Use --replace to delete the demo data "
                        "and generate it again, or --if-empty to keep it."
                    )
                )
            self.stdout.write(_("Deleting the existing demo data…"))
            try:
                demo_clear()
            except DemoError as exc:
                raise CommandError(str(exc)) from exc
        as_of = options["as_of"] or timezone.localdate()
        self.stdout.write(_("Generating the demo city as of %(date)s…") % {"date": as_of})
        try:
            stats = demo_generate(
                residents=options["residents"],
                seed=options["seed"],
                progress=self.stdout.write,
                checkins_per_day=options["checkins_per_day"],
                outbreak=not options["no_outbreak"],
                as_of=as_of,
            )
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Demo city ready in %(seconds).1f s (%(rate)s residents/s): %(divisions)s "
                    "divisions, %(households)s households, %(residents)s residents, "
                    "%(key)s key persons, %(needs)s needs, %(venues)s venues; %(checkins)s "
                    "check-ins, %(cases)s cases, %(contacts)s contacts; %(labs)s laboratories, "
                    "%(sites)s quarantine sites "
                    "with %(rooms)s rooms, %(quarantined)s people allocated, %(zones)s risk "
                    "zone(s), %(travellers)s travellers handed over."
                )
                % {
                    "seconds": stats.seconds,
                    "rate": f"{stats.rate:,.0f}",
                    "divisions": f"{stats.divisions:,}",
                    "households": f"{stats.households:,}",
                    "residents": f"{stats.residents:,}",
                    "key": f"{stats.key_persons:,}",
                    "needs": f"{stats.needs:,}",
                    "venues": f"{stats.venues:,}",
                    "checkins": f"{stats.checkins:,}",
                    "cases": f"{stats.cases:,}",
                    "contacts": f"{stats.contacts:,}",
                    "labs": stats.labs,
                    "sites": stats.quarantine_sites,
                    "rooms": f"{stats.rooms:,}",
                    "quarantined": f"{stats.in_quarantine:,}",
                    "zones": stats.zones,
                    "travellers": stats.travellers,
                }
            )
        )
