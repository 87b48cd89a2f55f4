"""`fangkong hotline_sweep`: escalate late citizen requests (for cron, as `care_sweep`)."""

from typing import Any

from django.core.management.base import BaseCommand

from fangkong.hotline.dispatch.services import requests_escalate


class Command(BaseCommand):
    help = "Escalate citizen requests past their deadline."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"escalated={requests_escalate()}")
