"""Reclassifying and closing many cases at once (issue 15, item 2, cases): the services (all
or nothing naming each refused id, idempotent, one UPDATE per chunk, audited per case, the
tally and health codes told once, the valid time checked like the single path), the API (ids
or a filter) and the list page's ticked rows and "all matching this filter" with confirmation.
An outsider's ids read as unknown and nothing of theirs changes."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from fangkong.accounts.models import Role
from fangkong.audit.models import Event
from fangkong.core import changes
from fangkong.epi.cases import services
from fangkong.epi.models import Case, CaseKind, CaseStatus
from tests import factories as f
from tests.epi.conftest import make_case

RECLASSIFIED = "case.reclassified"
CLOSED = "case.closed"
OUTCOME = dt.date(2022, 1, 30)


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def many_cases(city, n, *, tag="B", unit=None, **kw):
    """`n` asymptomatic cases registered yesterday in 魏都区 (or `unit`)."""
    unit = unit or city.w[f.Level.UNIT]
    fields = {
        "kind": CaseKind.ASYMPTOMATIC,
        "registered_at": timezone.now() - dt.timedelta(days=1),
        **kw,
    }
    return [make_case(f.resident(unit, f"批量{tag}{i}"), **fields).pk for i in range(n)]


def kinds(ids):
    return set(Case.objects.filter(pk__in=ids).values_list("kind", flat=True))


def closed(ids):
    return set(Case.objects.filter(pk__in=ids).values_list("status", "outcome_on"))


@pytest.fixture
def tracer(personas):
    return personas["task_force"]


@pytest.fixture
def outsider(city):
    """A task force member of 建安区: may edit cases, none of 魏都区's."""
    return f.user("p_jianan_tf", Role.TASK_FORCE, city.jianan)


# Services ----------------------------------------------------------------------------------


def test_bulk_reclassify_changes_every_case_and_audits_each(city, tracer):
    ids = many_cases(city, 4)
    when = timezone.now() - dt.timedelta(hours=2)
    batch = services.cases_reclassify(
        actor=tracer, ids=ids, kind="confirmed", reason="出现症状", reclassified_at=when
    )
    assert (sorted(batch.changed), batch.unchanged, batch.refused) == (ids, [], {})
    assert kinds(ids) == {CaseKind.CONFIRMED}
    events = Event.objects.filter(action=RECLASSIFIED)
    assert sorted(int(e.object_id) for e in events) == ids
    assert {(e.field, e.from_value, e.to_value, e.reason, e.at) for e in events} == {
        ("kind", "asymptomatic", "confirmed", "出现症状", when)
    }
    assert all(e.recorded_at > when for e in events)  # the system time, not the valid time


def test_bulk_close_records_the_outcome_of_every_case(city, tracer):
    ids = many_cases(city, 3)
    batch = services.cases_close(
        actor=tracer, ids=ids, status="recovered", outcome_on=OUTCOME, reason="治愈出院"
    )
    assert len(batch.changed) == 3 and batch.written
    assert closed(ids) == {(CaseStatus.RECOVERED, OUTCOME)}
    assert Event.objects.filter(action=CLOSED, field="status", to_value="recovered").count() == 3


def test_bulk_transfer_moves_every_case_to_one_hospital_once(city, tracer):
    """Like `case_transfer` for each: the destination and the status events, the transfer
    time; the same bus again changes nothing; a closed case or a time before a case's report
    refuses the batch."""
    ids = many_cases(city, 3)
    when = timezone.now() - dt.timedelta(hours=1)
    hospital = {"destination": "shelter_hospital", "destination_name": "许昌方舱医院"}
    batch = services.cases_transfer(
        actor=tracer, ids=ids, transferred_at=when, reason="闭环转运", **hospital
    )
    assert sorted(batch.changed) == ids
    rows = Case.objects.filter(pk__in=ids)
    assert set(rows.values_list("status", "destination", "destination_name", "transferred_at")) == {
        (CaseStatus.TRANSFERRED, "shelter_hospital", "许昌方舱医院", when)
    }
    events = Event.objects.filter(action="case.transferred")
    assert (
        sorted((e.field, e.from_value, e.to_value, e.at) for e in events)
        == [("destination", "", "shelter_hospital 许昌方舱医院", when)] * 3
        + [("status", "reported", "transferred", when)] * 3
    )
    again = services.cases_transfer(
        actor=tracer, ids=ids, transferred_at=when, reason="闭环转运", **hospital
    )
    assert (again.changed, sorted(again.unchanged)) == ([], ids)
    assert events.count() == 6
    fresh = many_cases(city, 1, tag="F")
    shut = many_cases(city, 1, tag="D", status=CaseStatus.DIED, outcome_on=OUTCOME)
    reported_later = many_cases(city, 1, tag="R", reported_on=timezone.localdate())
    refused = services.cases_transfer(
        actor=tracer,
        ids=[*fresh, *shut, *reported_later],
        transferred_at=timezone.now() - dt.timedelta(days=3),
        reason="闭环转运",
        **hospital,
    ).refused
    assert refused == {
        shut[0]: "A closed case cannot be transferred",
        reported_later[0]: "The transfer cannot be before the report",
    }
    assert closed(fresh) == {(CaseStatus.REPORTED, None)}


def test_one_case_that_cannot_change_refuses_the_whole_batch(city, tracer):
    ids = many_cases(city, 3)
    shut = many_cases(city, 1, tag="C", status=CaseStatus.DIED, outcome_on=OUTCOME)[0]
    batch = services.cases_reclassify(
        actor=tracer, ids=[*ids, shut, 987654321], kind="confirmed", reason="订正"
    )
    assert batch.refused == {
        shut: "A closed case cannot be reclassified",
        987654321: "No case with this id in your jurisdiction",
    }
    assert not batch.changed and not batch.written
    assert kinds(ids) == {CaseKind.ASYMPTOMATIC}
    assert not Event.objects.filter(action=RECLASSIFIED).exists()
    refused = services.cases_close(
        actor=tracer, ids=[*ids, shut], status="recovered", outcome_on=OUTCOME, reason="出院"
    ).refused
    assert refused == {shut: "This case is already closed"}
    assert closed(ids) == {(CaseStatus.REPORTED, None)}


def test_running_the_same_change_again_changes_nothing_and_says_so(city, tracer):
    ids = many_cases(city, 3)
    first = services.cases_close(
        actor=tracer, ids=ids, status="recovered", outcome_on=OUTCOME, reason="出院"
    )
    again = services.cases_close(
        actor=tracer, ids=ids, status="recovered", outcome_on=OUTCOME, reason="出院"
    )
    assert (len(first.changed), len(again.changed), sorted(again.unchanged)) == (3, 0, ids)
    assert Event.objects.filter(action=CLOSED).count() == 3
    services.cases_reclassify(actor=tracer, ids=ids[:1], kind="asymptomatic", reason="复核")
    assert not Event.objects.filter(action=RECLASSIFIED).exists()  # already so: no event


def test_the_valid_time_is_checked_like_the_single_path(city, tracer):
    """Ahead of the clock: the batch is refused naming the field. Before a case's
    registration or its last change: that case is refused, and so the batch."""
    ids = many_cases(city, 2)
    late = many_cases(city, 1, tag="L", registered_at=timezone.now() - dt.timedelta(hours=1))
    with pytest.raises(ValidationError) as ahead:
        services.cases_reclassify(
            actor=tracer,
            ids=ids,
            kind="confirmed",
            reason="订正",
            reclassified_at=timezone.now() + dt.timedelta(hours=1),
        )
    assert ahead.value.message_dict == {"reclassified_at": ["This time is in the future"]}
    three_hours_ago = timezone.now() - dt.timedelta(hours=3)
    batch = services.cases_reclassify(
        actor=tracer,
        ids=[*ids, *late],
        kind="confirmed",
        reason="订正",
        reclassified_at=three_hours_ago,
    )
    assert batch.refused == {late[0]: "The case was not registered yet"}
    services.cases_reclassify(actor=tracer, ids=ids, kind="confirmed", reason="订正")
    batch = services.cases_reclassify(
        actor=tracer, ids=ids, kind="asymptomatic", reason="复核", reclassified_at=three_hours_ago
    )
    assert set(batch.refused.values()) == {"This is before the case's last recorded change"}
    assert kinds(ids) == {CaseKind.CONFIRMED}
    with pytest.raises(ValidationError) as early:
        services.cases_close(
            actor=tracer,
            ids=ids,
            status="recovered",
            outcome_on=timezone.localdate(),
            closed_at=timezone.now() - dt.timedelta(days=2),
            reason="出院",
        )
    assert early.value.message_dict == {
        "closed_at": ["The case cannot be closed before its outcome date"]
    }


def test_an_outcome_before_a_cases_sampling_is_refused_for_that_case(city, tracer):
    ids = many_cases(city, 2)
    recent = many_cases(city, 1, tag="R", sampled_on=dt.date(2022, 2, 5))
    batch = services.cases_close(
        actor=tracer, ids=[*ids, *recent], status="died", outcome_on=OUTCOME, reason="死亡"
    )
    assert batch.refused == {recent[0]: "The outcome cannot be before sampling"}
    assert closed(ids) == {(CaseStatus.REPORTED, None)}


def test_derived_state_is_told_once_per_batch(city, tracer):
    ids = many_cases(city, 5)
    heard = []

    class Spy(changes.Listener):
        def before(self, change):
            heard.append(("before", change.subject, len(change.ids)))

        def after(self, change, before):
            heard.append((change.kind, change.subject, len(change.ids)))

    spy = Spy()
    changes.subscribe("case", spy)
    changes.subscribe("person", spy)
    try:
        services.cases_reclassify(actor=tracer, ids=ids, kind="confirmed", reason="订正")
    finally:
        changes.unsubscribe("case", spy)
        changes.unsubscribe("person", spy)
    assert heard == [("before", "case", 5), ("changing", "case", 5), ("changed", "person", 5)]


def test_query_count_does_not_grow_with_rows(city, tracer):
    small = many_cases(city, 2, tag="S")
    large = many_cases(city, 40, tag="L")
    counts = []
    for ids in (small, large):
        with CaptureQueriesContext(connection) as queries:
            services.cases_close(
                actor=tracer, ids=ids, status="recovered", outcome_on=OUTCOME, reason="出院"
            )
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_an_outsider_gets_nothing_changed(city, tracer, outsider):
    ids = many_cases(city, 3)
    batch = services.cases_reclassify(actor=outsider, ids=ids, kind="confirmed", reason="订正")
    assert sorted(batch.refused) == ids
    assert set(batch.refused.values()) == {"No case with this id in your jurisdiction"}
    everything = Case.objects.all()  # even handed an unscoped selection
    batch = services.cases_close(
        actor=outsider, selection=everything, status="died", outcome_on=OUTCOME, reason="死亡"
    )
    assert (batch.changed, batch.unchanged, batch.refused) == ([], [], {})
    assert kinds(ids) == {CaseKind.ASYMPTOMATIC}
    assert closed(ids) == {(CaseStatus.REPORTED, None)}
    assert not Event.objects.filter(action__in=[RECLASSIFIED, CLOSED]).exists()


def test_without_a_reason_or_with_a_wrong_outcome_nothing_changes(city, tracer):
    ids = many_cases(city, 2)
    with pytest.raises(ValidationError) as exc:
        services.cases_reclassify(actor=tracer, ids=ids, kind="confirmed", reason=" ")
    assert list(exc.value.message_dict) == ["reason"]
    with pytest.raises(ValidationError) as exc:
        services.cases_close(
            actor=tracer, ids=ids, status="transferred", outcome_on=OUTCOME, reason="出院"
        )
    assert list(exc.value.message_dict) == ["status"]
    assert kinds(ids) == {CaseKind.ASYMPTOMATIC}


# API ---------------------------------------------------------------------------------------


def api(client, user, path, body):
    f.sign_in(client, user)
    return client.post(path, body, content_type="application/json")


def test_api_reclassifies_ids_and_answers_the_same_request_again_with_nothing(client, city, tracer):
    ids = many_cases(city, 3)
    body = {"ids": ids, "kind": "confirmed", "reason": "出现症状"}
    response = api(client, tracer, "/api/cases/reclassify", body)
    assert response.status_code == 200, response.content
    assert response.json() == {"changed": 3, "unchanged": 0, "refused": []}
    again = client.post("/api/cases/reclassify", body, content_type="application/json")
    assert again.json() == {"changed": 0, "unchanged": 3, "refused": []}
    assert kinds(ids) == {CaseKind.CONFIRMED}


def test_api_closes_every_case_matching_a_filter(client, city, tracer):
    asymptomatic = many_cases(city, 4, tag="A")
    confirmed = many_cases(city, 2, tag="C", kind=CaseKind.CONFIRMED)
    body = {
        "filter": {"kind": "asymptomatic"},
        "status": "recovered",
        "outcome_on": OUTCOME.isoformat(),
        "reason": "治愈出院",
    }
    response = api(client, tracer, "/api/cases/close", body)
    assert response.json() == {"changed": 4, "unchanged": 0, "refused": []}
    assert closed(asymptomatic) == {(CaseStatus.RECOVERED, OUTCOME)}
    assert closed(confirmed) == {(CaseStatus.REPORTED, None)}


def test_api_transfers_ids_and_wants_the_time(client, city, tracer):
    ids = many_cases(city, 2)
    body = {
        "ids": ids,
        "destination": "designated_hospital",
        "destination_name": "许昌市中心医院",
        "reason": "闭环转运",
    }
    missing = api(client, tracer, "/api/cases/transfer", body)
    assert missing.status_code == 422 and "transferred_at" in missing.json()["detail"][0]["loc"]
    when = (timezone.now() - dt.timedelta(minutes=30)).isoformat()
    response = client.post(
        "/api/cases/transfer", {**body, "transferred_at": when}, content_type="application/json"
    )
    assert response.json() == {"changed": 2, "unchanged": 0, "refused": []}
    assert closed(ids) == {(CaseStatus.TRANSFERRED, None)}


def test_api_refuses_the_batch_naming_each_id(client, city, tracer, people):
    ids = many_cases(city, 2)
    elsewhere = make_case(people["other"], kind=CaseKind.ASYMPTOMATIC)  # 建安区
    body = {"ids": [*ids, elsewhere.pk], "kind": "confirmed", "reason": "订正"}
    response = api(client, tracer, "/api/cases/reclassify", body)
    assert response.status_code == 409
    assert response.json()["refused"] == [
        {"id": elsewhere.pk, "reason": "No case with this id in your jurisdiction"}
    ]
    assert kinds([*ids, elsewhere.pk]) == {CaseKind.ASYMPTOMATIC}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/cases/reclassify", {"kind": "confirmed", "reason": "订正"}, "ids"),
        (
            "/api/cases/reclassify",
            {"ids": [1], "filter": {}, "kind": "confirmed", "reason": "x"},
            "ids",
        ),
        ("/api/cases/reclassify", {"ids": [1], "kind": "confirmed"}, "reason"),
        ("/api/cases/close", {"ids": [1], "status": "recovered", "reason": "x"}, "outcome_on"),
    ],
)
def test_api_errors_name_the_field(client, city, tracer, path, body, field):
    response = api(client, tracer, path, body)
    assert response.status_code == 422
    assert field in response.json()["detail"][0]["loc"]


def test_api_outsider_filter_changes_nothing(client, city, outsider):
    ids = many_cases(city, 2)
    body = {"filter": {}, "kind": "confirmed", "reason": "订正"}
    response = api(client, outsider, "/api/cases/reclassify", body)
    assert response.json() == {"changed": 0, "unchanged": 0, "refused": []}
    assert kinds(ids) == {CaseKind.ASYMPTOMATIC}


def test_openapi_shows_the_real_bodies(client, tracer):
    f.sign_in(client, tracer)
    schema = client.get("/api/openapi.json").json()
    for path, fields in (
        ("/api/cases/reclassify", {"ids", "filter", "kind", "reclassified_at", "reason"}),
        ("/api/cases/close", {"ids", "filter", "status", "outcome_on", "closed_at", "reason"}),
        (
            "/api/cases/transfer",
            {"ids", "filter", "destination", "destination_name", "transferred_at", "reason"},
        ),
    ):
        post = schema["paths"][path]["post"]
        ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        body = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
        assert set(body["properties"]) == fields
        assert {"200", "409"} <= set(post["responses"])


# Pages -------------------------------------------------------------------------------------


def test_ticked_cases_are_reclassified_from_the_list(login, city, tracer):
    ids = many_cases(city, 3)
    client = login(tracer)
    page = client.get(reverse("epi:cases")).content.decode()
    assert f'name="ids" value="{ids[0]}"' in page and 'name="reclassify-kind"' in page
    form = {
        "ids": ids[:2],
        "action": "reclassify",
        "reclassify-kind": "confirmed",
        "reclassify-reclassified_at": "",
        "reclassify-reason": "出现症状",
    }
    done = client.post(reverse("epi:cases_bulk"), form, follow=True).content.decode()
    assert "2 cases changed, 0 were already so." in done
    assert kinds(ids[:2]) == {CaseKind.CONFIRMED} and kinds(ids[2:]) == {CaseKind.ASYMPTOMATIC}


def test_all_matching_a_filter_are_closed_after_confirming_their_number(
    login, city, tracer, settings
):
    settings.PAGE_SIZE = 5
    asymptomatic = many_cases(city, 12, tag="A")
    confirmed = many_cases(city, 2, tag="C", kind=CaseKind.CONFIRMED)
    when = (timezone.localtime() - dt.timedelta(hours=1)).replace(second=0, microsecond=0)
    typed = when.strftime("%Y-%m-%dT%H:%M")
    client = login(tracer)
    page = client.get(reverse("epi:cases"), {"kind": "asymptomatic"}).content.decode()
    assert "All 12 cases matching this filter" in page
    assert 'name="query" value="kind=asymptomatic"' in page
    ask = {
        "query": "kind=asymptomatic",
        "action": "close",
        "close-status": "recovered",
        "close-outcome_on": OUTCOME.isoformat(),
        "close-closed_at": typed,
        "close-reason": "治愈出院",
    }
    confirm = client.post(reverse("epi:cases_bulk"), ask).content.decode()
    assert 'data-count="12"' in confirm and "Recovered" in confirm
    assert f'name="close-closed_at" value="{typed}"' in confirm
    assert closed(asymptomatic) == {(CaseStatus.REPORTED, None)}  # nothing before confirming
    done = client.post(reverse("epi:cases_bulk"), {**ask, "confirm": "1"}, follow=True)
    assert "12 cases changed, 0 were already so." in done.content.decode()
    assert closed(asymptomatic) == {(CaseStatus.RECOVERED, OUTCOME)}
    assert closed(confirmed) == {(CaseStatus.REPORTED, None)}
    assert {e.at for e in Event.objects.filter(action=CLOSED)} == {when}


def test_ticked_cases_are_transferred_from_the_list_in_chinese(login, city, tracer):
    ids = many_cases(city, 2)
    client = login(tracer)
    client.cookies["django_language"] = "zh-hans"
    page = client.get(reverse("epi:cases")).content.decode()
    assert "转运：勾选的病例" in page
    form = {
        "ids": ids,
        "action": "transfer",
        "transfer-destination": "shelter_hospital",
        "transfer-destination_name": "许昌方舱医院",
        "transfer-transferred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "transfer-reason": "闭环转运",
    }
    done = client.post(reverse("epi:cases_bulk"), form, follow=True).content.decode()
    assert "已变更 2 例病例，0 例原已如此。" in done
    assert closed(ids) == {(CaseStatus.TRANSFERRED, None)}
    history = client.get(reverse("epi:case", args=[ids[0]])).content.decode()
    assert "— → 方舱医院 许昌方舱医院" in history  # codes read as labels
    assert "已报告 → 已闭环转运" in history
    assert "→ shelter_hospital" not in history


def test_a_refused_batch_on_the_page_names_the_cases(login, city, tracer):
    ids = many_cases(city, 2)
    shut = many_cases(city, 1, tag="D", status=CaseStatus.DIED, outcome_on=OUTCOME)
    client = login(tracer)
    form = {
        "ids": [*ids, *shut],
        "action": "reclassify",
        "reclassify-kind": "confirmed",
        "reclassify-reason": "订正",
    }
    done = client.post(reverse("epi:cases_bulk"), form, follow=True).content.decode()
    number = Case.objects.get(pk=shut[0]).number
    assert "Nothing was changed: 1 cases cannot make this change." in done
    assert f"{number}: A closed case cannot be reclassified" in done
    assert kinds(ids) == {CaseKind.ASYMPTOMATIC}


def test_an_outsiders_filter_on_the_page_changes_nothing(login, city, outsider):
    ids = many_cases(city, 2)
    client = login(outsider)
    ask = {
        "query": "",
        "action": "reclassify",
        "reclassify-kind": "confirmed",
        "reclassify-reason": "订正",
        "confirm": "1",
    }
    done = client.post(reverse("epi:cases_bulk"), ask, follow=True).content.decode()
    assert "0 cases changed" in done
    assert kinds(ids) == {CaseKind.ASYMPTOMATIC}


def test_the_list_offers_no_bulk_change_to_a_reader(login, city, personas):
    ids = many_cases(city, 2)
    client = login(personas["street"])  # sees cases, edits none
    page = client.get(reverse("epi:cases")).content.decode()
    assert 'name="ids"' not in page and 'id="all-matching"' not in page
    form = {
        "ids": ids,
        "action": "reclassify",
        "reclassify-kind": "confirmed",
        "reclassify-reason": "x",
    }
    assert client.post(reverse("epi:cases_bulk"), form).status_code == 403
    assert kinds(ids) == {CaseKind.ASYMPTOMATIC}
