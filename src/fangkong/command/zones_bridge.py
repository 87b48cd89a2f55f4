"""Zone figures for the dashboard and report, read through the zones app's own selector.

The zones app owns what a zone is, which levels the active profile names and who is inside
one (`fangkong.zones.selectors.zone_figures`: zones in force at the end of a day, by level,
with the people the registry counted in them, from the zones' history). This module only
reshapes those figures; without that selector they are "not available" rather than guessed.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from fangkong.core.roles import Cap

CAP: Cap = getattr(Cap, "ZONES_VIEW", Cap.CASES_VIEW)


@dataclass
class Level:
    code: str
    label: str
    zones: int = 0
    people: int = 0


@dataclass
class ZoneFigures:
    day: dt.date
    levels: list[Level]  # most restrictive first, the lifted level aside

    @property
    def zones(self) -> int:
        return sum(lv.zones for lv in self.levels)

    @property
    def people(self) -> int:
        return sum(lv.people for lv in self.levels)


def zone_figures(prefix: str, at: dt.datetime) -> ZoneFigures | None:
    """Zones in force on the day of `at` by level and the people inside them, within
    `prefix` (one query in the zones app)."""
    from fangkong.zones import selectors

    reader = getattr(selectors, "zone_figures", None)
    if reader is None:
        return None
    day = timezone.localtime(at).date()
    figures = reader(day=day, prefix=prefix)
    return ZoneFigures(
        day=day,
        levels=[Level(f.level, str(f.label), f.zones, f.people) for f in figures.levels],
    )
