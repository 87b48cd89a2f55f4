"""`fangkong import_residents FILE --user USERNAME [--valid-only] [--rejected-out PATH]`."""

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from fangkong.core.rejected import write_rejected
from fangkong.core.tabular import MAX_ERRORS_KEPT
from fangkong.people.importing.services import import_residents


class Command(BaseCommand):
    help = "Import residents from a CSV or XLSX file, as the given user (scope and audit)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", required=True, help="username whose jurisdiction applies")
        parser.add_argument(
            "--valid-only", action="store_true", help="write the valid rows even if others fail"
        )
        parser.add_argument(
            "--rejected-out", type=Path, help="write rejected rows here (.csv or .xlsx)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        try:
            user = get_user_model().objects.get(username=options["user"])
        except get_user_model().DoesNotExist:
            raise CommandError(f"no such user: {options['user']}") from None
        result = import_residents(
            actor=user, path=path, filename=path.name, valid_only=options["valid_only"]
        )
        for e in result.errors:
            where = _("row %(row)s") % {"row": e.row} if e.row else _("file")
            column = f" [{e.column}]" if e.column else ""
            value = f" {e.value!r}" if e.value else ""
            self.stderr.write(f"{where}{column}{value}: {e.reason}")
        if result.error_count > len(result.errors):
            hidden = result.error_count - MAX_ERRORS_KEPT
            self.stderr.write(_("… and %(n)s more errors") % {"n": hidden})
        out: Path | None = options["rejected_out"]
        if out and result.token:
            fmt = "xlsx" if out.suffix.lower() == ".xlsx" else "csv"
            with out.open("wb") as fh:
                write_rejected(result.token, fmt, fh)
        self.stdout.write(
            f"rows={result.rows_read} created={result.created} updated={result.updated}"
            f" unchanged={result.unchanged} rejected={result.rejected}"
            f" households_created={result.households_created} errors={result.error_count}"
            f" written={'yes' if result.written else 'no'} seconds={result.seconds:.1f}"
            f" rows_per_second={result.rows_read / max(result.seconds, 1e-9):.0f}"
        )
        if not result.written:
            raise CommandError(_("Nothing was written."))
