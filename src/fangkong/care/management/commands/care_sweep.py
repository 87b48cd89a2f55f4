"""`fangkong care_sweep`: record the first-diagnosis incidents of requests not confirmed within
their SLA clock (run from cron every few minutes; the board and the dashboard also sweep when
read). Idempotent."""

from typing import Any

from django.core.management.base import BaseCommand

from fangkong.care.admission.services import incidents_sweep


class Command(BaseCommand):
    help = "Record an incident for every request routed to a facility and not confirmed in time."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"incidents={incidents_sweep()}")
