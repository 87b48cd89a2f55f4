"""Authoring policy versions without code: drafts, the rules' own checks, immutability once
activated, activation from a date, files in and out (services)."""

import datetime as dt
import json
import re

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from fangkong.audit.models import Event
from fangkong.core.roles import Role
from fangkong.policy import accessor, documents
from fangkong.policy.models import PolicyActivation, PolicyProfile
from fangkong.policy.schema import Rules
from fangkong.policy.services import (
    RulesInvalid,
    VersionLocked,
    activation_withdraw,
    activations_apply,
    profile_activate,
    profile_copy,
    profile_discard,
    profile_update,
    profile_upload,
    shipped_documents,
)
from fangkong.policy.validation import rules_problems
from tests import factories as f

TWENTY = "20-measures"
NINTH = "9th-edition"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def chief(db, city):
    return f.user("chief", Role.COMMAND, city.city)


@pytest.fixture
def twenty(db) -> PolicyProfile:
    return PolicyProfile.objects.get(code=TWENTY)


def rules_with(profile: PolicyProfile, *path_and_value) -> dict:
    """The profile's rules with one value changed at a path."""
    doc = json.loads(json.dumps(profile.rules))
    *path, value = path_and_value
    node = doc
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return doc


def later(days: int) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days)


def clock_at(monkeypatch, moment: dt.datetime) -> None:
    monkeypatch.setattr(timezone, "now", lambda: moment)


# ── drafts ───────────────────────────────────────────────────────────────────


def test_copying_makes_the_next_version_a_draft_with_the_same_rules_audited(chief, twenty):
    draft = profile_copy(profile=twenty, actor=chief)

    assert (draft.code, draft.version, draft.is_draft) == (TWENTY, 2, True)
    assert draft.rules == twenty.rules and draft.based_on == twenty
    assert (draft.name_zh, draft.source) == (twenty.name_zh, twenty.source)
    assert profile_copy(profile=twenty, actor=chief).version == 3
    event = Event.objects.filter(action="policy.drafted").order_by("id").first()
    assert (event.actor, event.from_value, event.to_value) == (
        chief,
        "20-measures v1",
        "20-measures v2",
    )


def test_a_draft_changes_and_the_change_is_audited_field_by_field(chief, twenty):
    draft = profile_copy(profile=twenty, actor=chief)
    changed = rules_with(draft, "categories", "close_contact", "phases", 0, "days", 7)

    profile_update(profile=draft, actor=chief, rules=changed, name_zh="二十条（修订）")

    draft.refresh_from_db()
    assert Rules.model_validate(draft.rules).measure("close_contact").phases[0].days == 7
    assert draft.name_zh == "二十条（修订）"
    event = Event.objects.get(action="policy.draft_changed")
    assert event.data["fields"] == ["name_zh"]
    assert event.data["rules"] == ["categories.close_contact.phases.0.days"]


def test_a_draft_with_broken_rules_is_refused_with_each_problem_at_its_path(chief, twenty):
    draft = profile_copy(profile=twenty, actor=chief)
    rules = rules_with(draft, "categories", "close_contact", "phases", 0, "test_days", [1, 9])
    rules["testing"]["default_pool_size"] = 7
    rules["zones"]["rules"][0]["to"] = "medium"

    with pytest.raises(RulesInvalid) as caught:
        profile_update(profile=draft, actor=chief, rules=rules)

    paths = {p.path for p in caught.value.problems}
    assert paths == {
        "rules.categories.close_contact.phases.0.test_days",
        "rules.testing.default_pool_size",
        "rules.zones.rules.0.to",
    }
    draft.refresh_from_db()
    assert draft.rules == twenty.rules


def test_the_rules_check_what_no_single_field_can(db):
    doc = next(d for d in shipped_documents() if d["code"] == TWENTY)["rules"]

    def problems(change):
        rules = json.loads(json.dumps(doc))
        change(rules)
        return {p.path: p.message for p in rules_problems(rules)[1]}

    assert set(problems(lambda r: r["categories"].pop("inbound_traveller"))) == {
        "categories.inbound_traveller"
    }
    assert (
        "0"
        in problems(
            lambda r: r["categories"]["close_contact"]["phases"][0].update(test_days=[0, 1])
        )["categories.close_contact.phases.0.test_days"]
    )
    assert set(
        problems(lambda r: r["categories"]["close_contact"]["phases"][0].update(test_days=[2, 2]))
    ) == {"categories.close_contact.phases.0.test_days"}
    assert set(
        problems(lambda r: r["zones"]["obligations"].update(medium={"zh": "中", "en": "m"}))
    ) == {"zones.obligations.medium.[key]"}
    assert set(
        problems(lambda r: r["zones"]["rules"][0].update({"from": "low", "to": "high"}))
    ) == {"zones.rules.0.to"}
    assert set(
        problems(lambda r: r["health_code"].append({"colour": "red", "when": "sneezed"}))
    ) == {"health_code.8.when"}
    in_order = json.loads(json.dumps(doc))
    in_order["categories"]["close_contact"]["phases"][0]["test_days"] = [5, 1, 3]
    parsed, _ = rules_problems(in_order)
    assert parsed is not None and parsed.measure("close_contact").phases[0].test_days == (1, 3, 5)


def test_a_discarded_draft_is_gone_and_audited(chief, twenty):
    draft = profile_copy(profile=twenty, actor=chief)
    profile_discard(profile=draft, actor=chief)
    assert not PolicyProfile.objects.filter(pk=draft.pk).exists()
    assert Event.objects.get(action="policy.draft_discarded").from_value == "20-measures v2"


# ── immutable once activated ─────────────────────────────────────────────────


def test_an_activated_version_refuses_every_change(chief, twenty):
    draft = profile_copy(profile=twenty, actor=chief)
    profile_activate(profile=draft, actor=chief, reason="新方案", effective_on=None)
    draft.refresh_from_db()
    assert draft.is_draft is False and draft.is_active

    changed = rules_with(draft, "contacts", "lookback_days_before_onset", 3)
    with pytest.raises(VersionLocked, match=re.escape(f"{draft.label} is no longer a draft")):
        profile_update(profile=draft, actor=chief, rules=changed)
    with pytest.raises(VersionLocked):
        profile_update(profile=draft, actor=chief, name_zh="改名")
    with pytest.raises(VersionLocked):
        profile_discard(profile=draft, actor=chief)
    draft.refresh_from_db()
    assert draft.rules == twenty.rules and draft.name_zh == twenty.name_zh


def test_a_shipped_version_is_fixed_too(chief, twenty):
    with pytest.raises(VersionLocked):
        profile_update(profile=PolicyProfile.objects.get(code=NINTH), actor=chief, name_zh="x")


def test_a_version_scheduled_but_not_yet_in_force_is_fixed_as_well(chief, twenty):
    draft = profile_copy(profile=twenty, actor=chief)
    profile_activate(
        profile=draft,
        actor=chief,
        reason="下周起",
        effective_on=timezone.localdate() + dt.timedelta(days=7),
    )
    with pytest.raises(VersionLocked):
        profile_update(profile=draft, actor=chief, name_zh="x")


# ── activation from a date ───────────────────────────────────────────────────


def test_a_version_activated_from_a_later_day_is_in_force_from_that_days_first_minute(
    chief, twenty, monkeypatch
):
    draft = profile_copy(profile=twenty, actor=chief)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    activation = profile_activate(
        profile=draft, actor=chief, reason="明日起执行", effective_on=tomorrow
    )

    assert timezone.localtime(activation.effective_from) == timezone.make_aware(
        dt.datetime.combine(tomorrow, dt.time())
    )
    assert accessor.current().profile == twenty  # not yet
    assert accessor.in_force(later(2)) == draft
    event = Event.objects.get(action="policy.activated")
    assert (event.from_value, event.to_value, event.reason) == (
        "20-measures v1",
        "20-measures v2",
        "明日起执行",
    )
    assert event.data["effective_from"] == activation.effective_from.isoformat()

    clock_at(monkeypatch, activation.effective_from + dt.timedelta(minutes=1))
    assert accessor.current().profile == draft  # before the daily run switched
    assert PolicyProfile.objects.get(is_active=True) == twenty

    assert activations_apply() == draft
    assert PolicyProfile.objects.get(is_active=True) == draft
    came = Event.objects.get(action="policy.in_force")
    assert (came.from_value, came.to_value, came.actor) == (
        "20-measures v1",
        "20-measures v2",
        chief,
    )
    assert activations_apply() is None  # once


def test_activating_from_today_switches_at_once(chief, twenty):
    ninth = PolicyProfile.objects.get(code=NINTH)
    activation = profile_activate(
        profile=ninth, actor=chief, reason="回退", effective_on=timezone.localdate()
    )
    assert PolicyActivation.objects.get(pk=activation.pk).applied_at is not None
    assert PolicyProfile.objects.get(is_active=True) == ninth
    assert not Event.objects.filter(action="policy.in_force").exists()  # one event: activated


def test_activation_refuses_a_past_day_the_same_moment_twice_and_what_is_in_force_anyway(
    chief, twenty
):
    ninth = PolicyProfile.objects.get(code=NINTH)
    xuchang = PolicyProfile.objects.get(code="xuchang-2022-05")
    today = timezone.localdate()
    with pytest.raises(ValidationError) as past:
        profile_activate(
            profile=ninth, actor=chief, reason="x", effective_on=today - dt.timedelta(days=1)
        )
    assert "effective_on" in past.value.message_dict
    with pytest.raises(ValidationError) as no_reason:
        profile_activate(profile=ninth, actor=chief, reason=" ")
    assert "reason" in no_reason.value.message_dict

    next_week = today + dt.timedelta(days=7)
    profile_activate(profile=ninth, actor=chief, reason="下周", effective_on=next_week)
    with pytest.raises(ValidationError, match="same moment"):
        profile_activate(profile=xuchang, actor=chief, reason="同时", effective_on=next_week)
    with pytest.raises(ValidationError, match="already the version in force"):
        profile_activate(
            profile=ninth, actor=chief, reason="再来", effective_on=next_week + dt.timedelta(days=1)
        )
    assert PolicyActivation.objects.count() == 1


def test_a_withdrawn_activation_never_comes_into_force(chief, twenty, monkeypatch):
    ninth = PolicyProfile.objects.get(code=NINTH)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    activation = profile_activate(profile=ninth, actor=chief, reason="明日", effective_on=tomorrow)

    with pytest.raises(ValidationError):
        activation_withdraw(activation=activation, actor=chief, reason="")
    activation_withdraw(activation=activation, actor=chief, reason="方案暂缓")

    clock_at(monkeypatch, activation.effective_from + dt.timedelta(hours=1))
    assert accessor.current().profile == twenty
    assert activations_apply() is None
    event = Event.objects.get(action="policy.activation_withdrawn")
    assert (event.reason, event.from_value) == ("方案暂缓", "9th-edition v1")
    with pytest.raises(ValidationError, match="still to come"):
        activation_withdraw(activation=activation, actor=chief, reason="again")


def test_the_latest_activation_that_has_come_wins_when_several_came_since_the_last_run(
    chief, twenty, monkeypatch
):
    ninth = PolicyProfile.objects.get(code=NINTH)
    xuchang = PolicyProfile.objects.get(code="xuchang-2022-05")
    today = timezone.localdate()
    profile_activate(
        profile=ninth, actor=chief, reason="a", effective_on=today + dt.timedelta(days=1)
    )
    last = profile_activate(
        profile=xuchang, actor=chief, reason="b", effective_on=today + dt.timedelta(days=2)
    )

    clock_at(monkeypatch, last.effective_from + dt.timedelta(hours=1))
    assert accessor.current().profile == xuchang
    assert activations_apply() == xuchang
    assert set(PolicyActivation.objects.values_list("applied_at", flat=True)) != {None}


# ── files ────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_a_downloaded_version_uploads_again_as_the_next_draft(chief, twenty, fmt):
    text = documents.as_yaml(twenty) if fmt == "yaml" else documents.as_json(twenty)
    assert twenty.name_zh in text  # Chinese as written, not \\u escapes

    draft = profile_upload(actor=chief, content=text.encode(), filename=f"v.{fmt}")

    assert (draft.code, draft.version, draft.is_draft) == (TWENTY, 2, True)
    assert Rules.model_validate(draft.rules) == Rules.model_validate(twenty.rules)
    assert draft.name_zh == twenty.name_zh and draft.published_on == twenty.published_on
    assert Event.objects.get(action="policy.drafted").data["uploaded"] == f"v.{fmt}"


def test_an_upload_names_each_problem_by_its_path_and_writes_nothing(chief, twenty):
    doc = documents.document_of(twenty)
    doc["rules"] = rules_with(twenty, "testing", "round_deadline_hours", "soon")
    doc["name_en"] = ""
    doc["colour"] = "red"

    with pytest.raises(RulesInvalid) as caught:
        profile_upload(actor=chief, content=yaml.safe_dump(doc).encode(), filename="x.yaml")

    assert {p.path for p in caught.value.problems} == {
        "name_en",
        "colour",
        "rules.testing.round_deadline_hours",
    }
    assert PolicyProfile.objects.filter(code=TWENTY).count() == 1


@pytest.mark.parametrize(
    ("content", "filename", "expected"),
    [
        (b"code: [unclosed\n", "x.yaml", "Line 2"),
        (b'{"code": }', "x.json", "Line 1, column 10"),
        (b"a: &x [1]\nb: *x\n", "x.yaml", "anchors and aliases"),
        (b"- just\n- a list\n", "x.yaml", "Expected a profile"),
        ("代码: 1".encode("gbk"), "x.yaml", "UTF-8"),
        (b"x" * (documents.MAX_BYTES + 1), "x.yaml", "larger than"),
    ],
)
def test_an_unreadable_file_is_refused_with_where_and_why(chief, content, filename, expected):
    with pytest.raises(RulesInvalid) as caught:
        profile_upload(actor=chief, content=content, filename=filename)
    assert expected in caught.value.problems[0].message
    assert not PolicyProfile.objects.filter(is_draft=True).exists()


def test_a_file_uploaded_into_a_draft_must_be_of_its_code(chief, twenty):
    draft = profile_copy(profile=twenty, actor=chief)
    ninth = documents.as_yaml(PolicyProfile.objects.get(code=NINTH)).encode()
    with pytest.raises(RulesInvalid) as caught:
        profile_upload(actor=chief, content=ninth, filename="9.yaml", into=draft)
    assert [p.path for p in caught.value.problems] == ["code"]

    doc = documents.document_of(twenty)
    doc["rules"] = rules_with(twenty, "contacts", "lookback_days_before_onset", 3)
    profile_upload(actor=chief, content=json.dumps(doc).encode(), filename="v.json", into=draft)
    draft.refresh_from_db()
    assert draft.rules["contacts"]["lookback_days_before_onset"] == 3
    assert draft.version == 2  # the draft keeps its number
