"""Writes of risk zones: drawing, extending, the daily evaluation and deciding its proposals.

Every service takes the clock (`now` / `today`) as a parameter, so a timeline can be built in
a test; the pages pass the real time. Levels, clean days and round requirements come only from
the policy profile (`rules.zones`); each level change is a `ZoneChange` and an audit event.

Days are counted as in DOMAIN.md §3: "5 consecutive days with no new infection and an
all-negative round on day 5". The clock runs from the later of the day the zone reached its
level and the sampling day of the last infection inside it; day N is that day + N. A round is
"on day N" when it starts that day or later (a missed round can still be made up); a positive
among the zone's people in any round since the clock started blocks the change.
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.history import last_change_at
from fangkong.audit.services import SYSTEM, event_record
from fangkong.core import dates
from fangkong.core.access import Cap, acting_user, in_scope, key_filter, require, scope_key
from fangkong.core.errors import field_error
from fangkong.core.words import listing
from fangkong.epi.models import Case
from fangkong.lab.models import TestingRound
from fangkong.lab.rounds.services import round_start
from fangkong.places.models import KEY_LENGTH, Division, Level
from fangkong.policy import accessor
from fangkong.policy.schema import ZoneRule
from fangkong.policy.schema import Zones as ZoneRules
from fangkong.zones import geometry
from fangkong.zones.evidence import RoundResult, cases_inside, round_results
from fangkong.zones.models import (
    ChangeKind,
    Verdict,
    Zone,
    ZoneArea,
    ZoneChange,
    ZoneEvaluation,
    ZoneStatus,
)
from fangkong.zones.selectors import (
    RulesCache,
    level_label,
    people_in,
    place_paths,
    severity,
    zone_keys,
)

ONE_DAY = dt.timedelta(days=1)


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", _("Give a reason for this change"))
    return reason


def _manage(actor: Any, zone: Zone) -> None:
    require(actor, Cap.ZONES_MANAGE)
    if not in_scope(actor, zone.division_key):
        raise field_error("zone", _("This zone is outside your jurisdiction"))


# The area of a zone ----------------------------------------------------------------------------


def node_kind(division: Division) -> str:
    """The name profiles use in `drawn_by`: unit, building, compound, community, …"""
    return Level(division.level).name.lower()


def outermost(divisions: Iterable[Division]) -> list[Division]:
    """The nodes without those lying under another one of them, by key."""
    kept: list[Division] = []
    for d in sorted({d.key: d for d in divisions}.values(), key=lambda d: d.key):
        if not any(d.key.startswith(k.key) for k in kept):
            kept.append(d)
    return kept


def common_key(keys: Sequence[str]) -> str:
    """The key of the deepest node above or at every key."""
    prefix = keys[0]
    for key in keys[1:]:
        while not key.startswith(prefix):
            prefix = prefix[:-1]
    widths = [w for w in sorted(set(KEY_LENGTH.values())) if w <= len(prefix)]
    return prefix[: widths[-1]] if widths else ""


def buildings_inside(actor: Any, polygon: dict[str, Any]) -> list[Division]:
    """Buildings in the actor's jurisdiction whose coordinates fall inside the outline."""
    west, south, east, north = geometry.bbox(polygon)
    candidates = Division.objects.filter(
        key_filter(scope_key(actor), "key"),
        level=Level.BUILDING,
        lat__gte=south,
        lat__lte=north,
        lon__gte=west,
        lon__lte=east,
    ).order_by("key")
    return [d for d in candidates if geometry.contains(polygon, d.lon or 0.0, d.lat or 0.0)]


def _check_nodes(actor: Any, nodes: list[Division], rules: ZoneRules, field: str) -> None:
    for node in nodes:
        if not in_scope(actor, node.key):
            raise field_error(field, _("%(place)s is outside your jurisdiction") % {"place": node})
        if node_kind(node) not in rules.drawn_by:
            allowed = listing(Level[k.upper()].label for k in rules.drawn_by)
            raise field_error(
                field,
                _("The active policy draws zones by %(allowed)s; %(place)s is a %(kind)s")
                % {"allowed": allowed, "place": node, "kind": Level(node.level).label},
            )


def _check_cases(actor: Any, cases: list[Case]) -> None:
    for case in cases:
        if not in_scope(actor, case.division_key):
            raise field_error("cases", _("Case %(n)s is outside your jurisdiction") % {"n": case})


@dataclass
class _Area:
    nodes: list[Division]
    polygon: dict[str, Any] | None = None
    from_polygon: set[str] = field(default_factory=set)


def _area(
    actor: Any, divisions: Iterable[Division], polygon: Any, rules: ZoneRules, existing: list[str]
) -> _Area:
    picked = list(divisions)
    _check_nodes(actor, picked, rules, "places")
    shape = geometry.parse_polygon(polygon)
    inside: list[Division] = []
    if shape is not None:
        inside = buildings_inside(actor, shape)
        if not inside:
            raise field_error(
                "polygon", _("No building with coordinates lies inside the drawn outline")
            )
        _check_nodes(actor, inside, rules, "polygon")
    nodes = [
        d for d in outermost([*picked, *inside]) if not any(d.key.startswith(k) for k in existing)
    ]
    if not nodes:
        raise field_error("places", _("Choose the buildings, units or places the zone covers"))
    return _Area(nodes, shape, {d.key for d in inside} - {d.key for d in picked})


def _save_area(zone: Zone, area: _Area, now: dt.datetime) -> None:
    polygon_row = None
    if area.polygon is not None:
        polygon_row = ZoneArea.objects.create(zone=zone, geometry=area.polygon, added_at=now)
    ZoneArea.objects.bulk_create(
        [
            ZoneArea(
                zone=zone,
                division=d,
                division_key=d.key,
                polygon=polygon_row if d.key in area.from_polygon else None,
                added_at=now,
            )
            for d in area.nodes
        ]
    )


def _auto_name(nodes: list[Division]) -> str:
    first = place_paths([nodes[0].key], start=Level.COMMUNITY)[nodes[0].key] or nodes[0].name
    if len(nodes) == 1:
        return first[:200]
    return (_("%(place)s and %(n)s more") % {"place": first, "n": len(nodes) - 1})[:200]


def _check_level(level: str, rules: ZoneRules) -> None:
    if level not in rules.levels[:-1]:
        allowed = listing(level_label(lv) for lv in rules.levels[:-1])
        raise field_error(
            "level",
            _("The active policy draws zones at these levels: %(allowed)s") % {"allowed": allowed},
        )


def _happened(
    field: str,
    value: dt.datetime | None,
    now: dt.datetime,
    after: tuple[tuple[dt.datetime | None, str], ...] = (),
) -> dt.datetime:
    """When a zone's fact happened (valid time; `now` if not given), refused naming `field`
    when ahead of `now` beyond the policy's `records.future_tolerance_minutes` or before a
    fact it must follow (docs/architecture.md, "Two times on every fact")."""
    at = dates.happened_at(value, now=now)
    tolerance = accessor.current().rules.records.tolerance
    dates.check_happened(field, at, tolerance=tolerance, after=after, now=now)
    return at


def _after_last_status(zone: Zone) -> tuple[dt.datetime | None, str]:
    return (
        last_change_at("zones.zone", zone.pk, "status"),
        _("This is before the zone's last recorded change"),
    )


# Drawing ---------------------------------------------------------------------------------------


def _record_change(
    *,
    zone: Zone,
    kind: str,
    from_level: str,
    at: dt.datetime,
    actor: Any,
    reason: str,
    evidence: dict[str, Any] | None = None,
    evaluation: ZoneEvaluation | None = None,
) -> ZoneChange:
    return ZoneChange.objects.create(
        zone=zone,
        kind=kind,
        from_level=from_level,
        to_level=zone.level,
        at=at,
        people=zone.people,
        actor=acting_user(actor),
        reason=reason,
        evidence=evidence or {},
        evaluation=evaluation,
        division_key=zone.division_key,
    )


@transaction.atomic
def zone_draw(
    *,
    actor: Any,
    level: str,
    reason: str,
    divisions: Iterable[Division] = (),
    polygon: Any = None,
    cases: Iterable[Case] = (),
    name: str = "",
    started_at: dt.datetime | None = None,
    in_force: bool = True,
    now: dt.datetime | None = None,
) -> Zone:
    """Mark a zone over jurisdiction nodes and/or the buildings inside a drawn outline.

    `in_force=False` keeps it as a proposal (not published, not evaluated) until activated.
    `started_at`: when it was drawn (valid time, now if not given); the figures as of a moment
    count it from then.
    """
    require(actor, Cap.ZONES_MANAGE)
    now = now or timezone.now()
    policy = accessor.current()
    rules = policy.rules.zones
    _check_level(level, rules)
    reason = _reason(reason)
    area = _area(actor, divisions, polygon, rules, existing=[])
    cases = list(cases)
    _check_cases(actor, cases)
    started_at = _happened("started_at", started_at, now)
    zone = Zone.objects.create(
        name=(name or "").strip()[:200] or _auto_name(area.nodes),
        level=level,
        status=ZoneStatus.ACTIVE if in_force else ZoneStatus.PROPOSED,
        started_at=started_at,
        level_since=started_at,
        reason=reason,
        profile_code=policy.profile.code,
        profile_version=policy.profile.version,
        division_key=common_key([d.key for d in area.nodes]),
        created_by=acting_user(actor),
        created_at=now,
    )
    _save_area(zone, area, now)
    zone.cases.set(cases)
    zone.people = people_in([d.key for d in area.nodes])
    zone.save(update_fields=["people"])
    event_record(
        at=started_at,
        actor=actor,
        action="zone.drawn",
        obj=zone,
        field="status",
        to_value=zone.get_status_display(),
        reason=reason,
        basis=policy.profile.source,
        data={
            "level": level,
            "places": [d.code for d in area.nodes],
            "polygon": area.polygon is not None,
            "cases": [c.number for c in cases],
            "people": zone.people,
        },
    )
    if in_force:
        _record_change(
            zone=zone,
            kind=ChangeKind.DRAWN,
            from_level="",
            at=started_at,
            actor=actor,
            reason=reason,
        )
    return zone


@transaction.atomic
def zone_activate(
    *,
    actor: Any,
    zone: Zone,
    reason: str = "",
    started_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Zone:
    """Put a proposed zone in force, from `started_at` (valid time, now if not given): not
    before it was proposed, nor ahead of the clock beyond the policy's tolerance."""
    _manage(actor, zone)
    if zone.status != ZoneStatus.PROPOSED:
        raise field_error("status", _("Only a proposed zone can be put in force"))
    now = now or timezone.now()
    started_at = _happened(
        "started_at",
        started_at,
        now,
        after=(
            (zone.started_at, _("A zone is put in force after it was proposed")),
            _after_last_status(zone),
        ),
    )
    zone.status = ZoneStatus.ACTIVE
    zone.started_at = zone.level_since = started_at
    zone.people = people_in(zone_keys(zone))
    zone.save(update_fields=["status", "started_at", "level_since", "people"])
    _record_change(
        zone=zone, kind=ChangeKind.DRAWN, from_level="", at=started_at, actor=actor, reason=reason
    )
    event_record(
        at=started_at,
        actor=actor,
        action="zone.activated",
        obj=zone,
        field="status",
        from_value=ZoneStatus.PROPOSED.label,
        to_value=ZoneStatus.ACTIVE.label,
        reason=(reason or "").strip(),
    )
    return zone


@transaction.atomic
def zone_withdraw(*, actor: Any, zone: Zone, reason: str, now: dt.datetime | None = None) -> Zone:
    """Drop a proposed zone that never came into force."""
    _manage(actor, zone)
    if zone.status != ZoneStatus.PROPOSED:
        raise field_error(
            "status", _("Only a proposed zone can be withdrawn; lift a zone in force")
        )
    reason = _reason(reason)
    zone.status = ZoneStatus.WITHDRAWN
    zone.ended_at = now or timezone.now()
    zone.save(update_fields=["status", "ended_at"])
    event_record(
        actor=actor,
        action="zone.withdrawn",
        obj=zone,
        field="status",
        from_value=ZoneStatus.PROPOSED.label,
        to_value=ZoneStatus.WITHDRAWN.label,
        reason=reason,
    )
    return zone


@transaction.atomic
def zone_extend(
    *,
    actor: Any,
    zone: Zone,
    reason: str,
    divisions: Iterable[Division] = (),
    polygon: Any = None,
    cases: Iterable[Case] = (),
    now: dt.datetime | None = None,
) -> Zone:
    """Add places (and the cases that call for them) to a zone; its level stays.

    A case added here that lies inside the zone restarts its clock at the next evaluation.
    """
    _manage(actor, zone)
    if zone.status not in (ZoneStatus.ACTIVE, ZoneStatus.PROPOSED):
        raise field_error("status", _("This zone is no longer in force"))
    now = now or timezone.now()
    reason = _reason(reason)
    rules = RulesCache().for_zone(zone).zones
    cases = list(cases)
    _check_cases(actor, cases)
    existing = zone_keys(zone)
    area = _area(actor, divisions, polygon, rules, existing=existing)
    covered = [k for k in existing if any(k.startswith(d.key) for d in area.nodes)]
    zone.areas.filter(division_key__in=covered).delete()  # now inside a larger new node
    existing = [k for k in existing if k not in covered]
    _save_area(zone, area, now)
    zone.cases.add(*cases)
    keys = [*existing, *(d.key for d in area.nodes)]
    zone.division_key = common_key(keys)
    zone.people = people_in(keys)
    zone.save(update_fields=["division_key", "people"])
    if zone.status == ZoneStatus.ACTIVE:
        _record_change(
            zone=zone,
            kind=ChangeKind.EXTENDED,
            from_level=zone.level,
            at=now,
            actor=actor,
            reason=reason,
            evidence={"places": [d.code for d in area.nodes], "cases": [c.number for c in cases]},
        )
    event_record(
        actor=actor,
        action="zone.extended",
        obj=zone,
        field="places",
        to_value=", ".join(d.name for d in area.nodes),
        reason=reason,
        data={"places": [d.code for d in area.nodes], "cases": [c.number for c in cases]},
    )
    return zone


def _change_level(
    *,
    zone: Zone,
    to_level: str,
    lifted: bool,
    actor: Any,
    reason: str,
    basis: str,
    at: dt.datetime,
    evaluation: ZoneEvaluation | None = None,
) -> Zone:
    from_level = zone.level
    ranks = RulesCache().for_zone(zone)
    if lifted:
        kind = ChangeKind.LIFTED
    elif severity(ranks, to_level) < severity(ranks, from_level):
        kind = ChangeKind.ESCALATED
    else:
        kind = ChangeKind.DOWNGRADED
    zone.level = to_level
    zone.level_since = at
    zone.people = people_in(zone_keys(zone))
    fields = ["level", "level_since", "people"]
    if lifted:
        zone.status = ZoneStatus.LIFTED
        zone.ended_at = at
        fields += ["status", "ended_at"]
    zone.save(update_fields=fields)
    evidence = _evidence(evaluation) if evaluation else {}
    _record_change(
        zone=zone,
        kind=kind,
        from_level=from_level,
        at=at,
        actor=actor,
        reason=reason,
        evidence=evidence,
        evaluation=evaluation,
    )
    event_record(
        at=at,
        actor=actor,
        action="zone.level_changed",
        obj=zone,
        field="level",
        from_value=level_label(from_level),
        to_value=level_label(to_level),
        reason=reason,
        basis=basis,
        data={"kind": str(kind), "evaluation": evaluation.pk if evaluation else None, **evidence},
    )
    return zone


@transaction.atomic
def zone_set_level(
    *,
    actor: Any,
    zone: Zone,
    level: str,
    reason: str,
    changed_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Zone:
    """Change a zone's level by hand (outside the daily rule), with a reason; the least
    restrictive level lifts it. `changed_at`: when it changed (valid time, now if not given),
    not before the zone's level last changed (or it was drawn) nor before its last change of
    any kind (an extension: the history is read by time), nor ahead of the clock beyond the
    policy's tolerance."""
    _manage(actor, zone)
    if zone.status != ZoneStatus.ACTIVE:
        raise field_error("status", _("This zone is not in force"))
    policy = RulesCache().policy_for(zone)
    levels = policy.rules.zones.levels
    if level not in levels or level == zone.level:
        raise field_error("level", _("Choose another level of the zone's scheme"))
    reason = _reason(reason)
    at = _happened(
        "changed_at",
        changed_at,
        now or timezone.now(),
        after=(
            (zone.level_since, _("This is before the zone's level last changed")),
            (
                zone.changes.order_by("-at", "-id").values_list("at", flat=True).first(),
                _("This is before the zone's last recorded change"),
            ),
        ),
    )
    return _change_level(
        zone=zone,
        to_level=level,
        lifted=level == levels[-1],
        actor=actor,
        reason=reason,
        basis=policy.profile.source,
        at=at,
    )


# The daily evaluation --------------------------------------------------------------------------


@dataclass
class Assessment:
    """What the rule says about a zone on a day, and the evidence it looked at."""

    level: str
    clock_from: dt.date
    days_clean: int
    last_infection_on: dt.date | None
    new_cases: list[str]
    rule: ZoneRule | None = None
    rounds: list[RoundResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    proposed_level: str = ""
    proposed_change: str = ""

    @property
    def qualifies(self) -> bool:
        return bool(self.proposed_level)


def rule_for(rules: ZoneRules, level: str, came_from: str) -> ZoneRule | None:
    """The rule that moves a zone down from `level`; a rule for zones that came down from
    `came_from` wins over the general one (9th edition: medium → low after 3 more days)."""
    own = [r for r in rules.rules if r.from_level == level]
    specific = [
        r for r in own if r.only_after_downgrade_from and r.only_after_downgrade_from == came_from
    ]
    general = [r for r in own if not r.only_after_downgrade_from]
    chosen = specific or general
    return chosen[0] if chosen else None


def came_from(zone: Zone) -> str:
    """The level a zone was downgraded from to reach its current one ('' if drawn there)."""
    last = zone.changes.exclude(kind=ChangeKind.EXTENDED).order_by("-at", "-id").first()
    return last.from_level if last and last.kind == ChangeKind.DOWNGRADED else ""


def required_from(rule: ZoneRule, clock_from: dt.date, today: dt.date) -> dt.date | None:
    """First day a round counts towards the rule's negative round (None: no round needed)."""
    if rule.negative_round_on_day is not None:
        return clock_from + dt.timedelta(days=rule.negative_round_on_day)
    if rule.negative_round_within_last_days is not None:
        window = dt.timedelta(days=rule.negative_round_within_last_days) - ONE_DAY
        return max(today - window, clock_from + ONE_DAY)
    return None


def zone_assess(zone: Zone, today: dt.date, rules: ZoneRules) -> Assessment:
    """Apply the profile's rule to a zone as of `today` (reads only)."""
    keys = zone_keys(zone)
    level_start = timezone.localdate(zone.level_since)
    cases = list(cases_inside(keys, today).values_list("pk", "number", "sampled_on"))
    causes = set(zone.cases.values_list("pk", flat=True))
    last = max((sampled for _pk, _n, sampled in cases), default=None)
    clock_from = max(level_start, last) if last else level_start
    found = Assessment(
        level=zone.level,
        clock_from=clock_from,
        days_clean=(today - clock_from).days,
        last_infection_on=last,
        new_cases=sorted(n for pk, n, s in cases if pk not in causes and s >= level_start),
    )
    if zone.level not in rules.levels:
        found.notes.append("level_not_in_scheme")
        return found
    escalate_to = rules.infection_escalates.get(zone.level)
    if found.new_cases and escalate_to:
        found.notes.append("infection_escalates")
        found.proposed_level, found.proposed_change = escalate_to, ChangeKind.ESCALATED
        return found
    found.rule = rule_for(rules, zone.level, came_from(zone))
    first_round_day = required_from(found.rule, clock_from, today) if found.rule else None
    found.rounds = round_results(keys, clock_from + ONE_DAY, today, first_round_day)
    if found.rule is None:
        found.notes.append("no_rule")
        return found
    _apply_rule(found, found.rule, rules)
    return found


def needs_round(rule: ZoneRule) -> bool:
    return (
        rule.negative_round_on_day is not None or rule.negative_round_within_last_days is not None
    )


def _apply_rule(found: Assessment, rule: ZoneRule, rules: ZoneRules) -> None:
    if found.days_clean < rule.clean_days:
        found.notes.append("too_few_clean_days")
    if any(r.positive for r in found.rounds):
        found.notes.append("positive_in_round")
    elif needs_round(rule):
        required = [r for r in found.rounds if r.required and r.sampled]
        if not any(r.all_negative for r in required):
            found.notes.append("results_pending" if required else "no_round")
    if found.notes:
        return
    found.notes.append("rule_met")
    found.proposed_level = rule.to_level
    lifted = rule.to_level == rules.levels[-1]
    found.proposed_change = ChangeKind.LIFTED if lifted else ChangeKind.DOWNGRADED


def _rule_json(rule: ZoneRule | None) -> dict[str, Any]:
    return rule.model_dump(by_alias=True, exclude_none=True) if rule else {}


def _evidence(evaluation: ZoneEvaluation) -> dict[str, Any]:
    return {
        "day": evaluation.day.isoformat(),
        "days_clean": evaluation.days_clean,
        "clock_from": evaluation.clock_from.isoformat(),
        "last_infection_on": evaluation.last_infection_on.isoformat()
        if evaluation.last_infection_on
        else None,
        "rule": evaluation.rule,
        "rounds": evaluation.rounds,
        "new_cases": evaluation.new_cases,
    }


def _save_evaluation(
    zone: Zone, today: dt.date, found: Assessment, profile_code: str, now: dt.datetime
) -> tuple[ZoneEvaluation, bool]:
    values = {
        "level": found.level,
        "clock_from": found.clock_from,
        "days_clean": found.days_clean,
        "last_infection_on": found.last_infection_on,
        "rule": _rule_json(found.rule),
        "rounds": [r.as_json() for r in found.rounds],
        "new_cases": found.new_cases,
        "qualifies": found.qualifies,
        "proposed_level": found.proposed_level,
        "proposed_change": found.proposed_change,
        "notes": found.notes,
        "verdict": Verdict.PROPOSED if found.qualifies else Verdict.NOT_MET,
        "profile_code": profile_code,
        "division_key": zone.division_key,
        "created_at": now,
    }
    previous = ZoneEvaluation.objects.filter(zone=zone, day=today).first()
    was_proposed = previous is not None and previous.verdict == Verdict.PROPOSED
    evaluation, _created = ZoneEvaluation.objects.update_or_create(
        zone=zone, day=today, defaults=values
    )
    ZoneEvaluation.objects.filter(zone=zone, verdict=Verdict.PROPOSED).exclude(
        pk=evaluation.pk
    ).update(verdict=Verdict.SUPERSEDED)
    newly = evaluation.verdict == Verdict.PROPOSED and not (
        was_proposed and previous is not None and previous.proposed_level == found.proposed_level
    )
    return evaluation, newly


def zone_evaluate(
    zone: Zone, *, today: dt.date, cache: RulesCache | None = None, now: dt.datetime | None = None
) -> ZoneEvaluation | None:
    """Evaluate one zone in force for `today`; a decided evaluation of that day is kept."""
    now = now or timezone.now()
    if zone.status != ZoneStatus.ACTIVE or timezone.localdate(zone.level_since) > today:
        return None
    decided = ZoneEvaluation.objects.filter(
        zone=zone, day=today, verdict__in=[Verdict.APPROVED, Verdict.REJECTED]
    ).first()
    if decided is not None:
        return decided
    policy = (cache or RulesCache()).policy_for(zone)
    found = zone_assess(zone, today, policy.rules.zones)
    with transaction.atomic():
        evaluation, newly = _save_evaluation(zone, today, found, policy.profile.code, now)
        zone.people = people_in(zone_keys(zone))
        zone.save(update_fields=["people"])
        if newly:
            event_record(
                actor=SYSTEM,
                action="zone.change_proposed",
                obj=zone,
                field="level",
                from_value=level_label(zone.level),
                to_value=level_label(found.proposed_level),
                basis=policy.profile.source,
                data={"evaluation": evaluation.pk, **_evidence(evaluation)},
            )
    return evaluation


def zones_evaluate(*, today: dt.date, now: dt.datetime | None = None) -> list[ZoneEvaluation]:
    """The daily evaluation of every zone in force (run by `fangkong zones_daily`)."""
    cache = RulesCache()
    out = []
    for zone in Zone.objects.filter(status=ZoneStatus.ACTIVE).order_by("id"):
        evaluation = zone_evaluate(zone, today=today, cache=cache, now=now)
        if evaluation is not None:
            out.append(evaluation)
    return out


# Deciding a proposal -------------------------------------------------------------------------


def _open_proposal(actor: Any, evaluation: ZoneEvaluation) -> Zone:
    zone = evaluation.zone
    _manage(actor, zone)
    if evaluation.verdict != Verdict.PROPOSED:
        raise field_error("evaluation", _("This proposal was already decided or replaced"))
    if zone.status != ZoneStatus.ACTIVE or zone.level != evaluation.level:
        raise field_error("evaluation", _("The zone changed since this evaluation"))
    return zone


def _decide(
    evaluation: ZoneEvaluation, verdict: str, actor: Any, reason: str, now: dt.datetime
) -> None:
    evaluation.verdict = verdict
    evaluation.decided_by = acting_user(actor)
    evaluation.decided_at = now
    evaluation.decision_reason = reason
    evaluation.save(update_fields=["verdict", "decided_by", "decided_at", "decision_reason"])


@transaction.atomic
def evaluation_approve(
    *, actor: Any, evaluation: ZoneEvaluation, reason: str = "", now: dt.datetime | None = None
) -> Zone:
    """Apply a proposed level change; a downgrade is refused if an infection came since."""
    zone = _open_proposal(actor, evaluation)
    now = now or timezone.now()
    if evaluation.proposed_change != ChangeKind.ESCALATED:
        later = cases_inside(zone_keys(zone), timezone.localdate(now)).filter(
            sampled_on__gt=evaluation.clock_from
        )
        if later.exists():
            raise field_error(
                "evaluation",
                _("A new infection was reported in this zone since the evaluation; evaluate again"),
            )
    else:
        zone.cases.add(*Case.objects.filter(number__in=evaluation.new_cases))
    reason = (reason or "").strip()
    _decide(evaluation, Verdict.APPROVED, actor, reason, now)
    policy = RulesCache().policy_for(zone)
    return _change_level(
        zone=zone,
        to_level=evaluation.proposed_level,
        lifted=evaluation.proposed_change == ChangeKind.LIFTED,
        actor=actor,
        reason=reason or _("Rule met: proposal of %(day)s approved") % {"day": evaluation.day},
        basis=policy.profile.source,
        at=now,
        evaluation=evaluation,
    )


@transaction.atomic
def evaluation_reject(
    *, actor: Any, evaluation: ZoneEvaluation, reason: str, now: dt.datetime | None = None
) -> ZoneEvaluation:
    zone = _open_proposal(actor, evaluation)
    reason = _reason(reason)
    _decide(evaluation, Verdict.REJECTED, actor, reason, now or timezone.now())
    event_record(
        actor=actor,
        action="zone.change_rejected",
        obj=zone,
        field="level",
        from_value=level_label(zone.level),
        to_value=level_label(evaluation.proposed_level),
        reason=reason,
        data={"evaluation": evaluation.pk, **_evidence(evaluation)},
    )
    return evaluation


# Testing inside a zone -----------------------------------------------------------------------


@transaction.atomic
def zone_round_start(
    *, actor: Any, zone: Zone, reason: str, now: dt.datetime | None = None
) -> list[TestingRound]:
    """One click: a testing round over each node of the zone (the testing module's rules)."""
    require(actor, Cap.ROUNDS_MANAGE)
    if not in_scope(actor, zone.division_key):
        raise field_error("zone", _("This zone is outside your jurisdiction"))
    if zone.status != ZoneStatus.ACTIVE:
        raise field_error("status", _("This zone is not in force"))
    now = now or timezone.now()
    nodes = [
        a.division for a in zone.areas.filter(division__isnull=False).select_related("division")
    ]
    rounds = []
    for node in nodes:
        assert node is not None
        name = zone.name if len(nodes) == 1 else f"{zone.name} · {node.name}"
        rounds.append(
            round_start(actor=actor, area=node, name=name[:200], reason=reason, starts_at=now)
        )
    event_record(
        actor=actor,
        action="zone.round_started",
        obj=zone,
        reason=(reason or "").strip(),
        data={"rounds": [r.pk for r in rounds]},
    )
    return rounds
