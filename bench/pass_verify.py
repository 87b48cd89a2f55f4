"""Online pass verification benchmark: POST /api/pass-check through gunicorn workers (as
`make serve` runs them), side by side with the floor of the same server.

    .venv/bin/python bench/pass_verify.py                  # PostgreSQL, 10 s per round
    .venv/bin/python bench/pass_verify.py --seconds 3 --rounds 1 --clients 4   # a quick run

A scratch PostgreSQL database (`fk_pass_verify_bench`) is migrated and given one granted
enterprise with a vehicle and its signed pass (a worker process inside Django). Then gunicorn
serves it (`fangkong.wsgi`, `--workers` default 2 × cores + 1, DEBUG off, the production
middleware) and `--clients` client processes with keep-alive connections send, for
`--seconds` each, in alternating rounds:

- check: the valid pass → the full online check (Base45, zlib, CBOR, ES256 signature against
  the cached key list, one query for revocation) — the target is ≥ 50 % of the floor;
- floor: the same endpoint with a malformed code ("FK1:"), answered before any crypto or query:
  the same server, middleware, routing and JSON parsing, a constant answer.

Requests a second are the median over the rounds. The clients share the machine with the
server: on a small machine both are bounded by its cores, so the ratio is what is compared.

Last run (2 cores shared with other work, PostgreSQL 15, 5 workers, 4 clients, median of 2 × 5 s):
check 224 req/s, floor 210 req/s: 107 % of the floor (target ≥ 50 %). On such a machine the
clients and Django's request path bound both; the signature (~0.3 ms) and the one query do not
show.
"""

import argparse
import http.client
import json
import multiprocessing as mp
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _scratch import run_with, scratch_database

ROOT = Path(__file__).resolve().parents[1]
PG_NAME = "fk_pass_verify_bench"
SECRET = "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"


# The worker: inside Django, on the scratch database --------------------------------------------


def worker() -> None:
    import django

    django.setup()
    # Imported here: this module is also the driver, which runs without Django; models load
    # only after django.setup().
    from fangkong.accounts.models import User
    from fangkong.core.roles import Role
    from fangkong.places.models import Division, Level
    from fangkong.supplies.models import Enterprise, Vehicle
    from fangkong.supplies.passes.services import pass_issue

    city = Division.objects.create(key="4110", code="411000000000", name="许昌市", level=Level.CITY)
    district = Division.objects.create(
        key="411002", code="411002000000", name="魏都区", level=Level.DISTRICT, parent=city
    )
    boss = User.objects.create_user(
        username="bench", password="bench-password", role=Role.COMMAND, jurisdiction=city
    )
    firm = Enterprise.objects.create(
        kind="supermarket",
        name="许昌惠民超市",
        credit_code="91411002MA44C8XK3A",
        division=district,
        division_key=district.key,
        status="granted",
    )
    vehicle = Vehicle.objects.create(
        enterprise=firm,
        plate="豫K12345",
        area=district,
        area_key=district.key,
        division_key=district.key,
        status="granted",
    )
    print("CODE", pass_issue(actor=boss, holder=vehicle).code)


# The clients -----------------------------------------------------------------------------------


def _client(port: int, body: bytes, seconds: float, start: float, out: "mp.Queue[int]") -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json", "Connection": "keep-alive"}
    while time.time() < start:
        time.sleep(0.001)
    done, until = 0, start + seconds
    while time.time() < until:
        conn.request("POST", "/api/pass-check", body=body, headers=headers)
        answer = conn.getresponse()
        answer.read()
        if answer.status != 200:
            raise SystemExit(f"HTTP {answer.status}")
        done += 1
    out.put(done)


def load(port: int, code: str, clients: int, seconds: float) -> float:
    """Requests a second that `clients` processes get for `seconds`."""
    body = json.dumps({"code": code}).encode()
    queue: mp.Queue[int] = mp.Queue()
    start = time.time() + 0.5
    procs = [
        mp.Process(target=_client, args=(port, body, seconds, start, queue)) for _ in range(clients)
    ]
    for p in procs:
        p.start()
    total = sum(queue.get() for _ in procs)
    for p in procs:
        p.join()
    return total / seconds


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(port: int) -> None:
    for _ in range(300):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            conn.request("GET", "/api/pass-keys")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("gunicorn did not answer")


def bench(args: argparse.Namespace) -> None:
    with scratch_database("postgres", PG_NAME) as url:
        python = str(ROOT / ".venv" / "bin" / "python")
        out = run_with(url, python, __file__, "--worker", env={"FANGKONG_SECRET_KEY": SECRET})
        code = next(line.split()[1] for line in out.splitlines() if line.startswith("CODE "))
        port = _free_port()
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "fangkong.settings",
            "FANGKONG_SECRET_KEY": SECRET,
            "FANGKONG_DEBUG": "0",
            "PYTHONPATH": str(ROOT / "src"),
        }
        server = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "gunicorn"),
                "fangkong.wsgi:application",
                *("--bind", f"127.0.0.1:{port}", "--workers", str(args.workers)),
                *("--timeout", "120", "--log-level", "warning"),
            ],
            env=env,
            start_new_session=True,
        )
        try:
            _wait(port)
            # warm every worker (its first request imports the URLconf: seconds) and its caches
            load(port, code, 2 * args.workers, 5.0)
            rates: dict[str, list[float]] = {"check": [], "floor": []}
            for _ in range(args.rounds):
                for name, text in (("check", code), ("floor", "FK1:")):
                    rate = load(port, text, args.clients, args.seconds)
                    rates[name].append(rate)
                    print(f"  {name:6} {rate:8.0f} req/s", flush=True)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait()
    check, floor = statistics.median(rates["check"]), statistics.median(rates["floor"])
    print(
        f"\nonline pass check {check:.0f} req/s, floor (malformed code) {floor:.0f} req/s: "
        f"{100 * check / floor:.0f} % of the floor (target ≥ 50 %); "
        f"{args.workers} workers, {args.clients} clients, median of {args.rounds} × "
        f"{args.seconds:g} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    if args.worker:
        worker()
        return
    bench(args)


if __name__ == "__main__":
    main()
