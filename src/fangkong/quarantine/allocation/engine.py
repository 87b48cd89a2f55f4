"""The allocation engine: plain data in (people, free rooms, site rankings, rules), an
assignment out (`propose` → `Proposal`). No queries and no writes: `services` loads the lists
and stores the result. Also the reasons a person was not placed (English msgids, translated when
shown by `reason_text`).
"""

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from fangkong.people.models import Relation

ADULT_AGE = 18  # the age of majority (Civil Code art. 17): who may look after a child
GUARDIAN_FIRST = (Relation.HEAD, Relation.SPOUSE, Relation.PARENT)
CHUNK = 1000

# Why a person was not placed (English msgids, translated when shown).
R_UNKNOWN = gettext_noop("No resident with this ID number in your jurisdiction")
R_BAD_ID = gettext_noop("Not a valid ID number: %(reason)s")
R_MEASURE = gettext_noop("Already under a measure (%(category)s since %(since)s)")
R_STAY = gettext_noop("Already allocated a room at %(site)s")
R_FUTURE = gettext_noop("The date the schedule counts from (%(anchor)s) is in the future")
R_OVER = gettext_noop(
    "Counted from %(anchor)s, the schedule ended on %(end)s: no measure is needed"
)
R_HOME_ONLY = gettext_noop(
    "Counted from %(anchor)s, centralised quarantine ended on %(end)s: start a home measure instead"
)
R_NO_GUARDIAN = gettext_noop(
    "A child under %(age)s is placed with an adult of the household, and none is in this batch"
)
R_NO_ROOM = gettext_noop("No free room with %(beds)s bed(s) at your sites")
R_NO_ACCESSIBLE = gettext_noop("No free accessible room with %(beds)s bed(s) at your sites")
R_REMOVED = gettext_noop("Removed from the proposal by the operator")


def reason_text(entry: dict[str, Any]) -> str:
    text = _(entry.get("message", ""))
    params = entry.get("params") or {}
    return text % params if params else text


def chunks[T](items: Sequence[T], size: int = CHUNK) -> Iterable[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def unplaced_entry(
    person: int | None,
    message: str,
    params: dict[str, Any] | None = None,
    *,
    anchor: dt.date | None = None,
    label: str = "",
) -> dict[str, Any]:
    return {
        "person": person,
        "label": label,
        "message": message,
        "params": params or {},
        "anchor": anchor.isoformat() if anchor else None,
    }


# The engine -----------------------------------------------------------------------------


@dataclass(slots=True)
class Person:
    id: int
    key: str
    household: int | None
    relation: str
    age: int
    sex: str
    anchor: dt.date
    access: bool = False


class Unit:
    """People who go into one room together."""

    __slots__ = ("access", "home", "members", "sex", "size")

    def __init__(self, members: list[Person]) -> None:
        self.members = members
        self.size = len(members)
        self.access = any(p.access for p in members)
        self.home = members[0].key[:12]
        self.sex = members[0].sex


@dataclass(frozen=True)
class Rules:
    one_per_room: bool
    household_together: bool
    child_age: int


class Pools:
    """Free rooms per site as stacks by (accessible, beds), with the largest free room per site
    and the count per kind over all sites, so hopeless searches stop at once. Undoable, for
    all-or-nothing tries."""

    def __init__(self, rooms: Sequence[tuple[int, int, int, bool]], sites: Sequence[int]) -> None:
        self.sites = list(sites)
        index = {site: i for i, site in enumerate(self.sites)}
        self.free: list[dict[tuple[bool, int], list[int]]] = [{} for _ in self.sites]
        self.count = [0] * len(self.sites)
        self.total: Counter[tuple[bool, int]] = Counter()
        for room, site, beds, accessible in reversed(rooms):  # pop() then gives the first room
            i = index[site]
            self.free[i].setdefault((bool(accessible), beds), []).append(room)
            self.count[i] += 1
            self.total[(bool(accessible), beds)] += 1
        self.kinds = [sorted(free, key=lambda k: (k[1], k[0])) for free in self.free]
        self.largest = [[0, 0] for _ in self.sites]  # [any room, accessible room]
        for i in range(len(self.sites)):
            self._measure(i)
        self.shared: list[list[list[Any]]] = [[] for _ in self.sites]  # [room, left, sex, access]

    def _measure(self, i: int) -> None:
        kinds = [k for k in self.kinds[i] if self.free[i][k]]
        self.largest[i][0] = max((b for _a, b in kinds), default=0)
        self.largest[i][1] = max((b for a, b in kinds if a), default=0)

    def possible(self, size: int, access: bool) -> bool:
        return any(n and beds >= size and (a or not access) for (a, beds), n in self.total.items())

    def take(self, i: int, unit: Unit, pack: bool, log: list[Any]) -> int | None:
        if pack:
            found = self._share(i, unit, log)
            if found is not None:
                return found
        if self.largest[i][unit.access] < unit.size:
            return None
        kinds = self.kinds[i]
        # the smallest room that fits, a plain one before an accessible one; packing: the largest
        order = reversed(kinds) if pack else kinds
        for kind in order:
            if kind[1] < unit.size or (unit.access and not kind[0]):
                continue
            stack = self.free[i][kind]
            if stack and (kind[0] is False or unit.access or not self._plain_left(i, unit.size)):
                room = stack.pop()
                self._taken(i, kind, room, unit, pack, log)
                return room
        return None

    def _plain_left(self, i: int, size: int) -> bool:
        return any(not a and b >= size and self.free[i][(a, b)] for a, b in self.kinds[i])

    def _taken(
        self, i: int, kind: tuple[bool, int], room: int, unit: Unit, pack: bool, log: list[Any]
    ) -> None:
        self.count[i] -= 1
        self.total[kind] -= 1
        if not self.free[i][kind]:
            self._measure(i)
        log.append(("free", i, kind, room))
        if pack and kind[1] > 1:
            entry = [room, kind[1] - 1, unit.sex, kind[0]]
            self.shared[i].append(entry)
            log.append(("opened", i, entry))

    def _share(self, i: int, unit: Unit, log: list[Any]) -> int | None:
        for entry in self.shared[i]:
            if entry[1] and entry[2] == unit.sex and (entry[3] or not unit.access):
                entry[1] -= 1
                log.append(("shared", i, entry))
                return int(entry[0])
        return None

    def undo(self, log: list[Any]) -> None:
        for action in reversed(log):
            if action[0] == "free":
                _what, i, kind, room = action
                self.free[i][kind].append(room)
                self.count[i] += 1
                self.total[kind] += 1
                self._measure(i)
            elif action[0] == "opened":
                self.shared[action[1]].remove(action[2])
            else:
                action[2][1] += 1
        log.clear()


def _units(members: list[Person], rules: Rules) -> tuple[list[list[Unit]], list[Person]]:
    """The ways to room one household's members, best first; and children who cannot go."""
    children = [p for p in members if p.age < rules.child_age]
    adults = sorted(
        (p for p in members if p.age >= ADULT_AGE),
        key=lambda p: (p.relation not in GUARDIAN_FIRST, p.id),
    )
    rest = [p for p in members if rules.child_age <= p.age < ADULT_AGE]
    stranded: list[Person] = []
    if children and not adults:
        stranded, children = children, []
    people = [*adults, *children, *rest]
    options: list[list[Unit]] = []
    if rules.household_together and len(people) > 1:
        options.append([Unit(people)])
    if children:
        options.append([Unit([adults[0], *children]), *(Unit([p]) for p in adults[1:] + rest)])
        if len(adults) > 1 and len(children) > 1:
            kids: dict[int, list[Person]] = defaultdict(list)
            for n, kid in enumerate(children):
                kids[n % len(adults)].append(kid)
            spread = [Unit([a, *kids[n]]) for n, a in enumerate(adults)]
            options.append(spread + [Unit([p]) for p in rest])
    elif people and (len(people) > 1 or not options):
        options.append([Unit([p]) for p in people])
    return options, stranded


@dataclass
class Proposal:
    lines: list[dict[str, Any]] = field(default_factory=list)
    unplaced: list[dict[str, Any]] = field(default_factory=list)


def propose(
    people: Sequence[Person],
    rooms: Sequence[tuple[int, int, int, bool]],
    sites: Sequence[int],
    rankings: dict[str, list[int]],
    rules: Rules,
) -> Proposal:
    """Place `people` in `rooms` (room, site, beds, accessible) by the rules; pure.

    Households are tried whole first (when the rules say so), then split with each child beside
    an adult. People who need accessible rooms go first, then households with children (a child
    cannot take a single room, an adult couple can), larger households before smaller ones.
    """
    pools = Pools(rooms, sites)
    out = Proposal()
    households: dict[Any, list[Person]] = defaultdict(list)
    for p in people:
        households[p.household if p.household is not None else -p.id].append(p)
    plans = []
    for members in households.values():
        options, stranded = _units(members, rules)
        for kid in stranded:
            out.unplaced.append(
                unplaced_entry(kid.id, R_NO_GUARDIAN, {"age": rules.child_age}, anchor=kid.anchor)
            )
        if options:
            first = options[0]
            need = any(u.access for u in first)
            kids = any(p.age < rules.child_age for u in first for p in u.members)
            size = max(u.size for u in first)
            plans.append((not need, not kids, -size, first[0].members[0].id, options))
    plans.sort(key=lambda plan: plan[:4])
    group = 0
    for *_order, options in plans:
        for n, option in enumerate(options):
            last = n == len(options) - 1
            log: list[Any] = []
            placed: list[tuple[Unit, int, int]] = []
            failed: list[Unit] = []
            for unit in sorted(option, key=lambda u: (not u.access, -u.size)):
                spot = _place(unit, pools, rankings, rules, log)
                if spot is None:
                    failed.append(unit)
                    if not last:
                        break
                else:
                    placed.append((unit, *spot))
            if failed and not last:
                pools.undo(log)
                continue
            for unit, site, room in placed:
                group += 1
                out.lines.extend(
                    {
                        "person": p.id,
                        "room": room,
                        "site": site,
                        "group": group,
                        "household": p.household,
                        "anchor": p.anchor.isoformat(),
                    }
                    for p in unit.members
                )
            for unit in failed:
                message = R_NO_ACCESSIBLE if unit.access else R_NO_ROOM
                for p in unit.members:
                    out.unplaced.append(
                        unplaced_entry(p.id, message, {"beds": unit.size}, anchor=p.anchor)
                    )
            break
    out.lines.sort(key=lambda line: (line["site"], line["room"], line["group"], line["person"]))
    return out


def _place(
    unit: Unit, pools: Pools, rankings: dict[str, list[int]], rules: Rules, log: list[Any]
) -> tuple[int, int] | None:
    pack = not rules.one_per_room and unit.size == 1 and unit.members[0].age >= rules.child_age
    if not pack and not pools.possible(unit.size, unit.access):
        return None
    largest, count, shared = pools.largest, pools.count, pools.shared
    need, size = int(unit.access), unit.size
    for i in rankings.get(unit.home) or range(len(pools.sites)):
        if pack and shared[i]:
            pass
        elif not count[i] or largest[i][need] < size:
            continue
        room = pools.take(i, unit, pack, log)
        if room is not None:
            return pools.sites[i], room
    return None
