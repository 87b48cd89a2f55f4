"""When a standing need falls due, pure: no database."""

import datetime as dt
from collections.abc import Iterator
from typing import Any

WEEKLY, EVERY, ONCE = "weekly", "every", "once"


def falls_on(need: Any, day: dt.date) -> bool:
    """Whether `need` (repeat, weekdays, every_days, starts_on, ends_on, active) falls due on
    `day`: its weekdays (Monday 0), every n days counted from its first day, or its one day."""
    if not need.active or day < need.starts_on or (need.ends_on and day > need.ends_on):
        return False
    if need.repeat == WEEKLY:
        return str(day.weekday()) in need.weekdays
    if need.repeat == EVERY:
        return bool(need.every_days) and (day - need.starts_on).days % need.every_days == 0
    return day == need.starts_on


def days_due(need: Any, first: dt.date, last: dt.date) -> Iterator[dt.date]:
    """The days from `first` to `last` (both included) on which `need` falls due."""
    day = first
    while day <= last:
        if falls_on(need, day):
            yield day
        day += dt.timedelta(days=1)
