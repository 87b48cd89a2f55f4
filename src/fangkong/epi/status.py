"""Health-code status: derived from facts by the active profile's rules, stored, explained.

`derive()` is a pure function of the facts (cases, contacts, manual overrides), the date and the
profile's rules. `recompute()` derives for many people at once (one query per fact table), stores
the result in `CodeStatus` (a row per person with any non-green history; no row = green) and
records a `code.changed` event whenever a colour changes. `explain()` turns a stored status into
plain sentences for staff or for the person.

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
import json
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db import connection, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from fangkong.audit.services import EventRow, actor_columns, events_record_bulk
from fangkong.core.access import Cap, require, scoped
from fangkong.core.db import in_ids
from fangkong.epi.models import (
    Case,
    CaseKind,
    CaseStatus,
    CodeOverride,
    CodeStatus,
    Colour,
    Contact,
    ContactStatus,
    Degree,
    ExposureRelation,
)
from fangkong.lab.models import ControlStatus, TemporaryControl
from fangkong.people.models import Resident
from fangkong.policy import accessor
from fangkong.policy.compare import CONDITION_LABELS, PHASE_LABELS
from fangkong.policy.models import PolicyProfile
from fangkong.policy.schema import Category, Phase, Rules
from fangkong.quarantine.models import Category as MeasureCategory
from fangkong.quarantine.models import (
    DueTestStatus,
    Measure,
    MeasurePhase,
    MeasureStatus,
    ScheduledTest,
)

Audience = Literal["staff", "person"]

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
CHUNK = 2000  # people per round trip: well under SQLite's bound-parameter limit
ONE_DAY = dt.timedelta(days=1)


# ── facts ───────────────────────────────────────────────────────────────────


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


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def load_facts(person_ids: list[int], *, now: dt.datetime) -> dict[int, PersonFacts]:
    """The facts of these people: one query per fact table."""
    out: dict[int, PersonFacts] = {pid: PersonFacts() for pid in person_ids}
    cases = Case.objects.filter(person_id__in=in_ids(person_ids)).values_list(
        "person_id", "number", "kind", "status", "sampled_on", "reported_on"
    )
    for pid, number, kind, status, sampled, reported in cases:
        out[pid].cases.append(CaseFact(number, kind, status, sampled, reported))
    contacts = Contact.objects.filter(person_id__in=in_ids(person_ids)).values_list(
        "person_id",
        "case__number",
        "case__kind",
        "degree",
        "status",
        "relation",
        "venue__name",
        "last_exposure_on",
    )
    for pid, number, kind, degree, status, relation, venue, last in contacts:
        out[pid].contacts.append(
            ContactFact(number, kind, degree, status, relation, venue or "", last)
        )
    overrides = (
        CodeOverride.objects.filter(person_id__in=in_ids(person_ids), revoked_at__isnull=True)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=now))
        .order_by("-created_at", "-id")
        .values_list("person_id", "id", "colour", "reason", "basis", "created_at", "valid_until")
    )
    for pid, oid, colour, reason, basis, created, until in overrides:
        out[pid].overrides.append(OverrideFact(oid, colour, reason, basis, created, until))
    for pid, fact in _measure_facts(person_ids):
        out[pid].measures.append(fact)
    controls = TemporaryControl.objects.filter(
        person_id__in=in_ids(person_ids), status=ControlStatus.ACTIVE
    ).values_list("person_id", "source_tube__barcode", "since")
    for pid, tube, since in controls:
        out[pid].controls.append(ControlFact(tube, since))
    return out


def _measure_facts(person_ids: list[int]) -> Iterator[tuple[int, MeasureFact]]:
    """Active quarantine measures with their phases and missed tests (three queries)."""
    measures = list(
        Measure.objects.filter(
            person_id__in=in_ids(person_ids), status=MeasureStatus.ACTIVE
        ).values_list("id", "person_id", "category", "ends_on")
    )
    if not measures:
        return
    ids = [m[0] for m in measures]
    phases: dict[int, list[tuple[str, dt.date, dt.date]]] = {}
    for mid, kind, first, last in (
        MeasurePhase.objects.filter(measure_id__in=in_ids(ids))
        .order_by("measure_id", "order")
        .values_list("measure_id", "kind", "first_day", "last_day")
    ):
        phases.setdefault(mid, []).append((kind, first, last))
    missed: dict[int, list[dt.date]] = {}
    taken: dict[int, dt.date] = {}
    for mid, due, state in ScheduledTest.objects.filter(measure_id__in=in_ids(ids)).values_list(
        "measure_id", "due_on", "status"
    ):
        if state == DueTestStatus.MISSED:
            missed.setdefault(mid, []).append(due)
        elif state != DueTestStatus.DUE:
            taken[mid] = max(taken.get(mid, due), due)
    for mid, pid, category, ends_on in measures:
        last_taken = taken.get(mid)
        still = tuple(
            sorted(d for d in missed.get(mid, []) if last_taken is None or d > last_taken)
        )
        yield pid, MeasureFact(mid, category, tuple(phases.get(mid, [])), ends_on, still)


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
    }
    out: list[Match] = []
    for kind, first, last in measure.phases:
        if today <= last:
            quarantine = kind in QUARANTINE_PHASES
            condition = f"{measure.category}_under_quarantine" if quarantine else UNDER_MONITORING
            phase = {
                "phase": "quarantine" if quarantine else "monitoring",
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


def derive(
    person: Resident, *, today: dt.date, rules: Rules, now: dt.datetime | None = None
) -> Derived:
    """One person's colour on `today` under `rules` (reads their facts, writes nothing)."""
    now = now or timezone.now()
    facts = load_facts([person.pk], now=now)[person.pk]
    return derive_from(facts, today=today, rules=rules, now=now)


# ── stored state ────────────────────────────────────────────────────────────


def new_verify_token() -> str:
    return secrets.token_hex(16)


def _event_row(
    *,
    now: dt.datetime,
    actor: Any,
    person: tuple[int, str, str],
    old: str,
    new: Derived,
    reason: str,
    basis: str,
    profile_code: str,
) -> EventRow:
    pid, key, name = person
    actor_id, actor_name = actor_columns(actor)
    rule_label = str(RULE_LABELS.get(new.rule, new.rule)) if new.rule else ""
    data = {
        "rule": new.rule,
        "profile": profile_code,
        "until": new.until.isoformat() if new.until else None,
    }
    return EventRow(
        at=connection.ops.adapt_datetimefield_value(now),
        actor=actor_id,
        actor_name=actor_name,
        action="code.changed",
        object_type="people.resident",
        object_id=str(pid),
        object_label=name[:200],
        person_id=pid,
        division_key=key,
        field="colour",
        from_value=old,
        to_value=new.colour,
        reason=reason or rule_label,
        basis=basis[:300],
        data=json.dumps(data),
    )


@transaction.atomic
def recompute(
    *, person_ids: list[int], actor: Any = None, reason: str = "", now: dt.datetime | None = None
) -> None:
    """Derive and store these people's colours; audit each colour that changes."""
    if not person_ids:
        return
    policy = accessor.current()
    now = now or timezone.now()
    for chunk in _chunks(sorted(set(person_ids))):
        _recompute_chunk(chunk, policy, now, actor, reason)


@dataclass(frozen=True)
class _Stored:
    colour: str
    rule: str
    facts: list[dict[str, Any]]
    since: dt.datetime
    until: dt.datetime | None
    profile_code: str
    division_key: str
    verify_token: str


def _stored(ids: list[int]) -> dict[int, _Stored]:
    rows = CodeStatus.objects.filter(person_id__in=in_ids(ids)).values_list(
        "person_id",
        "colour",
        "rule",
        "facts",
        "since",
        "until",
        "profile_code",
        "division_key",
        "verify_token",
    )
    return {pid: _Stored(*values) for pid, *values in rows}


def _recompute_chunk(
    ids: list[int], policy: accessor.Policy, now: dt.datetime, actor: Any, reason: str
) -> None:
    today = timezone.localdate(now)
    people = {
        pid: (pid, key, name)
        for pid, key, name in Resident.objects.filter(pk__in=in_ids(ids)).values_list(
            "pk", "division_key", "name"
        )
    }
    facts = load_facts(list(people), now=now)
    existing = _stored(list(people))
    code = policy.profile.code
    rows: list[tuple[Any, ...]] = []
    events: list[EventRow] = []
    for pid, person in people.items():
        new = derive_from(facts[pid], today=today, rules=policy.rules, now=now)
        old = existing.get(pid)
        old_colour = old.colour if old else Colour.GREEN
        if old is None and new.colour == Colour.GREEN and not new.rule:
            continue
        row = _status_row(person, new, old, now, code)
        if old is not None and row[1:9] == (
            old.colour,
            old.rule,
            old.facts,
            old.since,
            old.until,
            old.profile_code,
            old.rule == MANUAL_OVERRIDE,
            old.division_key,
        ):
            continue  # nothing changed: no write
        rows.append(row)
        if new.colour != old_colour:
            basis = new.facts[0]["basis"] if new.rule == MANUAL_OVERRIDE else policy.profile.source
            events.append(
                _event_row(
                    now=now,
                    actor=actor,
                    person=person,
                    old=old_colour,
                    new=new,
                    reason=reason,
                    basis=basis,
                    profile_code=code,
                )
            )
    _upsert_statuses(rows)
    events_record_bulk(events)


def _status_row(
    person: tuple[int, str, str],
    new: Derived,
    old: _Stored | None,
    now: dt.datetime,
    profile_code: str,
) -> tuple[Any, ...]:
    """(person, colour, rule, facts, since, until, profile, overridden, key, computed, token)."""
    pid, key, _name = person
    if old is not None and old.colour == new.colour:
        since = new.since or old.since
    elif old is not None and old.until is not None and old.until <= now:
        since = new.since or old.until  # the old colour ran out at its end, not at this run
    else:
        since = new.since or now
    return (
        pid,
        new.colour,
        new.rule,
        new.facts,
        since,
        new.until,
        profile_code,
        new.rule == MANUAL_OVERRIDE,
        key,
        now,
        old.verify_token if old else new_verify_token(),
    )


UPSERT_COLUMNS = [
    "person_id",
    "colour",
    "rule",
    "facts",
    "since",
    "until",
    "profile_code",
    "overridden",
    "division_key",
    "computed_at",
    "verify_token",
]


def _upsert_statuses(rows: list[tuple[Any, ...]]) -> None:
    """INSERT … ON CONFLICT (person) DO UPDATE, executemany: the same SQL on both databases.

    The verification token is kept on update, so a printed QR code stays valid.
    """
    if not rows:
        return
    ops = connection.ops
    facts_field = CodeStatus._meta.get_field("facts")
    when = ops.adapt_datetimefield_value
    params = []
    for row in rows:
        values = list(row)
        values[3] = facts_field.get_db_prep_save(values[3], connection)
        for i in (4, 5, 9):  # since, until, computed_at
            values[i] = when(values[i])
        params.append(values)
    quote = ops.quote_name
    columns = ", ".join(quote(c) for c in UPSERT_COLUMNS)
    updates = ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in UPSERT_COLUMNS[1:-1])
    sql = (
        f"INSERT INTO {quote(CodeStatus._meta.db_table)} ({columns}) "
        f"VALUES ({', '.join(['%s'] * len(UPSERT_COLUMNS))}) "
        f"ON CONFLICT ({quote('person_id')}) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _people_with_facts() -> set[int]:
    ids = set(CodeStatus.objects.values_list("person_id", flat=True))
    ids |= set(Case.objects.exclude(status__in=INACTIVE_CASE).values_list("person_id", flat=True))
    ids |= set(Contact.objects.values_list("person_id", flat=True))
    ids |= set(
        Measure.objects.filter(status=MeasureStatus.ACTIVE).values_list("person_id", flat=True)
    )
    ids |= set(
        TemporaryControl.objects.filter(status=ControlStatus.ACTIVE).values_list(
            "person_id", flat=True
        )
    )
    ids |= set(
        CodeOverride.objects.filter(revoked_at__isnull=True).values_list("person_id", flat=True)
    )
    return ids


def recompute_all(*, actor: Any = None, reason: str = "") -> int:
    """Re-derive everyone with any fact or stored status (after a profile switch)."""
    ids = sorted(_people_with_facts())
    recompute(person_ids=ids, actor=actor, reason=reason)
    return len(ids)


def recompute_expired(*, now: dt.datetime | None = None) -> int:
    """Re-derive statuses whose time ran out (run daily: `fangkong recompute_codes`)."""
    now = now or timezone.now()
    ids = list(CodeStatus.objects.filter(until__lte=now).values_list("person_id", flat=True))
    recompute(person_ids=ids, reason=_("The colour's time ran out"), now=now)
    return len(ids)


def on_policy_activated(sender: Any, profile: PolicyProfile, actor: Any, **kwargs: Any) -> None:
    reason = _("Policy profile activated: %(name)s") % {"name": profile.name}
    recompute_all(actor=actor, reason=reason)


# ── reads ───────────────────────────────────────────────────────────────────


def person_for_status(user: Any, person_id: int) -> Resident:
    """A person whose code the user may see (code_status.view, within jurisdiction) or 404."""
    require(user, Cap.CODE_STATUS_VIEW)
    try:
        return scoped(Resident.objects.select_related("division"), user).get(pk=person_id)
    except Resident.DoesNotExist:
        raise Http404 from None


def green_status(person: Resident) -> CodeStatus:
    """An unsaved green status: what having no stored row means."""
    return CodeStatus(
        person=person,
        colour=Colour.GREEN,
        since=person.created_at,
        division_key=person.division_key,
        facts=[],
    )


def status_current(person: Resident, *, now: dt.datetime | None = None) -> CodeStatus:
    """The stored status, re-derived first if its time ran out; green if there is none."""
    now = now or timezone.now()
    status = CodeStatus.objects.filter(person_id=person.pk).first()
    if status is not None and status.until is not None and status.until <= now:
        recompute(person_ids=[person.pk], reason=_("The colour's time ran out"), now=now)
        status = CodeStatus.objects.filter(person_id=person.pk).first()
    return status or green_status(person)


def status_ensure(person: Resident) -> CodeStatus:
    """The person's stored status, created (green) if missing, so it has a verification token."""
    status = status_current(person)
    if status.pk is None:
        status.profile_code = accessor.current().profile.code
        status.verify_token = new_verify_token()
        status.since = timezone.now()
        status.save()
    return status


def status_by_token(token: str) -> CodeStatus | None:
    status = CodeStatus.objects.select_related("person").filter(verify_token=token).first()
    if status is None:
        return None
    return status_current(status.person)


# ── explanation ─────────────────────────────────────────────────────────────


def _profile(code: str, cache: dict[str, PolicyProfile | None]) -> PolicyProfile | None:
    if code not in cache:
        qs = PolicyProfile.objects.order_by("-is_active", "-version")
        cache[code] = (qs.filter(code=code) if code else qs.filter(is_active=True)).first()
    return cache[code]


def _basis(profile: PolicyProfile | None) -> str:
    if profile is None:
        return _("the active policy")
    return _("%(name)s (%(source)s)") % {"name": profile.name, "source": profile.source}


def _date(value: str | None) -> str:
    return value or ""


def _phases(phases: Iterable[dict[str, Any]]) -> str:
    parts = [
        _("%(duration)s %(phase)s")
        % {
            "duration": ngettext("%(n)d day", "%(n)d days", p["days"]) % {"n": p["days"]},
            "phase": PHASE_LABELS.get(p["kind"], p["kind"]),
        }
        for p in phases
    ]
    return pgettext("list separator", ", ").join(parts)


def colour_label(colour: str) -> str:
    return str(Colour(colour).label) if colour in Colour.values else colour


def _case_sentence(fact: dict[str, Any], audience: Audience, colour: str) -> str:
    kind = str(CaseKind(fact["kind"]).label) if fact["kind"] in CaseKind.values else fact["kind"]
    parts = {**fact, "colour": colour, "kind": kind}
    if audience == "person":
        text = _(
            "%(colour)s: you were reported as infected (%(kind)s) on %(reported_on)s "
            "(sample of %(sampled_on)s)."
        )
    else:
        text = _(
            "%(colour)s: infected person, case %(case)s (%(kind)s), sampled on %(sampled_on)s, "
            "reported on %(reported_on)s."
        )
    rest = _(
        "Every active infection, confirmed or asymptomatic, counts as a confirmed case for the "
        "health code; the colour holds until the case is closed."
    )
    return f"{text % parts} {rest}"


def _contact_sentence(fact: dict[str, Any], audience: Audience, colour: str, basis: str) -> str:
    degree = Degree(fact["degree"]).label if fact["degree"] in Degree.values else fact["degree"]
    relation = (
        ExposureRelation(fact["relation"]).label
        if fact["relation"] in ExposureRelation.values
        else fact["relation"]
    )
    parts = {
        "colour": colour,
        "degree": str(degree).lower(),
        "case": fact["case"],
        "date": fact["last_exposure_on"],
        "venue": fact.get("venue") or "—",
        "relation": relation,
        "basis": basis,
        "phases": _phases(fact.get("phases", [])),
        "since": _date(fact.get("since")),
        "until": _date(fact.get("until")),
    }
    if audience == "person":
        who = _("%(colour)s: you are a %(degree)s of an infected person, last exposed on %(date)s")
    else:
        who = _(
            "%(colour)s: %(degree)s of case %(case)s, last exposed on %(date)s "
            "(venue: %(venue)s; relation: %(relation)s)"
        )
    phase = fact.get("phase")
    if phase == "lost":
        what = _("could not be located (lost): the colour holds until they are found")
    elif phase == "monitoring":
        what = _(
            "under %(basis)s: %(phases)s; now in home health monitoring from %(since)s "
            "until %(until)s"
        )
    else:
        what = _("under %(basis)s: %(phases)s; under quarantine until %(until)s")
    return _("%(who)s; %(what)s.") % {"who": who % parts, "what": what % parts}


def _measure_sentence(fact: dict[str, Any], audience: Audience, colour: str, basis: str) -> str:
    category = fact["category"]
    label = MeasureCategory(category).label if category in MeasureCategory.values else category
    parts = {
        "colour": colour,
        "category": str(label).lower(),
        "basis": basis,
        "phases": _phases(fact.get("phases", [])),
        "since": _date(fact.get("since")),
        "until": _date(fact.get("until")),
        "days": pgettext("list separator", ", ").join(fact.get("days", [])),
    }
    if fact["type"] == "missed_test":
        if audience == "person":
            text = _("%(colour)s: you missed the required test of %(days)s")
        else:
            text = _("%(colour)s: missed the required test of %(days)s (%(category)s)")
        tail = _("; the colour holds until a test is taken, at the latest until %(until)s.")
        return (text + tail) % parts
    if audience == "person":
        who = _("%(colour)s: you are under measures as %(category)s")
    else:
        who = _("%(colour)s: under measures as %(category)s")
    if fact.get("phase") == "monitoring":
        what = _(
            "under %(basis)s: %(phases)s; now in home health monitoring from %(since)s "
            "until %(until)s"
        )
    else:
        what = _("under %(basis)s: %(phases)s; under quarantine until %(until)s")
    return _("%(who)s; %(what)s.") % {"who": who % parts, "what": what % parts}


def _control_sentence(fact: dict[str, Any], audience: Audience, colour: str) -> str:
    parts = {"colour": colour, "since": fact["since"], "tube": fact["tube"]}
    if audience == "person":
        text = _(
            "%(colour)s: a pooled sample you gave was positive on %(since)s; stay at home until "
            "your single-tube retest is negative."
        )
    else:
        text = _(
            "%(colour)s: member of positive pool %(tube)s since %(since)s, under temporary "
            "control until the single-tube retest is negative."
        )
    return text % parts


def _override_sentence(fact: dict[str, Any], audience: Audience, colour: str) -> str:
    until = fact.get("valid_until")
    parts = {
        "colour": colour,
        "date": fact["set_on"],
        "reason": fact["reason"],
        "basis": fact["basis"],
        "until": last_day(dt.datetime.fromisoformat(until)) if until else "",
    }
    if audience == "person":
        text = _("%(colour)s: set by staff on %(date)s on the basis of %(basis)s")
    else:
        text = _("%(colour)s: set by hand on %(date)s; reason: %(reason)s; basis: %(basis)s")
    tail = _(", valid until %(until)s.") if until else _(", until revoked.")
    return (text + tail) % parts


def explain(
    status: CodeStatus,
    *,
    audience: Audience = "staff",
    profiles: dict[str, PolicyProfile | None] | None = None,
) -> list[str]:
    """Why the person has this colour, in plain sentences in the reader's language.

    Staff read the case number, venue and relation; the person reads only their own facts
    (no other person's case number, name or place).
    """
    cache = profiles if profiles is not None else {}
    basis = _basis(_profile(status.profile_code, cache))
    colour = colour_label(status.colour)
    facts = list(status.facts or [])
    sentences: list[str] = []
    if status.rule == MANUAL_OVERRIDE and facts:
        override, facts = facts[0], facts[1:]
        sentences.append(_override_sentence(override, audience, colour))
        if audience == "person":
            return sentences
        if not facts:
            return [*sentences, _("Without it the rules would give: green.")]
        sentences.append(
            _("Without it the rules would give: %(colour)s.")
            % {"colour": colour_label(facts[0]["colour"]).lower()}
        )
    for fact in facts:
        fact_colour = colour_label(fact.get("colour", status.colour))
        if fact["type"] == "case":
            sentences.append(_case_sentence(fact, audience, fact_colour))
        elif fact["type"] == "contact":
            sentences.append(_contact_sentence(fact, audience, fact_colour, basis))
        elif fact["type"] in ("measure", "missed_test"):
            sentences.append(_measure_sentence(fact, audience, fact_colour, basis))
        elif fact["type"] == "control":
            sentences.append(_control_sentence(fact, audience, fact_colour))
    if not sentences:
        if audience == "person":
            text = _(
                "Green: nothing on record requires you to be quarantined or monitored under "
                "%(basis)s."
            )
        else:
            text = _(
                "Green: no active case, no contact under quarantine or monitoring and no manual "
                "setting applies under %(basis)s."
            )
        sentences.append(text % {"basis": basis})
    return sentences
