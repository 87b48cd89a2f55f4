"""The demo's as-of date: every date of the synthetic city derives from it.

`fangkong demo --as-of YYYY-MM-DD` (default: today's local date) fixes the day the city
is seen on: check-ins fill the 14 days before it, cases were reported in its last days,
needs fall due around it, rows are stamped at 08:00 that day and ages count up to it.
The same residents, seed and as-of date give the same rows.
"""

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from fangkong.demo import data


def _local_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def is_rest_day(day: dt.date) -> bool:
    """Weekends and listed public holidays are off; listed make-up working days are not."""
    if day in data.HOLIDAYS:
        return True
    if day in data.MAKEUP_WORKDAYS:
        return False
    return day.weekday() >= 5


@dataclass(frozen=True)
class Clock:
    as_of: dt.date
    tz: zoneinfo.ZoneInfo = field(default_factory=_local_zone)

    @classmethod
    def today(cls) -> "Clock":
        return cls(timezone.localdate())

    @property
    def created_at(self) -> dt.datetime:
        """The stamp of every generated row: 08:00 on the as-of day."""
        return self.at(self.as_of, 8)

    def at(self, day: dt.date, hour: int) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour), self.tz)

    def by(self, day: dt.date, hour: int) -> dt.datetime:
        """`at(day, hour)`, or now if that is still to come (a city built as of today just after
        midnight: 07:00 has not happened yet, and a fact cannot be entered before it has)."""
        return min(self.at(day, hour), timezone.now())

    def days_ago(self, days: int) -> dt.date:
        return self.as_of - dt.timedelta(days=days)

    def years_ago(self, years: int) -> dt.date:
        """The same day `years` earlier (29 February becomes the 28th in common years)."""
        day = self.as_of
        try:
            return day.replace(year=day.year - years)
        except ValueError:
            return day.replace(year=day.year - years, day=28)
