"""Background work of the quarantine app (Django's tasks API; the worker: `fangkong db_worker`)."""

import datetime as dt

from django.tasks import task

from fangkong.quarantine.measures.daily import quarantine_daily


@task()
def run_quarantine_daily(day: str = "") -> dict[str, int]:
    """The daily bookkeeping (`measures.daily.quarantine_daily`) for `day` (ISO date;
    default today)."""
    return quarantine_daily(dt.date.fromisoformat(day) if day else None)
