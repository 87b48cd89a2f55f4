"""The demo outbreak: venue check-ins of the last 14 days, index cases in 魏都区, their
household contacts and the health codes that follow, all dated relative to the as-of
date of a `Clock`.

`Checkins` is fed the tree walk one community at a time (its venues and residents) and
draws that community's check-ins with NumPy in one go, so memory stays bounded by the
largest community. It keeps the residents of the first few communities of 魏都区, where
`outbreak_write` later places the cases. Everything is drawn from seeded streams in tree
order: the same N, seed and as-of date give the same rows on every database.
"""

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import connection
from django.db.models import Max
from django.utils.translation import gettext as _

from fangkong.audit.models import Event
from fangkong.audit.services import EVENT_FIELDS, SYSTEM, EventRow
from fangkong.core.bulk import copy_rows, reset_sequence
from fangkong.demo import data
from fangkong.demo.clock import Clock, is_rest_day
from fangkong.demo.tree import Node
from fangkong.epi.models import (
    Case,
    CaseKind,
    CaseStatus,
    CheckIn,
    Contact,
    ContactStatus,
    Degree,
    Destination,
    ExposureRelation,
    FoundBy,
    FoundWhere,
)
from fangkong.healthcode.store import recompute
from fangkong.places.models import Level

DAYS = 14
CHECKIN_FIELDS = ["person", "venue", "time_in", "time_out"]
CASE_FIELDS = [
    "id",
    "number",
    "person",
    "kind",
    "found_by",
    "found_where",
    "sampled_on",
    "onset_on",
    "reported_on",
    "status",
    "destination",
    "destination_name",
    "transferred_at",
    "division_key",
    "registered_at",
    "created_at",
]
CONTACT_FIELDS = [
    "id",
    "case",
    "person",
    "degree",
    "relation",
    "last_exposure_on",
    "status",
    "became_case",
    "note",
    "division_key",
    "identified_at",
    "created_at",
]

CASES_PER_10K = 5
CASES_PER_COMMUNITY = 40  # communities of 魏都区 kept for the outbreak: cases / this, at least 2
CHECKER_SHARE = 0.7  # of residents aged 18–74 who scan venue codes
WORKER_SHARE = 0.6  # of checkers under 60 who go to a workplace on working days
LANDMARK_SHARE = 0.05  # errands to the district's big supermarkets and markets

KINDS = [
    "supermarket",
    "market",
    "restaurant",
    "pharmacy",
    "hospital",
    "school",
    "office",
    "factory",
    "transport",
    "gym",
    "other",
]
KIND_INDEX = {k: i for i, k in enumerate(KINDS)}
ERRAND_WEIGHTS = {
    "supermarket": 28,
    "market": 14,
    "restaurant": 30,
    "pharmacy": 8,
    "hospital": 4,
    "transport": 3,
    "gym": 5,
    "other": 8,
}
# Per kind: two windows for the time in (minutes after midnight, chosen half and half) and
# the stay (minutes).
H = 60
WINDOWS: dict[str, tuple[int, int, int, int, int, int]] = {
    "supermarket": (9 * H, 12 * H, 15 * H, 21 * H, 15, 60),
    "market": (6 * H, 9 * H, 16 * H, 19 * H, 15, 50),
    "restaurant": (11 * H, 13 * H, 17 * H + 30, 20 * H, 30, 90),
    "pharmacy": (8 * H, 12 * H, 14 * H, 20 * H, 5, 20),
    "hospital": (8 * H, 11 * H, 14 * H, 17 * H, 30, 120),
    "school": (9 * H, 11 * H, 14 * H, 16 * H, 15, 60),
    "office": (9 * H, 11 * H, 14 * H, 17 * H, 15, 60),
    "factory": (9 * H, 11 * H, 14 * H, 17 * H, 15, 60),
    "transport": (6 * H, 10 * H, 16 * H, 21 * H, 10, 40),
    "gym": (6 * H, 8 * H, 18 * H, 21 * H, 45, 120),
    "other": (9 * H, 12 * H, 14 * H, 20 * H, 10, 40),
}
WIN = np.array([WINDOWS[k] for k in KINDS], dtype=np.int64)
ERRAND_KINDS = np.array([KIND_INDEX[k] for k in ERRAND_WEIGHTS], dtype=np.int64)
ERRAND_CUM = np.cumsum(list(ERRAND_WEIGHTS.values())) / sum(ERRAND_WEIGHTS.values())
RECENT_DAY = DAYS - 5  # check-ins from this day on make a person a likely index case


def _stamps(seconds: Any) -> list[str]:
    """Epoch seconds → 'YYYY-MM-DD HH:MM:SS' UTC text (SQLite's form; +00 for PostgreSQL)."""
    text = np.datetime_as_string(np.asarray(seconds, dtype="datetime64[s]"), unit="s")
    chars = np.ascontiguousarray(text).view(np.uint32).reshape(len(text), -1)
    chars[:, 10] = ord(" ")
    text = chars.reshape(-1).view(text.dtype)
    out: list[str] = text.tolist()
    if connection.vendor == "postgresql":
        out = [s + "+00" for s in out]
    return out


@dataclass
class Community:
    """A kept community of 魏都区: its residents and how active each was lately."""

    key: str
    ids: list[int] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    households: list[int] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    adults: list[bool] = field(default_factory=list)
    recent: dict[int, int] = field(default_factory=dict)  # person → check-ins in the last days


class Checkins:
    def __init__(self, seed: int, residents: int, per_day: float, clock: Clock) -> None:
        self.rng = np.random.default_rng([seed, 0xC0DE, 14])
        self.clock = clock
        first_day = clock.days_ago(DAYS)
        # Midnight of each day (a list, not a fixed stride: the zone may have summer time).
        self.midnights = np.array(
            [int(clock.at(first_day + dt.timedelta(days=d), 0).timestamp()) for d in range(DAYS)],
            dtype=np.int64,
        )
        self.workday = np.array(
            [not is_rest_day(first_day + dt.timedelta(days=d)) for d in range(DAYS)], dtype=bool
        )
        # Birth dates (ISO text) bounding adults 18–74 and workers under 60.
        self.adult_from = clock.years_ago(75).isoformat()
        self.adult_until = clock.years_ago(18).isoformat()
        self.worker_from = clock.years_ago(60).isoformat()
        self.per_day = max(0.0, per_day)
        self.cases_wanted = max(3, round(residents * CASES_PER_10K / 10_000))
        self.keep = max(2, math.ceil(self.cases_wanted / CASES_PER_COMMUNITY))
        self.kept: list[Community] = []
        self.rows: list[tuple[object, ...]] = []
        self.written = 0
        self.district = -1
        self.landmarks: list[tuple[int, int]] = []  # (venue id, kind) of the district
        self.landmarks_open = False
        self.community: Community | None = None
        self.venues: list[tuple[int, int]] = []
        self.people: list[tuple[int, str]] = []  # (id, birth date) of the community

    # --- the walk ----------------------------------------------------------------------

    def node(self, node: Node) -> None:
        if node.level <= Level.COMMUNITY:
            self.end_community()
        if node.level == Level.DISTRICT:
            self.district = node.district
            self.landmarks = []
            self.landmarks_open = True
        elif node.level == Level.COMMUNITY:
            keep = self.district == 0 and len(self.kept) < self.keep
            self.community = Community(node.key) if keep else None
            if keep:
                self.kept.append(self.community)  # type: ignore[arg-type]

    def add_venues(self, rows: list[tuple[Any, ...]], landmarks: int) -> None:
        """Venue rows just made for a grid; the first `landmarks` are the district's."""
        for i, row in enumerate(rows):
            kind = KIND_INDEX.get(row[3], KIND_INDEX["other"])
            self.venues.append((row[0], kind))
            if i < landmarks and self.landmarks_open and row[3] in ("supermarket", "market"):
                self.landmarks.append((row[0], kind))
        if landmarks:
            self.landmarks_open = False

    def add_residents(self, rows: list[tuple[Any, ...]]) -> None:
        community = self.community
        for row in rows:
            self.people.append((row[0], row[6]))
            if community is not None:
                community.ids.append(row[0])
                community.names.append(row[2])
                community.households.append(row[8])
                community.keys.append(row[11])
                community.adults.append(self.adult_from < row[6] <= self.adult_until)

    def end_community(self) -> None:
        if self.people:
            self._draw()
        self.people = []
        self.venues = []

    def take_rows(self) -> list[tuple[object, ...]]:
        rows, self.rows = self.rows, []
        return rows

    # --- drawing -----------------------------------------------------------------------

    def _draw(self) -> None:
        rng = self.rng
        pool = self.venues
        if not pool or self.per_day <= 0:
            return
        ids = np.array([p[0] for p in self.people], dtype=np.int64)
        births = np.array([p[1] for p in self.people])
        adult = (births > self.adult_from) & (births <= self.adult_until)
        checker = adult & (rng.random(len(ids)) < CHECKER_SHARE)
        worker = checker & (births > self.worker_from) & (rng.random(len(ids)) < WORKER_SHARE)
        people = ids[checker]
        worker = worker[checker]
        n = len(people)
        if not n:
            return
        pool_ids = np.array([v[0] for v in pool], dtype=np.int64)
        pool_kinds = np.array([v[1] for v in pool], dtype=np.int64)
        order = np.argsort(pool_kinds, kind="stable")
        pool_ids, pool_kinds = pool_ids[order], pool_kinds[order]
        per_kind = np.bincount(pool_kinds, minlength=len(KINDS))
        kind_start = np.concatenate(([0], np.cumsum(per_kind)[:-1]))
        workplace = rng.integers(0, len(pool_ids), n)

        counts = np.minimum(rng.poisson(self.per_day, (n, DAYS)), 4).ravel()
        total = int(counts.sum())
        slot = np.repeat(np.arange(n * DAYS), counts)
        rank = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        who, day = slot // DAYS, slot % DAYS
        busy = worker[who] & self.workday[day]
        at_work = busy & (rank == 0)

        # Errands: a kind by weight, a venue of that kind in the community (any if none).
        kind = ERRAND_KINDS[np.searchsorted(ERRAND_CUM, rng.random(total), side="right")]
        have = per_kind[kind]
        u = rng.random(total)
        pick = np.where(
            have > 0, kind_start[kind] + (u * have).astype(np.int64), (u * len(pool_ids))
        ).astype(np.int64)
        pick = np.where(at_work, workplace[who], pick)
        venue, vkind = pool_ids[pick], pool_kinds[pick]
        if self.landmarks:
            big = np.array(self.landmarks, dtype=np.int64)
            shop = ~at_work & (kind <= KIND_INDEX["market"])
            far = shop & (rng.random(total) < LANDMARK_SHARE)
            which = rng.integers(0, len(big), total)
            venue = np.where(far, big[which, 0], venue)
            vkind = np.where(far, big[which, 1], vkind)

        win = WIN[vkind]
        second = rng.random(total) < 0.5
        lo = np.where(second, win[:, 2], win[:, 0])
        hi = np.where(second, win[:, 3], win[:, 1])
        start = lo + (rng.random(total) * (hi - lo)).astype(np.int64)
        stay = win[:, 4] + (rng.random(total) * (win[:, 5] - win[:, 4] + 1)).astype(np.int64)
        # Workers run errands after work; at work they stay a working day.
        evening = 17 * H + 30 + (rng.random(total) * 180).astype(np.int64)
        start = np.where(busy & ~at_work, evening, start)
        work_start = 7 * H + 30 + (rng.random(total) * 90).astype(np.int64)
        start = np.where(at_work, work_start, start)
        stay = np.where(at_work, 450 + (rng.random(total) * 120).astype(np.int64), stay)
        seconds = rng.integers(0, 60, total)
        t_in = self.midnights[day] + start * 60 + seconds
        t_out = t_in + stay * 60 + rng.integers(0, 60, total)
        person = people[who]

        order = np.lexsort((venue, t_in, person))
        person, venue, t_in, t_out = person[order], venue[order], t_in[order], t_out[order]
        keep = np.ones(len(order), dtype=bool)
        keep[1:] = (person[1:] != person[:-1]) | (venue[1:] != venue[:-1]) | (t_in[1:] != t_in[:-1])
        person, venue, t_in, t_out = person[keep], venue[keep], t_in[keep], t_out[keep]
        if self.community is not None:
            recent = person[t_in >= self.midnights[RECENT_DAY]]
            found, times = np.unique(recent, return_counts=True)
            self.community.recent.update(zip(found.tolist(), times.tolist(), strict=True))
        self.rows.extend(
            zip(person.tolist(), venue.tolist(), _stamps(t_in), _stamps(t_out), strict=True)
        )


def checkins_write(rows: list[tuple[object, ...]]) -> int:
    return copy_rows(CheckIn, CHECKIN_FIELDS, rows)


# --- the outbreak ------------------------------------------------------------------------


@dataclass
class PlannedCase:
    person: int
    name: str
    key: str
    household: int
    community: int
    reported_on: dt.date
    found_in_quarantine: bool = False
    primary: "PlannedCase | None" = None
    kind: str = CaseKind.ASYMPTOMATIC
    found_by: str = FoundBy.COMMUNITY_SCREENING
    sampled_on: dt.date = dt.date.min  # set by _details
    onset_on: dt.date | None = None
    transferred_at: dt.datetime | None = None
    destination: str = ""
    destination_name: str = ""
    id: int = 0
    number: str = ""

    def isolated_on(self, clock: Clock) -> dt.date:
        if self.transferred_at is not None:
            return self.transferred_at.astimezone(clock.tz).date()
        return self.reported_on


@dataclass
class OutbreakStats:
    cases: int = 0
    contacts: int = 0
    checkins_dropped: int = 0


def _plan(
    kept: list[Community], wanted: int, rng: random.Random, clock: Clock
) -> list[PlannedCase]:
    """Who falls ill, where and when: community cases, then some of their housemates."""
    if not kept:
        return []
    homes: list[dict[int, list[int]]] = []
    for community in kept:
        home: dict[int, list[int]] = {}
        for i, household in enumerate(community.households):
            home.setdefault(household, []).append(i)
        homes.append(home)
    in_quarantine = wanted // 5
    # Per community, adults in a shuffled order: the recently active first.
    queues: list[list[int]] = []
    for community in kept:
        tiers: list[list[int]] = [[], [], []]
        for i, pid in enumerate(community.ids):
            if community.adults[i]:
                seen = community.recent.get(pid, -1)
                tiers[0 if seen >= 2 else 1 if seen >= 0 else 2].append(i)
        for tier in tiers:
            rng.shuffle(tier)
        queues.append([i for tier in tiers for i in tier][::-1])
    primaries: list[PlannedCase] = []
    taken: set[int] = set()  # households with a case
    for n in range(wanted - in_quarantine):
        c = n % len(kept)
        community, queue = kept[c], queues[c]
        while queue and community.households[queue[-1]] in taken:
            queue.pop()
        if not queue:
            continue
        i = queue.pop()
        taken.add(community.households[i])
        day = clock.days_ago(rng.choice((1, 1, 2, 2, 3, 4)))
        primaries.append(
            PlannedCase(
                community.ids[i],
                community.names[i],
                community.keys[i],
                community.households[i],
                c,
                day,
            )
        )
    cases = list(primaries)
    sources = [p for p in primaries if p.reported_on <= clock.days_ago(2)]
    rng.shuffle(sources)
    made = 0
    for primary in sources:
        if made == in_quarantine:
            break
        community = kept[primary.community]
        mates = [
            i
            for i in homes[primary.community][primary.household]
            if community.ids[i] != primary.person
        ]
        if not mates:
            continue
        i = rng.choice(mates)
        made += 1
        later = primary.reported_on + dt.timedelta(days=rng.choice((1, 1, 2)))
        cases.append(
            PlannedCase(
                community.ids[i],
                community.names[i],
                community.keys[i],
                primary.household,
                primary.community,
                min(clock.days_ago(1), later),
                found_in_quarantine=True,
                primary=primary,
            )
        )
    cases.sort(key=lambda p: (p.reported_on, p.community, p.person))
    # The newest community case is still waiting for transfer: its contacts are being traced.
    sources_used = {id(p.primary) for p in cases if p.primary is not None}
    free = [p for p in primaries if id(p) not in sources_used]
    last = max(free, key=lambda p: p.reported_on) if free else None
    if last is not None:
        last.reported_on = clock.days_ago(1)
    for p in cases:
        _details(p, rng, clock, keep_open=p is last)
    cases.sort(key=lambda p: (p.reported_on, p.community, p.person))
    return cases


def _details(p: PlannedCase, rng: random.Random, clock: Clock, *, keep_open: bool) -> None:
    p.kind = CaseKind.CONFIRMED if rng.random() < 0.4 else CaseKind.ASYMPTOMATIC
    if p.found_in_quarantine:
        p.found_by = FoundBy.IN_QUARANTINE
    else:
        p.found_by = rng.choice(
            [FoundBy.COMMUNITY_SCREENING] * 6 + [FoundBy.FEVER_CLINIC, FoundBy.RISK_POST]
        )
    if p.kind == CaseKind.CONFIRMED and p.found_by == FoundBy.COMMUNITY_SCREENING:
        p.found_by = rng.choice((FoundBy.COMMUNITY_SCREENING, FoundBy.FEVER_CLINIC))
    p.sampled_on = p.reported_on - dt.timedelta(days=1 if rng.random() < 0.6 else 0)
    if p.kind == CaseKind.CONFIRMED:
        p.onset_on = p.sampled_on - dt.timedelta(days=rng.randint(0, 2))
    recent = p.reported_on >= clock.days_ago(1)
    if keep_open or (recent and rng.random() < 0.5):
        return
    if p.kind == CaseKind.CONFIRMED:
        p.destination = Destination.DESIGNATED_HOSPITAL
        p.destination_name = rng.choice(data.DESIGNATED_HOSPITALS)
    else:
        p.destination = Destination.SHELTER_HOSPITAL
        p.destination_name = rng.choice(data.SHELTER_HOSPITALS)
    minutes = rng.randint(14 * 60, 23 * 60)
    p.transferred_at = clock.at(p.reported_on, 0) + dt.timedelta(minutes=minutes)


def outbreak_write(checkins: Checkins, *, seed: int, actor: Any) -> OutbreakStats:
    """Cases and household contacts (columnar), their audit events and health codes.

    The rows are dated relative to the as-of date of `checkins.clock`; the health codes
    are derived as of the real now, so a demo as of today has its contacts in quarantine.
    """
    rng = random.Random(f"fangkong-demo-outbreak-{seed}")
    clock = checkins.clock
    kept = checkins.kept
    cases = _plan(kept, checkins.cases_wanted, rng, clock)
    stats = OutbreakStats()
    if not cases:
        return stats
    year = clock.as_of.year
    prefix = f"{cases[0].key[:4]}-{year}-"
    last = Case.objects.filter(number__startswith=prefix).aggregate(n=Max("number"))["n"]
    sequence = int(last.rsplit("-", 1)[1]) if last else 0
    case_id = Case.objects.aggregate(n=Max("id"))["n"] or 0
    contact_id = Contact.objects.aggregate(n=Max("id"))["n"] or 0
    by_person: dict[int, PlannedCase] = {}
    for p in cases:
        case_id += 1
        sequence += 1
        p.id, p.number = case_id, f"{p.key[:4]}-{year}-{sequence:04d}"
        by_person[p.person] = p

    at = clock.at

    case_rows = [
        (
            p.id,
            p.number,
            p.person,
            p.kind,
            p.found_by,
            FoundWhere.QUARANTINE if p.found_in_quarantine else FoundWhere.COMMUNITY,
            p.sampled_on.isoformat(),
            p.onset_on.isoformat() if p.onset_on else None,
            p.reported_on.isoformat(),
            CaseStatus.TRANSFERRED if p.transferred_at else CaseStatus.REPORTED,
            p.destination,
            p.destination_name,
            p.transferred_at,
            p.key,
            at(p.reported_on, 12),  # registered at noon on the report day (valid time) …
            at(p.reported_on, 12),  # … and recorded then: the story has no late entries
        )
        for p in cases
    ]
    actor_id, actor_name = (actor.pk, str(actor)) if actor is not None else (None, SYSTEM)
    events: list[tuple[object, ...]] = []

    def event(when: dt.datetime, action: str, kind: str, oid: int, label: str, **kw: Any) -> None:
        events.append(
            EventRow(
                at=when,
                actor=actor_id,
                actor_name=actor_name,
                action=action,
                object_type=kind,
                object_id=str(oid),
                object_label=label[:200],
                person_id=kw["person"],
                division_key=kw["key"],
                field=kw["field"],
                from_value=kw.get("old", ""),
                to_value=kw["new"][:300],
                recorded_at=when,  # the story's events were recorded as they happened
            )
        )

    for p in cases:
        label = f"{p.number} {p.name}"
        kind_label = str(CaseKind(p.kind).label)
        event(
            at(p.reported_on, 12),
            "case.registered",
            "epi.case",
            p.id,
            label,
            person=p.person,
            key=p.key,
            field="kind",
            new=kind_label,
        )
        if p.transferred_at:
            place = f"{Destination(p.destination).label} {p.destination_name}"
            event(
                p.transferred_at,
                "case.transferred",
                "epi.case",
                p.id,
                label,
                person=p.person,
                key=p.key,
                field="destination",
                new=place,
            )
            event(
                p.transferred_at,
                "case.transferred",
                "epi.case",
                p.id,
                label,
                person=p.person,
                key=p.key,
                field="status",
                old=str(CaseStatus.REPORTED.label),
                new=str(CaseStatus.TRANSFERRED.label),
            )

    homes: dict[int, list[int]] = {}
    where: dict[int, tuple[int, int]] = {}  # person → (community, position)
    for c in {p.community for p in cases}:
        community = kept[c]
        for i, (pid, household) in enumerate(zip(community.ids, community.households, strict=True)):
            homes.setdefault(household, []).append(pid)
            where[pid] = (c, i)
    contact_rows: list[tuple[object, ...]] = []
    exposed: dict[int, dt.date] = {}  # person → first day under control (no check-ins after)
    for p in cases:
        exposed[p.person] = min(exposed.get(p.person, p.reported_on), p.reported_on)
        for pid in homes[p.household]:
            if pid == p.person or (p.primary is not None and pid == p.primary.person):
                continue
            later = by_person.get(pid)
            became = later.id if later and later.primary is p else None
            status = ContactStatus.UNDER_CONTROL
            if p.transferred_at is None and became is None:
                u = rng.random()
                status = (
                    ContactStatus.IDENTIFIED
                    if u < 0.3
                    else ContactStatus.LOCATED
                    if u < 0.7
                    else ContactStatus.UNDER_CONTROL
                )
            c, i = where[pid]
            key, name = kept[c].keys[i], kept[c].names[i]
            contact_id += 1
            contact_rows.append(
                (
                    contact_id,
                    p.id,
                    pid,
                    Degree.CLOSE,
                    ExposureRelation.HOUSEHOLD,
                    p.isolated_on(clock).isoformat(),
                    status,
                    became,
                    "",
                    key,
                    at(p.reported_on, 18),
                    at(p.reported_on, 18),
                )
            )
            exposed[pid] = min(exposed.get(pid, p.reported_on), p.reported_on)
            event(
                at(p.reported_on, 18),
                "contact.added",
                "epi.contact",
                contact_id,
                f"{name} ← {p.number}",
                person=pid,
                key=key,
                field="degree",
                new=f"{Degree.CLOSE.label} ← {p.number}",
            )

    stats.cases = copy_rows(Case, CASE_FIELDS, case_rows)
    stats.contacts = copy_rows(Contact, CONTACT_FIELDS, contact_rows)
    reset_sequence(Case)
    reset_sequence(Contact)
    copy_rows(Event, EVENT_FIELDS, events)
    # Isolated people check in nowhere: drop their scans from the day they were isolated.
    by_day: dict[dt.date, list[int]] = {}
    for pid, day in exposed.items():
        by_day.setdefault(day, []).append(pid)
    for day, pids in sorted(by_day.items()):
        gone, _by_model = CheckIn.objects.filter(
            person_id__in=pids, time_in__gte=at(day, 0)
        ).delete()
        stats.checkins_dropped += gone
    recompute(person_ids=sorted(exposed), actor=actor, reason=_("Demo outbreak generated"))
    return stats
