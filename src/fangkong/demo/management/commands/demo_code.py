from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from fangkong.demo.accounts import is_demo_device


class Command(BaseCommand):
    help = (
        "Print the current two-factor code of a demo account (only for the published demo "
        "authenticator; refuses every other account)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"]
        device = (
            TOTPDevice.objects.filter(user__username=username, confirmed=True)
            .order_by("pk")
            .first()
        )
        if device is None or not is_demo_device(device):
            raise CommandError(
                _("%(user)s has no demo authenticator; codes are printed for demo accounts only.")
                % {"user": username}
            )
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        self.stdout.write(f"{totp.token():0{device.digits}d}")
