"""`fangkong supply_keys rotate` makes a new pass-signing key and retires the one in use;
`fangkong supply_keys list` shows the keys and until when each verifies."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from fangkong.audit.labels import SYSTEM
from fangkong.supplies.models import SigningKey
from fangkong.supplies.passes import selectors
from fangkong.supplies.passes.services import key_rotate


class Command(BaseCommand):
    help = (
        "Pass-signing keys: `rotate` makes a new key (passes signed by the old one verify until "
        "the active profile's grace runs out); `list` shows them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rotate", "list"])

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "rotate":
            key = key_rotate(actor=SYSTEM)
            self.stdout.write(f"new signing key {key.kid}")
            return
        rules = selectors.pass_rules()
        now = timezone.now()
        for key in SigningKey.objects.all():
            until = selectors.key_valid_until(key, rules)
            state = "signing" if until is None else ("retired" if until <= now else "grace")
            self.stdout.write(f"{key.kid}\t{key.created_at:%Y-%m-%d %H:%M}\t{state}\t{until or ''}")
