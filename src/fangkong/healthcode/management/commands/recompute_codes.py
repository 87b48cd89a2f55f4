"""`fangkong recompute_codes [--all]`: re-derive health codes whose time ran out (run daily)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from fangkong.healthcode.store import recompute_all, recompute_expired


class Command(BaseCommand):
    help = (
        "Re-derive health-code statuses whose validity ended (quarantine or monitoring over, "
        "override expired). With --all, re-derive everyone with any case, contact or status."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="re-derive every known person")

    def handle(self, *args: Any, **options: Any) -> None:
        count = recompute_all() if options["all"] else recompute_expired()
        self.stdout.write(f"recomputed {count} health-code status(es)")
