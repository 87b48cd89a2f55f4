"""The downgrade rule of each scheme on constructed timelines (injected clock)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangkong.audit.models import Event
from fangkong.places.models import Level
from fangkong.zones import services
from fangkong.zones.models import ChangeKind, Verdict, ZoneEvaluation, ZoneStatus
from tests import factories as f
from tests.zones.conftest import at, day, evaluate, infection, use_profile

NINTH = "9th-edition"
XUCHANG = "xuchang-2022-05"


@pytest.fixture
def residents(people):
    return [people["zhang"], people["li"], people["wang"]]


def approve(evaluation, personas, on):
    return services.evaluation_approve(
        actor=personas["command"], evaluation=evaluation, reason="规则满足", now=at(on, 21)
    )


# ── 20 measures: high → low after 5 clean days and an all-negative day-5 round ───────────────


def test_high_risk_zone_downgrades_after_five_clean_days_and_a_negative_day_5_round(
    draw, building, residents, round_on, personas
):
    zone = draw()
    round_on(day(5), building, residents)

    early = evaluate(day(4))[zone.pk]
    assert early.days_clean == 4 and not early.qualifies
    assert "too_few_clean_days" in early.notes
    on_time = evaluate(day(5))[zone.pk]

    assert on_time.verdict == Verdict.PROPOSED and on_time.days_clean == 5
    assert (on_time.proposed_level, on_time.proposed_change) == ("low", ChangeKind.LIFTED)
    assert [
        (r["sampled"], r["resulted"], r["positive"], r["required"]) for r in on_time.rounds
    ] == [(3, 3, 0, True)]
    zone.refresh_from_db()
    assert zone.level == "high" and zone.status == ZoneStatus.ACTIVE  # nothing before approval


def test_approving_the_downgrade_lifts_the_zone_and_records_who_why_and_evidence(
    draw, building, residents, round_on, personas
):
    zone = draw()
    round_on(day(5), building, residents)
    proposal = evaluate(day(5))[zone.pk]

    approve(proposal, personas, day(5))

    zone.refresh_from_db()
    assert (zone.level, zone.status, zone.ended_at) == ("low", ZoneStatus.LIFTED, at(day(5), 21))
    proposal.refresh_from_db()
    assert proposal.verdict == Verdict.APPROVED and proposal.decided_by == personas["command"]
    change = zone.changes.order_by("at").last()
    assert (change.kind, change.from_level, change.to_level) == (ChangeKind.LIFTED, "high", "low")
    assert change.evidence["days_clean"] == 5 and change.evidence["rounds"][0]["sampled"] == 3
    event = Event.objects.get(action="zone.level_changed")
    assert (event.from_value, event.to_value, event.reason) == ("high", "low", "规则满足")
    assert event.actor == personas["command"] and event.basis == "联防联控机制综发〔2022〕101号"
    assert Event.objects.filter(action="zone.change_proposed", object_id=str(zone.pk)).count() == 1


def test_an_infection_on_day_4_restarts_the_five_days(draw, building, residents, round_on, people):
    zone = draw()
    infection(people["wang"], sampled=day(4))
    round_on(day(5), building, residents[:2])

    on_day_5 = evaluate(day(5))[zone.pk]
    assert (on_day_5.last_infection_on, on_day_5.clock_from, on_day_5.days_clean) == (
        day(4),
        day(4),
        1,
    )
    assert not on_day_5.qualifies
    assert [r["required"] for r in on_day_5.rounds] == [False]  # day 5 of the old clock

    round_on(day(9), building, residents[:2])
    assert evaluate(day(9))[zone.pk].verdict == Verdict.PROPOSED


def test_a_positive_in_the_day_5_round_blocks_the_downgrade(
    draw, building, residents, round_on, people
):
    zone = draw()
    round_on(day(5), building, residents, positive=[people["li"]])

    evaluation = evaluate(day(6))[zone.pk]

    assert not evaluation.qualifies and "positive_in_round" in evaluation.notes
    assert evaluation.rounds[0]["positive"] == 1


def test_results_still_out_or_no_round_at_all_wait(draw, building, residents, round_on, people):
    zone = draw()
    assert evaluate(day(5))[zone.pk].notes == ["no_round"]

    round_on(day(5), building, residents, pending=[people["wang"]])
    waiting = evaluate(day(5))[zone.pk]
    assert waiting.notes == ["results_pending"] and not waiting.qualifies


def test_a_round_before_day_5_does_not_count_but_a_late_one_does(
    draw, building, residents, round_on
):
    zone = draw()
    round_on(day(3), building, residents)
    assert evaluate(day(5))[zone.pk].notes == ["no_round"]
    round_on(day(6), building, residents)
    assert evaluate(day(6))[zone.pk].qualifies


def test_a_round_over_the_whole_street_counts_only_the_zone_people(
    draw, building, residents, round_on, city, people
):
    zone = draw()
    elsewhere = f.resident(city.w[Level.COMPOUND], "刘洋")
    round_on(day(5), city.w[Level.STREET], [*residents, elsewhere], positive=[elsewhere])

    evaluation = evaluate(day(5))[zone.pk]

    assert evaluation.rounds[0]["sampled"] == 3 and evaluation.rounds[0]["positive"] == 0
    assert evaluation.qualifies


def test_a_case_reported_after_the_day_is_not_known_on_that_day(
    draw, building, residents, round_on, people
):
    zone = draw()
    infection(people["wang"], sampled=day(4), reported=day(7))
    round_on(day(5), building, residents)

    assert evaluate(day(5))[zone.pk].qualifies
    assert not evaluate(day(7))[zone.pk].qualifies


def test_a_zone_extended_by_a_new_case_restarts_its_clock(
    draw, building, residents, round_on, city, personas
):
    zone = draw()
    next_door = f.division(
        city.w[Level.COMPOUND].key + "002", "2号楼", Level.BUILDING, city.w[Level.COMPOUND]
    )
    neighbour = f.resident(next_door, "陈静")
    case = infection(neighbour, sampled=day(3))

    services.zone_extend(
        actor=personas["command"],
        zone=zone,
        divisions=[next_door],
        cases=[case],
        reason="2号楼新增病例",
        now=at(day(3)),
    )
    round_on(day(5), building, residents)

    on_day_5 = evaluate(day(5))[zone.pk]
    assert on_day_5.clock_from == day(3) and not on_day_5.qualifies
    zone.refresh_from_db()
    assert zone.people == 4
    assert zone.changes.filter(kind=ChangeKind.EXTENDED).count() == 1
    round_on(day(8), next_door, [neighbour])
    assert evaluate(day(8))[zone.pk].qualifies


def test_an_evaluation_that_is_run_twice_a_day_is_one_row_and_one_proposal(
    draw, building, residents, round_on
):
    zone = draw()
    round_on(day(5), building, residents)
    evaluate(day(5))
    evaluate(day(5))
    assert ZoneEvaluation.objects.filter(zone=zone).count() == 1
    assert Event.objects.filter(action="zone.change_proposed").count() == 1


def test_a_newer_evaluation_supersedes_an_undecided_proposal(draw, building, residents, round_on):
    zone = draw()
    round_on(day(5), building, residents)
    first = evaluate(day(5))[zone.pk]
    second = evaluate(day(6))[zone.pk]
    first.refresh_from_db()
    assert first.verdict == Verdict.SUPERSEDED and second.verdict == Verdict.PROPOSED
    with pytest.raises(ValidationError):
        services.evaluation_approve(actor=second.zone.created_by, evaluation=first, now=at(day(6)))


def test_approval_is_refused_when_an_infection_came_after_the_evaluation(
    draw, building, residents, round_on, people, personas
):
    zone = draw()
    round_on(day(5), building, residents)
    proposal = evaluate(day(5))[zone.pk]
    infection(people["zhang"], sampled=day(6))

    with pytest.raises(ValidationError, match="new infection"):
        approve(proposal, personas, day(6))
    zone.refresh_from_db()
    assert zone.level == "high"


def test_rejecting_needs_a_reason_keeps_the_zone_and_is_audited(
    draw, building, residents, round_on, personas
):
    zone = draw()
    round_on(day(5), building, residents)
    proposal = evaluate(day(5))[zone.pk]

    with pytest.raises(ValidationError):
        services.evaluation_reject(actor=personas["command"], evaluation=proposal, reason=" ")
    services.evaluation_reject(
        actor=personas["command"], evaluation=proposal, reason="采样覆盖不足", now=at(day(5), 21)
    )

    zone.refresh_from_db()
    proposal.refresh_from_db()
    assert zone.level == "high" and proposal.verdict == Verdict.REJECTED
    event = Event.objects.get(action="zone.change_rejected")
    assert event.reason == "采样覆盖不足" and event.actor == personas["command"]
    assert evaluate(day(5)) == {zone.pk: proposal}  # the decided day stays as it was
    assert evaluate(day(6))[zone.pk].verdict == Verdict.PROPOSED


def test_only_a_zone_manager_in_scope_may_decide(
    draw, building, residents, round_on, personas, city
):
    zone = draw()
    round_on(day(5), building, residents)
    proposal = evaluate(day(5))[zone.pk]
    for role in ("street", "outsider", "grid"):
        with pytest.raises(PermissionDenied):
            services.evaluation_approve(actor=personas[role], evaluation=proposal, now=at(day(5)))
    other_district = f.user("tf_jianan", "task_force", city.jianan)
    with pytest.raises(ValidationError, match="outside your jurisdiction"):
        services.evaluation_approve(actor=other_district, evaluation=proposal, now=at(day(5)))

    services.evaluation_approve(actor=personas["task_force"], evaluation=proposal, now=at(day(5)))

    zone.refresh_from_db()
    assert zone.status == ZoneStatus.LIFTED


# ── 9th edition: high → medium after 7 days + day-7 round, → low after 3 more ────────────────


def test_9th_edition_high_to_medium_after_7_days_then_low_after_3_more(
    draw, building, residents, round_on, personas
):
    use_profile(NINTH)
    zone = draw()
    round_on(day(7), building, residents)

    assert not evaluate(day(6))[zone.pk].qualifies
    to_medium = evaluate(day(7))[zone.pk]
    assert (to_medium.proposed_level, to_medium.proposed_change) == ("medium", "downgraded")
    approve(to_medium, personas, day(7))
    zone.refresh_from_db()
    assert zone.level == "medium" and zone.status == ZoneStatus.ACTIVE

    on_day_9 = evaluate(day(9))[zone.pk]
    assert on_day_9.rule["clean_days"] == 3 and on_day_9.rule["only_after_downgrade_from"] == "high"
    assert on_day_9.days_clean == 2 and not on_day_9.qualifies
    to_low = evaluate(day(10))[zone.pk]
    assert (to_low.proposed_level, to_low.proposed_change) == ("low", "lifted")
    approve(to_low, personas, day(10))
    zone.refresh_from_db()
    assert zone.status == ZoneStatus.LIFTED
    assert [(c.kind, c.to_level) for c in zone.changes.order_by("at")] == [
        ("drawn", "high"),
        ("downgraded", "medium"),
        ("lifted", "low"),
    ]


def test_9th_edition_medium_zone_in_its_own_right_needs_7_days(draw, building):
    use_profile(NINTH)
    zone = draw(level="medium")
    assert not evaluate(day(6))[zone.pk].qualifies
    on_day_7 = evaluate(day(7))[zone.pk]
    assert on_day_7.rule["clean_days"] == 7 and on_day_7.proposed_level == "low"


# ── the older scheme: 14 days and a negative round in the last 2 days ────────────────────────


def test_sealed_zone_becomes_controlled_after_14_days_and_a_round_in_the_last_2_days(
    draw, building, residents, round_on
):
    use_profile(XUCHANG)
    zone = draw(level="sealed")
    round_on(day(11), building, residents)

    not_recent = evaluate(day(14))[zone.pk]
    assert not_recent.notes == ["no_round"]
    assert [r["required"] for r in not_recent.rounds] == [False]

    round_on(day(13), building, residents)
    assert not evaluate(day(13))[zone.pk].qualifies  # 13 days
    evaluation = evaluate(day(14))[zone.pk]
    assert (evaluation.proposed_level, evaluation.proposed_change) == ("controlled", "downgraded")


def test_a_positive_inside_a_controlled_zone_turns_it_sealed(draw, building, people, personas):
    use_profile(XUCHANG)
    zone = draw(level="controlled")
    case = infection(people["li"], sampled=day(3))

    escalation = evaluate(day(3))[zone.pk]

    assert (escalation.proposed_level, escalation.proposed_change) == ("sealed", "escalated")
    assert escalation.new_cases == [case.number] and escalation.notes == ["infection_escalates"]
    approve(escalation, personas, day(3))
    zone.refresh_from_db()
    assert zone.level == "sealed" and case in zone.cases.all()
    assert zone.changes.order_by("at").last().kind == ChangeKind.ESCALATED
    after = evaluate(day(4))[zone.pk]
    assert not after.new_cases and after.rule["from"] == "sealed" and after.clock_from == day(3)


def test_the_case_that_caused_the_zone_does_not_escalate_it(draw, building, people):
    use_profile(XUCHANG)
    case = infection(people["li"], sampled=day(0))
    zone = draw(level="controlled", cases=[case])
    assert evaluate(day(1))[zone.pk].proposed_change == ""


def test_a_profile_switch_keeps_zones_of_another_scheme_on_their_own_rules(
    draw, building, residents, round_on
):
    use_profile(XUCHANG)
    zone = draw(level="sealed")
    use_profile("20-measures")
    round_on(day(13), building, residents)

    evaluation = evaluate(day(14))[zone.pk]

    assert evaluation.profile_code == XUCHANG and evaluation.proposed_level == "controlled"
