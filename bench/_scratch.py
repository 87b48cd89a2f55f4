"""Scratch databases for the benchmarks: a PostgreSQL database made for the run, or an SQLite
file in a temporary folder, migrated and dropped afterwards."""

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_SERVER = os.environ.get("FANGKONG_BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def _server(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


@contextmanager
def scratch_database(db: str, name: str, *, migrate: bool = True) -> Iterator[str]:
    """The URL of a new, empty database `name` ("postgres"), or of an SQLite file; migrated
    unless told otherwise; dropped afterwards."""
    folder = tempfile.mkdtemp(prefix=f"{name}_")
    if db == "postgres":
        _server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _server(f'CREATE DATABASE "{name}"')
        url = f"{PG_SERVER}/{name}"
    else:
        url = f"sqlite:///{folder}/bench.sqlite3"
    try:
        if migrate:
            run_with(url, str(ROOT / ".venv" / "bin" / "fangkong"), "migrate", "-v", "0")
        yield url
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if db == "postgres":
            _server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_with(url: str, *args: str, env: dict[str, str] | None = None) -> str:
    """Run a command against the database at `url`; its output (its error output on failure)."""
    full = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "fangkong.settings"}
    full.update(env or {})
    done = subprocess.run(args, env=full, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    return done.stdout
