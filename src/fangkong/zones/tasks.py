"""Background work of risk zones (Django's tasks API; the worker is `fangkong db_worker`)."""

import datetime as dt

from django.tasks import task
from django.utils import timezone

from fangkong.zones.services import zones_evaluate


@task()
def evaluate_zones(day: str = "") -> int:
    """The daily evaluation for `day` (ISO date; default today); returns zones evaluated."""
    today = dt.date.fromisoformat(day) if day else timezone.localdate()
    return len(zones_evaluate(today=today))
