"""Result-ingest benchmark: the project's validated import beside a raw COPY of the same file.

    .venv/bin/python bench/results_ingest.py                       # 1M results, PostgreSQL + SQLite
    .venv/bin/python bench/results_ingest.py --rows 100000 --db postgres   # a quick run

For each database a scratch copy is made (PostgreSQL database `fk_results_bench`, or an SQLite
file in a temporary folder), migrated, and dropped afterwards. A worker process then loads, with
COPY (executemany on SQLite), `--rows` residents, each sampled in one tube per run (`--runs`
sets of tubes: tube barcode, person, collected time, lab). For each run it writes a results CSV
(试管编码, 检测结果, Ct值, 检测时间: all negative but `--positives` single tubes of other people
each run, which open cases) and times, back to back:

- raw: the same CSV file loaded into a bare table of four text columns (PostgreSQL: `COPY …
  FROM STDIN (FORMAT csv, HEADER)` fed the file's bytes; SQLite: csv.reader + executemany);
- import: `fangkong.lab.results.ingest.results_import` on that file (validation, the rows
  appended to lab_result, one audit event for the upload, pool/case follow-up, committed);
- again: the same file once more (its digest is known: nothing changes).

With `--passes` (PostgreSQL) the last run also times, on the same file, the passes any validated
import into lab_result has to make, each alone: the file's rows in binary COPY into an
unindexed copy of lab_result and into a copy with its barcode key, and the validation join of
the stored upload against the tubes (`results._wrong_rows`). Their sum beside the raw COPY is
the ratio no import that writes the keyed table and checks every row against the tubes in
PostgreSQL can beat on that machine.

Every run is a real, committed upload, so lab_result grows by `--rows` each run, as it would
in service. It prints each run and the best and median import/raw ratio over the runs (target
on PostgreSQL: ≥ 50 %); repeating keeps a busy machine from deciding the figure.
Coverage-page latency is measured by bench/round_coverage.py.
"""

import argparse
import csv
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _scratch import run_with, scratch_database

ROOT = Path(__file__).resolve().parents[1]
PG_NAME = "fk_results_bench"
COLLECTED = dt.datetime(2022, 5, 7, 1, 0, tzinfo=dt.UTC)  # 09:00 in Shanghai


# The worker: runs inside Django on the scratch database ---------------------------------------


def _load(rows: int, runs: int) -> tuple[object, object]:
    from django.db import connection

    from fangkong.accounts.models import User
    from fangkong.core.bulk import analyze, copy_rows, reset_sequence
    from fangkong.lab.models import Lab, Purpose, Tube, TubeMember
    from fangkong.people.idnumber import make_id_number
    from fangkong.people.models import Resident
    from fangkong.places.models import Division, Level, code_from_key

    parent = None
    chain = [
        ("4110", "许昌市", Level.CITY),
        ("411002", "魏都区", Level.DISTRICT),
        ("411002001", "西大街街道", Level.STREET),
        ("411002001001", "西大社区", Level.COMMUNITY),
    ]
    for key, name, level in chain:
        parent = Division.objects.create(
            key=key, code=code_from_key(key), name=name, level=level, parent=parent
        )
    assert parent is not None
    lab = Lab.objects.create(code="LAB-B", name="bench lab", division=parent, division_key="411002")
    user = User.objects.create_user(
        username="bench_lab", password="x", role="lab", jurisdiction=parent.parent.parent.parent
    )
    now = dt.datetime.now(dt.UTC)
    born = dt.date(1960, 1, 1)
    key = parent.key
    people = (
        (
            i + 1,
            make_id_number("411002", born + dt.timedelta(days=i // 500), i % 500, "M"),
            "测试",
            "cs",
            "ceshi",
            "M",
            born + dt.timedelta(days=i // 500),
            "",
            "",
            parent.pk,
            key,
            "registered",
            now,
            now,
        )
        for i in range(rows)
    )
    resident_fields = (
        "id",
        "id_number",
        "name",
        "name_initials",
        "name_pinyin",
        "sex",
        "birth_date",
        "phone",
        "relation",
        "division",
        "division_key",
        "residency",
        "created_at",
        "updated_at",
    )
    with connection.cursor():
        copy_rows(Resident, resident_fields, people)
        # Received at the lab already (custody), as tubes are when their results come in.
        tube_fields = ("id", "barcode", "capacity", "purpose", "status", "collected_at")
        tube_fields += ("division_key", "lab")
        rest = (COLLECTED, key, lab.pk)
        for run in range(runs):
            first = run * rows
            copy_rows(
                Tube,
                tube_fields,
                (
                    (first + i + 1, _barcode(run, i), 1, Purpose.ROUND, "received", *rest)
                    for i in range(rows)
                ),
            )
            copy_rows(
                TubeMember,
                ("id", "tube", "person", "sampled_at", "division_key"),
                ((first + i + 1, first + i + 1, i + 1, COLLECTED, key) for i in range(rows)),
            )
    for model in (Resident, Tube, TubeMember):
        reset_sequence(model)
    analyze(Resident, Tube, TubeMember)
    return user, lab


def _barcode(run: int, i: int) -> str:
    return f"T{run}{i + 1:010d}"


def _write_csv(path: Path, rows: int, positives: int, run: int) -> None:
    step = max(rows // max(positives, 1), 1)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["试管编码", "检测结果", "Ct值", "检测时间"])
        for i in range(rows):
            positive = positives and i % step == run and i // step < positives
            writer.writerow(
                [
                    _barcode(run, i),
                    "阳性" if positive else "阴性",
                    "28.5" if positive else "",
                    "2022-05-07 20:15",
                ]
            )


def _raw_copy(path: Path) -> float:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw")
        cursor.execute("CREATE TABLE bench_raw (barcode text, result text, ct text, tested text)")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = "COPY bench_raw FROM STDIN (FORMAT csv, HEADER true)"
            with cursor.cursor.copy(sql) as copy, path.open("rb") as fh:
                while block := fh.read(1 << 20):
                    copy.write(block)
        else:
            with path.open(encoding="utf-8", newline="") as fh:
                reader = csv.reader(fh)
                next(reader)
                batch: list[list[str]] = []
                for row in reader:
                    batch.append(row)
                    if len(batch) >= 50_000:
                        cursor.executemany("INSERT INTO bench_raw VALUES (%s, %s, %s, %s)", batch)
                        batch.clear()
                if batch:
                    cursor.executemany("INSERT INTO bench_raw VALUES (%s, %s, %s, %s)", batch)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_raw")
    return seconds


def _passes(path: Path, lab: object) -> None:
    """Time, alone, the passes an import into lab_result cannot skip (see the docstring)."""
    from django.db import connection, transaction

    from fangkong.lab.models import ResultUpload
    from fangkong.lab.results import columnar
    from fangkong.lab.results import ingest as results

    table = results.Result._meta.db_table
    reading = results.ResultsImport(filename=path.name)
    reading.kind = "utf-8-sig"  # as the import's digest step finds the bench's files
    blocks = list(results._plain_blocks(path, reading) or [])
    assert blocks, "the bench file is plain"
    data = [columnar.copy_binary(b, 0, results.OUTCOME_BYTES) for b in blocks]
    for name, like in (("unindexed", ""), ("keyed", " INCLUDING INDEXES")):
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS bench_{name}")
            cursor.execute(f"CREATE TABLE bench_{name} (LIKE {table}{like})")
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            columns = ", ".join(columnar.RESULT_COLUMNS)
            sql = f"COPY bench_{name} ({columns}) FROM STDIN (FORMAT binary)"
            with cursor.cursor.copy(sql) as copy:
                copy.write(columnar.COPY_SIGNATURE)
                for part in data:
                    copy.write(part)
                copy.write(columnar.COPY_TRAILER)
        print(f"pass-copy-{name} {time.perf_counter() - started:.3f}", flush=True)
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE bench_{name}")
    upload = ResultUpload.objects.order_by("-pk").first()
    assert upload is not None
    written = results._Written()
    for block in blocks:
        written.add(block)
    started = time.perf_counter()
    with transaction.atomic():
        wrong = results._wrong_rows(upload.pk, lab.pk, written)  # type: ignore[attr-defined]
    assert wrong == 0
    print(f"pass-validate {time.perf_counter() - started:.3f}", flush=True)


def worker(rows: int, positives: int, runs: int, passes: bool = False) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
    django.setup()
    from fangkong.lab.results.ingest import results_import

    started = time.perf_counter()
    user, lab = _load(rows, runs)
    print(f"load {rows} {time.perf_counter() - started:.2f}", flush=True)
    for run in range(runs):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"results-{run}.csv"
            _write_csv(path, rows, positives, run)
            print(f"raw {rows} {_raw_copy(path):.3f} run={run}", flush=True)
            for step in ("import", "again"):
                started = time.perf_counter()
                result = results_import(actor=user, lab=lab, path=path, filename=path.name)
                seconds = time.perf_counter() - started
                assert result.written and result.ok, [
                    (e.row, e.column, e.reason) for e in result.errors[:5]
                ]
                print(
                    f"{step} {rows} {seconds:.3f} run={run} applied={result.applied}"
                    f" cases={result.cases_opened}",
                    flush=True,
                )
            if passes and run == runs - 1:
                _passes(path, lab)


# The driver: scratch databases, one worker each -----------------------------------------------


def bench(
    db: str, rows: int, positives: int, runs: int, passes: bool
) -> tuple[list[dict[str, float]], dict[str, float]]:
    """Each run's times (raw, import, again) and, with `passes` on PostgreSQL, the passes'."""
    with scratch_database(db, PG_NAME) as url:
        python = str(ROOT / ".venv" / "bin" / "python")
        args = ["--worker", "--rows", str(rows), "--positives", str(positives)]
        if db == "postgres" and passes:
            args.append("--passes")
        out = run_with(url, python, __file__, *args, "--runs", str(runs))
        times: list[dict[str, float]] = [{} for _run in range(runs)]
        passed: dict[str, float] = {}
        for line in out.splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[0] in ("load", "raw", "import", "again"):
                print(f"  {db:8} {line}", flush=True)
            if parts and parts[0].startswith("pass-"):
                print(f"  {db:8} {line}", flush=True)
                passed[parts[0][5:]] = float(parts[1])
            if len(parts) >= 4 and parts[3].startswith("run="):
                times[int(parts[3][4:])][parts[0]] = float(parts[2])
        return times, passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--positives", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3, help="uploads of --rows results each")
    parser.add_argument("--db", choices=("postgres", "sqlite", "both"), default="both")
    parser.add_argument("--passes", action="store_true", help="time the unavoidable passes")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    if args.worker:
        worker(args.rows, args.positives, args.runs, args.passes)
        return
    dbs = ("postgres", "sqlite") if args.db == "both" else (args.db,)
    report = []
    for db in dbs:
        runs, passes = bench(db, args.rows, args.positives, args.runs, args.passes)
        ratios = []
        for run, times in enumerate(runs):
            raw, imp, again = (args.rows / times[k] for k in ("raw", "import", "again"))
            ratios.append(imp / raw)
            report.append(
                f"{db:8} run {run}  raw {raw:>10,.0f} rows/s  import {imp:>10,.0f} rows/s"
                f"  ratio {imp / raw:6.1%}  re-upload {again:>12,.0f} rows/s"
            )
        report.append(
            f"{db:8} import/raw best {max(ratios):.1%}, median {statistics.median(ratios):.1%}"
        )
        if "validate" in passes:
            keyed, bare = passes["copy-keyed"], passes["copy-unindexed"]
            raw = runs[-1]["raw"]
            report.append(
                f"{db:8} last run, passes alone: COPY unindexed {bare:.2f} s, COPY keyed"
                f" {keyed:.2f} s, validation {passes['validate']:.2f} s; raw {raw:.2f} s;"
                f" keyed + validation = {raw / (keyed + passes['validate']):.1%} of raw's rows/s,"
                f" unindexed + validation = {raw / (bare + passes['validate']):.1%}"
            )
    print(f"\n{args.rows:,} results per upload, {args.positives} positive single tubes each")
    print("\n".join(report))


if __name__ == "__main__":
    main()
