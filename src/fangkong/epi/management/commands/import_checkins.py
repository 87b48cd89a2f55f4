"""`fangkong import_checkins FILE --user USERNAME`: venue check-ins from CSV or Parquet."""

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from fangkong.epi.checkins.importing import import_checkins


class Command(BaseCommand):
    help = "Import venue check-ins (CSV or Parquet) as the given user (scope and audit)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", required=True, help="username whose jurisdiction applies")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        try:
            user = get_user_model().objects.get(username=options["user"])
        except get_user_model().DoesNotExist:
            raise CommandError(f"no such user: {options['user']}") from None
        result = import_checkins(actor=user, path=path, filename=path.name)
        for e in result.errors:
            where = _("row %(row)s") % {"row": e.row} if e.row else _("file")
            column = f" [{e.column}]" if e.column else ""
            value = f" {e.value!r}" if e.value else ""
            self.stderr.write(f"{where}{column}{value}: {e.reason}")
        self.stdout.write(
            f"rows={result.rows_read} created={result.created}"
            f" already_present={result.already_present} errors={result.error_count}"
            f" written={'yes' if result.written else 'no'} seconds={result.seconds:.1f}"
            f" rows_per_second={result.rows_read / max(result.seconds, 1e-9):.0f}"
        )
        if not result.written:
            raise CommandError(_("Nothing was written."))
