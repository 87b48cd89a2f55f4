"""The policy pages: versions, the generated editor, comparison, activation from a date, files,
and who may do what."""

import datetime as dt

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from fangkong.audit.models import Event
from fangkong.core.roles import Role
from fangkong.policy import editor
from fangkong.policy.models import PolicyActivation, PolicyProfile
from fangkong.policy.services import profile_activate, profile_copy
from tests import factories as f

TWENTY = "20-measures"


@pytest.fixture
def twenty(db) -> PolicyProfile:
    return PolicyProfile.objects.get(code=TWENTY)


@pytest.fixture
def draft(personas, twenty) -> PolicyProfile:
    return profile_copy(profile=twenty, actor=personas["command"])


@pytest.fixture
def english():
    with translation.override("en"):
        yield


def form_of(profile: PolicyProfile, **changes: str) -> dict[str, str]:
    """What the edit form posts for `profile`, with some inputs changed."""
    data = editor.form_data(profile.rules)
    data.update(
        {
            "name_zh": profile.name_zh,
            "name_en": profile.name_en,
            "issued_by": profile.issued_by,
            "published_on": profile.published_on.isoformat(),
            "source": profile.source,
        }
    )
    data.update(changes)
    return data


DAYS = "rules.categories.close_contact.phases.0.days"
TEST_DAYS = "rules.categories.close_contact.phases.0.test_days"


def test_the_list_shows_each_version_where_it_stands_and_drafts_only_to_their_authors(
    login, personas, draft
):
    page = login(personas["command"]).get(reverse("policy:profiles"))
    statuses = {(v.profile.code, v.profile.version): v.status for v in page.context["versions"]}
    assert statuses[(TWENTY, 1)] == "in_force" and statuses[(TWENTY, 2)] == "draft"
    assert 'data-action="copy"' in page.content.decode()

    lab = login(personas["lab"]).get(reverse("policy:profiles"))
    assert (TWENTY, 2) not in {(v.profile.code, v.profile.version) for v in lab.context["versions"]}
    assert 'data-action="copy"' not in lab.content.decode()
    assert login(personas["lab"]).get(reverse("policy:profile", args=[draft.pk])).status_code == 404


def test_copying_on_the_page_opens_the_new_draft_in_the_editor(login, personas, twenty):
    client = login(personas["command"])
    response = client.post(reverse("policy:copy", args=[twenty.pk]))
    new = PolicyProfile.objects.get(code=TWENTY, version=2)
    assert response["Location"] == reverse("policy:profile", args=[new.pk])
    page = client.get(response["Location"])
    assert page.context["editable"] is True
    html = page.content.decode()
    assert (
        f'name="{DAYS}"' in html
        and "data-row-add" in html
        and "<template data-row-template>" in html
    )


def test_the_editor_saves_a_changed_value_and_a_removed_row(login, personas, draft):
    client = login(personas["command"])
    data = form_of(draft, **{DAYS: "7", TEST_DAYS: "1, 2, 3, 5, 7"})
    data = {k: v for k, v in data.items() if not k.startswith("rules.health_code.7.")}
    response = client.post(reverse("policy:profile", args=[draft.pk]), {**data, "save": "1"})
    assert response.status_code == 302
    draft.refresh_from_db()
    phase = draft.rules["categories"]["close_contact"]["phases"][0]
    assert (phase["days"], phase["test_days"]) == (7, [1, 2, 3, 5, 7])
    assert len(draft.rules["health_code"]) == 7
    event = Event.objects.get(action="policy.draft_changed")
    assert "categories.close_contact.phases.0.days" in event.data["rules"]


def test_the_editor_shows_each_problem_next_to_its_field_and_saves_nothing(
    login, personas, draft, english
):
    client = login(personas["command"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    data = form_of(
        draft, **{DAYS: "seven", TEST_DAYS: "1, 9", "rules.testing.default_pool_size": "7"}
    )
    page = client.post(reverse("policy:profile", args=[draft.pk]), {**data, "save": "1"})

    assert page.status_code == 200
    html = page.content.decode()
    fields = {n.name: n.errors for n in _walk(page.context["tree"]) if n.errors}
    assert fields == {
        DAYS: ["Enter a whole number"],
        "rules.testing.default_pool_size": ["Must be one of the pool sizes (5, 10, 20)"],
    }
    assert 'value="seven"' in html and 'aria-invalid="true"' in html
    assert len(page.context["problems"]) == 2 and 'id="problems"' in html
    draft.refresh_from_db()
    assert draft.rules["categories"]["close_contact"]["phases"][0]["days"] == 5


def _walk(node):
    yield node
    for child in node.children:
        yield from _walk(child)


def test_checking_a_draft_says_so_and_changes_nothing(login, personas, draft):
    client = login(personas["command"])
    page = client.post(
        reverse("policy:profile", args=[draft.pk]), {**form_of(draft, **{DAYS: "6"}), "check": "1"}
    )
    assert page.status_code == 200 and not page.context["problems"]
    assert [m.level_tag for m in page.context["messages"]] == ["success"]
    draft.refresh_from_db()
    assert draft.rules["categories"]["close_contact"]["phases"][0]["days"] == 5
    assert not Event.objects.filter(action="policy.draft_changed").exists()


def test_an_activated_version_shows_read_only_and_refuses_a_post(login, personas, twenty):
    client = login(personas["command"])
    page = client.get(reverse("policy:profile", args=[twenty.pk]))
    assert page.context["editable"] is False
    assert '<fieldset class="pf-top" disabled>' in page.content.decode()
    response = client.post(
        reverse("policy:profile", args=[twenty.pk]), form_of(twenty, **{DAYS: "9"})
    )
    assert response.status_code == 302
    twenty.refresh_from_db()
    assert twenty.rules["categories"]["close_contact"]["phases"][0]["days"] == 5


def test_activating_from_a_later_day_on_the_page_schedules_it(login, personas, draft):
    client = login(personas["command"])
    day = timezone.localdate() + dt.timedelta(days=3)
    client.post(
        reverse("policy:activate", args=[draft.pk]),
        {"reason": "市指挥部通知", "effective_on": day.isoformat()},
    )
    activation = PolicyActivation.objects.get()
    assert timezone.localtime(activation.effective_from).date() == day
    page = client.get(reverse("policy:profiles"))
    versions = {v.profile.pk: v for v in page.context["versions"]}
    assert versions[draft.pk].status == "scheduled"
    assert [s.status for s in page.context["steps"]] == ["scheduled"]

    client.post(reverse("policy:withdraw", args=[activation.pk]), {"reason": "暂缓"})
    activation.refresh_from_db()
    assert activation.withdrawn_at is not None and activation.withdraw_reason == "暂缓"


def test_the_comparison_labels_every_differing_field(login, personas, draft, english):
    client = login(personas["command"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    client.post(
        reverse("policy:profile", args=[draft.pk]), {**form_of(draft, **{DAYS: "7"}), "save": "1"}
    )

    page = client.get(reverse("policy:compare"), {"b": draft.pk})

    assert page.context["a"].version == 1 and page.context["b"] == draft
    assert [(d.label, d.a, d.b) for d in page.context["fields"]] == [
        ("Measures by category › Close contact › Phases › Phase 1 › Days", "5", "7")
    ]
    html = page.content.decode()
    assert 'data-path="categories.close_contact.phases.0.days"' in html
    every = client.get(reverse("policy:compare"), {"b": draft.pk, "all": "1"})
    assert len(every.context["fields"]) > 60


def test_download_and_upload_as_files(login, personas, twenty):
    client = login(personas["command"])
    yaml_file = client.get(reverse("policy:download", args=[twenty.pk]), {"format": "yaml"})
    assert yaml_file["Content-Type"].startswith("application/yaml")
    assert 'filename="20-measures-v1.yaml"' in yaml_file["Content-Disposition"]
    json_file = client.get(reverse("policy:download", args=[twenty.pk]), {"format": "json"})
    assert json_file.json()["rules"] == twenty.rules

    doc = yaml.safe_load(yaml_file.content)
    doc["rules"]["contacts"]["lookback_days_before_onset"] = 3
    upload = SimpleUploadedFile("mine.yaml", yaml.safe_dump(doc, allow_unicode=True).encode())
    response = client.post(reverse("policy:upload"), {"file": upload})
    new = PolicyProfile.objects.get(code=TWENTY, version=2)
    assert response["Location"] == reverse("policy:profile", args=[new.pk])
    assert new.is_draft and new.rules["contacts"]["lookback_days_before_onset"] == 3

    doc["rules"]["contacts"]["lookback_days_before_onset"] = -1
    bad = SimpleUploadedFile("bad.yaml", yaml.safe_dump(doc).encode())
    page = client.post(reverse("policy:upload_into", args=[new.pk]), {"file": bad})
    assert page.status_code == 422
    assert [p.path for p in page.context["problems"]] == [
        "rules.contacts.lookback_days_before_onset"
    ]
    assert "rules.contacts.lookback_days_before_onset" in page.content.decode()


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("policy:copy", "version"),
        ("policy:profile", "draft"),
        ("policy:activate", "version"),
        ("policy:discard", "draft"),
        ("policy:upload", None),
        ("policy:withdraw", "activation"),
    ],
)
def test_only_a_city_wide_command_centre_writes_policy(login, personas, city, draft, name, args):
    activation = profile_activate(
        profile=PolicyProfile.objects.get(code="9th-edition"),
        actor=personas["command"],
        reason="下周",
        effective_on=timezone.localdate() + dt.timedelta(days=7),
    )
    objects = {"version": draft.based_on_id, "draft": draft.pk, "activation": activation.pk}
    url = reverse(name, args=[objects[args]] if args else [])
    district_command = f.user("cmd_weidu", Role.COMMAND, city.weidu)
    body = {**form_of(draft), "reason": "x", "save": "1"}
    for user in (personas["street"], personas["lab"], personas["outsider"], district_command):
        assert login(user).post(url, body).status_code in (403, 404), (name, user.username)
    assert (
        PolicyProfile.objects.count() == 4 and PolicyActivation.objects.get().withdrawn_at is None
    )
    assert (
        not Event.objects.filter(action__in=["policy.drafted", "policy.draft_changed"])
        .exclude(to_value=draft.reference)
        .exists()
    )


def test_the_editor_works_in_chinese(login, personas, draft):
    page = login(personas["command"]).get(reverse("policy:profile", args=[draft.pk]))
    html = page.content.decode()
    assert "密切接触者" in html and "检测日" in html and "天数" in html
