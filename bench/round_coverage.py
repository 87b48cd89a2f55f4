"""Coverage-page latency for a round of 1M people, through the Django test client.

    .venv/bin/python bench/round_coverage.py                        # 1M people, PostgreSQL + SQLite
    .venv/bin/python bench/round_coverage.py --people 100000 --db postgres   # a quick run

A scratch database (PostgreSQL `fk_coverage_bench`, or an SQLite file in a temporary folder) is
migrated and loaded with COPY (executemany on SQLite): one district of 10 streets × 10
communities × 5 grids × 2 compounds × 5 buildings × 2 units, `--people` residents spread over the
units, and a round over the district with 10-in-1 pools: 95 % of the people sampled, 90 % of the
tubes resulted (through one upload). A command-centre user at the city then opens, logged in,
`--requests` times each:

- the round page at the district (the round's area: coverage of its 10 streets, turnaround),
- the round page at one street and at one community,
- the round page at one grid (coverage of its compounds and the first page of people not yet
  sampled),
- `GET /api/rounds/{id}/missing?place=<grid>` (the not-yet-sampled list, paged),
- the turnaround table the round page loads after itself (every result of the round),

and prints p50/p95 in milliseconds for each, with the number of queries of one request.
`--keep` leaves the scratch database in place and `--reuse` measures it again without loading.
"""

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_SERVER = os.environ.get("FANGKONG_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PG_NAME = "fk_coverage_bench"
SQLITE_FILE = Path(tempfile.gettempdir()) / "fk_coverage_bench.sqlite3"
STARTED = dt.datetime(2022, 5, 7, 0, 0, tzinfo=dt.UTC)  # 08:00 in Shanghai
SHAPE = (("street", 3, 10), ("community", 3, 10), ("grid", 2, 5))
SHAPE += (("compound", 2, 2), ("building", 3, 5), ("unit", 2, 2))
POOL = 10


# The worker: runs inside Django on the scratch database ---------------------------------------


def _tree() -> tuple[list[tuple[int, str, str, int, int | None]], list[tuple[int, str]]]:
    """(id, key, name, level, parent id) of every node, and (id, key) of the units."""
    from fangkong.places.models import Level

    levels = [Level.STREET, Level.COMMUNITY, Level.GRID, Level.COMPOUND, Level.BUILDING]
    levels.append(Level.UNIT)
    nodes = [(1, "4110", "许昌市", Level.CITY, None), (2, "411002", "魏都区", Level.DISTRICT, 1)]
    layer = [(2, "411002")]
    for (label, width, count), level in zip(SHAPE, levels, strict=True):
        below = []
        for parent_id, key in layer:
            for i in range(1, count + 1):
                node = (len(nodes) + 1, f"{key}{i:0{width}d}", f"{label} {i}", level, parent_id)
                nodes.append(node)
                below.append((node[0], node[1]))
        layer = below
    return nodes, layer


def _load(people: int) -> dict[str, object]:
    from django.db import connection

    from fangkong.accounts.models import User
    from fangkong.core.bulk import analyze, copy_rows, reset_sequence
    from fangkong.lab.models import (
        Lab,
        Result,
        ResultUpload,
        RoundTally,
        TestingRound,
        Tube,
        TubeMember,
    )
    from fangkong.lab.tally import tallies_rebuild
    from fangkong.people.idnumber import make_id_number
    from fangkong.people.models import Resident
    from fangkong.places.models import Division, code_from_key

    nodes, units = _tree()
    copy_rows(
        Division,
        ("id", "key", "code", "name", "level", "parent"),
        ((i, k, code_from_key(k), n, lv, p) for i, k, n, lv, p in nodes),
    )
    reset_sequence(Division)
    city, district = Division.objects.get(key="4110"), Division.objects.get(key="411002")
    chief = User.objects.create_user(
        username="bench_chief", password="x", role="command", jurisdiction=city
    )
    lab = Lab.objects.create(
        code="LAB-C", name="bench lab", division=district, division_key="411002"
    )
    now = dt.datetime.now(dt.UTC)
    born = dt.date(1950, 1, 1)
    per_unit = max(people // len(units), 1)

    def residents():
        for n in range(people):
            unit_id, key = units[min(n // per_unit, len(units) - 1)]
            birth = born + dt.timedelta(days=n // 500)
            number = make_id_number("411002", birth, n % 500, "M")
            row = (n + 1, number, f"居民{n % 1000}", "jm", "jumin", "M", birth)
            yield (*row, "", "", unit_id, key, "registered", now, now)

    fields = ("id", "id_number", "name", "name_initials", "name_pinyin", "sex", "birth_date")
    fields += ("phone", "relation", "division", "division_key", "residency")
    copy_rows(Resident, (*fields, "created_at", "updated_at"), residents())
    testing_round = TestingRound.objects.create(
        name="bench round",
        area=district,
        division_key=district.key,
        pool_size=POOL,
        reason="bench",
        starts_at=STARTED,
        deadline=STARTED + dt.timedelta(hours=24),
        created_by=chief,
    )
    # 95 % sampled: in each run of 20 people the last one is not; pools of 10 consecutive.
    sampled = [n + 1 for n in range(people) if n % 20 != 19]
    keys = {}
    for n in range(people):
        keys[n + 1] = units[min(n // per_unit, len(units) - 1)][1]
    tubes = [sampled[i : i + POOL] for i in range(0, len(sampled), POOL)]
    collected = STARTED + dt.timedelta(hours=2)
    fields = ("id", "barcode", "capacity", "purpose", "round", "lab", "status", "collected_at")
    row = (POOL, "round", testing_round.pk, lab.pk, "received", collected, district.key)
    copy_rows(
        Tube,
        (*fields, "division_key"),
        ((t + 1, f"C{t + 1:09d}", *row) for t in range(len(tubes))),
    )
    copy_rows(
        TubeMember,
        ("tube", "person", "round", "sampled_at", "division_key"),
        (
            (t + 1, person, testing_round.pk, collected, keys[person])
            for t, members in enumerate(tubes)
            for person in members
        ),
    )
    upload = ResultUpload.objects.create(
        lab=lab, sha256="bench", format="csv", rows=len(tubes), uploaded_by=chief
    )
    copy_rows(
        Result,
        ("tube", "upload", "outcome", "tested_at"),
        (
            (f"C{t + 1:09d}", upload.pk, "negative", collected + dt.timedelta(hours=3 + t % 20))
            for t in range(len(tubes))
            if t % 10 != 9
        ),
    )
    for model in (Resident, Tube, TubeMember):
        reset_sequence(model)
    tallies_rebuild(testing_round.pk)  # what sampling and uploads keep up one by one
    analyze(Division, Resident, Tube, TubeMember, Result, RoundTally)
    if connection.vendor == "postgresql":  # as autovacuum leaves a table after a bulk load
        connection.ensure_connection()
        connection.connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("VACUUM people_resident")
    return {"round": testing_round.pk}


def _measure(requests: int) -> None:
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from fangkong.accounts.models import User
    from fangkong.lab.models import TestingRound
    from fangkong.places.models import Division

    setup_test_environment()
    # One connection for all requests, as with persistent connections (and so queries count).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    testing_round = TestingRound.objects.get(name="bench round")
    client = Client()
    client.force_login(User.objects.get(username="bench_chief"))
    street = Division.objects.filter(key__startswith="411002", level=3).order_by("key").first()
    community = Division.objects.filter(level=4).order_by("key").first()
    grid = Division.objects.filter(level=5).order_by("key").first()
    assert street and community and grid
    page = f"/lab/rounds/{testing_round.pk}/"
    cases = [
        ("round page, district (area)", page),
        ("round page, street", f"{page}?place={street.key}"),
        ("round page, community", f"{page}?place={community.key}"),
        ("round page, grid + missing list", f"{page}?place={grid.key}"),
        ("API missing list, grid", f"/api/rounds/{testing_round.pk}/missing?place={grid.key}"),
        ("turnaround table (after the page)", f"{page}turnaround/"),
    ]
    for name, url in cases:
        assert client.get(url).status_code == 200, url  # warm
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        queries = len(captured)
        spans = []
        for _i in range(requests):
            started = time.perf_counter()
            response = client.get(url)
            spans.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        spans.sort()
        p95 = spans[max(int(len(spans) * 0.95 + 0.5) - 1, 0)]
        print(f"latency|{name}|{statistics.median(spans):.0f}|{p95:.0f}|{queries}", flush=True)


def worker(people: int, requests: int, reuse: bool) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
    os.environ.setdefault("FANGKONG_SECRET_KEY", "bench-only-not-a-secret")  # signs sessions
    django.setup()
    if not reuse:
        started = time.perf_counter()
        _load(people)
        print(f"load|{people}|{time.perf_counter() - started:.1f}", flush=True)
    _measure(requests)


# The driver -----------------------------------------------------------------------------------


def _run(url: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "fangkong.settings"}
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(done.stderr[-3000:])
    return done.stdout


def bench(db: str, people: int, requests: int, keep: bool, reuse: bool) -> list[str]:
    import psycopg

    if db == "postgres":
        url = f"{PG_SERVER}/{PG_NAME}"
        if not reuse:
            with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{PG_NAME}"')
    else:
        url = f"sqlite:///{SQLITE_FILE}"
        if not reuse:
            SQLITE_FILE.unlink(missing_ok=True)
    try:
        if not reuse:
            _run(url, str(ROOT / ".venv" / "bin" / "fangkong"), "migrate", "-v", "0")
        python = str(ROOT / ".venv" / "bin" / "python")
        args = ["--worker", "--people", str(people), "--requests", str(requests)]
        out = _run(url, python, __file__, *args, *(["--reuse"] if reuse else []))
        lines = []
        for line in out.splitlines():
            parts = line.split("|")
            if parts[0] == "load":
                print(f"  {db:8} loaded {int(parts[1]):,} people in {parts[2]} s", flush=True)
            elif parts[0] == "latency":
                name, p50, p95, queries = parts[1:]
                lines.append(
                    f"{db:8} {name:34} p50 {p50:>6} ms  p95 {p95:>6} ms  {queries} queries"
                )
        return lines
    finally:
        if not keep:
            if db == "postgres":
                with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')
            else:
                SQLITE_FILE.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--db", choices=("postgres", "sqlite", "both"), default="both")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--reuse", action="store_true", help="measure a kept database again")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    if args.worker:
        worker(args.people, args.requests, args.reuse)
        return
    dbs = ("postgres", "sqlite") if args.db == "both" else (args.db,)
    report = []
    for db in dbs:
        report.extend(bench(db, args.people, args.requests, args.keep, args.reuse))
    print(f"\nround of {args.people:,} people, {args.requests} requests each")
    print("\n".join(report))


if __name__ == "__main__":
    main()
