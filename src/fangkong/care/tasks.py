"""Background work of medical care (Django's tasks API; the worker: `fangkong db_worker`)."""

import datetime as dt

from django.tasks import task

from fangkong.care.admission.services import incidents_sweep
from fangkong.care.plans.generate import plans_raise_due


@task()
def run_plans_daily(day: str = "") -> dict[str, int]:
    """The health plans' daily job (`plans.generate.plans_raise_due`) for `day` (ISO date;
    default today)."""
    return plans_raise_due(dt.date.fromisoformat(day) if day else None)


@task()
def sweep_care_sla() -> int:
    """Record the first-diagnosis incidents of requests whose SLA clock ran out unconfirmed
    (`admission.services.incidents_sweep`); returns how many were new."""
    return incidents_sweep()
