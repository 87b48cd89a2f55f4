"""The daily report PDF: how long one takes, and where the time goes.

    .venv/bin/python bench/report_pdf.py                     # a 20,000-resident demo city, SQLite
    .venv/bin/python bench/report_pdf.py --runs 10           # more runs
    .venv/bin/python bench/report_pdf.py --url sqlite:////tmp/city.sqlite3   # a city made before

Makes a scratch SQLite database with the demo city (outbreak included), then, in a fresh process,
as the demo command user (the whole city), asks for the report PDF as of 8:00 today in zh-Hans,
as the page does (`report_for` + `report_pdf`), with an empty cache:

- first: the first PDF of the process (WeasyPrint's import, fonts found and loaded);
- figures, html: computing the report and rendering its HTML;
- render: WeasyPrint alone (`core.pdf.html_to_pdf`) on that HTML, each time;
- again: `report_pdf` of the same report again (what a second download costs).

Wall time and the process's CPU time (the machine is shared: CPU time moves less with the load),
median and worst of `--runs`, the PDF's size and the load average.
"""

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))


def _timed(fn: Callable[[], object]) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def _measure(runs: int) -> None:
    import django

    django.setup()
    from django.core.cache import cache
    from django.template.loader import render_to_string
    from django.utils import timezone, translation

    from fangkong.accounts.models import User
    from fangkong.command import report as reporting
    from fangkong.command.places import node_for
    from fangkong.core.pdf import html_to_pdf

    translation.activate("zh-hans")
    cache.clear()
    user = User.objects.get(username="command")
    node = node_for(user)
    day = timezone.localdate()

    def page() -> bytes:
        return reporting.report_pdf(reporting.report_for(user, node, day))

    first = _timed(page)
    figures = [_timed(lambda: reporting.report_for(user, node, day)) for _ in range(runs)]
    rep = reporting.report_for(user, node, day)
    html = [
        _timed(lambda: render_to_string("command/report_pdf.html", reporting.report_context(rep)))
        for _ in range(runs)
    ]
    text = str(html[-1][2])
    render = [_timed(lambda: html_to_pdf(text)) for _ in range(runs)]
    again = [_timed(page) for _ in range(runs)]

    def line(name: str, rows: list[tuple[float, float, object]]) -> str:
        walls, cpus = [r[0] * 1000 for r in rows], [r[1] * 1000 for r in rows]
        return (
            f"{name:8} wall p50 {statistics.median(walls):6.0f} ms  max {max(walls):6.0f} ms   "
            f"cpu p50 {statistics.median(cpus):6.0f} ms  max {max(cpus):6.0f} ms"
        )

    print(line("first", [first]))
    for name, rows in (("figures", figures), ("html", html), ("render", render), ("again", again)):
        print(line(name, rows))
    size = len(render[-1][2])  # type: ignore[arg-type]
    print(f"PDF {size / 1024:.0f} KiB; {runs} runs; load {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--residents", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--url", help="a database with the demo city already in it")
    parser.add_argument("--step", choices=["measure"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step == "measure":
        _measure(args.runs)
        return
    from _scratch import run_with, scratch_database

    me = [sys.executable, __file__, "--step", "measure", "--runs", str(args.runs)]
    env = {"PYTHONPATH": str(ROOT / "src")}
    if args.url:
        print(run_with(args.url, *me, env=env), end="")
        return
    with scratch_database("sqlite", "fk_report_pdf") as url:
        fangkong = str(ROOT / ".venv" / "bin" / "fangkong")
        run_with(url, fangkong, "demo", "--residents", str(args.residents), env=env)
        print(run_with(url, *me, env=env), end="")


if __name__ == "__main__":
    main()
