"""Orders into sealed compounds batched and assigned (issue 16): 100,000 orders for 1,000
compounds, target < 5 s on PostgreSQL.

    .venv/bin/python bench/orders.py                      # PostgreSQL and SQLite
    .venv/bin/python bench/orders.py --orders 10000 --compounds 100 --db sqlite   # quick

For each database a scratch copy is made (PostgreSQL database `fk_orders_bench`, or an SQLite
file in a temporary folder), migrated, and dropped afterwards. A worker process builds a city
of `--compounds` compounds (2 districts, 10 streets each, communities of 10 compounds), one
receiving point and one resident per compound, 40 granted supply enterprises (one per district
with its place, one per street by a granted courier's delivery area) and `--orders` placed
orders (one in ten for a key person), written by COPY. It then times, `--runs` times each
(best and median):

- batch: `supplies.orders.services.orders_batch` as a city-wide task-force member: one
  grouped read of the waiting orders, the enterprises' areas (three queries), the assignment
  (pure, `orders/engine.py`), one bulk_create of the batches, one UPDATE of the orders joined
  to the new batches (UPDATE … FROM), one audit event per batch (COPY);
- baseline_copy: a raw COPY (PostgreSQL; executemany on SQLite) of the same order rows into
  a bare copy of the table: the cost of merely writing that many rows once;
- baseline_update: the strongest honest formulation of the same result by hand: from the
  same starting state (every order waiting, the table vacuumed), one raw `UPDATE … SET
  batch_id, enterprise_id … FROM` the batches the last run made, joined on the receiving
  point, in autocommit (so its foreign-key checks and commit are timed, as the batching's
  are): no grouping read, no assignment, no batches written, no events. The floor of writing
  the result.

Between runs the batches and their events are deleted, the orders unbatched and (PostgreSQL)
the table vacuumed.

Last run (2 cores shared with other helpers' test runs, best of 3), 100,000 orders / 1,000
compounds: see bench/README.md.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from _scratch import run_with, scratch_database

ROOT = Path(__file__).resolve().parents[1]
PG_NAME = "fk_orders_bench"
STEPS = ("setup", "batch", "baseline_copy", "baseline_update")


def _timed(step: str, count: int, runs: int, reset, work) -> None:  # type: ignore[no-untyped-def]
    seconds = []
    for _ in range(runs):
        reset()
        started = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - started)
    print(
        f"{step} {count} {min(seconds):.3f} median={statistics.median(seconds):.3f}"
        f" load={os.getloadavg()[0]:.1f}",
        flush=True,
    )


def worker(orders: int, compounds: int, runs: int) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
    django.setup()
    # Imported here: this module is also the driver, which runs without Django; models load
    # only after django.setup().
    import datetime as dt

    from django.db import connection
    from django.utils import timezone

    from fangkong.accounts.models import User
    from fangkong.audit.models import Event
    from fangkong.core.bulk import analyze, copy_rows
    from fangkong.people.models import Resident
    from fangkong.places.models import Division, Level, code_from_key
    from fangkong.supplies.models import Courier, Enterprise
    from fangkong.supplies.orders.models import Order, OrderBatch, ReceivingPoint
    from fangkong.supplies.orders.services import orders_batch

    started = time.perf_counter()

    def node(key: str, name: str, level: int, parent: Division | None) -> Division:
        return Division(key=key, code=code_from_key(key), name=name, level=level, parent=parent)

    city = node("4110", "许昌市", Level.CITY, None)
    city.save()
    districts = Division.objects.bulk_create(
        node(f"41100{d + 2}", f"区{d}", Level.DISTRICT, city) for d in range(2)
    )
    streets = Division.objects.bulk_create(
        node(f"{d.key}{s + 1:03d}", f"{d.name}街道{s}", Level.STREET, d)
        for d in districts
        for s in range(10)
    )
    per_street = max(1, compounds // len(streets))
    communities = Division.objects.bulk_create(
        node(f"{s.key}{c + 1:03d}", f"{s.name}社区{c}", Level.COMMUNITY, s)
        for s in streets
        for c in range(max(1, per_street // 10))
    )
    grids = Division.objects.bulk_create(
        node(f"{c.key}01", f"{c.name}网格", Level.GRID, c) for c in communities
    )
    per_grid = max(1, compounds // len(grids))
    compound_nodes = Division.objects.bulk_create(
        node(f"{g.key}{k:02d}", f"{g.name}小区{k}", Level.COMPOUND, g)
        for g in grids
        for k in range(per_grid)
    )[:compounds]
    born = dt.date(1950, 1, 1)
    people = Resident.objects.bulk_create(
        Resident(
            id_number=f"41100219500101{i:04d}",
            name=f"居民{i}",
            sex="F",
            birth_date=born,
            division=c,
            division_key=c.key,
        )
        for i, c in enumerate(compound_nodes)
    )
    points = ReceivingPoint.objects.bulk_create(
        ReceivingPoint(
            compound=c,
            division_key=c.key,
            name="东门",
            location="东门",
            hours="8-20",
            contact_name="x",
            phone="",
        )
        for c in compound_nodes
    )
    firms = Enterprise.objects.bulk_create(
        Enterprise(
            kind="supermarket",
            name=f"企业{i}",
            credit_code=f"{i:018d}",
            division=place,
            division_key=place.key,
            status="granted",
        )
        for i, place in enumerate([*districts, *streets, *streets])
    )
    street_firms = firms[len(districts) :]
    Courier.objects.bulk_create(
        Courier(
            enterprise=firm,
            person=people[i],
            area=street,
            area_key=street.key,
            division_key=firm.division_key,
            status="granted",
        )
        for i, (firm, street) in enumerate(zip(street_firms, [*streets, *streets], strict=True))
    )
    now = timezone.now()
    fields = (
        "person", "compound", "point", "division_key", "channel", "status", "key_person",
        "key_categories", "total", "contact_phone", "note", "confirmation_code", "placed_at",
        "recorded_at", "due_at", "zone_level", "profile_code", "profile_version", "delivered_by",
        "proof",
    )  # fmt: skip

    def rows():  # type: ignore[no-untyped-def]
        for i in range(orders):
            k = i % len(points)
            key = i % 10 == 0
            yield (
                people[k].pk, compound_nodes[k].pk, points[k].pk, compound_nodes[k].key,
                "resident", "placed", key, "elderly_alone" if key else "", "39.90", "", "",
                f"{i % 1_000_000:06d}", now, now, now + dt.timedelta(hours=24), "", "bench", 1,
                "", "",
            )  # fmt: skip

    copy_rows(Order, fields, rows())
    analyze(Order)
    user = User.objects.create_user(
        username="bench_task_force", password="x", role="task_force", jurisdiction=city
    )
    print(
        f"setup {orders} {time.perf_counter() - started:.2f} compounds={len(compound_nodes)}",
        flush=True,
    )
    table = connection.ops.quote_name(Order._meta.db_table)

    def vacuum() -> None:
        # Each run starts from a table without the dead rows the last run's reset left.
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM ANALYZE {table}")

    def reset() -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET batch_id = NULL, enterprise_id = NULL")
        OrderBatch.objects.all().delete()
        Event.objects.filter(action="batch.assigned").delete()
        vacuum()

    def batch() -> None:
        result = orders_batch(actor=user)
        assert result.orders == orders, result
        assert result.batches == len(compound_nodes), result

    if os.environ.get("ORDERS_BENCH_PROFILE"):
        # Where the time of one batching goes, statement by statement.
        from django.test.utils import CaptureQueriesContext

        reset()
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            batch()
            total = time.perf_counter() - started
        in_sql = sum(float(q["time"]) for q in ctx.captured_queries)
        for q in sorted(ctx.captured_queries, key=lambda q: -float(q["time"]))[:8]:
            print(f"profile {q['time']} s  {q['sql'][:140]}", flush=True)
        print(f"profile total {total:.3f} s, in SQL {in_sql:.3f} s", flush=True)
    _timed("batch", orders, runs, reset, batch)
    assert not Order.objects.filter(enterprise__isnull=True).exists()

    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE bench_orders_copy AS SELECT * FROM {table} WHERE 1 = 0")

    def clear_copy() -> None:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM bench_orders_copy")

    class Bare:  # the bare table, for copy_rows (its name and the Order columns)
        class _meta:
            db_table = "bench_orders_copy"
            get_field = Order._meta.get_field
            concrete_fields = Order._meta.concrete_fields

    def raw_copy() -> None:
        assert copy_rows(Bare, fields, rows()) == orders  # type: ignore[arg-type]

    _timed("baseline_copy", orders, runs, clear_copy, raw_copy)
    batches_table = connection.ops.quote_name(OrderBatch._meta.db_table)

    def unbatch() -> None:
        # The state the batching starts from: every order waiting, the table vacuumed.
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET batch_id = NULL, enterprise_id = NULL")
        vacuum()

    def raw_update() -> None:
        # The same end state as the batching (each order in its point's batch, with that
        # batch's enterprise), by one hand-written statement against the batches the last run
        # made: no grouping read, no assignment, no batches written, no events.
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET batch_id = b.id, enterprise_id = b.enterprise_id"
                f" FROM {batches_table} b WHERE {table}.point_id = b.point_id"
            )
            assert cursor.rowcount == orders

    _timed("baseline_update", orders, runs, unbatch, raw_update)


def bench(db: str, args: argparse.Namespace) -> dict[str, float]:
    with scratch_database(db, PG_NAME) as url:
        python = str(ROOT / ".venv" / "bin" / "python")
        out = run_with(
            url,
            python,
            __file__,
            "--worker",
            *("--orders", str(args.orders), "--compounds", str(args.compounds)),
            *("--runs", str(args.runs)),
        )
        times: dict[str, float] = {}
        for line in out.splitlines():
            parts = line.split()
            if parts and parts[0] == "profile":
                print(f"  {db:8} {line}", flush=True)
            if len(parts) >= 3 and parts[0] in STEPS:
                times[parts[0]] = float(parts[2])
                print(f"  {db:8} {line}", flush=True)
        return times


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--compounds", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", choices=("postgres", "sqlite", "both"), default="both")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    if args.worker:
        worker(args.orders, args.compounds, args.runs)
        return
    dbs = ("postgres", "sqlite") if args.db == "both" else (args.db,)
    report = []
    for db in dbs:
        t = bench(db, args)
        report.append(
            f"{db:8} batch {t['batch']:6.3f} s   raw COPY {t['baseline_copy']:6.3f} s"
            f"   raw UPDATE … FROM {t['baseline_update']:6.3f} s"
            f"   ({t['batch'] / t['baseline_update']:.2f}×)"
            f"   ({args.orders:,} orders, {args.compounds:,} compounds, best of {args.runs};"
            " target < 5 s on PostgreSQL)"
        )
    print()
    print("\n".join(report))


if __name__ == "__main__":
    main()
