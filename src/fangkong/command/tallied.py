"""The figures of cases, contacts, stays and measures from the running counts (`fangkong.tally`).

For a moment T: the tally's sums up to the last whole hour E before it (one query: the
node's children, the communities of its case map, its epidemic curve; contacts also up to
the hour 24 hours before), plus what changed from E to T, read from the rows that may have
changed in that hour or the same hour a day before (new rows, audited changes, transfers,
check-ins and check-outs, measures beginning or ending: one query each for cases with their
events, contacts with theirs, stays, measures), each counted by the same rules as the tally
(`fangkong.tally.subjects`). A moment on the hour (a report, "as of 8:00") needs the tally
only.

The tally holds views for the city, a district and a street (their children, and the
communities of the map); a community and the places below it, and a user over several
roots, are counted from the rows (`figures`), which is cheap there.
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from fangkong.command.places import Node
from fangkong.epi.models import ContactStatus, Degree
from fangkong.tally import store
from fangkong.tally.subjects import SUBJECTS, change_between

SECTION_SUBJECTS = {"cases": ("case",), "contacts": ("contact",), "quarantine": ("stay", "measure")}
TWICE = ("contact",)  # read at the moment and 24 hours before
CURVE = ("onset", "reported")
DEGREES = frozenset(Degree.values)
CONTROLLED = frozenset({ContactStatus.UNDER_CONTROL, ContactStatus.RELEASED})
DAY = dt.timedelta(days=1)


def covers(node: Node) -> bool:
    """Whether the tally holds this node's children (and its case map)."""
    return bool(node.key) and store.view_for(len(node.key), node.child_width)


@dataclass
class Counts:
    areas: dict[str, Counter[str]] = field(default_factory=dict)  # by child
    fine: dict[str, Counter[str]] = field(default_factory=dict)  # cases by community (map)
    curve: dict[str, dict[str, Counter[str]]] = field(
        default_factory=lambda: {c: {} for c in CURVE}
    )  # onset / reported → day → kind → cases


def counts(node: Node, at: dt.datetime, sections: set[str]) -> Counts:
    subjects = [s for name in sorted(sections) for s in SECTION_SUBJECTS.get(name, ())]
    width = node.child_width
    out = Counts()
    if not subjects:
        return out
    since = at.astimezone(dt.UTC) - DAY
    hour, hour_before = store.whole_hours(at), store.whole_hours(since)
    earlier = [s for s in subjects if s in TWICE]
    found: Counter[tuple[int, str, str]] = Counter()
    before: Counter[tuple[int, str, str]] = Counter()
    for w, area, figure, total, total_before in store.read(
        node.key, hour, subjects, before=(hour_before, earlier)
    ):
        found[(w, area, figure)] += total
        before[(w, area, figure)] += total_before
    lo = store.moment(hour)
    if lo < at:  # else the moment is on the hour: the sums are all
        for name in subjects:
            subject = SUBJECTS[name]
            units = subject.changing(node.key, lo, at)
            _add_change(found, change_between(subject, units, lo, at), width)
            if name in TWICE:
                lo_before = store.moment(hour_before)
                _add_change(before, change_between(subject, units, lo_before, since), width)
    for (w, area, figure), n in found.items():
        if not n:
            continue
        if w == width:
            kind, _sep, rest = figure.partition("|")
            if kind in CURVE and rest:
                day, _sep, case_kind = rest.partition("|")
                out.curve[kind].setdefault(day, Counter())[case_kind] += n
            else:
                out.areas.setdefault(area, Counter())[figure] += n
        if w == store.MAP_WIDTH and figure in store.MAP_FIGURES:
            out.fine.setdefault(area, Counter())[figure] += n
    _contacts(out.areas, before, width)
    return out


def _add_change(into: Counter[tuple[int, str, str]], change: Counter[Any], width: int) -> None:
    """Deltas of units (their own keys, or keys of one width) onto the node's views."""
    for (w, key, figure), n in change.items():
        if w == 0:
            into[(width, key[:width], figure)] += n
            if figure in store.MAP_FIGURES and width != store.MAP_WIDTH:
                into[(store.MAP_WIDTH, key[: store.MAP_WIDTH], figure)] += n
        elif w == width:
            into[(w, key, figure)] += n


def _contacts(areas: dict[str, Counter[str]], before: Counter[Any], width: int) -> None:
    """Contacts are tallied by degree and status only; the rest is derived: identified in
    all, not yet under control, the status 24 hours earlier, new in the 24 hours."""
    then: dict[str, Counter[str]] = {}
    for (w, area, figure), n in before.items():
        if n and w == width:
            then.setdefault(area, Counter())[figure] += n
    for area in set(areas) | set(then):
        c = areas.setdefault(area, Counter())
        for figure, n in list(c.items()):
            degree, _sep, status = figure.partition("_")
            if degree in DEGREES and status and not status.endswith("_before"):
                c[degree] += n
                if status not in CONTROLLED:
                    c[f"{degree}_not_controlled"] += n
        known: Counter[str] = Counter()
        for figure, n in then.get(area, Counter()).items():
            degree, _sep, _status = figure.partition("_")
            c[f"{figure}_before"] += n
            known[degree] += n
        for degree in DEGREES:
            if c[degree] - known[degree]:
                c[f"{degree}_new"] += c[degree] - known[degree]
        if not +c:
            del areas[area]
