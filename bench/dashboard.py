"""Command-dashboard benchmark: a city at scale, then p50/p95 of the dashboard, the daily
report and a 100k-row export.

    .venv/bin/python bench/dashboard.py                        # 10M residents, PostgreSQL
    .venv/bin/python bench/dashboard.py --residents 1000000    # the 1M demo city
    .venv/bin/python bench/dashboard.py --residents 100000 --db sqlite   # a quick run
    .venv/bin/python bench/dashboard.py --keep --url postgres://…/fk_dash  # reuse a loaded city

Steps (each a subprocess on the scratch database, so settings never leak):

1. `fangkong migrate`, `fangkong demo --residents N --no-outbreak --as-of 2022-05-07`
   (the synthetic city: divisions, households, residents, venues);
2. load (this script, `--step load`): with COPY, in the issue's proportions — 1 case per
   100 residents and 1 contact per 10 (1 close : 5 secondary, as in 许昌), over the 30 days to
   7 May 2022, with audit events for contact status changes (about one in eight changes
   after the cut-off) and case transfers; quarantine sites (1 per 60,000 residents, 160 rooms
   each), a stay and a control measure per close contact; one city-wide testing round with
   `--sampled` of the residents in 10-in-1 tubes;
3. `fangkong tally_rebuild`: the command figures' running counts (fangkong.tally) from the
   rows just loaded, as after any bulk load (the services keep them up to date otherwise);
4. measure (`--step measure`): Django's test client, logged in as the demo command user
   (whole city) and a district user, requests the dashboard (now, as of 8:00 on 7 May, and
   as of 16:30 on 6 May: within an hour, in the outbreak),
   the daily report for 7 May, the round-coverage panel, the API, the contacts export
   (capped at 100,000 rows; CSV and XLSX) and the report PDF. Prints p50/p95, the number of
   queries of each, the rows exported and the load average (the machine is shared).

The scratch database is dropped afterwards unless `--keep` (then reuse it with `--url`; a
city loaded before the tally existed needs `fangkong migrate` and `fangkong tally_rebuild`
first, or `--url … --rebuild`).
"""

import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_SERVER = os.environ.get("FANGKONG_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
AS_OF = dt.date(2022, 5, 7)
SEED = 7


# Load -----------------------------------------------------------------------------------------


def _load(sampled_share: float) -> None:
    import zoneinfo

    from django.conf import settings
    from django.db import connection, transaction

    from fangkong.accounts.models import User
    from fangkong.audit.models import Event
    from fangkong.audit.services import EVENT_FIELDS, EventRow
    from fangkong.core.bulk import analyze, copy_rows, reset_sequence
    from fangkong.epi.models import Case, Contact
    from fangkong.lab.models import TestingRound, Tube, TubeMember
    from fangkong.people.models import Resident
    from fangkong.places.models import Division, Level
    from fangkong.quarantine.models import Measure, Room, Site, Stay

    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    rng = random.Random(SEED)
    cut_off = dt.datetime.combine(AS_OF, dt.time(8), tz)
    started = time.perf_counter()
    command = User.objects.get(username="command")
    city = Division.objects.get(level=Level.CITY)
    district = Division.objects.filter(level=Level.DISTRICT).order_by("key").first()
    assert district is not None
    if not User.objects.filter(username="bench_district").exists():
        User.objects.create_user(
            username="bench_district", password="x", role="command", jurisdiction=district
        )
    streets = list(Division.objects.filter(level=Level.STREET).order_by("key"))
    cases: list[tuple[object, ...]] = []
    contacts: list[tuple[object, ...]] = []
    events: list[tuple[object, ...]] = []
    stays: list[tuple[object, ...]] = []
    measures: list[tuple[object, ...]] = []
    tubes: list[tuple[object, ...]] = []
    members: list[tuple[object, ...]] = []
    counts = {"cases": 0, "contacts": 0, "events": 0, "stays": 0, "members": 0}

    def event(when, action, kind, oid, person, key, field, old, new):
        events.append(
            EventRow(
                at=when, actor=command.pk, actor_name="command", action=action,
                object_type=kind, object_id=str(oid), person_id=person, division_key=key,
                field=field, from_value=old, to_value=new,
            )
        )  # fmt: skip

    def flush(final: bool = False) -> None:
        if len(contacts) < 50_000 and not final:
            return
        counts["cases"] += copy_rows(Case, CASE_FIELDS, cases)
        counts["contacts"] += copy_rows(Contact, CONTACT_FIELDS, contacts)
        counts["events"] += copy_rows(Event, EVENT_FIELDS, events)
        counts["stays"] += copy_rows(Stay, STAY_FIELDS, stays)
        copy_rows(Measure, MEASURE_FIELDS, measures)
        copy_rows(Tube, TUBE_FIELDS, tubes)
        counts["members"] += copy_rows(TubeMember, MEMBER_FIELDS, members)
        for buffer in (cases, contacts, events, stays, measures, tubes, members):
            buffer.clear()

    with transaction.atomic():
        sites, rooms = _sites(streets, Site, Room, copy_rows)
        the_round = TestingRound.objects.create(
            name="全市第五轮", area=city, division_key=city.key, pool_size=10, reason="全员核酸",
            starts_at=cut_off - dt.timedelta(hours=24), deadline=cut_off + dt.timedelta(hours=24),
            created_by=command,
        )  # fmt: skip
        TestingRound.objects.filter(pk=the_round.pk).update(
            created_at=cut_off - dt.timedelta(hours=30)
        )
        case_id = contact_id = stay_id = tube_id = 0
        case: tuple | None = None
        close_id = None
        tube_fill = 0
        connection.ensure_connection()
        server_side = connection.vendor == "postgresql"  # stream 10M rows, not load them
        raw = connection.connection.cursor(name="residents") if server_side else None
        with raw or connection.cursor() as cursor:
            table = connection.ops.quote_name(Resident._meta.db_table)
            cursor.execute(f"SELECT id, division_key FROM {table} ORDER BY id")
            index = 0
            while batch := cursor.fetchmany(20_000):
                for person, key in batch:
                    index += 1
                    if rng.random() < sampled_share:
                        if tube_fill == 0:
                            tube_id += 1
                            when = cut_off - dt.timedelta(minutes=rng.randint(10, 23 * 60))
                            tubes.append((tube_id, f"B{tube_id:09d}", 10, "round", the_round.pk,
                                          "collected", when, key[:9]))  # fmt: skip
                        members.append((tube_id, person, the_round.pk, when, key))
                        tube_fill = (tube_fill + 1) % 10
                    if index % 100 == 50:
                        case_id += 1
                        case = _case(case_id, person, key, rng, tz)
                        cases.append(case)
                        transferred = case[12]
                        if transferred:
                            event(transferred, "case.transferred", "epi.case", case_id, person,
                                  key, "status", "reported", "transferred")  # fmt: skip
                        close_id = None
                        continue
                    if index % 10 != 3 or case is None:
                        continue
                    contact_id += 1
                    degree = "close" if close_id is None or (index // 10) % 6 == 0 else "secondary"
                    made = case[-1] + dt.timedelta(hours=6)
                    status, changes = _contact_story(made, rng, tz)
                    contacts.append(
                        (contact_id, case[0], person, degree,
                         close_id if degree == "secondary" else None, "household",
                         made.date(), status, "", key, made)
                    )  # fmt: skip
                    for when, old, new in changes:
                        event(when, "contact.status_changed", "epi.contact", contact_id, person,
                              key, "status", old, new)  # fmt: skip
                    if degree == "close":
                        close_id = contact_id
                        stay_id += 1
                        site_id, room_id, site_key = rooms[stay_id % len(rooms)]
                        stays.append(_stay(stay_id, person, site_id, room_id, site_key, made, rng))
                        measures.append(_measure_row(person, key, made, tz))
                flush()
        flush(final=True)
        for model in (Case, Contact, Stay, Tube, TubeMember, Measure, Event):
            reset_sequence(model)
    analyze(Case, Contact, Event, Stay, Site, Room, Measure, Tube, TubeMember)
    print(
        f"loaded {counts['cases']:,} cases, {counts['contacts']:,} contacts, "
        f"{counts['events']:,} events, {len(sites):,} sites, {len(rooms):,} rooms, "
        f"{counts['stays']:,} stays, {counts['members']:,} people sampled "
        f"in {time.perf_counter() - started:.0f} s",
        flush=True,
    )


CASE_FIELDS = [
    "id", "number", "person", "kind", "found_by", "found_where", "sampled_on", "onset_on",
    "reported_on", "status", "destination", "destination_name", "transferred_at",
    "division_key", "created_at",
]  # fmt: skip
CONTACT_FIELDS = [
    "id", "case", "person", "degree", "via", "relation", "last_exposure_on", "status", "note",
    "division_key", "created_at",
]  # fmt: skip
STAY_FIELDS = [
    "id", "person", "room", "site", "status", "allocated_at", "checked_in_at", "checked_out_at",
    "division_key",
]  # fmt: skip
MEASURE_FIELDS = [
    "person", "category", "anchor_on", "starts_on", "ends_on", "status", "profile_code",
    "profile_version", "division_key", "created_at", "closed_at", "source", "note",
    "close_reason", "certificate_number",
]  # fmt: skip
TUBE_FIELDS = [
    "id", "barcode", "capacity", "purpose", "round", "status", "collected_at", "division_key"
]  # fmt: skip
MEMBER_FIELDS = ["tube", "person", "round", "sampled_at", "division_key"]


def _case(case_id: int, person: int, key: str, rng: random.Random, tz) -> tuple:
    day = AS_OF - dt.timedelta(days=rng.randint(0, 29))
    created = dt.datetime.combine(day, dt.time(12), tz)
    confirmed = rng.random() < 0.4
    sampled = day - dt.timedelta(days=rng.randint(0, 1))
    onset = sampled - dt.timedelta(days=rng.randint(0, 2)) if confirmed else None
    transferred = created + dt.timedelta(hours=rng.randint(2, 30)) if rng.random() < 0.95 else None
    return (
        case_id, f"{key[:4]}-2022-{case_id:06d}", person,
        "confirmed" if confirmed else "asymptomatic", "community_screening",
        "quarantine" if rng.random() < 0.2 else "community", sampled, onset, day,
        "transferred" if transferred else "reported",
        "designated_hospital" if transferred else "", "定点医院" if transferred else "",
        transferred, key, created,
    )  # fmt: skip


def _contact_story(made: dt.datetime, rng: random.Random, tz) -> tuple[str, list]:
    """identified → under control (½ a day later) → released (7 days later), up to 2 days
    after the cut-off; a few are still being located."""
    until = dt.datetime.combine(AS_OF + dt.timedelta(days=2), dt.time(8), tz)
    if rng.random() < 0.05:
        return "located", []
    controlled = made + dt.timedelta(hours=rng.randint(2, 20))
    if controlled > until:
        return "identified", []
    released = controlled + dt.timedelta(days=7)
    if released > until:
        return "under_control", [(controlled, "Identified", "Under control")]
    return "released", [
        (controlled, "Identified", "Under control"),
        (released, "已管控", "已解除"),
    ]


def _stay(stay_id, person, site_id, room_id, site_key, made, rng) -> tuple:
    checked_in = made + dt.timedelta(hours=rng.randint(4, 20))
    checked_out = checked_in + dt.timedelta(days=7)
    done = checked_out <= dt.datetime.now(dt.UTC) and rng.random() < 0.999
    return (
        stay_id, person, room_id, site_id, "released" if done else "in", made, checked_in,
        checked_out if done else None, site_key,
    )  # fmt: skip


def _measure_row(person, key, made, tz) -> tuple:
    starts = made.date()
    ends = starts + dt.timedelta(days=9)
    closed = dt.datetime.combine(ends + dt.timedelta(days=1), dt.time(9), tz)
    return (
        person, "close_contact", starts, starts, ends, "released", "9th-edition", 1, key, made,
        closed, "", "", "", "",
    )  # fmt: skip


def _sites(streets, Site, Room, copy_rows) -> tuple[list, list]:
    """1 site per 60,000 residents (许昌: 74 for 4.4M), 160 single rooms each, on streets."""
    from fangkong.people.models import Resident

    wanted = max(2, Resident.objects.count() // 60_000)
    sites = []
    for i in range(wanted):
        street = streets[i * len(streets) // wanted]
        sites.append(
            Site.objects.create(
                code=f"Q{i:04d}",
                name=f"{street.name}隔离点{i}",
                kind="hotel",
                division=street,
                division_key=street.key,
            )
        )
    Site.objects.update(created_at=dt.datetime(2022, 4, 1, tzinfo=dt.UTC))
    copy_rows(
        Room,
        ["site", "building", "floor", "number", "beds", "accessible", "status", "division_key"],
        (
            (s.pk, "A", 1 + n // 20, f"{1 + n // 20}{n % 20:02d}", 1, False, "occupied",
             s.division_key)
            for s in sites
            for n in range(160)
        ),
    )  # fmt: skip
    rooms = list(Room.objects.values_list("site_id", "id", "division_key").order_by("id"))
    return sites, rooms


# Measure --------------------------------------------------------------------------------------


def _timed(
    client, url: str, params: dict, runs: int, warm: int
) -> tuple[list[float], int, int | None]:
    """Milliseconds of each run after `warm` warm-up requests; queries; rows of an export."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    queries = 0
    rows = None
    for i in range(runs + warm):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(url, params)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (url, response.status_code)
        if i >= warm:
            times.append(elapsed)
        queries = len(ctx.captured_queries)
        if "X-Row-Count" in response:
            rows = int(response["X-Row-Count"])
        elif response.get("Content-Type", "").startswith("text/csv"):
            rows = body.count(b"\n") - 1  # the header aside
    return times, queries, rows


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q * len(ordered) + 0.5) - 1))]


def _measure(runs: int) -> None:
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    from fangkong.accounts.models import User

    settings.EXPORT_MAX_ROWS = 100_000
    settings.DEBUG = False
    from fangkong.epi.models import Case
    from fangkong.tally.models import Tally

    if Case.objects.exists() and not Tally.objects.exists():
        print("!! the tally is empty: run `fangkong tally_rebuild` (or --rebuild)", flush=True)
    day = {"day": AS_OF.isoformat(), "hour": "8"}
    morning = {"as_of": f"{AS_OF.isoformat()}T08:00:00"}
    # Within an hour, in the outbreak: the rows changed since 16:00 (and a day before) too.
    afternoon = {"as_of": f"{(AS_OF - dt.timedelta(days=1)).isoformat()}T16:30:00"}
    export = reverse("command:export", args=["contacts", "csv"])
    xlsx = reverse("command:export", args=["contacts", "xlsx"])
    plan = [
        ("command", "dashboard now", reverse("command:dashboard"), {}, runs, 2),
        ("command", "dashboard 8:00 7 May", reverse("command:dashboard"), morning, runs, 2),
        ("command", "dashboard 16:30 6 May", reverse("command:dashboard"), afternoon, runs, 2),
        ("command", "report 7 May", reverse("command:report"), day, runs, 2),
        ("bench_district", "district dashboard", reverse("command:dashboard"), {}, runs, 2),
        ("bench_district", "district report", reverse("command:report"), day, runs, 2),
        ("command", "round coverage panel", reverse("command:rounds"), {}, 3, 1),
        ("command", "API situation", "/api/command/situation", {}, 3, 1),
        ("command", "export contacts CSV", export, {}, 3, 0),
        ("command", "export contacts XLSX", xlsx, {}, 2, 0),
        ("command", "report PDF", reverse("command:report_pdf"), day, 3, 1),
    ]
    clients: dict[str, Client] = {}
    print(
        f"{'request':<24} {'user':<15} {'runs':>4} {'p50 ms':>9} {'p95 ms':>9} {'queries':>8} "
        f"{'rows':>8}"
    )
    for username, label, url, params, n, warm in plan:
        if username not in clients:
            clients[username] = Client()
            clients[username].force_login(User.objects.get(username=username))
        times, queries, rows = _timed(clients[username], url, params, n, warm)
        print(
            f"{label:<24} {username:<15} {n:>4} {statistics.median(times):>9.0f} "
            f"{_pct(times, 0.95):>9.0f} {queries:>8} {rows if rows is not None else '':>8}",
            flush=True,
        )
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)


# Orchestration --------------------------------------------------------------------------------


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
    os.environ.setdefault("FANGKONG_SECRET_KEY", "bench-only-not-a-secret")  # signs sessions
    import django

    django.setup()


def _run(url: str, *args: str) -> None:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "fangkong.settings"}
    subprocess.run(args, env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--residents", type=int, default=10_000_000)
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--url", help="use this database (already loaded unless --load)")
    parser.add_argument("--load", action="store_true", help="with --url: build the city first")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument(
        "--rebuild", action="store_true", help="with --url: migrate and rebuild the tally first"
    )
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--sampled", type=float, default=0.3, help="share tested in the round")
    parser.add_argument("--step", choices=["load", "measure"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        _django()
        _load(args.sampled) if args.step == "load" else _measure(args.runs)
        return
    python = str(ROOT / ".venv" / "bin" / "python")
    fangkong = str(ROOT / ".venv" / "bin" / "fangkong")
    url, scratch = args.url, None
    if url is None:
        scratch = f"fk_dash_{args.residents}"
        if args.db == "postgres":
            import psycopg

            with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
                conn.execute(f'CREATE DATABASE "{scratch}"')
            url = f"{PG_SERVER}/{scratch}"
        else:
            path = Path(f"/tmp/{scratch}.sqlite3")
            path.unlink(missing_ok=True)
            url = f"sqlite:///{path}"
    try:
        if scratch or args.load:
            started = time.perf_counter()
            _run(url, fangkong, "migrate", "-v", "0")
            _run(url, fangkong, "demo", "--residents", str(args.residents), "--no-outbreak",
                 "--as-of", AS_OF.isoformat(), "--replace")  # fmt: skip
            print(f"demo city: {time.perf_counter() - started:.0f} s", flush=True)
            _run(url, python, __file__, "--step", "load", "--sampled", str(args.sampled))
        if scratch or args.load or args.rebuild:
            started = time.perf_counter()
            if args.rebuild:
                _run(url, fangkong, "migrate", "-v", "0")
            _run(url, fangkong, "tally_rebuild")
            print(f"tally rebuilt in {time.perf_counter() - started:.0f} s", flush=True)
        _run(url, python, __file__, "--step", "measure", "--runs", str(args.runs))
    finally:
        if scratch and not args.keep:
            if args.db == "postgres":
                import psycopg

                with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
            else:
                Path(f"/tmp/{scratch}.sqlite3").unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
