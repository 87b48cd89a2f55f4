"""Situation import benchmark: a city's line list (100 cases, 5,000 close and 30,000 secondary
contacts with their statuses, the 35,100 people they name, 10,000 of them under measures and
in quarantine rooms — 20 sites, 5,000 rooms, 10,000 stays — and 200 zones) imported end to
end.

    .venv/bin/python bench/situation_import.py                     # PostgreSQL and SQLite
    .venv/bin/python bench/situation_import.py --db sqlite --runs 1
    .venv/bin/python bench/situation_import.py --close 500 --secondary 3000   # a quick run

For each database a scratch copy is made, migrated and dropped afterwards (bench/_scratch.py).
A worker process builds a small demo city (`--residents`, no outbreak), a city-wide command
account and puts the 9th edition in force (it identifies secondary contacts), writes the line
list as CSV files (people, cases, contacts, measures, sites, rooms, stays, zones: Chinese
headers, times over the last five days, nine in ten people with a household code, half the
rooms without their beds, the rest left to the import's stated defaults) and times, `--runs`
times each (best and median):

- import: `read_files` → `situation_import`: reading the files, checking every row of every
  kind, the columnar writes, one audit event per fact and status change, the tally and the
  health codes of every person named (derived state), in one transaction — rolled back after
  each timed run but the last;
- again: the same files once more (idempotent: every row matched, nothing written);
- copy: a raw COPY (executemany on SQLite) of the same rows (people, cases, contacts,
  measures, sites, rooms, stays, zones) into their tables, no check, no plan, no audit, no
  derived state (rolled back): the floor.

It prints each time and the ratio import / copy.
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
from typing import Any

from _scratch import run_with, scratch_database

ROOT = Path(__file__).resolve().parents[1]
PG_NAME = "fk_situation_bench"
IMMEDIATE = "django.tasks.backends.immediate.ImmediateBackend"
SEED = 1
STATUSES = ("已管控", "已管控", "已管控", "已解除", "已找到", "已判定")


def _line_list(
    folder: Path, cases: int, close: int, secondary: int, stays: int, zones: int
) -> dict[str, Path]:
    """The CSV files of the line list; returns kind → path."""
    from django.utils import timezone

    from fangkong.people.idnumber import make_id_number
    from fangkong.places.models import Division, Level

    community = Division.objects.filter(level=Level.COMMUNITY).order_by("key").first()
    assert community is not None
    region = community.key[:6]
    now = timezone.localtime()
    start = now - dt.timedelta(days=5)
    numbers = iter(
        make_id_number(region, dt.date(1950, 1, 1) + dt.timedelta(days=d), seq, "MF"[seq % 2])
        for d in range(0, 20_000, 7)
        for seq in range(500)
    )

    def moment(minutes: float) -> str:
        return (start + dt.timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M")

    people, case_rows, contact_rows = [], [], []
    measure_rows: list[list[str]] = []
    stay_rows: list[list[str]] = []
    span = 5 * 24 * 60 - 120  # minutes: every fact within the last five days, before now

    sites = max(1, stays // 500)
    site_rows = [
        [f"BS-{i:02d}", f"隔离点{i}", "酒店", region, moment(-600), "2"] for i in range(sites)
    ]
    room_rows = [
        [f"BS-{r % sites:02d}", "A", f"{r // sites + 101}", "" if r % 2 else "2"]
        for r in range((stays + 1) // 2)
    ]

    def stay(number: str, category: str, identified: float) -> None:
        if len(stay_rows) >= stays:
            return
        r = len(stay_rows) // 2  # two people a room
        came = identified + 60
        left = came + 720 if len(stay_rows) % 5 == 0 and came + 720 < span else None
        measure_rows.append([number, category, moment(identified + 30), ""])
        stay_rows.append(
            [
                number,
                room_rows[r][0],
                "A",
                room_rows[r][2],
                moment(came),
                moment(left) if left is not None else "",
            ]
        )

    def person(n: int, household: str) -> str:
        number = next(numbers)
        people.append([number, f"人员{n}", "", community.code, f"{n // 3}号院", household])
        return number

    per_case, per_close = close // cases, secondary // close
    for c in range(cases):
        registered = span * c / cases / 2
        index = person(len(people), f"BH-{c}")
        case_rows.append(
            [
                f"BC-{c:04d}",
                index,
                "确诊" if c % 3 else "无症状",
                moment(registered - 1440)[:10],
                moment(registered),
                "已转运" if c % 2 else "",
                "定点医院" if c % 2 else "",
                "定点医院一" if c % 2 else "",
                moment(registered + 120) if c % 2 else "",
            ]
        )
        for k in range(per_case):
            n = len(people)
            household = f"BH-{c}-{k}" if n % 10 else ""
            close_number = person(n, household)
            identified = registered + 60 + k % 600
            status = STATUSES[n % len(STATUSES)]
            contact_rows.append(
                [
                    f"BC-{c:04d}",
                    close_number,
                    "密接",
                    "",
                    moment(identified)[:10],
                    moment(identified),
                    status,
                    moment(identified + 90),
                ]
            )
            stay(close_number, "密接", identified)
            for s in range(per_close):
                m = len(people)
                number = person(m, f"BH-{c}-{k}-{s}" if m % 10 else "")
                at = identified + 30 + s
                status = STATUSES[m % len(STATUSES)]
                contact_rows.append(
                    [
                        f"BC-{c:04d}",
                        number,
                        "次密接",
                        close_number,
                        "",
                        moment(at),
                        status,
                        moment(at + 60),
                    ]
                )
                if s % 3 == 0:
                    stay(number, "次密接", at)
    places = Division.objects.filter(level__in=(Level.BUILDING, Level.UNIT)).order_by("key")
    zone_rows = [
        [
            d.code,
            "高风险区" if i % 2 else "中风险区",
            moment(span * i / max(zones, 1) / 2),
            moment(span * i / max(zones, 1) / 2 + 1440) if i % 4 == 0 else "",
        ]
        for i, d in enumerate(places[:zones])
    ]
    headers = {
        "measures": ["身份证号", "管控类别", "开始时间", "起算日期"],
        "sites": ["隔离点编码", "隔离点名称", "隔离点类型", "所在地编码", "启用时间", "每间床位数"],
        "rooms": ["隔离点编码", "楼栋", "房间号", "床位数"],
        "stays": ["身份证号", "隔离点编码", "楼栋", "房间号", "入住时间", "离开时间"],
        "zones": ["区域编码", "风险等级", "划定时间", "解除时间"],
        "people": ["身份证号", "姓名", "手机号", "所在地编码", "住址", "户编号"],
        "cases": [
            "病例编号",
            "身份证号",
            "病例分类",
            "采样日期",
            "登记时间",
            "病例状态",
            "转运去向",
            "收治医院",
            "转运时间",
        ],
        "contacts": [
            "病例编号",
            "身份证号",
            "类别",
            "经由密接身份证号",
            "末次接触日期",
            "判定时间",
            "当前状态",
            "状态时间",
        ],
    }
    paths = {}
    for kind, rows in (
        ("people", people),
        ("cases", case_rows),
        ("contacts", contact_rows),
        ("measures", measure_rows),
        ("sites", site_rows),
        ("rooms", room_rows),
        ("stays", stay_rows),
        ("zones", zone_rows),
    ):
        path = folder / f"{kind}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(headers[kind])
            writer.writerows(rows)
        paths[kind] = path
    return paths


def _raw_copy(paths: dict[str, Path]) -> int:
    """COPY the same rows into their tables, nothing else (the caller rolls back)."""
    from django.utils import timezone

    from fangkong.command.situation.people import RESIDENT_FIELDS
    from fangkong.core.bulk import copy_rows
    from fangkong.epi.contacts.services import CONTACT_FIELDS
    from fangkong.epi.models import Case, Contact
    from fangkong.people.models import Resident
    from fangkong.places.models import Division

    now = timezone.now()
    place = Division.objects.get(code=_code(paths))
    with paths["people"].open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))[1:]
    # the same people under other numbers (the imported ones are kept from the last run)
    count = copy_rows(
        Resident,
        RESIDENT_FIELDS,
        (
            (
                "R" + r[0][1:],
                r[1],
                "",
                "",
                "M",
                dt.date(1980, 1, 1),
                "",
                None,
                "",
                place.pk,
                place.key,
                now,
                now,
            )
            for r in rows
        ),
    )
    raw = Resident.objects.filter(id_number__startswith="R").order_by("id")
    person_pks = list(raw.values_list("pk", flat=True))
    with paths["cases"].open(encoding="utf-8") as fh:
        cases = list(csv.reader(fh))[1:]
    count += copy_rows(
        Case,
        (
            "number",
            "person",
            "kind",
            "found_by",
            "found_where",
            "sampled_on",
            "reported_on",
            "status",
            "destination",
            "destination_name",
            "registered_at",
            "division_key",
            "created_at",
        ),
        (
            (
                r[0] + "-raw",
                person_pks[i],
                "confirmed",
                "community_screening",
                "community",
                dt.date.fromisoformat(r[3]),
                dt.date.fromisoformat(r[3]),
                "reported",
                "",
                "",
                now,
                place.key,
                now,
            )
            for i, r in enumerate(cases)
        ),
    )
    case_pk = Case.objects.filter(number__endswith="-raw").values_list("pk", flat=True).first()
    with paths["contacts"].open(encoding="utf-8") as fh:
        contacts = list(csv.reader(fh))[1:]
    count += copy_rows(
        Contact,
        CONTACT_FIELDS,
        (
            (
                case_pk,
                person_pks[len(cases) + i],
                "close" if r[2] == "密接" else "secondary",
                None,
                "other",
                None,
                None,
                None,
                now.date(),
                None,
                "identified",
                "",
                place.key,
                now,
                now,
            )
            for i, r in enumerate(contacts)
        ),
    )
    count += _raw_quarantine(paths, person_pks[len(cases) :], place, now)
    return count


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.reader(fh))[1:]


def _raw_quarantine(paths: dict[str, Path], person_pks: list[int], place: Any, now: Any) -> int:
    """The measures, sites, rooms, stays and zones rows, copied as they are."""
    from django.utils import timezone
    from django.utils.dateparse import parse_datetime

    from fangkong.command.situation.stays import STAY_FIELDS
    from fangkong.quarantine.measures.services import insert_rows  # copy_rows, defaults filled
    from fangkong.quarantine.models import Measure, Room, Site, Stay
    from fangkong.zones.models import Zone

    def when(text: str) -> dt.datetime | None:
        moment = parse_datetime(text) if text else None
        return timezone.make_aware(moment) if moment is not None else None

    count = 0
    measures, stays = _rows(paths["measures"]), _rows(paths["stays"])
    count += insert_rows(
        Measure,
        (
            "person",
            "category",
            "anchor_on",
            "starts_on",
            "ends_on",
            "status",
            "profile_code",
            "profile_version",
            "source",
            "note",
            "division_key",
            "started_at",
            "created_at",
        ),
        (
            (
                person_pks[i],
                "close_contact",
                now.date(),
                now.date(),
                now.date(),
                "released",
                "raw",
                1,
                "",
                "",
                place.key,
                when(r[2]),
                now,
            )
            for i, r in enumerate(measures)
        ),
    )
    count += insert_rows(
        Site,
        (
            "code",
            "name",
            "kind",
            "address",
            "division",
            "phone",
            "active",
            "division_key",
            "opened_at",
            "created_at",
        ),
        (
            ("R" + r[0], r[1], "hotel", "", place.pk, "", True, place.key, when(r[4]), now)
            for r in _rows(paths["sites"])
        ),
    )
    site = Site.objects.filter(code__startswith="R").values_list("pk", flat=True).first()
    count += insert_rows(
        Room,
        ("site", "building", "floor", "number", "beds", "accessible", "status", "division_key"),
        ((site, r[0], 1, r[2], 2, False, "available", place.key) for r in _rows(paths["rooms"])),
    )
    room = Room.objects.filter(site_id=site).values_list("pk", flat=True).first()
    count += insert_rows(
        Stay,
        STAY_FIELDS,
        (
            (person_pks[i], None, room, site, "released", when(r[4]), when(r[4]), now, place.key)
            for i, r in enumerate(stays)
        ),
    )
    count += insert_rows(
        Zone,
        (
            "name",
            "level",
            "status",
            "started_at",
            "level_since",
            "reason",
            "profile_code",
            "profile_version",
            "people",
            "division_key",
            "created_at",
        ),
        (
            (r[0], "high", "active", when(r[2]), when(r[2]), "raw", "raw", 1, 0, place.key, now)
            for r in _rows(paths["zones"])
        ),
    )
    return count


def _code(paths: dict[str, Path]) -> str:
    with paths["people"].open(encoding="utf-8") as fh:
        return list(csv.reader(fh))[1][3]


def _timed(step: str, count: int, seconds: list[float]) -> float:
    print(
        f"{step} {count} {min(seconds):.3f} median={statistics.median(seconds):.3f}"
        f" load={os.getloadavg()[0]:.1f}",
        flush=True,
    )
    return min(seconds)


class Rollback(Exception):
    pass


def worker(args: argparse.Namespace) -> None:
    residents, cases, runs = args.residents, args.cases, args.runs
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
    django.setup()
    # Imported here: this module is also the driver, which runs without Django; models load
    # only after django.setup().
    from django.db import transaction

    from fangkong.accounts.models import User
    from fangkong.command.situation.services import read_files, situation_import
    from fangkong.demo.services import demo_generate
    from fangkong.places.models import Division
    from fangkong.policy.models import PolicyProfile
    from fangkong.policy.services import profile_activate

    started = time.perf_counter()
    demo_generate(residents=residents, seed=SEED, outbreak=False)
    city = Division.objects.get(parent=None)
    user = User.objects.create_user(
        username="bench_command", password="x", role="command", jurisdiction=city
    )
    ninth = PolicyProfile.objects.get(code="9th-edition")  # identifies secondary contacts
    profile_activate(profile=ninth, actor=user, reason="bench")
    folder = Path(tempfile.mkdtemp(prefix="situation_bench_"))
    paths = _line_list(folder, cases, args.close, args.secondary, args.stays, args.zones)
    rows = sum(len(p.read_text(encoding="utf-8").splitlines()) - 1 for p in paths.values())
    print(f"setup {rows} {time.perf_counter() - started:.2f}", flush=True)
    files = {kind: (path, path.name) for kind, path in paths.items()}

    def once(keep: bool) -> float:
        began = time.perf_counter()
        try:
            with transaction.atomic():
                result = situation_import(actor=user, result=read_files(files))
                assert result.written, result.errors[:5]
                took = time.perf_counter() - began
                if not keep:
                    raise Rollback
        except Rollback:
            pass
        return took

    if os.environ.get("SITUATION_BENCH_PROFILE"):
        import cProfile
        import pstats

        with cProfile.Profile() as prof:
            once(keep=False)
        lines = int(os.environ.get("SITUATION_BENCH_PROFILE_LINES", "45"))
        pstats.Stats(prof).sort_stats("cumulative").print_stats(lines)
    seconds = [once(keep=False) for _ in range(runs - 1)] + [once(keep=True)]
    _timed("import", rows, seconds)
    again = []
    for _ in range(runs):
        began = time.perf_counter()
        result = situation_import(actor=user, result=read_files(files))
        assert result.written and not sum(result.found.new.values())
        again.append(time.perf_counter() - began)
    _timed("again", rows, again)
    copies = []
    for _ in range(runs):
        try:
            with transaction.atomic():
                began = time.perf_counter()
                _raw_copy(paths)
                copies.append(time.perf_counter() - began)
                raise Rollback
        except Rollback:
            pass
    _timed("copy", rows, copies)


# The driver: scratch databases, one worker each -----------------------------------------------

STEPS = ("setup", "import", "again", "copy")


def bench(db: str, args: argparse.Namespace) -> dict[str, float]:
    with scratch_database(db, PG_NAME) as url:
        python = str(ROOT / ".venv" / "bin" / "python")
        out = run_with(
            url,
            python,
            __file__,
            "--worker",
            *("--residents", str(args.residents), "--cases", str(args.cases)),
            *("--close", str(args.close), "--secondary", str(args.secondary)),
            *("--stays", str(args.stays), "--zones", str(args.zones)),
            *("--runs", str(args.runs)),
            env={"FANGKONG_TASKS_BACKEND": os.environ.get("FANGKONG_TASKS_BACKEND", IMMEDIATE)},
        )
        times: dict[str, float] = {}
        for line in out.splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[0] in STEPS:
                times[parts[0]] = float(parts[2])
                print(f"  {db:8} {line}", flush=True)
        return times


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--residents", type=int, default=2_000)
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--close", type=int, default=5_000)
    parser.add_argument("--secondary", type=int, default=30_000)
    parser.add_argument("--stays", type=int, default=10_000)
    parser.add_argument("--zones", type=int, default=200)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--db", choices=("postgres", "sqlite", "both"), default="both")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    if args.worker:
        worker(args)
        return
    dbs = ("postgres", "sqlite") if args.db == "both" else (args.db,)
    report = []
    for db in dbs:
        t = bench(db, args)
        report.append(
            f"{db:8} import {t['import']:6.2f} s   again {t['again']:6.2f} s"
            f"   raw COPY {t['copy']:6.3f} s   ratio {t['import'] / t['copy']:5.1f}×"
            f"   ({args.cases} cases, {args.close:,} close, {args.secondary:,} secondary,"
            f" {args.stays:,} stays, {args.zones} zones, best of {args.runs})"
        )
    print()
    print("\n".join(report))


if __name__ == "__main__":
    main()
