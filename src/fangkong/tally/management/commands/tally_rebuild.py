"""`fangkong tally_rebuild [--subject case|contact|stay|measure …]`: the command figures'
running counts again from the rows and their audit events (after a bulk load, or to recover)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from fangkong.tally.services import rebuild
from fangkong.tally.subjects import SUBJECTS


class Command(BaseCommand):
    help = "Rebuild the command dashboard's running counts from the rows and audit events."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--subject",
            action="append",
            choices=sorted(SUBJECTS),
            help="only this subject (repeatable; default: all)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        done = rebuild(options["subject"])
        units = " ".join(f"{name}={n}" for name, n in done.units.items())
        self.stdout.write(f"{units} cells={done.rows} seconds={done.seconds:.1f}")
