"""Allocation benchmark: propose and confirm rooms for 10,000 people across a city's sites.

    .venv/bin/python bench/allocation.py                          # PostgreSQL and SQLite
    .venv/bin/python bench/allocation.py --people 2000 --db sqlite   # a quick run

For each database a scratch copy is made (PostgreSQL database `fk_alloc_bench`, or an SQLite
file in a temporary folder), migrated, and dropped afterwards. A worker process then builds the
city: the demo generator (`--residents`, default 30,000: households, key persons, coordinates
down to the unit), `--sites` quarantine sites (default 75) at communities spread over the city
with ~`--rooms` rooms in all (default 12,000; 85 % single, 12 % double, 3 % triple rooms, 3 %
accessible), all written with bulk inserts. It picks `--people` residents (whole households in
random order, default 10,000) and times, as the command centre's operator:

- propose: `quarantine.allocation.services.allocation_propose` — loading the people, their
  measures, stays and key-person needs, the free rooms and the sites, ranking the sites per home
  community, placing everyone by the profile's rules and saving the draft batch (target: under 2 s);
- confirm: `quarantine.allocation.services.allocation_confirm` — locking the rooms, re-checking
  them, writing the stays, measures (phases, test days), room statuses, one event per person and
  measure, the health-code recompute, in one transaction.

It checks that no room is booked twice and prints placed/unplaced counts with the times.
"""

import argparse
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path

from _scratch import run_with, scratch_database

ROOT = Path(__file__).resolve().parents[1]
PG_NAME = "fk_alloc_bench"
IMMEDIATE = "django.tasks.backends.immediate.ImmediateBackend"
SEED = 1


# The worker: runs inside Django on the scratch database ---------------------------------------


def _sites(count: int, rooms: int, rng: random.Random) -> int:
    """`count` sites at communities spread over the city, ~`rooms` rooms in all."""
    from fangkong.core.bulk import analyze
    from fangkong.places.models import Division, Level
    from fangkong.quarantine.models import Room, Site

    communities = list(
        Division.objects.filter(level=Level.COMMUNITY)
        .order_by("key")
        .values_list("id", "key", "name", "lat", "lon")
    )
    step = max(len(communities) / count, 1)
    chosen = [communities[int(i * step) % len(communities)] for i in range(count)]
    sites = Site.objects.bulk_create(
        Site(
            code=f"QS{i + 1:03d}",
            name=f"{name}隔离酒店{i + 1}",
            kind="hotel",
            division_id=pk,
            division_key=key,
            latitude=lat + rng.gauss(0, 0.003) if lat is not None else None,
            longitude=lon + rng.gauss(0, 0.003) if lon is not None else None,
        )
        for i, (pk, key, name, lat, lon) in enumerate(chosen)
    )
    weights = [rng.uniform(0.5, 1.5) for _ in sites]
    total = sum(weights)
    made: list[Room] = []
    for site, weight in zip(sites, weights, strict=True):
        size = max(int(rooms * weight / total), 20)
        per_floor = 20
        for n in range(size):
            floor, pos = 2 + n // per_floor, 1 + n % per_floor
            draw = rng.random()
            made.append(
                Room(
                    site=site,
                    building="A",
                    floor=floor,
                    number=f"{floor}{pos:02d}",
                    beds=1 if draw < 0.85 else (2 if draw < 0.97 else 3),
                    accessible=rng.random() < 0.03,
                    division_key=site.division_key,
                )
            )
    Room.objects.bulk_create(made, batch_size=5000)
    analyze(Site, Room)
    return len(made)


def _people(count: int, rng: random.Random) -> list[int]:
    """Whole households in random order until `count` people (children come with parents)."""
    from fangkong.people.models import Resident

    members: dict[object, list[int]] = {}
    for pid, household in Resident.objects.values_list("id", "household_id").order_by("id"):
        members.setdefault(household if household is not None else ("solo", pid), []).append(pid)
    groups = list(members.values())
    rng.shuffle(groups)
    out: list[int] = []
    for group in groups:
        if len(out) >= count:
            break
        out.extend(group[: count - len(out)])
    return out


def worker(residents: int, sites: int, rooms: int, people: int) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
    django.setup()
    from django.utils import timezone

    from fangkong.accounts.models import User
    from fangkong.demo.services import demo_generate
    from fangkong.policy.models import PolicyProfile
    from fangkong.quarantine.allocation import services as allocation_services
    from fangkong.quarantine.models import Stay

    rng = random.Random(SEED)
    started = time.perf_counter()
    demo_generate(residents=residents, seed=SEED, outbreak=False)
    PolicyProfile.objects.update(is_active=False)
    PolicyProfile.objects.filter(code="20-measures").update(is_active=True)
    made = _sites(sites, rooms, rng)
    chosen = _people(people, rng)
    print(f"setup {residents} {time.perf_counter() - started:.2f} rooms={made}", flush=True)
    operator = User.objects.get(username="command")
    anchor = timezone.localdate() - dt.timedelta(days=1)
    anchors = dict.fromkeys(chosen, anchor)

    started, cpu = time.perf_counter(), time.process_time()
    batch = allocation_services.allocation_propose(
        actor=operator, category="close_contact", people=anchors, source="bench"
    )
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"propose {len(chosen)} {seconds:.3f} cpu={cpu:.3f} placed={len(batch.plan)}"
        f" unplaced={len(batch.unplaced)} load={os.getloadavg()[0]:.1f}",
        flush=True,
    )
    started, cpu = time.perf_counter(), time.process_time()
    allocation_services.allocation_confirm(actor=operator, batch=batch)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    booked = list(Stay.objects.values_list("room_id", flat=True))
    print(
        f"confirm {len(batch.plan)} {seconds:.3f} cpu={cpu:.3f} stays={len(booked)}",
        flush=True,
    )
    rooms_with = {}
    for room in booked:
        rooms_with[room] = rooms_with.get(room, 0) + 1
    in_groups = sum(1 for line in batch.plan if rooms_with[line["room"]] > 1)
    print(f"check {len(booked)} 0 rooms={len(rooms_with)} sharing_households={in_groups}")
    assert len(booked) == len(batch.plan)


# The driver: scratch databases, one worker each -----------------------------------------------


def bench(db: str, args: argparse.Namespace) -> dict[str, float]:
    with scratch_database(db, PG_NAME) as url:
        python = str(ROOT / ".venv" / "bin" / "python")
        out = run_with(
            url,
            python,
            __file__,
            "--worker",
            *("--residents", str(args.residents), "--sites", str(args.sites)),
            *("--rooms", str(args.rooms), "--people", str(args.people)),
            env={"FANGKONG_TASKS_BACKEND": os.environ.get("FANGKONG_TASKS_BACKEND", IMMEDIATE)},
        )
        times: dict[str, float] = {}
        for line in out.splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[0] in ("setup", "propose", "confirm", "check"):
                times[parts[0]] = float(parts[2])
                print(f"  {db:8} {line}", flush=True)
        return times


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--residents", type=int, default=30_000)
    parser.add_argument("--sites", type=int, default=75)
    parser.add_argument("--rooms", type=int, default=12_000)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--db", choices=("postgres", "sqlite", "both"), default="both")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    if args.worker:
        worker(args.residents, args.sites, args.rooms, args.people)
        return
    dbs = ("postgres", "sqlite") if args.db == "both" else (args.db,)
    report = []
    for db in dbs:
        times = bench(db, args)
        report.append(
            f"{db:8} propose {times['propose']:6.2f} s   confirm {times['confirm']:6.2f} s"
            f"   ({args.people:,} people, {args.sites} sites, ~{args.rooms:,} rooms)"
        )
    print()
    print("\n".join(report))


if __name__ == "__main__":
    main()
