"""A policy version authored in the form, validated, compared and activated from a date, and a
measure started after that date planned by it (issue 15, item 3).

The command centre copies the 20 measures, gives close contacts 7 days of centralised
quarantine tested on days 1, 2, 3, 5 and 7 (instead of 5 days tested on 1, 2, 3, 5), first with
a mistake the form points at, then right; compares the draft with the version in force; and
activates it from tomorrow. A contact put under a measure today is planned by the 20 measures;
one put under a measure tomorrow by the new version, which the measure points at.
"""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from fangkong.policy import accessor, editor
from fangkong.policy.models import PolicyProfile
from fangkong.policy.services import activations_apply
from fangkong.quarantine.models import Measure
from tests import factories as f

DAYS = "rules.categories.close_contact.phases.0.days"
TEST_DAYS = "rules.categories.close_contact.phases.0.test_days"


def form_of(profile: PolicyProfile, **changes: str) -> dict[str, str]:
    data = {
        **editor.form_data(profile.rules),
        "name_zh": profile.name_zh,
        "name_en": "20 measures, close contacts 7 + 3",
        "issued_by": profile.issued_by,
        "published_on": profile.published_on.isoformat(),
        "source": profile.source,
    }
    return {**data, **changes}


def measure_for(client, person, anchor: dt.date) -> Measure:
    response = client.post(
        reverse("quarantine:measure_new"),
        {"id_number": person.id_number, "category": "close_contact", "anchor_on": anchor},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return Measure.objects.get(person=person)


@pytest.mark.django_db
def test_a_version_authored_in_the_form_plans_the_measures_started_after_its_day(
    client, personas, people, monkeypatch
):
    chief = personas["command"]
    f.sign_in(client, chief)
    twenty = PolicyProfile.objects.get(code="20-measures")

    # Copy the version in force to a draft and open it in the generated form.
    opened = client.get(client.post(reverse("policy:copy", args=[twenty.pk]))["Location"])
    draft = opened.context["profile"]
    assert (draft.code, draft.version, draft.is_draft) == ("20-measures", 2, True)
    assert opened.context["editable"]

    # A test day beyond the phase's days: refused, shown at the field, nothing saved.
    edit = reverse("policy:profile", args=[draft.pk])
    wrong = client.post(edit, {**form_of(draft, **{TEST_DAYS: "1, 2, 3, 5, 7"}), "save": "1"})
    errors = {n.name: n.errors for n in _walk(wrong.context["tree"]) if n.errors}
    assert list(errors) == [TEST_DAYS] and "7" in errors[TEST_DAYS][0]
    draft.refresh_from_db()
    assert draft.rules == twenty.rules

    # Right: 7 days, tested on days 1, 2, 3, 5 and 7; checked, then saved.
    right = form_of(draft, **{DAYS: "7", TEST_DAYS: "1, 2, 3, 5, 7"})
    checked = client.post(edit, {**right, "check": "1"})
    assert checked.context["problems"] == []
    assert client.post(edit, {**right, "save": "1"}).status_code == 302

    # Compared with the version in force: exactly the two fields differ.
    compared = client.get(reverse("policy:compare"), {"a": twenty.pk, "b": draft.pk})
    assert [(d.path, d.a, d.b) for d in compared.context["fields"]] == [
        ("categories.close_contact.phases.0.days", "5", "7"),
        ("categories.close_contact.phases.0.test_days", "1、2、3、5", "1、2、3、5、7"),
    ]

    # Activated from tomorrow; today the 20 measures still plan.
    today = timezone.localdate()
    tomorrow = today + dt.timedelta(days=1)
    client.post(
        reverse("policy:activate", args=[draft.pk]),
        {"reason": "市指挥部通知：密接集中隔离7天", "effective_on": tomorrow.isoformat()},
    )
    assert accessor.current().profile == twenty
    before = measure_for(client, people["zhang"], today)
    assert (before.profile_code, before.profile_version) == ("20-measures", 1)
    assert before.phases.order_by("order").first().last_day == today + dt.timedelta(days=5)

    # Tomorrow (before the daily run switches) a new measure is planned by version 2.
    noon = timezone.make_aware(dt.datetime.combine(tomorrow, dt.time(12)))
    monkeypatch.setattr(timezone, "now", lambda: noon)
    f.sign_in(client, chief)
    after = measure_for(client, people["li"], tomorrow)
    assert (after.profile_code, after.profile_version) == ("20-measures", 2)
    centralised = after.phases.order_by("order").first()
    assert (centralised.kind, centralised.first_day, centralised.last_day) == (
        "centralised",
        tomorrow + dt.timedelta(days=1),  # day 1 is the day after the exposure
        tomorrow + dt.timedelta(days=7),
    )
    tested = sorted(t.due_on for t in after.tests.all() if t.due_on <= centralised.last_day)
    assert [(d - tomorrow).days for d in tested] == [1, 2, 3, 5, 7]

    # The daily run switches: the measure started under version 1 is re-planned under 2.
    assert activations_apply() == draft
    before.refresh_from_db()
    assert before.profile_version == 2
    assert before.phases.order_by("order").first().last_day == today + dt.timedelta(days=7)


def _walk(node):
    yield node
    for child in node.children:
        yield from _walk(child)
