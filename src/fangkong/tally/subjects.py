"""The registry of subjects the tally counts, and what a unit adds to the figures.

Each source app describes its own subjects in its `tally.py` (cases and contacts in
`fangkong.epi.tally`, stays and measures in `fangkong.quarantine.tally`): how to load its
units, their moments and their state at a moment. A unit's state only changes at its moments
(its creation, each audited change, each timestamp, and each of those plus 24 hours); the
tally holds, at each moment, the state there minus the state before. Every writer replaces a
unit's old deltas with its new ones (`services.change` … `.done()`, driven by
`core.changes`), so the tally is always the sum over the units as the database holds them
now, which is what the plain queries count: the rebuild computes the same sum from scratch.
"""

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured

from fangkong.epi import tally as epi_tally
from fangkong.epi.tally import Figure
from fangkong.quarantine import tally as quarantine_tally
from fangkong.tally.store import KEY_WIDTH, WIDTHS, Deltas, hour_of

if (epi_tally.WIDTHS, epi_tally.KEY_WIDTH) != (WIDTHS, KEY_WIDTH):
    raise ImproperlyConfigured("the sources' area widths are not the tally views' widths")


class Subject(Protocol):
    name: str

    def load(self, ids: Sequence[int], *, lock: bool = False) -> list[Any]: ...

    def chunks(self) -> Iterator[list[Any]]: ...

    def changing(self, prefix: str, lo: dt.datetime, hi: dt.datetime) -> list[Any]: ...

    def moments(self, unit: Any) -> list[dt.datetime]: ...

    def state(self, unit: Any, at: dt.datetime) -> list[Figure]: ...


# The sources' subjects, by name.
SUBJECTS: dict[str, Subject] = {
    s.name: s for s in (*epi_tally.SUBJECTS, *quarantine_tally.SUBJECTS)
}


# Deltas ----------------------------------------------------------------------------------------


def _figures(subject: Subject, unit: Any, at: dt.datetime) -> dict[Figure, int]:
    out: dict[Figure, int] = {}
    for fig in subject.state(unit, at):
        out[fig] = out.get(fig, 0) + 1
    return out


def unit_deltas(subject: Subject, units: Iterable[Any], into: Deltas, sign: int = 1) -> Deltas:
    """Add each unit's deltas (times `sign`): at each of its moments, its state there minus
    its state before."""
    state, moments = subject.state, subject.moments
    for unit in units:
        before: dict[Figure, int] = {}
        for at in sorted(set(moments(unit))):
            now: dict[Figure, int] = {}
            for fig in state(unit, at):
                now[fig] = now.get(fig, 0) + 1
            if now == before:
                continue
            hour = hour_of(at)
            for fig, n in now.items():
                n -= before.get(fig, 0)
                if n:
                    key = (hour, fig[0], fig[1], fig[2])
                    into[key] = into.get(key, 0) + sign * n
            for fig, n in before.items():
                if fig not in now:
                    key = (hour, fig[0], fig[1], fig[2])
                    into[key] = into.get(key, 0) - sign * n
            before = now
    return into


def change_between(
    subject: Subject, units: Iterable[Any], lo: dt.datetime, hi: dt.datetime
) -> Counter[Figure]:
    """What the units add to the figures from `lo` to `hi`: their state at `hi` minus at `lo`."""
    out: Counter[Figure] = Counter()
    for unit in units:
        out.update(_figures(subject, unit, hi))
        out.subtract(_figures(subject, unit, lo))
    return out
