"""Contact-finding benchmark: the project's engine against DuckDB SQL and Polars.

    .venv/bin/python bench/contacts.py                  # 1M people × 14 days (~56M check-ins)
    .venv/bin/python bench/contacts.py --people 100000  # a quick run

A synthetic check-in log (households, workplaces, shops, restaurants and a few large venues)
is generated with NumPy; 100 index cases are drawn with the policy's look-back window
(4 days before the index date up to the day after it). Each engine finds the close contacts
(any overlap at the same venue) and the secondary contacts (an overlap of at least
--secondary-min-minutes with a close contact, from that contact's exposure to the case's
isolation: shared home, enclosed workplace, meals). Team sizes, visit rates and stay lengths
are set so that 100 cases find about 5,000 close and 25,000 secondary contacts, the 许昌
proportions (105 infections, 5,431 close, 27,526 secondary). Each engine runs in a forked
child so its peak memory is its own; all three must return the same people. Times are the
best of several runs; the project's first call (Numba compiling its kernels, or loading them
from its cache) is reported apart.

Needs the `dev` extra (duckdb, polars).
"""

import argparse
import os
import pickle
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from fangkong.epi.finding import engine as finder

DAY = 86_400
HOUR = 3_600
MINUTE = 60
START = finder.EPOCH + 800 * DAY  # some Monday in 2022
LOOKBACK_DAYS = 4  # the shipped profiles' look-back (bench data, not business code)


# Generation ---------------------------------------------------------------------------------


def _groups(rng: np.random.Generator, n: int, sizes: list[int], probs: list[float]) -> Any:
    """Assign n people to consecutive groups with the given size distribution; group per person."""
    draws = rng.choice(sizes, size=n // min(sizes) + 1, p=probs)
    ends = np.cumsum(draws)
    count = int(np.searchsorted(ends, n)) + 1
    group = np.repeat(np.arange(count), draws[:count])[:n]
    return group, count


def _stays(
    rng: np.random.Generator,
    people: Any,
    days: int,
    rate: float,
    start_h: tuple[float, float],
    minutes: tuple[float, float],
) -> tuple[Any, Any, Any]:
    """Poisson(rate) visits per person-day: (person, t_in, t_out)."""
    n = len(people)
    counts = rng.poisson(rate, size=n * days)
    who = np.repeat(np.tile(people, days), counts)
    day = np.repeat(np.repeat(np.arange(days), n), counts)
    t_in = START + day * DAY + (rng.uniform(*start_h, size=len(who)) * HOUR).astype(np.int64)
    t_out = t_in + (rng.uniform(*minutes, size=len(who)) * MINUTE).astype(np.int64)
    return who, t_in, t_out


def generate(people: int, days: int, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    everyone = np.arange(people, dtype=np.int64)
    parts: list[tuple[Any, Any, Any, Any]] = []
    next_venue = 0

    # Home: every evening to the next morning, with the household.
    home, n_homes = _groups(rng, people, [1, 2, 3, 4, 5], [0.15, 0.3, 0.3, 0.17, 0.08])
    who = np.tile(everyone, days)
    day = np.repeat(np.arange(days), people)
    t_in = START + day * DAY + (rng.normal(19.5, 1.0, len(who)) * HOUR).astype(np.int64)
    t_out = START + (day + 1) * DAY + (rng.normal(7.5, 0.5, len(who)) * HOUR).astype(np.int64)
    parts.append((home[who] + next_venue, who, t_in, t_out))
    next_venue += n_homes

    # Work: 70 % work on weekdays with small teams.
    workers = everyone[rng.random(people) < 0.7]
    team, n_teams = _groups(rng, len(workers), [2, 3, 5, 8, 12], [0.3, 0.3, 0.2, 0.15, 0.05])
    weekdays = np.array([d for d in range(days) if d % 7 < 5])
    wi = np.tile(np.arange(len(workers)), len(weekdays))
    present = rng.random(len(wi)) < 0.95
    wi = wi[present]
    wday = np.repeat(weekdays, len(workers))[present]
    t_in = START + wday * DAY + (rng.normal(9.0, 0.4, len(wi)) * HOUR).astype(np.int64)
    t_out = START + wday * DAY + (rng.normal(17.5, 0.4, len(wi)) * HOUR).astype(np.int64)
    parts.append((team[wi] + next_venue, workers[wi], t_in, t_out))
    next_venue += n_teams

    # Shops (medium), restaurants (meals) and a few large venues (stations, malls).
    for per_venue, rate, hours, minutes in (
        (16, 2.0, (8.0, 21.0), (5.0, 30.0)),  # shops
        (40, 0.4, (11.0, 20.0), (40.0, 90.0)),  # restaurants
        (10_000, 0.065, (8.0, 21.0), (15.0, 90.0)),  # large venues
    ):
        n_venues = max(3, people // per_venue)
        who, t_in, t_out = _stays(rng, everyone, days, rate, hours, minutes)
        venue = rng.integers(0, n_venues, size=len(who)) + next_venue
        parts.append((venue, who, t_in, t_out))
        next_venue += n_venues

    venue = np.concatenate([p[0] for p in parts]).astype(np.int32)
    person = np.concatenate([p[1] for p in parts]).astype(np.int32)
    t_in = np.concatenate([p[2] for p in parts])
    t_out = np.concatenate([p[3] for p in parts])
    t_out = np.maximum(t_out, t_in + MINUTE)
    return {
        "venue": venue,
        "person": person,
        "t_in": (t_in - finder.EPOCH).astype(np.int32),
        "t_out": (t_out - finder.EPOCH).astype(np.int32),
        "venues": next_venue,
    }


def pick_cases(people: int, days: int, n: int, seed: int) -> list[tuple[int, int, int, int]]:
    """(case id, person, window start, window end): index day 5..days-2, back 4 days, to +1."""
    rng = np.random.default_rng(seed + 1)
    persons = rng.choice(people, size=n, replace=False)
    index_day = rng.integers(LOOKBACK_DAYS + 1, days - 1, size=n)
    start = START + (index_day - LOOKBACK_DAYS) * DAY
    end = START + (index_day + 1) * DAY
    return [
        (i + 1, int(p), int(s), int(e))
        for i, (p, s, e) in enumerate(zip(persons, start, end, strict=True))
    ]


# Engines -----------------------------------------------------------------------------------


def run_engine(log: dict[str, Any], cases: list[Any], args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    index = finder.build_index(
        log["venue"],
        log["person"],
        log["t_in"].astype(np.int64) + finder.EPOCH,
        log["t_out"].astype(np.int64) + finder.EPOCH,
    )
    built = time.perf_counter() - started
    t0 = time.perf_counter()  # the first call compiles the kernels or loads them from the cache
    close = finder.find_close_contacts(index, cases, args.padding)
    finder.find_secondary_contacts(
        index, close, cases, args.padding, min_minutes=args.secondary_min_minutes
    )
    first_call = time.perf_counter() - t0
    best = float("inf")
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        close = finder.find_close_contacts(index, cases, args.padding)
        t1 = time.perf_counter()
        secondary = finder.find_secondary_contacts(
            index, close, cases, args.padding, min_minutes=args.secondary_min_minutes
        )
        t2 = time.perf_counter()
        if t2 - t0 < best:
            best, close_s, total_s = t2 - t0, t1 - t0, t2 - t0
    # Bytes the search must read: the candidate rows it scans (t_in, t_out, person) and the
    # case rows; counted by re-running the range computation.
    return {
        "build_s": built,
        "first_call_s": first_call,
        "close_s": close_s,
        "total_s": total_s,
        "close": _pairs(close.case_id, close.person_id),
        "secondary": _pairs(secondary.case_id, secondary.person_id),
        "index_mb": index.nbytes / 2**20,
        "touched_bytes": _touched(index, close, cases, args),
    }


def _touched(index: Any, close: Any, cases: Any, args: argparse.Namespace) -> int:
    """Rows a perfect interval search must read: the overlapping pairs found, per level."""
    evidence_close = finder.find_close_contacts(index, cases, args.padding, all_rows=True)
    evidence_sec = finder.find_secondary_contacts(
        index, close, cases, args.padding, min_minutes=args.secondary_min_minutes, all_rows=True
    )
    row_bytes = 16  # one venue_log record: time in, time out, reach, person
    return (len(evidence_close) + len(evidence_sec)) * row_bytes


def _pairs(case_id: Any, person: Any) -> set[tuple[int, int]]:
    return set(zip(np.asarray(case_id).tolist(), np.asarray(person).tolist(), strict=True))


def _arrow_log(log: dict[str, Any]) -> Any:
    import pyarrow as pa

    return pa.table(
        {
            "venue": log["venue"],
            "person": log["person"],
            "t_in": log["t_in"],
            "t_out": log["t_out"],
        }
    )


def _arrow_cases(cases: list[Any]) -> Any:
    import pyarrow as pa

    arr = np.asarray(cases, dtype=np.int64)
    return pa.table(
        {
            "case_id": arr[:, 0],
            "person": arr[:, 1].astype(np.int32),
            "ws": (arr[:, 2] - finder.EPOCH).astype(np.int32),
            "we": (arr[:, 3] - finder.EPOCH).astype(np.int32),
        }
    )


DUCK_CLOSE = """
CREATE OR REPLACE TEMP TABLE close AS
WITH mine AS (
  SELECT c.case_id, c.person AS case_person, k.venue,
         greatest(k.t_in, c.ws) - $pad AS a, least(k.t_out, c.we) + $pad AS b
  FROM cases c JOIN log k ON k.person = c.person
  WHERE k.t_out > c.ws AND k.t_in < c.we
)
SELECT m.case_id, o.person, min(greatest(o.t_in, m.a)) AS exposed
FROM mine m JOIN log o
  ON o.venue = m.venue AND o.t_in < m.b AND o.t_out > m.a AND o.person <> m.case_person
GROUP BY 1, 2
"""

DUCK_SECONDARY = """
WITH mine AS (
  SELECT s.case_id, s.person AS source, k.venue,
         greatest(k.t_in, s.exposed) - $pad AS a, least(k.t_out, c.we) + $pad AS b
  FROM close s JOIN cases c USING (case_id) JOIN log k ON k.person = s.person
  WHERE k.t_out > s.exposed AND k.t_in < c.we
)
SELECT DISTINCT m.case_id, o.person
FROM mine m JOIN log o
  ON o.venue = m.venue AND o.t_in < m.b AND o.t_out > m.a AND o.person <> m.source
WHERE least(o.t_out, m.b) - greatest(o.t_in, m.a) >= $minsec
  AND o.person <> (SELECT person FROM cases c2 WHERE c2.case_id = m.case_id)
  AND NOT EXISTS (SELECT 1 FROM close x WHERE x.case_id = m.case_id AND x.person = o.person)
"""


def run_duckdb(log: dict[str, Any], cases: list[Any], args: argparse.Namespace) -> dict[str, Any]:
    """The natural SQL: join the cases' check-ins to all check-ins on venue and overlap."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = {os.cpu_count()}")
    log_table, case_table = _arrow_log(log), _arrow_cases(cases)
    con.register("log_arrow", log_table)
    con.register("case_arrow", case_table)
    con.execute("CREATE TABLE log AS SELECT * FROM log_arrow")
    con.execute("CREATE TABLE cases AS SELECT * FROM case_arrow")
    params = {"pad": args.padding * 60}
    best = (float("inf"), float("inf"))
    for _ in range(args.baseline_repeat):
        t0 = time.perf_counter()
        con.execute(DUCK_CLOSE, params)
        t1 = time.perf_counter()
        secondary = con.execute(
            DUCK_SECONDARY, {**params, "minsec": args.secondary_min_minutes * 60 + 1}
        ).fetchall()
        t2 = time.perf_counter()
        best = min(best, (t2 - t0, t1 - t0))
    close = con.execute("SELECT case_id, person FROM close").fetchall()
    return {
        "close_s": best[1],
        "total_s": best[0],
        "close": {(int(a), int(b)) for a, b in close},
        "secondary": {(int(a), int(b)) for a, b in secondary},
    }


def run_polars(log: dict[str, Any], cases: list[Any], args: argparse.Namespace) -> dict[str, Any]:
    """Polars: the cases' stays joined to the log on venue (hash join), then the overlap filter."""
    import polars as pl

    frame = pl.from_arrow(_arrow_log(log))
    case_frame = pl.from_arrow(_arrow_cases(cases))
    assert isinstance(frame, pl.DataFrame) and isinstance(case_frame, pl.DataFrame)
    pad = args.padding * 60

    def once() -> tuple[Any, Any, float, float]:
        t0 = time.perf_counter()
        mine = (
            case_frame.join(frame, on="person")
            .filter((pl.col("t_out") > pl.col("ws")) & (pl.col("t_in") < pl.col("we")))
            .select(
                "case_id",
                pl.col("person").alias("source"),
                "venue",
                (pl.max_horizontal("t_in", "ws") - pad).alias("a"),
                (pl.min_horizontal("t_out", "we") + pad).alias("b"),
            )
        )
        close = (
            mine.join(frame, on="venue")
            .filter(
                (pl.col("t_in") < pl.col("b"))
                & (pl.col("t_out") > pl.col("a"))
                & (pl.col("person") != pl.col("source"))
            )
            .group_by("case_id", "person")
            .agg(pl.max_horizontal("t_in", "a").min().alias("exposed"))
        )
        t1 = time.perf_counter()
        ends = case_frame.select("case_id", pl.col("person").alias("case_person"), "we")
        mine2 = (
            close.join(ends, on="case_id")
            .join(frame, on="person")
            .filter((pl.col("t_out") > pl.col("exposed")) & (pl.col("t_in") < pl.col("we")))
            .select(
                "case_id",
                "case_person",
                pl.col("person").alias("source"),
                "venue",
                (pl.max_horizontal("t_in", "exposed") - pad).alias("a"),
                (pl.min_horizontal("t_out", "we") + pad).alias("b"),
            )
        )
        overlap = pl.min_horizontal("t_out", "b") - pl.max_horizontal("t_in", "a")
        secondary = (
            mine2.join(frame, on="venue")
            .filter(
                (pl.col("t_in") < pl.col("b"))
                & (pl.col("t_out") > pl.col("a"))
                & (pl.col("person") != pl.col("source"))
                & (pl.col("person") != pl.col("case_person"))
                & (overlap > args.secondary_min_minutes * 60)
            )
            .select("case_id", "person")
            .unique()
            .join(close.select("case_id", "person"), on=["case_id", "person"], how="anti")
        )
        t2 = time.perf_counter()
        return close, secondary, t1 - t0, t2 - t0

    runs = [once() for _ in range(args.baseline_repeat)]
    close, secondary, close_s, total_s = min(runs, key=lambda run: run[3])
    return {
        "close_s": close_s,
        "total_s": total_s,
        "close": set(close.select("case_id", "person").iter_rows()),
        "secondary": set(secondary.iter_rows()),
    }


def in_child(fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """Run fn in a forked child (sharing the log) and return its result and peak RSS."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read)
        try:
            out = fn(*args)
            out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        except Exception as exc:  # report, don't hang the parent
            out = {"error": repr(exc)}
        with os.fdopen(write, "wb") as fh:
            pickle.dump(out, fh)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as fh:
        data = fh.read()
    os.waitpid(pid, 0)
    return pickle.loads(data)  # type: ignore[no-any-return]


def bandwidth() -> float:
    """Memory bandwidth in bytes/s: a NumPy copy of 1 GiB (read + write), best of three."""
    src = np.ones(2**27, dtype=np.float64)
    dst = np.empty_like(src)
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - t0)
    return 2 * src.nbytes / best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--padding", type=int, default=0, help="minutes")
    parser.add_argument("--secondary-min-minutes", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=20, help="runs of fangkong (best counts)")
    parser.add_argument(
        "--baseline-repeat", type=int, default=3, help="runs of DuckDB and Polars (best counts)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--engines", default="fangkong,duckdb,polars")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    log = generate(args.people, args.days, args.seed)
    rows = len(log["t_in"])
    cases = pick_cases(args.people, args.days, args.cases, args.seed)
    print(
        f"log: {args.people:,} people × {args.days} days = {rows:,} check-ins at "
        f"{log['venues']:,} venues, generated in {time.perf_counter() - t0:.1f} s; "
        f"parent RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    print(
        f"times: best of {args.repeat} runs (fangkong) and of {args.baseline_repeat} "
        "(DuckDB, Polars), each with the log loaded"
    )
    runners = {"fangkong": run_engine, "duckdb": run_duckdb, "polars": run_polars}
    results = {}
    for name in args.engines.split(","):
        results[name] = in_child(runners[name], log, cases, args)
        r = results[name]
        if "error" in r:
            print(f"{name}: failed: {r['error']}")
            continue
        print(
            f"{name:<9} close {r['close_s'] * 1000:9.1f} ms  close+secondary "
            f"{r['total_s'] * 1000:9.1f} ms  close={len(r['close']):,} "
            f"secondary={len(r['secondary']):,}  peak RSS {r['peak_mb']:.0f} MB"
            + (
                f"  (index build {r['build_s']:.1f} s, {r['index_mb']:.0f} MB; first call "
                f"{r['first_call_s']:.2f} s, Numba compiling or loading its cached kernels)"
                if "build_s" in r
                else ""
            )
        )
    ok = [r for r in results.values() if "error" not in r]
    if len(ok) > 1:
        same = all(
            r["close"] == ok[0]["close"] and r["secondary"] == ok[0]["secondary"] for r in ok
        )
        print(f"same contacts from every engine: {'yes' if same else 'NO'}")
    mine = results.get("fangkong")
    if mine and "error" not in mine:
        print("ratios (other engine's time / fangkong's time; targets from the issue):")
        for name, target in (("duckdb", 50), ("polars", 5)):
            other = results.get(name)
            if other and "error" not in other:
                ratio = other["total_s"] / mine["total_s"]
                print(
                    f"  vs {name:<7} close+secondary {ratio:6.1f}×  (target ≥ {target}×: "
                    f"{'met' if ratio >= target else 'NOT met'})   close only "
                    f"{other['close_s'] / mine['close_s']:6.1f}×"
                )
        total_ms = mine["total_s"] * 1000
        print(
            f"  fangkong close+secondary {total_ms:.1f} ms for {args.cases} cases "
            f"(target < 200 ms: {'met' if total_ms < 200 else 'NOT met'})"
        )
        bw = bandwidth()
        bound_ms = mine["touched_bytes"] / bw * 1000
        scan = rows * 16
        print(
            f"lower bound: the overlapping rows a perfect search must read "
            f"({mine['touched_bytes'] / 1e6:.1f} MB: time in, time out, person of every "
            f"overlapping pair) / measured memory bandwidth ({bw / 1e9:.1f} GB/s) = "
            f"{bound_ms:.2f} ms; fangkong takes {total_ms / bound_ms:.0f}× that. "
            f"For scale, one scan of the log ({scan / 1e9:.2f} GB) = {scan / bw * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
