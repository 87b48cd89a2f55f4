"""The health-code rules: facts + a profile's rules → colour, deciding rule, since and until.

Pure functions over plain data (no queries): `derive_from()` gives the colour the rules give a
person's facts on a day. The facts are loaded by `facts.load_facts()`; storing the result is
`store.recompute()`.

Conditions the code recognises (a profile's `health_code` list decides their colour):
confirmed_case (any active infection: confirmed or asymptomatic), close_contact_under_quarantine,
secondary_contact_under_quarantine, under_health_monitoring (from contacts' last exposure), and
from the quarantine module's active measures: <category>_under_quarantine (e.g.
high_risk_area_leaver_under_quarantine, inbound_traveller_under_quarantine) during a quarantine
phase, under_health_monitoring during a monitoring phase, and missed_required_test while a missed
test day of an active measure has not been followed by a test taken. suspected_case never
matches yet (no module records suspected cases).
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy

from fangkong.epi.models import CaseStatus, ContactStatus, Degree
from fangkong.healthcode.models import Colour
from fangkong.policy.compare import CONDITION_LABELS
from fangkong.policy.schema import Category, Phase, Rules

CONFIRMED_CASE = "confirmed_case"
UNDER_MONITORING = "under_health_monitoring"
UNDER_QUARANTINE = {
    Degree.CLOSE: "close_contact_under_quarantine",
    Degree.SECONDARY: "secondary_contact_under_quarantine",
}
CATEGORY: dict[str, Category] = {
    Degree.CLOSE: "close_contact",
    Degree.SECONDARY: "secondary_contact",
}
MANUAL_OVERRIDE = "manual_override"
MISSED_TEST = "missed_required_test"
TEMPORARY_CONTROL = "under_temporary_control"
RULE_LABELS: dict[str, Any] = {
    **CONDITION_LABELS,
    MANUAL_OVERRIDE: gettext_lazy("set by hand (manual override)"),
}

SEVERITY = {Colour.GREEN: 0, Colour.YELLOW: 1, Colour.RED: 2}
QUARANTINE_PHASES = {"centralised", "home_quarantine", "centralised_or_home"}
INACTIVE_CASE = {CaseStatus.RECOVERED, CaseStatus.DIED}
ONE_DAY = dt.timedelta(days=1)


# ── facts (loaded by facts.load_facts) ──────────────────────────────────────


@dataclass(frozen=True)
class CaseFact:
    number: str
    kind: str
    status: str
    sampled_on: dt.date
    reported_on: dt.date


@dataclass(frozen=True)
class ContactFact:
    case_number: str
    case_kind: str
    degree: str
    status: str
    relation: str
    venue: str
    last_exposure_on: dt.date


@dataclass(frozen=True)
class OverrideFact:
    id: int
    colour: str
    reason: str
    basis: str
    created_at: dt.datetime
    valid_until: dt.datetime | None


@dataclass(frozen=True)
class ControlFact:
    tube: str
    since: dt.datetime


@dataclass(frozen=True)
class MeasureFact:
    id: int
    category: str
    phases: tuple[tuple[str, dt.date, dt.date], ...]  # (kind, first day, last day)
    ends_on: dt.date
    missed: tuple[dt.date, ...] = ()  # missed test days with no test taken after them


@dataclass
class PersonFacts:
    cases: list[CaseFact] = field(default_factory=list)
    contacts: list[ContactFact] = field(default_factory=list)
    measures: list[MeasureFact] = field(default_factory=list)
    controls: list[ControlFact] = field(default_factory=list)
    overrides: list[OverrideFact] = field(default_factory=list)  # active ones, newest first


# ── derivation ──────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Match:
    condition: str
    since: dt.date
    until: dt.date | None  # last day the condition holds (inclusive); None: open-ended
    fact: dict[str, Any]


@dataclass(frozen=True)
class Derived:
    colour: str
    rule: str
    facts: list[dict[str, Any]]  # JSON-ready; the deciding facts first
    since: dt.datetime | None
    until: dt.datetime | None  # when the colour stops holding (exclusive); None: not known


def start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def last_day(until: dt.datetime | None) -> dt.date | None:
    """The last local day a colour holds, from its exclusive end."""
    if until is None:
        return None
    return timezone.localtime(until - dt.timedelta(microseconds=1)).date()


def _case_matches(case: CaseFact) -> list[Match]:
    if case.status in INACTIVE_CASE:
        return []
    fact = {
        "type": "case",
        "case": case.number,
        "kind": case.kind,
        "status": case.status,
        "sampled_on": case.sampled_on.isoformat(),
        "reported_on": case.reported_on.isoformat(),
    }
    return [Match(CONFIRMED_CASE, case.reported_on, None, fact)]


def _blocks(phases: tuple[Phase, ...], exposed: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """Consecutive quarantine / monitoring phases as (condition, first day, last day).

    Day 1 of the schedule is the day after the last exposure; the exposure day itself already
    counts as under quarantine.
    """
    out: list[tuple[str, dt.date, dt.date]] = []
    offset = 0
    for phase in phases:
        kind = "quarantine" if phase.kind in QUARANTINE_PHASES else "monitoring"
        first = exposed + dt.timedelta(days=offset + 1) if out else exposed
        last = exposed + dt.timedelta(days=offset + phase.days)
        if out and out[-1][0] == kind:
            out[-1] = (kind, out[-1][1], last)
        else:
            out.append((kind, first, last))
        offset += phase.days
    return out


def _contact_matches(contact: ContactFact, rules: Rules, today: dt.date) -> list[Match]:
    measure = rules.measure(CATEGORY[contact.degree])
    if not measure.identified or not measure.phases:
        return []
    quarantine = UNDER_QUARANTINE[Degree(contact.degree)]
    fact: dict[str, Any] = {
        "type": "contact",
        "degree": contact.degree,
        "case": contact.case_number,
        "case_kind": contact.case_kind,
        "status": contact.status,
        "relation": contact.relation,
        "venue": contact.venue,
        "last_exposure_on": contact.last_exposure_on.isoformat(),
        "phases": [{"kind": p.kind, "days": p.days} for p in measure.phases],
    }
    exposed = contact.last_exposure_on
    fact["ends_on"] = (exposed + dt.timedelta(days=sum(p.days for p in measure.phases))).isoformat()
    if contact.status == ContactStatus.LOST:
        return [Match(quarantine, exposed, None, {**fact, "phase": "lost"})]
    for kind, first, last in _blocks(measure.phases, exposed):
        if today <= last:
            condition = quarantine if kind == "quarantine" else UNDER_MONITORING
            phase = {"phase": kind, "since": first.isoformat(), "until": last.isoformat()}
            return [Match(condition, first, last, {**fact, **phase})]
    return []


def _measure_matches(measure: MeasureFact, today: dt.date) -> list[Match]:
    fact: dict[str, Any] = {
        "type": "measure",
        "measure": measure.id,
        "category": measure.category,
        "phases": [
            {"kind": k, "days": (last - first).days + 1} for k, first, last in measure.phases
        ],
        "ends_on": measure.ends_on.isoformat(),
    }
    out: list[Match] = []
    for kind, first, last in measure.phases:
        if today <= last:
            quarantine = kind in QUARANTINE_PHASES
            condition = f"{measure.category}_under_quarantine" if quarantine else UNDER_MONITORING
            phase = {
                "phase": "quarantine" if quarantine else "monitoring",
                "kind": kind,  # the phase in force: its end is not the measure's
                "since": first.isoformat(),
                "until": last.isoformat(),
            }
            out.append(Match(condition, min(first, today), last, {**fact, **phase}))
            break
    if measure.missed:
        missed = {
            **fact,
            "type": "missed_test",
            "days": [d.isoformat() for d in measure.missed],
            "until": measure.ends_on.isoformat(),
        }
        out.append(Match(MISSED_TEST, measure.missed[0], measure.ends_on, missed))
    return out


def _control_match(control: ControlFact) -> Match:
    since = timezone.localtime(control.since).date()
    fact = {"type": "control", "tube": control.tube, "since": since.isoformat()}
    return Match(TEMPORARY_CONTROL, since, None, fact)


def _override_derived(override: OverrideFact, beneath: Derived) -> Derived:
    fact = {
        "type": "override",
        "override": override.id,
        "colour": override.colour,
        "reason": override.reason,
        "basis": override.basis,
        "set_on": timezone.localtime(override.created_at).date().isoformat(),
        "valid_until": override.valid_until.isoformat() if override.valid_until else None,
        "beneath": beneath.colour,
    }
    return Derived(
        colour=override.colour,
        rule=MANUAL_OVERRIDE,
        facts=[fact, *beneath.facts],
        since=override.created_at,
        until=override.valid_until,
    )


def derive_from(
    facts: PersonFacts, *, today: dt.date, rules: Rules, now: dt.datetime | None = None
) -> Derived:
    """The colour the rules give these facts on `today` (pure: no queries)."""
    matches = [m for c in facts.cases for m in _case_matches(c)]
    matches += [m for c in facts.contacts for m in _contact_matches(c, rules, today)]
    matches += [m for c in facts.measures for m in _measure_matches(c, today)]
    matches += [_control_match(c) for c in facts.controls]
    colour_of: dict[str, tuple[str, int]] = {}
    for order, rule in enumerate(rules.health_code):
        colour_of.setdefault(rule.when, (rule.colour, order))
    coloured = [m for m in matches if m.condition in colour_of]
    derived = Derived(Colour.GREEN, "", [], None, None)
    if coloured:
        ranked = sorted(
            coloured,
            key=lambda m: (-SEVERITY[Colour(colour_of[m.condition][0])], colour_of[m.condition][1]),
        )
        colour = colour_of[ranked[0].condition][0]
        deciding = [m for m in ranked if colour_of[m.condition][0] == colour]
        lasts = [m.until for m in deciding]
        open_ended = any(d is None for d in lasts)
        derived = Derived(
            colour=colour,
            rule=deciding[0].condition,
            facts=[{**m.fact, "condition": m.condition, "colour": colour} for m in deciding],
            since=start_of(min(m.since for m in deciding)),
            until=None if open_ended else start_of(max(d for d in lasts if d) + ONE_DAY),
        )
    if facts.overrides:
        return _override_derived(facts.overrides[0], derived)
    return derived
