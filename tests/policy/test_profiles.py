"""The shipped policy profiles (9th edition, 20 measures, 许昌 2022-05) per DOMAIN.md §3."""

import pytest
from django.db import IntegrityError, transaction
from pydantic import ValidationError

from fangkong.accounts.models import User
from fangkong.audit.models import Event
from fangkong.core.roles import Role
from fangkong.policy import accessor
from fangkong.policy.models import PolicyProfile
from fangkong.policy.schema import CATEGORIES, Rules
from fangkong.policy.services import profile_activate, profiles_install_shipped, shipped_documents

NINTH = "9th-edition"
TWENTY = "20-measures"
XUCHANG = "xuchang-2022-05"


def rules_of(code: str) -> Rules:
    return accessor.load(PolicyProfile.objects.get(code=code)).rules


def phases(rules: Rules, category: str) -> list[tuple[str, int, tuple[int, ...]]]:
    return [(p.kind, p.days, p.test_days) for p in rules.measure(category).phases]


def flatten(value, prefix=""):
    if isinstance(value, dict):
        out = {}
        for key, inner in value.items():
            out.update(flatten(inner, f"{prefix}.{key}" if prefix else key))
        return out
    return {prefix: value}


@pytest.fixture
def commander(db) -> User:
    # No password: hashing one costs more than everything else these tests do.
    return User.objects.create(username="commander", role=Role.COMMAND, display_name="指挥部")


@pytest.fixture
def ninth(db) -> Rules:
    return rules_of(NINTH)


@pytest.fixture
def twenty(db) -> Rules:
    return rules_of(TWENTY)


# ── loading ─────────────────────────────────────────────────────────────────


def test_every_shipped_profile_is_installed_after_migrate(db):
    assert set(PolicyProfile.objects.values_list("code", flat=True)) == {NINTH, TWENTY, XUCHANG}


@pytest.mark.parametrize("doc", shipped_documents(), ids=lambda d: d["code"])
def test_shipped_profile_validates_and_covers_every_category(doc):
    rules = Rules.model_validate(doc["rules"])
    assert set(rules.categories) == set(CATEGORIES)
    assert doc["source"] and doc["published_on"] and doc["name_zh"] and doc["name_en"]


@pytest.mark.parametrize("doc", shipped_documents(), ids=lambda d: d["code"])
def test_test_days_fall_inside_their_phase_in_order(doc):
    rules = Rules.model_validate(doc["rules"])
    for category, measure in rules.categories.items():
        for phase in measure.phases:
            days = phase.test_days
            assert list(days) == sorted(set(days)), category
            assert all(1 <= d <= phase.days for d in days), category


@pytest.mark.parametrize("doc", shipped_documents(), ids=lambda d: d["code"])
def test_zone_rules_only_move_between_declared_levels_towards_less_restriction(doc):
    zones = Rules.model_validate(doc["rules"]).zones
    for rule in zones.rules:
        assert zones.levels.index(rule.from_level) < zones.levels.index(rule.to_level)


def test_a_misspelt_rule_key_is_rejected_not_ignored():
    doc = next(d for d in shipped_documents() if d["code"] == TWENTY)
    rules = dict(doc["rules"], testing=dict(doc["rules"]["testing"], pool_size=[5]))
    with pytest.raises(ValidationError):
        Rules.model_validate(rules)


# ── close contacts ──────────────────────────────────────────────────────────


def test_close_contact_9th_edition_is_7_days_centralised_then_3_days_home_monitoring(ninth):
    assert phases(ninth, "close_contact") == [
        ("centralised", 7, (1, 2, 3, 5, 7)),
        ("home_monitoring", 3, (3,)),
    ]


def test_close_contact_20_measures_is_5_days_centralised_then_3_days_home_quarantine(twenty):
    assert phases(twenty, "close_contact") == [
        ("centralised", 5, (1, 2, 3, 5)),
        ("home_quarantine", 3, (1, 3)),
    ]
    assert twenty.measure("close_contact").total_days == 8


def test_close_contacts_are_looked_for_from_4_days_before_onset_in_both(ninth, twenty):
    assert ninth.contacts.lookback_days_before_onset == 4
    assert twenty.contacts.lookback_days_before_onset == 4


# ── secondary contacts ──────────────────────────────────────────────────────


def test_secondary_contacts_9th_edition_are_7_days_home_quarantine_tested_1_4_7(ninth):
    assert ninth.contacts.secondary_contacts is True
    assert ninth.measure("secondary_contact").identified is True
    assert phases(ninth, "secondary_contact") == [("home_quarantine", 7, (1, 4, 7))]


def test_secondary_contacts_are_not_identified_under_20_measures(twenty):
    assert twenty.contacts.secondary_contacts is False
    assert twenty.measure("secondary_contact").identified is False
    assert phases(twenty, "secondary_contact") == []


# ── people leaving a high-risk area ─────────────────────────────────────────


def test_high_risk_area_leaver_9th_edition_is_7_days_centralised_without_lapse(ninth):
    measure = ninth.measure("high_risk_area_leaver")
    assert measure.counted_from == "departure"
    assert phases(ninth, "high_risk_area_leaver") == [("centralised", 7, (1, 2, 3, 5, 7))]
    assert measure.lapse_after_days is None


def test_high_risk_area_leaver_20_measures_is_7_days_home_then_one_test_after_lapse(twenty):
    measure = twenty.measure("high_risk_area_leaver")
    assert measure.counted_from == "departure"
    assert phases(twenty, "high_risk_area_leaver") == [("home_quarantine", 7, (1, 3, 5, 7))]
    assert (measure.lapse_after_days, measure.lapse_tests) == (7, 1)


# ── inbound travellers ──────────────────────────────────────────────────────


def test_inbound_traveller_9th_edition_is_7_plus_3(ninth):
    measure = ninth.measure("inbound_traveller")
    assert measure.counted_from == "arrival"
    assert [(p.kind, p.days) for p in measure.phases] == [
        ("centralised", 7),
        ("home_monitoring", 3),
    ]
    assert measure.positive_ct_below is None


def test_inbound_traveller_20_measures_is_5_plus_3_tested_as_close_contacts_ct_below_35(twenty):
    measure = twenty.measure("inbound_traveller")
    assert measure.counted_from == "arrival"
    assert measure.phases == twenty.measure("close_contact").phases
    assert [(p.kind, p.days) for p in measure.phases] == [
        ("centralised", 5),
        ("home_quarantine", 3),
    ]
    assert measure.positive_ct_below == 35


# ── high-risk posts ─────────────────────────────────────────────────────────


def test_risk_post_leaver_9th_edition_is_7_days_centralised_or_home(ninth):
    assert phases(ninth, "risk_post_leaver") == [("centralised_or_home", 7, ())]


def test_risk_post_leaver_20_measures_is_5_days_home_monitoring_tested_1_3_5(twenty):
    assert phases(twenty, "risk_post_leaver") == [("home_monitoring", 5, (1, 3, 5))]


def test_risk_post_groups_test_daily_and_twice_a_week_in_both(ninth, twenty):
    for rules in (ninth, twenty):
        assert rules.risk_posts["group_1"].tests_per_week == 7
        assert rules.risk_posts["group_2"].tests_per_week == 2


# ── risk areas ──────────────────────────────────────────────────────────────


def zone_rules(rules: Rules):
    return [
        (
            r.from_level,
            r.to_level,
            r.clean_days,
            r.negative_round_on_day,
            r.only_after_downgrade_from,
        )
        for r in rules.zones.rules
    ]


def test_zones_9th_edition_are_high_medium_low_with_three_downgrade_rules(ninth):
    assert ninth.zones.scheme == "high_medium_low"
    assert ninth.zones.levels == ("high", "medium", "low")
    assert sorted(zone_rules(ninth), key=str) == sorted(
        [
            ("high", "medium", 7, 7, None),  # 7 clean days and a negative day-7 round
            ("medium", "low", 3, None, "high"),  # 3 more days after coming down from high
            ("medium", "low", 7, None, None),  # a medium area in its own right
        ],
        key=str,
    )


def test_zones_20_measures_are_high_low_drawn_by_building_or_unit(twenty):
    assert twenty.zones.scheme == "high_low"
    assert twenty.zones.levels == ("high", "low")
    assert set(twenty.zones.drawn_by) == {"building", "unit"}
    assert zone_rules(twenty) == [("high", "low", 5, 5, None)]


def test_zones_xuchang_are_sealed_controlled_precaution_lifted_after_14_days(db):
    rules = rules_of(XUCHANG)
    assert rules.zones.scheme == "sealed_controlled_precaution"
    assert rules.zones.levels == ("sealed", "controlled", "precaution")
    assert [
        (r.from_level, r.to_level, r.clean_days, r.negative_round_within_last_days)
        for r in rules.zones.rules
    ] == [("sealed", "controlled", 14, 2), ("controlled", "precaution", 14, 2)]
    assert rules.zones.infection_escalates == {"controlled": "sealed"}


def test_xuchang_profile_differs_from_the_9th_edition_only_in_its_zones_and_assistance(db):
    """…and its social assistance: 许昌民政's simplified procedure during the outbreak (seed
    004), which the 9th edition (a national plan) leaves to the schema's default, off."""
    docs = {d["code"]: flatten(d["rules"]) for d in shipped_documents()}
    old, xuchang = docs[NINTH], docs[XUCHANG]
    differing = {k for k in old.keys() | xuchang.keys() if old.get(k) != xuchang.get(k)}
    # The supply orders' deadlines by zone level are keyed by the levels: zones too.
    differs = ("zones.", "supplies.orders.by_zone_level.", "assistance.")
    assert differing and all(k.startswith(differs) for k in differing)
    assert rules_of(XUCHANG).assistance.emergency_procedure
    assert not rules_of(NINTH).assistance.emergency_procedure


@pytest.mark.parametrize("doc", shipped_documents(), ids=lambda d: d["code"])
def test_every_zone_level_says_its_obligations_in_both_languages(doc):
    zones = Rules.model_validate(doc["rules"]).zones
    assert set(zones.obligations) == set(zones.levels)
    assert all(o.zh and o.en for o in zones.obligations.values())


def test_zone_sections_without_obligations_still_validate_and_unknown_levels_do_not():
    doc = next(d for d in shipped_documents() if d["code"] == TWENTY)
    zones = {k: v for k, v in doc["rules"]["zones"].items() if k != "obligations"}
    assert Rules.model_validate(dict(doc["rules"], zones=zones)).zones.obligations == {}
    bad = dict(zones, infection_escalates={"low": "sealed"})
    with pytest.raises(ValidationError):
        Rules.model_validate(dict(doc["rules"], zones=bad))


# ── testing ─────────────────────────────────────────────────────────────────


def test_mass_testing_by_area_in_9th_edition_only_when_source_unclear_in_20_measures(ninth, twenty):
    assert ninth.testing.mass_testing == "by_area"
    assert twenty.testing.mass_testing == "only_when_source_unclear"
    assert twenty.testing.max_rounds_per_day == 1  # no "two or three tests a day"


def test_pools_of_5_10_and_20_and_a_24_hour_round_in_both(ninth, twenty):
    for rules in (ninth, twenty):
        assert set(rules.testing.pool_sizes) == {5, 10, 20}
        assert rules.testing.default_pool_size in rules.testing.pool_sizes
        assert rules.testing.round_deadline_hours == 24


def test_profiles_differ_exactly_where_the_domain_guide_says(db):
    docs = {d["code"]: flatten(d["rules"]) for d in shipped_documents()}
    old, new = docs[NINTH], docs[TWENTY]

    differing = {k for k in old.keys() | new.keys() if old.get(k) != new.get(k)}

    assert differing == {
        "categories.close_contact.phases",
        "categories.secondary_contact.identified",
        "categories.secondary_contact.phases",
        "categories.high_risk_area_leaver.phases",
        "categories.high_risk_area_leaver.lapse_after_days",
        "categories.high_risk_area_leaver.lapse_tests",
        "categories.inbound_traveller.phases",
        "categories.inbound_traveller.positive_ct_below",
        "categories.risk_post_leaver.phases",
        "contacts.secondary_contacts",
        "zones.scheme",
        "zones.levels",
        "zones.drawn_by",
        "zones.rules",
        "zones.obligations.medium.zh",  # the 20 measures have no medium-risk areas
        "zones.obligations.medium.en",
        "supplies.orders.by_zone_level.medium.deliver_within_minutes",  # no medium-risk areas
        "supplies.orders.by_zone_level.medium.key_person_deliver_within_minutes",
        "testing.mass_testing",
        "testing.max_rounds_per_day",
        "health_code",  # the 9th edition colours secondary contacts under quarantine
    }


# ── installation and activation ─────────────────────────────────────────────


def test_20_measures_is_the_one_active_profile_by_default(db):
    assert list(PolicyProfile.objects.filter(is_active=True).values_list("code", flat=True)) == [
        TWENTY
    ]
    assert accessor.current().profile.code == TWENTY


def test_installing_shipped_profiles_again_changes_nothing(db):
    before = list(PolicyProfile.objects.values_list("pk", "code", "version", "is_active"))

    assert profiles_install_shipped() == 0
    assert profiles_install_shipped() == 0

    after = list(PolicyProfile.objects.values_list("pk", "code", "version", "is_active"))
    assert after == before


def test_reinstalling_keeps_an_operator_chosen_profile_active(db, commander):
    profile_activate(profile=PolicyProfile.objects.get(code=NINTH), actor=commander, reason="test")

    profiles_install_shipped()

    assert accessor.current().profile.code == NINTH


def test_installing_into_an_empty_table_activates_20_measures(db):
    PolicyProfile.objects.all().delete()

    assert profiles_install_shipped() == 3

    assert accessor.current().profile.code == TWENTY


def test_no_active_profile_is_an_explicit_error(db):
    PolicyProfile.objects.update(is_active=False)
    with pytest.raises(accessor.NoActivePolicy):
        accessor.current()


def test_activating_a_profile_switches_rules_and_records_who_why_and_basis(db, commander):
    ninth = PolicyProfile.objects.get(code=NINTH)

    profile_activate(profile=ninth, actor=commander, reason="城市回退到第九版方案")

    assert accessor.current().profile == ninth
    assert accessor.current().rules.zones.scheme == "high_medium_low"
    assert PolicyProfile.objects.filter(is_active=True).count() == 1
    event = Event.objects.get(action="policy.activated")
    assert event.actor == commander
    assert (event.object_type, event.object_id) == ("policy.policyprofile", str(ninth.pk))
    assert (event.from_value, event.to_value) == ("20-measures v1", "9th-edition v1")
    assert event.reason == "城市回退到第九版方案"
    assert event.basis == ninth.source == "联防联控机制综发〔2022〕71号"


def test_activating_back_records_a_second_event_with_the_reverse_direction(db, commander):
    ninth = PolicyProfile.objects.get(code=NINTH)
    twenty = PolicyProfile.objects.get(code=TWENTY)

    profile_activate(profile=ninth, actor=commander, reason="a")
    profile_activate(profile=twenty, actor=commander, reason="b")

    events = Event.objects.filter(action="policy.activated").order_by("id")
    assert [(e.from_value, e.to_value) for e in events] == [
        ("20-measures v1", "9th-edition v1"),
        ("9th-edition v1", "20-measures v1"),
    ]
    assert accessor.current().profile == twenty


def test_activating_the_active_profile_records_nothing(db, commander):
    twenty = PolicyProfile.objects.get(code=TWENTY)

    profile_activate(profile=twenty, actor=commander, reason="again")

    assert not Event.objects.filter(action="policy.activated").exists()
    assert accessor.current().profile == twenty


def test_database_forbids_two_active_profiles(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        PolicyProfile.objects.filter(code=NINTH).update(is_active=True)

    assert PolicyProfile.objects.filter(is_active=True).count() == 1


def test_database_forbids_a_second_copy_of_the_same_code_and_version(db):
    doc = next(d for d in shipped_documents() if d["code"] == NINTH)
    with pytest.raises(IntegrityError), transaction.atomic():
        PolicyProfile.objects.create(**doc)


def test_the_policy_a_record_was_made_under_is_found_by_code_and_version(db):
    profiles_install_shipped()
    stored = PolicyProfile.objects.get(code=XUCHANG)
    policy = accessor.at(XUCHANG, stored.version)
    assert policy is not None and policy.profile.pk == stored.pk
    assert policy.rules == rules_of(XUCHANG)
    assert accessor.at(XUCHANG, stored.version + 1) is None
    assert accessor.at("no-such-profile", 1) is None


def test_the_policy_at_a_version_reads_rules_changed_since_it_was_last_read(db):
    profiles_install_shipped()
    stored = PolicyProfile.objects.get(code=XUCHANG)
    before = accessor.at(XUCHANG, stored.version)
    assert before is not None
    changed = dict(stored.rules)
    changed["contacts"] = dict(stored.rules["contacts"], lookback_days_before_onset=3)
    PolicyProfile.objects.filter(pk=stored.pk).update(rules=changed)
    after = accessor.at(XUCHANG, stored.version)
    assert after is not None
    assert after.rules.contacts.lookback_days_before_onset == 3
    assert before.rules.contacts.lookback_days_before_onset != 3
