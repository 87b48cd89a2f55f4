"""`fangkong settle_trips`: complete handed-over trips whose measure has ended (run daily)."""

from typing import Any

from django.core.management.base import BaseCommand

from fangkong.travel.services import trips_settle


class Command(BaseCommand):
    help = "Mark handed-over trips as completed once the traveller's measure is no longer active."

    def handle(self, *args: Any, **options: Any) -> None:
        count = trips_settle()
        self.stdout.write(f"completed {count} trip(s)")
