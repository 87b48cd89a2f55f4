"""Days of medicine left, pure: a supply on hand on a day and a daily dose give the first day
without any."""

import datetime as dt
import math
from decimal import Decimal


def runs_out_on(supply: Decimal, daily_dose: Decimal, counted_on: dt.date) -> dt.date:
    """The first day without medicine: the supply lasts whole days from `counted_on`."""
    whole_days = math.floor(supply / daily_dose) if daily_dose > 0 else 0
    return counted_on + dt.timedelta(days=whole_days)


def left_on(supply: Decimal, daily_dose: Decimal, counted_on: dt.date, day: dt.date) -> Decimal:
    """What is left on `day` of a supply counted on `counted_on` (never below nothing)."""
    used = daily_dose * max((day - counted_on).days, 0)
    return max(supply - used, Decimal(0))


def days_left(run_out: dt.date, today: dt.date) -> int:
    return (run_out - today).days
