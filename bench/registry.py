"""Registry benchmark: generate the demo city on scratch databases and time it.

    .venv/bin/python bench/registry.py --residents 1000000 --db both

Each database gets a fresh scratch copy (an SQLite file in a temporary folder, or a
PostgreSQL database `fk_bench_<pid>`), is migrated, measured, and removed again.
A measurement is a function `(target, residents) -> list[Result]` listed in
MEASUREMENTS; add import and search timings there. Every Django step runs as a
`fangkong` subprocess with the target's DATABASE_URL, so settings never leak
between databases and peak memory is that of the step alone.
"""

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FANGKONG = ROOT / ".venv" / "bin" / "fangkong"
PG_SERVER = os.environ.get("FANGKONG_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
SEED = 1


@dataclass
class Target:
    db: str  # "sqlite" or "postgres"
    url: str


@dataclass
class Result:
    step: str
    db: str
    rows: int
    seconds: float
    peak_rss_mb: float
    p50_ms: float | None = None
    p95_ms: float | None = None

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def run_fangkong(target: Target, *args: str) -> tuple[float, float, str]:
    """Run `fangkong <args>` on the target; (seconds, peak RSS of children in MB, stdout)."""
    env = {**os.environ, "DATABASE_URL": target.url, "DJANGO_SETTINGS_MODULE": "fangkong.settings"}
    started = time.perf_counter()
    done = subprocess.run(
        [str(FANGKONG), *args], env=env, check=True, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # max over children so far
    return seconds, peak_kb / 1024, done.stdout


def measure_generation(target: Target, residents: int) -> list[Result]:
    seconds, rss, _out = run_fangkong(
        target, "demo", "--residents", str(residents), "--seed", str(SEED)
    )
    return [Result("demo generate", target.db, residents, seconds, rss)]


def run_script(target: Target, script: str, *args: str) -> tuple[float, list[list[str]]]:
    """Run a bench/ helper script on the target; (peak RSS in MB, its output lines split)."""
    env = {**os.environ, "DATABASE_URL": target.url, "DJANGO_SETTINGS_MODULE": "fangkong.settings"}
    python = ROOT / ".venv" / "bin" / "python"
    done = subprocess.run(
        [str(python), str(ROOT / "bench" / script), *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return peak_kb / 1024, [line.split() for line in done.stdout.splitlines() if line.strip()]


def measure_search(target: Target, residents: int) -> list[Result]:
    """p50/p95 of resident search (one page), city-wide and as a street user."""
    _rss, lines = run_script(target, "_search.py", "200")
    return [
        Result(f"search {kind}", target.db, int(n), 0.0, 0.0, p50_ms=float(p50), p95_ms=float(p95))
        for kind, n, p50, p95 in lines
    ]


def measure_import(target: Target, residents: int) -> list[Result]:
    """Export the demo residents to CSV, empty the tables, import it twice (new, unchanged)."""
    rss, lines = run_script(target, "_import.py")
    return [Result(line[0], target.db, int(line[1]), float(line[2]), rss) for line in lines]


MEASUREMENTS: list[Callable[[Target, int], list[Result]]] = [
    measure_generation,
    measure_search,
    measure_import,
]


@contextmanager
def scratch_sqlite() -> Iterator[Target]:
    folder = tempfile.mkdtemp(prefix="fk_bench_")
    try:
        yield Target("sqlite", f"sqlite:///{folder}/bench.sqlite3")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def scratch_postgres() -> Iterator[Target]:
    import psycopg

    name = f"fk_bench_{os.getpid()}"
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield Target("postgres", f"{PG_SERVER}/{name}")
    finally:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


SCRATCH = {"sqlite": scratch_sqlite, "postgres": scratch_postgres}


def bench(db: str, residents: int) -> list[Result]:
    with SCRATCH[db]() as target:
        run_fangkong(target, "migrate", "-v", "0")
        results: list[Result] = []
        for measure in MEASUREMENTS:
            results.extend(measure(target, residents))
        return results


def print_table(results: list[Result]) -> None:
    print(f"{'step':<22} {'db':<9} {'rows':>12} {'seconds':>9} {'rows/s':>10} {'peak MB':>8}")
    for r in results:
        if r.p50_ms is None:
            print(
                f"{r.step:<22} {r.db:<9} {r.rows:>12,} {r.seconds:>9.1f} {r.rate:>10,.0f} "
                f"{r.peak_rss_mb:>8.0f}"
            )
    print()
    print(f"{'search (one page)':<22} {'db':<9} {'queries':>8} {'p50 ms':>8} {'p95 ms':>8}")
    for r in results:
        if r.p50_ms is not None:
            print(f"{r.step[7:]:<22} {r.db:<9} {r.rows:>8} {r.p50_ms:>8.2f} {r.p95_ms:>8.2f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args(argv)
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results: list[Result] = []
    for db in dbs:
        results.extend(bench(db, args.residents))
    print_table(results)


if __name__ == "__main__":
    sys.exit(main())
