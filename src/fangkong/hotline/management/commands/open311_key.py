"""`fangkong open311_key NAME`: register an Open311 client and print its API key (shown once;
only its digest is kept)."""

import secrets
from typing import Any

from django.core.management.base import BaseCommand

from fangkong.hotline.models import Open311Client, key_digest


class Command(BaseCommand):
    help = "Register an Open311 client and print its API key (shown once)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        key = secrets.token_urlsafe(24)
        Open311Client.objects.create(name=options["name"][:120], key_digest=key_digest(key))
        self.stdout.write(key)
