"""Allocation: propose rooms for a batch of people, review the proposal, confirm it whole.

An operator picks people (waiting close contacts, or pasted ID numbers) and a category. The
engine proposes a room for each person from the free rooms of the operator's sites (`sites_for`)
and stores the proposal as a draft `AllocationBatch`, so nothing is lost if the browser closes.
The rules come from the active profile (`rules.quarantine`):

- one person per room (`one_person_per_room`; when off, single adults of one sex may share a
  room up to its beds);
- members of one household in the batch share a room when `household_together` and a free room
  has the beds; otherwise they are split;
- a child younger than `child_with_guardian_under_age` is always placed with an adult of the
  household; with no adult in the batch the child is not placed, and the reason says so;
- people on the key-person ledger as disabled or elderly living alone get accessible rooms;
- the nearest site with a free room first: straight-line distance from the home community to
  the site when both have coordinates (a site without its own uses its place's), otherwise by
  jurisdiction (same community, street, district, city). Sites at a known distance come first.

People who cannot be placed are listed with the reason. Confirmation is one transaction: the
rooms are locked (SELECT … FOR UPDATE on PostgreSQL; SQLite runs one writer at a time), every
room must still be free, and then stays, measures (`measures_start_bulk`), room statuses and
audit events are written in bulk. If any room was taken meanwhile nothing is written and the
operator proposes again; a room is never booked twice.

The engine works on plain lists loaded with a few set-based queries and ranks sites with NumPy,
so a batch of 10,000 people is proposed in well under two seconds (bench/allocation.py).
"""

import datetime as dt
import gc
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, Max, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from fangkong.audit.services import EventRow, actor_columns, event_record, events_record_bulk
from fangkong.core.access import NO_SCOPE, Cap, acting_user, require, scope_key, scoped
from fangkong.core.db import in_ids
from fangkong.core.errors import field_error
from fangkong.epi.models import Contact, ContactStatus, Degree
from fangkong.epi.selectors import contacts_for_user
from fangkong.people.display import age_on
from fangkong.people.idnumber import IdNumberError, mask_id_number, parse_id_number
from fangkong.people.models import KeyCategory, KeyPerson, Relation, Resident
from fangkong.places.models import Division
from fangkong.policy import accessor
from fangkong.policy.schema import CATEGORIES
from fangkong.quarantine import schedules
from fangkong.quarantine.measures import (
    MeasureStart,
    category_label,
    insert_rows,
    measures_start_bulk,
)
from fangkong.quarantine.models import (
    STAY_OPEN,
    AllocationBatch,
    Measure,
    MeasureStatus,
    Room,
    RoomStatus,
    Site,
    Stay,
    StayStatus,
)
from fangkong.quarantine.sites import is_site_manager, room_label, sites_for
from fangkong.tally import services as tally

ADULT_AGE = 18  # the age of majority (Civil Code art. 17): who may look after a child
NEEDS_ACCESSIBLE = (KeyCategory.DISABLED, KeyCategory.ELDERLY_ALONE)
CENTRALISED_PHASES = {"centralised", "centralised_or_home"}
GUARDIAN_FIRST = (Relation.HEAD, Relation.SPOUSE, Relation.PARENT)
CHUNK = 1000
MAX_PEOPLE = 20000
LEVEL_LENGTHS = (12, 9, 6, 4)  # community, street, district, city: key proximity tiers
EARTH_KM = 6371.0

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


# Whom to allocate -----------------------------------------------------------------------


def _category_rule(category: str) -> Any:
    """The active profile's rule for `category`, refused unless it has centralised quarantine."""
    if not category or category not in CATEGORIES:
        raise field_error("category", _("Choose the people's category: it decides the schedule"))
    policy = accessor.current()
    rule = policy.rules.measure(category)
    if not rule.identified or not rule.phases:
        raise field_error(
            "category",
            _("The active policy (%(profile)s) sets no measures for %(category)s")
            % {"profile": policy.profile.name, "category": category_label(category)},
        )
    if rule.phases[0].kind not in CENTRALISED_PHASES:
        raise field_error(
            "category",
            _(
                "Under the active policy (%(profile)s), %(category)s has no centralised "
                "quarantine: start home measures instead"
            )
            % {"profile": policy.profile.name, "category": category_label(category)},
        )
    return rule


def _degree_of(category: str) -> str:
    degrees = {"close_contact": Degree.CLOSE, "secondary_contact": Degree.SECONDARY}
    if category not in degrees:
        raise field_error(
            "category",
            _("Contacts are close or secondary contacts: choose one of those categories"),
        )
    return degrees[category]


def waiting_contacts(
    user: Any, *, category: str = "close_contact", since: dt.date | None = None
) -> QuerySet[Contact]:
    """Contacts identified or located, whose person has no active measure and no room yet."""
    qs = contacts_for_user(user, degree=_degree_of(category)).filter(
        status__in=(ContactStatus.IDENTIFIED, ContactStatus.LOCATED)
    )
    if since is not None:
        qs = qs.filter(created_at__date__gte=since)
    active = Measure.objects.filter(person=OuterRef("person"), status=MeasureStatus.ACTIVE)
    housed = Stay.objects.filter(person=OuterRef("person"), status__in=STAY_OPEN)
    return qs.filter(~Exists(active), ~Exists(housed))


def people_from_contacts(
    user: Any, *, category: str, since: dt.date | None = None
) -> dict[int, dt.date]:
    """Person → last exposure (the latest over their contact records): the anchor."""
    rows = (
        waiting_contacts(user, category=category, since=since)
        .values("person_id")
        .annotate(anchor=Max("last_exposure_on"))
        .order_by("person_id")
        .values_list("person_id", "anchor")
    )
    return dict(rows)


def people_from_id_numbers(
    user: Any, text: str, *, anchor_on: dt.date | None
) -> tuple[dict[int, dt.date], list[dict[str, Any]]]:
    """Pasted ID numbers (one per line, or separated by spaces, commas or semicolons)."""
    if anchor_on is None:
        raise field_error("anchor_on", _("Enter the date the schedule counts from"))
    unplaced: list[dict[str, Any]] = []
    numbers: list[str] = []
    for token in (text or "").replace(",", " ").replace(";", " ").replace("，", " ").split():
        try:
            numbers.append(parse_id_number(token).number)
        except IdNumberError as exc:
            unplaced.append(_entry(None, R_BAD_ID, {"reason": str(exc)}, label=_masked(token)))
    numbers = list(dict.fromkeys(numbers))
    if not numbers and not unplaced:
        raise field_error("id_numbers", _("Paste the ID numbers of the people to allocate"))
    if len(numbers) > MAX_PEOPLE:
        raise field_error(
            "id_numbers", _("Allocate at most %(max)s people at once") % {"max": MAX_PEOPLE}
        )
    found: dict[str, int] = {}
    for chunk in chunks(numbers):
        found.update(
            scoped(Resident.objects.filter(id_number__in=chunk), user).values_list(
                "id_number", "id"
            )
        )
    for number in numbers:
        if number not in found:
            unplaced.append(_entry(None, R_UNKNOWN, label=mask_id_number(number)))
    return {found[n]: anchor_on for n in numbers if n in found}, unplaced


def _masked(token: str) -> str:
    return mask_id_number(token) if len(token) == 18 else token[:3] + "…"


def _entry(
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
                _entry(kid.id, R_NO_GUARDIAN, {"age": rules.child_age}, anchor=kid.anchor)
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
                    out.unplaced.append(_entry(p.id, message, {"beds": unit.size}, anchor=p.anchor))
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


# Distances ------------------------------------------------------------------------------


def _coordinates(keys: Iterable[str]) -> dict[str, tuple[float, float]]:
    """For each key, the coordinates of its own node or of the nearest node above with some."""
    keys = set(keys)
    prefixes = sorted({k[:n] for k in keys for n in range(1, len(k) + 1)})
    known: dict[str, tuple[float, float]] = {}
    for chunk in chunks(prefixes):
        rows = Division.objects.filter(
            key__in=chunk, lat__isnull=False, lon__isnull=False
        ).values_list("key", "lat", "lon")
        known.update(
            (key, (lat, lon)) for key, lat, lon in rows if lat is not None and lon is not None
        )
    out = {}
    for key in keys:
        for n in range(len(key), 0, -1):
            if key[:n] in known:
                out[key] = known[key[:n]]
                break
    return out


def rank_sites(
    homes: Iterable[str],
    site_keys: Sequence[str],
    site_coords: Sequence[tuple[float, float] | None],
    home_coords: dict[str, tuple[float, float]],
) -> dict[str, list[int]]:
    """For each home community, site indexes nearest first (see the module's docstring)."""
    n = len(site_keys)
    lat = np.radians([c[0] if c else np.nan for c in site_coords])
    lon = np.radians([c[1] if c else np.nan for c in site_coords])
    prefixes = {length: np.array([k[:length] for k in site_keys]) for length in LEVEL_LENGTHS}
    order = np.arange(n)
    out: dict[str, list[int]] = {}
    for home in set(homes):
        tier = np.full(n, len(LEVEL_LENGTHS), dtype=float)
        for level, length in enumerate(LEVEL_LENGTHS):
            if n and len(home) >= length:
                same = prefixes[length] == home[:length]
                tier = np.where(same & (tier > level), level, tier)
        if home in home_coords:
            hlat, hlon = np.radians(home_coords[home])
            a = (
                np.sin((lat - hlat) / 2) ** 2
                + np.cos(hlat) * np.cos(lat) * np.sin((lon - hlon) / 2) ** 2
            )
            distance = 2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))
        else:
            distance = np.full(n, np.nan)
        unknown = np.isnan(distance)
        score = np.where(unknown, tier, distance)
        out[home] = np.lexsort((order, score, unknown)).tolist()
    return out


# Proposing ------------------------------------------------------------------------------


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Pause the cyclic garbage collector while tens of thousands of small objects are made:
    its full passes over a large heap otherwise take half the time of a proposal."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _rules() -> Rules:
    q = accessor.current().rules.quarantine
    return Rules(q.one_person_per_room, q.household_together, q.child_with_guardian_under_age)


def _load_people(
    actor: Any, anchors: dict[int, dt.date], rule: Any, today: dt.date
) -> tuple[list[Person], list[dict[str, Any]]]:
    """The people who may be placed, and the others with the reason."""
    ids = sorted(anchors)
    rows = list(
        scoped(Resident.objects.filter(pk__in=in_ids(ids)), actor).values_list(
            "id", "division_key", "household_id", "relation", "birth_date", "sex"
        )
    )
    busy: dict[int, dict[str, Any]] = {}
    for pid, category, since in Measure.objects.filter(
        person_id__in=in_ids(ids), status=MeasureStatus.ACTIVE
    ).values_list("person_id", "category", "starts_on"):
        label = category_label(category)
        busy[pid] = _entry(pid, R_MEASURE, {"category": label, "since": since.isoformat()})
    for pid, site in Stay.objects.filter(
        person_id__in=in_ids(ids), status__in=STAY_OPEN
    ).values_list("person_id", "site__name"):
        busy[pid] = _entry(pid, R_STAY, {"site": site})
    access = set(
        KeyPerson.objects.filter(
            resident_id__in=in_ids(ids), category__in=NEEDS_ACCESSIBLE
        ).values_list("resident_id", flat=True)
    )
    unplaced = [
        _entry(pid, R_UNKNOWN, anchor=anchors[pid])
        for pid in sorted(set(ids) - {r[0] for r in rows})
    ]
    verdicts = {a: _schedule_problem(rule, a, today) for a in set(anchors.values())}
    people = []
    for pid, key, household, relation, born, sex in rows:
        anchor, problem = anchors[pid], verdicts[anchors[pid]]
        if pid in busy:
            unplaced.append({**busy[pid], "anchor": anchor.isoformat()})
        elif problem is not None:
            unplaced.append(_entry(pid, problem[0], problem[1], anchor=anchor))
        else:
            age = age_on(born, today)
            people.append(Person(pid, key, household, relation, age, sex, anchor, pid in access))
    return people, unplaced


def _schedule_problem(
    rule: Any, anchor: dt.date, today: dt.date
) -> tuple[str, dict[str, Any]] | None:
    if anchor > today:
        return R_FUTURE, {"anchor": anchor.isoformat()}
    planned = schedules.plan(rule, anchor, today=today)
    if planned.ends_on is None or planned.ends_on < today:
        return R_OVER, {"anchor": anchor.isoformat(), "end": str(planned.ends_on)}
    first = planned.phases[0] if planned.phases else None
    if first is None or first.kind not in CENTRALISED_PHASES or first.last_day < today:
        end = first.last_day.isoformat() if first else ""
        return R_HOME_ONLY, {"anchor": anchor.isoformat(), "end": end}
    return None


def _free_rooms(actor: Any) -> tuple[list[tuple[int, int, int, bool]], list[tuple[Any, ...]]]:
    sites = list(
        sites_for(actor, Cap.QUARANTINE_MANAGE)
        .filter(active=True)
        .order_by("pk")
        .values_list("id", "division_key", "latitude", "longitude")
    )
    housed = Stay.objects.filter(room=OuterRef("pk"), status__in=STAY_OPEN)
    rooms = list(
        Room.objects.filter(site_id__in=[s[0] for s in sites], status=RoomStatus.AVAILABLE)
        .filter(~Exists(housed))
        .order_by("site_id", "building", "floor", "number")
        .values_list("id", "site_id", "beds", "accessible")
    )
    return rooms, sites


def _rankings(people: Sequence[Person], sites: Sequence[tuple[Any, ...]]) -> dict[str, list[int]]:
    homes = {p.key[:12] for p in people}
    missing = [s[1] for s in sites if s[2] is None or s[3] is None]
    coords = _coordinates(homes | set(missing))
    site_coords = [
        (s[2], s[3]) if s[2] is not None and s[3] is not None else coords.get(s[1]) for s in sites
    ]
    return rank_sites(homes, [s[1] for s in sites], site_coords, coords)


@_without_cycle_collection()
@transaction.atomic
def allocation_propose(
    *,
    actor: Any,
    category: str,
    people: dict[int, dt.date],
    unplaced: Sequence[dict[str, Any]] = (),
    today: dt.date | None = None,
    source: str = "",
) -> AllocationBatch:
    """Propose rooms for `people` (person id → the date their schedule counts from); the
    proposal is saved as a draft batch for review."""
    require(actor, Cap.QUARANTINE_MANAGE)
    rule = _category_rule(category)
    if not people and not unplaced:
        raise field_error("people", _("There is nobody to allocate"))
    if len(people) > MAX_PEOPLE:
        raise field_error(
            "people", _("Allocate at most %(max)s people at once") % {"max": MAX_PEOPLE}
        )
    today = today or timezone.localdate()
    candidates, refused = _load_people(actor, people, rule, today)
    rooms, sites = _free_rooms(actor)
    rankings = _rankings(candidates, sites)
    proposal = propose(candidates, rooms, [s[0] for s in sites], rankings, _rules())
    prefix = scope_key(actor)
    batch = AllocationBatch.objects.create(
        category=category,
        created_by=acting_user(actor),
        plan=proposal.lines,
        unplaced=[*unplaced, *refused, *proposal.unplaced],
        division_key="" if prefix == NO_SCOPE else prefix,
    )
    event_record(
        actor=actor,
        action="allocation.proposed",
        obj=batch,
        data={
            "category": category,
            "source": source,
            "placed": len(batch.plan),
            "unplaced": len(batch.unplaced),
            "free_rooms": len(rooms),
        },
    )
    return batch


# Batches --------------------------------------------------------------------------------


def batches_for(user: Any) -> QuerySet[AllocationBatch]:
    """Batches proposed in the user's jurisdiction; a site manager sees their own."""
    require(user, Cap.QUARANTINE_MANAGE)
    qs = scoped(AllocationBatch.objects.all(), user)
    if is_site_manager(user):
        qs = qs.filter(created_by=user)
    return qs


def batch_for(user: Any, pk: int) -> AllocationBatch:
    from django.http import Http404

    batch = batches_for(user).select_related("created_by").filter(pk=pk).first()
    if batch is None:
        raise Http404
    return batch


def _lock_draft(actor: Any, batch: AllocationBatch) -> AllocationBatch:
    locked = batches_for(actor).select_for_update().filter(pk=batch.pk).first()
    if locked is None:
        raise field_error("batch", _("Not found, or outside your jurisdiction"))
    if locked.status != AllocationBatch.Status.DRAFT:
        raise field_error(
            "batch",
            _("This allocation is already %(status)s") % {"status": locked.get_status_display()},
        )
    return locked


@transaction.atomic
def allocation_remove(
    *, actor: Any, batch: AllocationBatch, person_ids: Iterable[int]
) -> AllocationBatch:
    """Take people out of a draft; a child may not be left without the adult placed with them."""
    locked = _lock_draft(actor, batch)
    removing = set(person_ids)
    if not removing & {line["person"] for line in locked.plan}:
        raise field_error("people", _("Choose the people to take out of the proposal"))
    kept = [line for line in locked.plan if line["person"] not in removing]
    touched = {line["group"] for line in locked.plan if line["person"] in removing}
    left = [line for line in kept if line["group"] in touched]
    if left:
        _check_guardians(left)
    removed = [line for line in locked.plan if line["person"] in removing]
    locked.plan = kept
    locked.unplaced = [
        *locked.unplaced,
        *(
            _entry(line["person"], R_REMOVED, anchor=dt.date.fromisoformat(line["anchor"]))
            for line in removed
        ),
    ]
    locked.save(update_fields=["plan", "unplaced"])
    event_record(
        actor=actor,
        action="allocation.lines_removed",
        obj=locked,
        data={"people": sorted(line["person"] for line in removed)},
    )
    return locked


def _check_guardians(lines: list[dict[str, Any]]) -> None:
    """Refuse to leave a child in a room without an adult of the same group."""
    child_age = _rules().child_age
    today = timezone.localdate()
    people = {
        pid: (name, age_on(born, today))
        for pid, name, born in Resident.objects.filter(
            pk__in=[line["person"] for line in lines]
        ).values_list("id", "name", "birth_date")
    }
    oldest: dict[int, int] = defaultdict(int)
    for line in lines:
        oldest[line["group"]] = max(oldest[line["group"]], people[line["person"]][1])
    for line in lines:
        name, age = people[line["person"]]
        if age < child_age and oldest[line["group"]] < ADULT_AGE:
            raise field_error(
                "people",
                _(
                    "Take %(child)s out too, or keep the adult: a child under %(age)s stays "
                    "with an adult of the household"
                )
                % {"child": name, "age": child_age},
            )


@transaction.atomic
def allocation_cancel(*, actor: Any, batch: AllocationBatch, reason: str = "") -> AllocationBatch:
    locked = _lock_draft(actor, batch)
    locked.status = AllocationBatch.Status.CANCELLED
    locked.save(update_fields=["status"])
    event_record(
        actor=actor,
        action="allocation.cancelled",
        obj=locked,
        field="status",
        from_value=AllocationBatch.Status.DRAFT,
        to_value=AllocationBatch.Status.CANCELLED,
        reason=(reason or "").strip()[:300],
    )
    return locked


@transaction.atomic
def allocation_repropose(
    *, actor: Any, batch: AllocationBatch, today: dt.date | None = None
) -> AllocationBatch:
    """Propose again for the same people (e.g. after a confirmation was refused)."""
    locked = _lock_draft(actor, batch)
    people = {line["person"]: dt.date.fromisoformat(line["anchor"]) for line in locked.plan}
    carried = []
    for entry in locked.unplaced:
        if entry.get("message") == R_REMOVED:
            continue
        if entry.get("person") and entry.get("anchor"):
            people[entry["person"]] = dt.date.fromisoformat(entry["anchor"])
        elif not entry.get("person"):
            carried.append(entry)
    allocation_cancel(actor=actor, batch=locked, reason=_("Proposed again"))
    return allocation_propose(
        actor=actor,
        category=locked.category,
        people=people,
        unplaced=carried,
        today=today,
        source=f"batch:{locked.pk}",
    )


def allocation_confirm(
    *, actor: Any, batch: AllocationBatch, today: dt.date | None = None
) -> AllocationBatch:
    """Book the proposal whole: stays, measures, rooms occupied, events; or nothing."""
    try:
        return _confirm(actor, batch, today or timezone.localdate())
    except IntegrityError:  # a person got a measure or a room from elsewhere at the same moment
        raise field_error(
            "batch",
            _(
                "Someone in this proposal was allocated or put under a measure meanwhile: "
                "nothing was booked. Propose again."
            ),
        ) from None


@_without_cycle_collection()
@transaction.atomic
def _confirm(actor: Any, batch: AllocationBatch, today: dt.date) -> AllocationBatch:
    require(actor, Cap.QUARANTINE_MANAGE)
    locked = _lock_draft(actor, batch)
    lines = locked.plan
    if not lines:
        raise field_error("batch", _("Nobody is left in this proposal"))
    rule = _category_rule(locked.category)
    late = [
        a
        for a in {line["anchor"] for line in lines}
        if _schedule_problem(rule, dt.date.fromisoformat(a), today) is not None
    ]
    if late:
        raise field_error(
            "batch",
            _(
                "Counted from %(anchors)s, centralised quarantine is no longer due today: "
                "propose again"
            )
            % {"anchors": ", ".join(sorted(late))},
        )
    rooms = _lock_rooms(actor, sorted({line["room"] for line in lines}))
    person_ids = sorted(line["person"] for line in lines)
    people = {
        pid: (name, key)
        for pid, name, key in Resident.objects.filter(pk__in=in_ids(person_ids)).values_list(
            "id", "name", "division_key"
        )
    }
    housed = Stay.objects.filter(person_id__in=in_ids(person_ids), status__in=STAY_OPEN).first()
    if housed is not None:
        raise field_error(
            "batch",
            _("%(person)s was allocated a room meanwhile: nothing was booked. Propose again.")
            % {"person": housed.person.name},
        )
    measure_of = measures_start_bulk(
        actor=actor,
        category=locked.category,
        starts=[
            MeasureStart(
                person_id=line["person"],
                division_key=people[line["person"]][1],
                anchor_on=dt.date.fromisoformat(line["anchor"]),
                source=f"allocation:{locked.pk}",
                name=people[line["person"]][0],
            )
            for line in lines
        ],
        today=today,
        check_scope=False,
    )
    now = timezone.now()
    stamp = connection.ops.adapt_datetimefield_value(now)  # once, not once a row
    counted = tally.change("stay", rooms)  # the command dashboard's running counts
    insert_rows(
        Stay,
        ("person", "measure", "room", "site", "batch", "status", "allocated_at", "division_key"),
        (
            (
                line["person"],
                measure_of[line["person"]],
                line["room"],
                rooms[line["room"]][1],
                locked.pk,
                StayStatus.PLANNED,
                stamp,
                rooms[line["room"]][5],
            )
            for line in lines
        ),
    )
    counted.done()
    stay_of = dict(Stay.objects.filter(batch=locked).values_list("person_id", "id"))
    Room.objects.filter(pk__in=in_ids(rooms)).update(status=RoomStatus.OCCUPIED)
    _audit_stays(actor, locked, lines, stay_of, measure_of, rooms, people, stamp)
    locked.status = AllocationBatch.Status.CONFIRMED
    locked.confirmed_at = now
    locked.save(update_fields=["status", "confirmed_at"])
    event_record(
        actor=actor,
        action="allocation.confirmed",
        obj=locked,
        field="status",
        from_value=AllocationBatch.Status.DRAFT,
        to_value=AllocationBatch.Status.CONFIRMED,
        data={
            "people": len(lines),
            "rooms": len(rooms),
            "sites": len({r[1] for r in rooms.values()}),
            "category": locked.category,
        },
    )
    return locked


def _lock_rooms(actor: Any, room_ids: list[int]) -> dict[int, tuple[Any, ...]]:
    """Lock the batch's rooms in one order (no deadlock between two operators); every one must
    still be free and at one of the actor's sites in use."""
    allowed = set(
        sites_for(actor, Cap.QUARANTINE_MANAGE).filter(active=True).values_list("pk", flat=True)
    )
    rows = (
        Room.objects.select_for_update()
        .filter(pk__in=in_ids(room_ids))
        .order_by("pk")
        .values_list("pk", "site_id", "status", "building", "number", "division_key")
    )
    rooms = {row[0]: row for row in rows}
    housed = set(
        Stay.objects.filter(room_id__in=in_ids(room_ids), status__in=STAY_OPEN).values_list(
            "room_id", flat=True
        )
    )
    taken = [
        pk
        for pk in room_ids
        if pk not in rooms
        or rooms[pk][1] not in allowed
        or rooms[pk][2] != RoomStatus.AVAILABLE
        or pk in housed
    ]
    if taken:
        labels = [room_label(rooms[pk][3], rooms[pk][4]) for pk in taken[:10] if pk in rooms]
        raise field_error(
            "rooms",
            _(
                "%(n)s room(s) of this proposal were taken or closed meanwhile (%(rooms)s): "
                "nothing was booked. Propose again."
            )
            % {"n": len(taken), "rooms": ", ".join(labels) or "—"},
        )
    return rooms


def _audit_stays(
    actor: Any,
    batch: AllocationBatch,
    lines: list[dict[str, Any]],
    stay_of: dict[int, int],
    measure_of: dict[int, int],
    rooms: dict[int, tuple[Any, ...]],
    people: dict[int, tuple[str, str]],
    now: Any,
) -> None:
    """One "stay.allocated" event per person, written in one columnar insert."""
    user_id, actor_name = actor_columns(actor)

    def row(line: dict[str, Any]) -> EventRow:
        person, room = line["person"], rooms[line["room"]]
        label = room_label(room[3], room[4])
        data = {"batch": batch.pk, "site": room[1], "room": room[0], "measure": measure_of[person]}
        return EventRow(
            at=now,
            actor=user_id,
            actor_name=actor_name,
            action="stay.allocated",
            object_type="quarantine.stay",
            object_id=str(stay_of[person]),
            object_label=f"{people[person][0]} @ {label}"[:200],
            person_id=person,
            division_key=room[5],
            field="room",
            to_value=label,
            data=json.dumps(data),
        )

    events_record_bulk(row(line) for line in lines)


# Reading a batch ------------------------------------------------------------------------


@dataclass
class Line:
    person: Resident
    room: Room
    group: int
    anchor: dt.date
    household: int | None
    shares: int  # people of this batch in the same room


@dataclass
class SiteShare:
    site: Site
    people: int
    rooms: int


def batch_lines(batch: AllocationBatch, lines: Sequence[dict[str, Any]]) -> list[Line]:
    """Rows for a page of a batch's lines (two queries)."""
    people = Resident.objects.in_bulk([line["person"] for line in lines])
    rooms = Room.objects.select_related("site").in_bulk([line["room"] for line in lines])
    in_room = Counter(line["room"] for line in batch.plan)
    return [
        Line(
            person=people[line["person"]],
            room=rooms[line["room"]],
            group=line["group"],
            anchor=dt.date.fromisoformat(line["anchor"]),
            household=line.get("household"),
            shares=in_room[line["room"]],
        )
        for line in lines
        if line["person"] in people and line["room"] in rooms
    ]


def batch_sites(batch: AllocationBatch) -> list[SiteShare]:
    """People and rooms per site in a batch (one query)."""
    people = Counter(line["site"] for line in batch.plan)
    rooms: dict[int, set[int]] = defaultdict(set)
    for line in batch.plan:
        rooms[line["site"]].add(line["room"])
    sites = Site.objects.in_bulk(list(people))
    return [
        SiteShare(sites[pk], n, len(rooms[pk]))
        for pk, n in sorted(people.items(), key=lambda kv: -kv[1])
        if pk in sites
    ]


@dataclass
class Unplaced:
    person: Resident | None
    label: str
    reason: str
    anchor: str | None


def batch_unplaced(batch: AllocationBatch, limit: int = 500) -> list[Unplaced]:
    entries = batch.unplaced[:limit]
    people = Resident.objects.in_bulk([e["person"] for e in entries if e.get("person")])
    return [
        Unplaced(
            person=people.get(e["person"]) if e.get("person") else None,
            label=e.get("label", ""),
            reason=reason_text(e),
            anchor=e.get("anchor"),
        )
        for e in entries
    ]
