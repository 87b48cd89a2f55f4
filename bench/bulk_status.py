"""Bulk status change benchmark: 30,000 contacts moved to another status in one API request.

    .venv/bin/python bench/bulk_status.py                    # PostgreSQL and SQLite
    .venv/bin/python bench/bulk_status.py --contacts 5000    # a quick run
    .venv/bin/python bench/bulk_status.py --db sqlite --profile   # where the time goes

For each database a scratch copy is made (PostgreSQL database `fk_bulk_status_bench`, or an
SQLite file in a temporary folder), migrated, and dropped afterwards. A worker process builds a
small demo city (`--residents`, default 5,000, no outbreak), one confirmed case and `--contacts`
close contacts of it (default 30,000, new residents written with COPY / executemany), all in
one district. It then times, `--runs` times each (best and median):

- api: `POST /api/contacts/status` with all the ids in the JSON body, as a district user with an
  API token (identified → located): the request, the all-or-nothing check, the UPDATE, one
  audit event per contact, the tally and the health codes of 30,000 people;
- again: the same request a second time (nothing changes: every contact is `unchanged`);
- filter: `{"filter": {"status": "located"}}` → under control, the list filter instead of ids;
- baseline: one raw `UPDATE epi_contact SET status = … WHERE id IN (…)` of the same rows (no
  check, no audit, no derived state): the floor the service is measured against.

Side by side, `--cases` cases (default 2,000, asymptomatic, new residents of the same district)
reclassified at once, as a district task force member:

- cases: `POST /api/cases/reclassify` (asymptomatic → confirmed) with all the ids;
- cases_again: the same request a second time (every case `unchanged`);
- cases_baseline: the raw `UPDATE epi_case SET kind = … WHERE id IN (…)` of the same rows.

Between runs the contacts go back to "identified" and the events, tally and codes stay (so
later runs write into fuller tables, as in production).
"""

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

from _scratch import run_with, scratch_database

ROOT = Path(__file__).resolve().parents[1]
PG_NAME = "fk_bulk_status_bench"
IMMEDIATE = "django.tasks.backends.immediate.ImmediateBackend"
SEED = 1


# The worker: runs inside Django on the scratch database ---------------------------------------


def _contacts(count: int) -> tuple[object, list[int]]:
    """One case and `count` close contacts of it (new residents), all in the first district."""
    # Imported here: this module is also the driver, which runs without Django; the worker
    # calls this after django.setup().
    from django.utils import timezone

    from fangkong.core.bulk import analyze, copy_rows
    from fangkong.epi.contacts.services import CONTACT_FIELDS, RESIDENT_FIELDS
    from fangkong.epi.models import Case, CaseKind, Contact, FoundBy, FoundWhere
    from fangkong.people.models import Residency, Resident

    index = Resident.objects.order_by("id").first()
    assert index is not None
    unit = index.division
    today = timezone.localdate()
    case = Case.objects.create(
        person=index,
        number="BENCH-00001",
        kind=CaseKind.CONFIRMED,
        found_by=FoundBy.COMMUNITY_SCREENING,
        found_where=FoundWhere.COMMUNITY,
        sampled_on=today - dt.timedelta(days=1),
        reported_on=today,
        division_key=index.division_key,
    )
    now = timezone.now()
    born = dt.date(1990, 1, 1)
    copy_rows(
        Resident,
        RESIDENT_FIELDS,
        (
            (
                f"BS{i:016d}",
                f"密接{i}",
                "",
                "",
                "M",
                born,
                "",
                unit.pk,
                unit.key,
                Residency.VISITOR,
                now,
                now,
                "",
            )
            for i in range(count)
        ),
    )
    people = Resident.objects.filter(id_number__startswith="BS").values_list("pk", flat=True)
    copy_rows(
        Contact,
        CONTACT_FIELDS,
        (
            (
                case.pk,
                pk,
                "close",
                None,
                "household",
                None,
                None,
                None,
                today,
                None,
                "identified",
                "",
                unit.key,
                now,  # identified
                now,  # recorded
            )
            for pk in list(people)  # read before the COPY starts: one connection
        ),
    )
    analyze(Resident, Contact)
    return case, sorted(Contact.objects.filter(case=case).values_list("pk", flat=True))


def _cases(count: int, case: object) -> list[int]:
    """`count` asymptomatic cases of new residents in the index case's unit (bulk written)."""
    from django.utils import timezone

    from fangkong.core.bulk import analyze, copy_rows
    from fangkong.epi.contacts.services import RESIDENT_FIELDS
    from fangkong.epi.models import Case, CaseKind, FoundBy, FoundWhere
    from fangkong.people.models import Residency, Resident

    index = case.person  # type: ignore[attr-defined]
    unit = index.division
    now = timezone.now()
    born = dt.date(1990, 1, 1)
    tail = (Residency.VISITOR, now, now, "")
    copy_rows(
        Resident,
        RESIDENT_FIELDS,
        (
            (f"BC{i:016d}", f"病例{i}", "", "", "F", born, "", unit.pk, unit.key, *tail)
            for i in range(count)
        ),
    )
    today = timezone.localdate()
    people = Resident.objects.filter(id_number__startswith="BC").order_by("id")
    Case.objects.bulk_create(
        (
            Case(
                person_id=pk,
                number=f"BENCH-C{n:06d}",
                kind=CaseKind.ASYMPTOMATIC,
                found_by=FoundBy.COMMUNITY_SCREENING,
                found_where=FoundWhere.COMMUNITY,
                sampled_on=today - dt.timedelta(days=1),
                reported_on=today,
                registered_at=now - dt.timedelta(hours=1),
                division_key=unit.key,
            )
            for n, pk in enumerate(people.values_list("pk", flat=True))
        ),
        batch_size=2_000,
    )
    analyze(Resident, Case)
    return sorted(Case.objects.filter(number__startswith="BENCH-C").values_list("pk", flat=True))


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


def worker(residents: int, contacts: int, cases: int, runs: int, profile: bool) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
    os.environ.setdefault("FANGKONG_SECRET_KEY", "bench-only-not-a-secret")  # signs sessions
    django.setup()
    # Only now can the models be imported (the driver process never sets Django up).
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from fangkong.accounts.models import User
    from fangkong.accounts.services import token_create
    from fangkong.demo.services import demo_generate
    from fangkong.epi.models import Contact
    from fangkong.places.models import Division

    setup_test_environment()
    started = time.perf_counter()
    demo_generate(residents=residents, seed=SEED, outbreak=False)
    case, ids = _contacts(contacts)
    district = Division.objects.get(key=case.division_key[:6])  # type: ignore[attr-defined]
    user = User.objects.create_user(
        username="bench_street", password="x", role="street", jurisdiction=district
    )
    _token, raw = token_create(user=user, name="bench")
    print(f"setup {len(ids)} {time.perf_counter() - started:.2f}", flush=True)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    def post(body: dict[str, object], expect: dict[str, int]) -> None:
        response = client.post("/api/contacts/status", json.dumps(body), "application/json")
        answer = response.json()
        assert response.status_code == 200, answer
        assert {k: answer[k] for k in expect} == expect, answer

    def reset() -> None:
        Contact.objects.filter(pk__in=ids).update(status="identified")

    def located() -> None:
        reset()
        post({"ids": ids, "status": "located", "reason": "bench"}, {"changed": len(ids)})

    by_ids = {"ids": ids, "status": "located", "reason": "bench"}
    if profile:
        import cProfile
        import pstats

        reset()
        with cProfile.Profile() as prof:
            post(by_ids, {"changed": len(ids)})
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
    _timed("api", len(ids), runs, reset, lambda: post(by_ids, {"changed": len(ids)}))
    _timed("again", len(ids), runs, located, lambda: post(by_ids, {"unchanged": len(ids)}))
    by_filter = {"filter": {"status": "located"}, "status": "under_control", "reason": "bench"}
    _timed("filter", len(ids), runs, located, lambda: post(by_filter, {"changed": len(ids)}))
    table = connection.ops.quote_name(Contact._meta.db_table)
    marks = ", ".join(["%s"] * len(ids))

    def raw_update() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET status = %s WHERE id IN ({marks})", ["located", *ids]
            )
            assert cursor.rowcount == len(ids)

    _timed("baseline", len(ids), runs, reset, raw_update)
    if cases:
        _bench_cases(client_for=_client_for, case=case, district=district, count=cases, runs=runs)


def _client_for(user: object) -> object:
    from django.test import Client

    from fangkong.accounts.services import token_create

    _token, raw = token_create(user=user, name="bench")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def _bench_cases(*, client_for, case, district, count: int, runs: int) -> None:  # type: ignore[no-untyped-def]
    """Cases reclassified at once, beside the bare UPDATE of the same rows."""
    from django.db import connection

    from fangkong.accounts.models import User
    from fangkong.epi.models import Case

    ids = _cases(count, case)
    user = User.objects.create_user(
        username="bench_task_force", password="x", role="task_force", jurisdiction=district
    )
    client = client_for(user)
    body = {"ids": ids, "kind": "confirmed", "reason": "bench"}

    def post(expect: dict[str, int]) -> None:
        response = client.post("/api/cases/reclassify", json.dumps(body), "application/json")
        answer = response.json()
        assert response.status_code == 200, answer
        assert {k: answer[k] for k in expect} == expect, answer

    def reset() -> None:
        Case.objects.filter(pk__in=ids).update(kind="asymptomatic")

    def confirmed() -> None:
        reset()
        post({"changed": len(ids)})

    _timed("cases", len(ids), runs, reset, lambda: post({"changed": len(ids)}))
    _timed("cases_again", len(ids), runs, confirmed, lambda: post({"unchanged": len(ids)}))
    table = connection.ops.quote_name(Case._meta.db_table)
    marks = ", ".join(["%s"] * len(ids))

    def raw_update() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET kind = %s WHERE id IN ({marks})", ["confirmed", *ids]
            )
            assert cursor.rowcount == len(ids)

    _timed("cases_baseline", len(ids), runs, reset, raw_update)


# The driver: scratch databases, one worker each -----------------------------------------------

STEPS = ("setup", "api", "again", "filter", "baseline", "cases", "cases_again", "cases_baseline")


def bench(db: str, args: argparse.Namespace) -> dict[str, float]:
    with scratch_database(db, PG_NAME) as url:
        python = str(ROOT / ".venv" / "bin" / "python")
        out = run_with(
            url,
            python,
            __file__,
            "--worker",
            *("--residents", str(args.residents), "--contacts", str(args.contacts)),
            *("--cases", str(args.cases)),
            *("--runs", str(args.runs), *(["--profile"] if args.profile else [])),
            env={"FANGKONG_TASKS_BACKEND": os.environ.get("FANGKONG_TASKS_BACKEND", IMMEDIATE)},
        )
        times: dict[str, float] = {}
        for line in out.splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[0] in STEPS:
                times[parts[0]] = float(parts[2])
                print(f"  {db:8} {line}", flush=True)
            elif args.profile:
                print(line)
        return times


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--residents", type=int, default=5_000)
    parser.add_argument("--contacts", type=int, default=30_000)
    parser.add_argument("--cases", type=int, default=2_000, help="0: no case benchmark")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", choices=("postgres", "sqlite", "both"), default="both")
    parser.add_argument("--profile", action="store_true", help="cProfile the first API request")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    if args.worker:
        worker(args.residents, args.contacts, args.cases, args.runs, args.profile)
        return
    dbs = ("postgres", "sqlite") if args.db == "both" else (args.db,)
    report = []
    for db in dbs:
        t = bench(db, args)
        report.append(
            f"{db:8} api {t['api']:6.2f} s   again {t['again']:6.2f} s"
            f"   filter {t['filter']:6.2f} s   baseline UPDATE {t['baseline']:6.3f} s"
            f"   ({args.contacts:,} contacts, best of {args.runs})"
        )
        if args.cases:
            report.append(
                f"{db:8} cases reclassified {t['cases']:6.2f} s   again {t['cases_again']:6.2f} s"
                f"   baseline UPDATE {t['cases_baseline']:6.3f} s   ({args.cases:,} cases)"
            )
    print()
    print("\n".join(report))


if __name__ == "__main__":
    main()
