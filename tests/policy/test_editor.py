"""The rules editor is generated from the schema: every field has an input with a label in both
languages, the inputs read back to the same rules, and each problem lands at its input."""

import pytest
from django.utils import translation

from fangkong.policy import editor
from fangkong.policy.labels import CHOICE_LABELS
from fangkong.policy.schema import json_schema
from fangkong.policy.services import shipped_documents
from fangkong.policy.validation import normalised, rules_problems

DOCS = {d["code"]: d["rules"] for d in shipped_documents()}


def walk(node):
    yield node
    for child in node.children:
        yield from walk(child)
    if node.template is not None:
        yield from walk(node.template)


def by_name(tree):
    return {n.name: n for n in walk(tree)}


def schema_words(schema):
    """Every title and description the schema has (what the editor shows)."""
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key in ("title", "description", "x-key-title") and isinstance(value, str):
                yield value
            else:
                yield from schema_words(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from schema_words(value)


def schema_enums(schema):
    if isinstance(schema, dict):
        if "enum" in schema:
            yield from schema["enum"]
        for value in schema.values():
            yield from schema_enums(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from schema_enums(value)


@pytest.mark.parametrize("code", sorted(DOCS))
def test_the_form_of_a_version_reads_back_to_the_same_rules(code):
    rules, _ = rules_problems(DOCS[code])
    reading = editor.read(editor.form_data(DOCS[code]))
    again, problems = rules_problems(reading.document)
    assert problems == [] and reading.problems == []
    assert normalised(again) == normalised(rules)


def test_every_title_and_help_of_the_schema_is_translated_into_chinese():
    words = sorted(set(schema_words(json_schema())))
    assert len(words) > 60
    with translation.override("zh-hans"):
        untranslated = [w for w in words if translation.gettext(w) == w]
    assert untranslated == []


def test_every_value_of_a_closed_list_has_a_label_in_both_languages():
    values = set(schema_enums(json_schema()))
    assert values - set(CHOICE_LABELS) == set()
    with translation.override("zh-hans"):
        assert [v for v in values if str(CHOICE_LABELS[v]) == v] == []


def test_the_form_has_one_input_per_field_shaped_by_its_type():
    with translation.override("en"):
        fields = by_name(editor.fields(editor.form_data(DOCS["20-measures"])))
    days = fields["rules.categories.close_contact.phases.0.days"]
    assert (days.kind, days.widget, days.value, days.label, days.required) == (
        "input",
        "integer",
        "5",
        "Days",
        True,
    )
    test_days = fields["rules.categories.close_contact.phases.0.test_days"]
    assert (test_days.widget, test_days.value) == ("list", "1, 2, 3, 5")
    kind = fields["rules.categories.close_contact.phases.0.kind"]
    assert kind.widget == "choice" and ("centralised", "centralised quarantine") in kind.choices
    phases = fields["rules.categories.close_contact.phases"]
    assert phases.kind == "rows" and [r.label for r in phases.children] == ["Phase 1", "Phase 2"]
    assert phases.template.name == "rules.categories.close_contact.phases.__i__"
    assert fields["rules.categories.close_contact"].label == "Close contact"
    lapse = fields["rules.categories.high_risk_area_leaver.lapse_after_days"]
    assert (lapse.value, lapse.required) == ("7", False)
    assert fields["rules.quarantine.one_person_per_room"].widget == "boolean"
    levels = fields["rules.zones.obligations"]
    assert [r.label for r in levels.children] == ["high", "low"]
    assert levels.children[0].children[0].name == "rules.zones.obligations.0.__key__"


def test_rows_added_and_removed_in_the_form_are_what_is_read():
    data = editor.form_data(DOCS["20-measures"])
    head = "rules.categories.risk_post_leaver.phases"
    data.update(
        {
            f"{head}.7.__row__": "1",
            f"{head}.7.kind": "home_monitoring",
            f"{head}.7.days": "2",
            f"{head}.7.test_days": "1，2",
        }
    )
    for key in [k for k in data if k.startswith("rules.health_code.2.")]:
        del data[key]

    rules, problems = rules_problems(editor.read(data).document)

    assert problems == []
    assert [(p.kind, p.days, p.test_days) for p in rules.measure("risk_post_leaver").phases] == [
        ("home_monitoring", 5, (1, 3, 5)),
        ("home_monitoring", 2, (1, 2)),
    ]
    assert len(rules.health_code) == 7


def test_each_problem_is_shown_at_the_input_that_caused_it():
    data = editor.form_data(DOCS["20-measures"])
    data["rules.categories.close_contact.phases.0.days"] = "五"
    data["rules.categories.close_contact.phases.1.test_days"] = "1, x"
    data["rules.zones.obligations.1.__key__"] = "medium"
    data["rules.testing.turnaround_hours.1.__key__"] = "fever_clinic"
    data["rules.testing.round_deadline_hours"] = ""
    with translation.override("en"):
        reading = editor.read(data)
        _, problems = rules_problems(reading.document)
        errors = editor.problems_by_input(reading.problems + problems, reading)
        tree = editor.fields(data, errors)

    assert errors == {
        "rules.categories.close_contact.phases.0.days": ["Enter a whole number"],
        "rules.categories.close_contact.phases.1.test_days": ["Item 2: Enter a whole number"],
        "rules.zones.obligations.1.__key__": ["Not one of the levels above: medium"],
        "rules.testing.turnaround_hours.1.__key__": ["Already given in another row"],
        "rules.testing.round_deadline_hours": ["Required"],
    }
    shown = by_name(tree)
    assert shown["rules.categories.close_contact.phases.0.days"].value == "五"  # as typed
    assert shown["rules.categories.close_contact.phases.0.days"].errors == ["Enter a whole number"]
    assert tree.error_count == 5


def test_a_problem_of_a_whole_group_is_shown_on_the_group():
    data = editor.form_data(DOCS["20-measures"])
    for key in [k for k in data if k.startswith("rules.categories.inbound_traveller.")]:
        del data[key]
    with translation.override("en"):
        reading = editor.read(data)
        _, problems = rules_problems(reading.document)
        errors = editor.problems_by_input(problems, reading)
    assert errors == {"rules.categories.inbound_traveller.counted_from": ["Required"]}
