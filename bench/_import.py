"""Resident import rate on an existing demo database (run by bench/registry.py).

Exports every resident to a CSV in the import format, empties the people tables, then imports
the file twice through `import_residents` (the project's own path): first all rows are new,
then the same file again, which must change nothing. Prints `step rows seconds`.
"""

import csv
import os
import sys
import tempfile
import time
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
django.setup()

from django.db import connection, transaction  # noqa: E402

from fangkong.accounts.models import User  # noqa: E402
from fangkong.audit.models import Event  # noqa: E402
from fangkong.people.importing.services import import_residents  # noqa: E402
from fangkong.people.models import Household, KeyPerson, Need, Resident  # noqa: E402


def export(path: Path) -> int:
    rows = (
        Resident.objects.order_by("id")
        .values_list("id_number", "name", "phone", "division__code", "household__code", "relation")
        .iterator(chunk_size=20_000)
    )
    count = 0
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["身份证号", "姓名", "手机号", "单元编码", "户编号", "与户主关系"])
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
            count += 1
    return count


def empty_people_tables() -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        for model in (Need, KeyPerson, Resident, Household, Event):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")


def main() -> None:
    actor = User.objects.select_related("jurisdiction").get(username="command")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "residents.csv"
        started = time.perf_counter()
        rows = export(path)
        print(f"export {rows} {time.perf_counter() - started:.2f}")
        empty_people_tables()
        for step in ("import-new", "import-again"):
            started = time.perf_counter()
            result = import_residents(actor=actor, path=path, filename=path.name)
            seconds = time.perf_counter() - started
            assert not result.errors, result.errors[:3]
            print(
                f"{step} {rows} {seconds:.2f} created={result.created} unchanged={result.unchanged}"
            )


if __name__ == "__main__":
    sys.exit(main())
