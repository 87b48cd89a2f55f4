"""Bulk status changes of contacts: the service (all or nothing, idempotent, audited once per
batch, derived state recomputed once), the API (ids or a filter, 30,000 in one request), the
list page's "all matching this filter" and the message when a form sends too many fields."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from fangkong.audit.models import Event
from fangkong.core import changes
from fangkong.core.bulk import copy_rows
from fangkong.epi.contacts import selectors, services
from fangkong.epi.models import Contact, ContactStatus
from fangkong.people.models import Residency, Resident
from tests.epi.conftest import make_contact

CHANGED = "contact.status_changed"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"  # pages (the language switch's default)
    with translation.override("en"):  # services
        yield


def many_contacts(case, division, n, *, status=ContactStatus.IDENTIFIED, tag="B"):
    """`n` close contacts of `case`, registered at `division`, written column-wise (COPY on
    PostgreSQL): the way a 30,000-row test stays fast."""
    now = timezone.now()
    born = dt.date(1990, 1, 1)
    copy_rows(
        Resident,
        services.RESIDENT_FIELDS,
        (
            (
                f"{tag}{i:017d}",
                f"批量{tag}{i}",
                "",
                "",
                "M",
                born,
                "",
                division.pk,
                division.key,
                Residency.VISITOR,
                now,
                now,
                "",
            )
            for i in range(n)
        ),
    )
    people = Resident.objects.filter(id_number__startswith=tag).values_list("pk", flat=True)
    copy_rows(
        Contact,
        services.CONTACT_FIELDS,
        (
            (
                case.pk,
                pk,
                "close",
                None,
                "household",
                None,
                None,
                None,
                case.reported_on,
                None,
                status,
                "",
                division.key,
                now,  # identified
                now,  # recorded
            )
            for pk in people
        ),
    )
    return sorted(
        Contact.objects.filter(person__id_number__startswith=tag).values_list("pk", flat=True)
    )


def statuses(ids):
    return set(Contact.objects.filter(pk__in=ids).values_list("status", flat=True))


# Service ---------------------------------------------------------------------------------


def test_bulk_change_moves_every_contact_and_audits_each(personas, a_case, people):
    ids = many_contacts(a_case, people["li"].division, 5)
    batch = services.contacts_set_status(
        actor=personas["street"], ids=ids, status="located", reason="电话联系上"
    )
    assert (len(batch.changed), batch.unchanged, batch.refused) == (5, [], {})
    assert statuses(ids) == {ContactStatus.LOCATED}
    events = Event.objects.filter(action=CHANGED)
    assert sorted(int(e.object_id) for e in events) == ids
    assert {(e.from_value, e.to_value, e.reason, e.actor_id) for e in events} == {
        ("identified", "located", "电话联系上", personas["street"].pk)
    }


def test_a_bulk_change_dated_in_the_past_is_kept_as_its_valid_time(personas, a_case, people):
    """The same valid time for all: refused ahead of the clock (naming `changed_at`), and for
    each contact it would date before their last recorded status change."""
    ids = many_contacts(a_case, people["li"].division, 3)
    Contact.objects.filter(pk__in=ids).update(identified_at=timezone.now() - dt.timedelta(hours=3))
    with pytest.raises(ValidationError) as ahead:
        services.contacts_set_status(
            actor=personas["street"],
            ids=ids,
            status="located",
            reason="电话联系上",
            changed_at=timezone.now() + dt.timedelta(hours=2),
        )
    assert "changed_at" in ahead.value.message_dict
    hour_ago = timezone.now() - dt.timedelta(hours=1)
    services.contact_set_status(
        actor=personas["street"],
        contact=Contact.objects.get(pk=ids[0]),
        status="located",
        reason="先找到",
        changed_at=hour_ago,
    )
    earlier = hour_ago - dt.timedelta(minutes=30)
    batch = services.contacts_set_status(
        actor=personas["street"], ids=ids, status="under_control", reason="落实", changed_at=earlier
    )
    assert list(batch.refused) == [ids[0]] and batch.changed == []
    batch = services.contacts_set_status(
        actor=personas["street"], ids=ids[1:], status="located", reason="落实", changed_at=earlier
    )
    assert len(batch.changed) == 2
    assert set(
        Event.objects.filter(object_id__in=[str(i) for i in ids[1:]], action=CHANGED).values_list(
            "at", flat=True
        )
    ) == {earlier}


def test_one_contact_that_cannot_move_refuses_the_whole_batch(personas, a_case, people):
    ids = many_contacts(a_case, people["li"].division, 4)
    released = make_contact(a_case, people["wang"], status=ContactStatus.RELEASED)
    batch = services.contacts_set_status(
        actor=personas["street"], ids=[*ids, released.pk], status="located", reason="核实"
    )
    assert list(batch.refused) == [released.pk]
    assert "released cannot become located" in batch.refused[released.pk]
    assert batch.changed == [] and not batch.written
    assert statuses(ids) == {ContactStatus.IDENTIFIED}
    assert not Event.objects.filter(action=CHANGED).exists()


def test_running_the_same_change_again_changes_nothing_and_says_so(personas, a_case, people):
    ids = many_contacts(a_case, people["li"].division, 3)
    services.contacts_set_status(actor=personas["street"], ids=ids, status="lost", reason="失联")
    again = services.contacts_set_status(
        actor=personas["street"], ids=ids, status="lost", reason="失联"
    )
    assert (again.changed, again.unchanged, again.refused) == ([], ids, {})
    assert Event.objects.filter(action=CHANGED).count() == 3


def test_without_a_reason_nothing_is_read_or_changed(personas, a_case, people):
    ids = many_contacts(a_case, people["li"].division, 2)
    with pytest.raises(services.ValidationError) as exc:
        services.contacts_set_status(actor=personas["street"], ids=ids, status="lost", reason=" ")
    assert list(exc.value.message_dict) == ["reason"]
    assert statuses(ids) == {ContactStatus.IDENTIFIED}


def test_derived_state_is_told_once_per_batch(personas, a_case, people):
    ids = many_contacts(a_case, people["li"].division, 6)
    heard = []

    class Spy(changes.Listener):
        def before(self, change):
            heard.append(("before", change.subject, len(change.ids)))

        def after(self, change, before):
            heard.append((change.kind, change.subject, len(change.ids)))

    spy = Spy()
    changes.subscribe("contact", spy)
    changes.subscribe("person", spy)
    try:
        services.contacts_set_status(
            actor=personas["street"], ids=ids, status="located", reason="核实"
        )
    finally:
        changes.unsubscribe("contact", spy)
        changes.unsubscribe("person", spy)
    assert heard == [
        ("before", "contact", 6),
        ("changing", "contact", 6),
        ("changed", "person", 6),
    ]


def test_query_count_does_not_grow_with_rows(personas, a_case, people):
    small = many_contacts(a_case, people["li"].division, 3, tag="S")
    large = many_contacts(a_case, people["li"].division, 300, tag="L")
    counts = []
    for ids in (small, large):
        with CaptureQueriesContext(connection) as queries:
            services.contacts_set_status(
                actor=personas["street"], ids=ids, status="located", reason="核实"
            )
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_an_outsiders_ids_are_refused_by_id_and_nothing_changes(personas, a_case, people):
    ids = many_contacts(a_case, people["li"].division, 3)
    batch = services.contacts_set_status(
        actor=personas["outsider"], ids=ids, status="located", reason="核实"
    )
    assert sorted(batch.refused) == ids
    assert set(batch.refused.values()) == {"No contact with this id in your jurisdiction"}
    assert statuses(ids) == {ContactStatus.IDENTIFIED}
    assert not Event.objects.filter(action=CHANGED).exists()


def test_an_outsiders_filter_changes_nothing(personas, a_case, people):
    ids = many_contacts(a_case, people["li"].division, 3)
    outsider = personas["outsider"]
    everything = Contact.objects.all()  # even handed an unscoped selection
    batch = services.contacts_set_status(
        actor=outsider, selection=everything, status="located", reason="核实"
    )
    assert (batch.changed, batch.unchanged, batch.refused) == ([], [], {})
    scoped = selectors.contacts_for_user(outsider, status="identified")
    assert not services.contacts_set_status(
        actor=outsider, selection=scoped, status="located", reason="核实"
    ).changed
    assert statuses(ids) == {ContactStatus.IDENTIFIED}


# API -------------------------------------------------------------------------------------

URL = "/api/contacts/status"


def api(client, user, body):
    from tests.factories import sign_in

    sign_in(client, user)
    return client.post(URL, body, content_type="application/json")


def test_api_changes_30000_contacts_in_one_request(client, personas, a_case, people):
    ids = many_contacts(a_case, people["li"].division, 30_000)
    body = {"ids": ids, "status": "located", "reason": "批量核实"}
    response = api(client, personas["street"], body)
    assert response.status_code == 200, response.content[:500]
    assert response.json() == {"changed": 30_000, "unchanged": 0, "refused": []}
    assert statuses(ids) == {ContactStatus.LOCATED}
    assert Event.objects.filter(action=CHANGED).count() == 30_000
    again = client.post(URL, body, content_type="application/json")
    assert again.json() == {"changed": 0, "unchanged": 30_000, "refused": []}


def test_api_changes_every_contact_matching_a_filter(client, personas, a_case, people):
    lost = many_contacts(a_case, people["li"].division, 70, status=ContactStatus.LOST, tag="X")
    other = many_contacts(a_case, people["li"].division, 5, tag="Y")
    body = {"filter": {"status": "lost"}, "status": "located", "reason": "找到了"}
    response = api(client, personas["street"], body)
    assert response.json() == {"changed": 70, "unchanged": 0, "refused": []}
    assert statuses(lost) == {ContactStatus.LOCATED}
    assert statuses(other) == {ContactStatus.IDENTIFIED}


def test_api_refuses_the_batch_naming_each_id(client, personas, a_case, people):
    ids = many_contacts(a_case, people["li"].division, 3)
    elsewhere = make_contact(a_case, people["other"])  # registered in 建安区
    body = {"ids": [*ids, elsewhere.pk, 987654321], "status": "located", "reason": "核实"}
    response = api(client, personas["street"], body)
    assert response.status_code == 409
    refused = response.json()["refused"]
    assert [r["id"] for r in refused] == [elsewhere.pk, 987654321]
    assert response.json()["changed"] == 0
    assert statuses(ids) == {ContactStatus.IDENTIFIED}


@pytest.mark.parametrize(
    "body",
    [
        {"status": "located", "reason": "核实"},
        {"ids": [1], "filter": {}, "status": "located", "reason": "核实"},
        {"ids": [1], "status": "located"},
    ],
)
def test_api_wants_ids_or_a_filter_and_a_reason(client, personas, a_contact, body):
    response = api(client, personas["street"], body)
    assert response.status_code == 422
    a_contact.refresh_from_db()
    assert a_contact.status == ContactStatus.IDENTIFIED


def test_api_outsider_filter_changes_nothing(client, personas, a_case, people):
    ids = many_contacts(a_case, people["li"].division, 3)
    body = {"filter": {}, "status": "located", "reason": "核实"}
    response = api(client, personas["outsider"], body)
    assert response.json() == {"changed": 0, "unchanged": 0, "refused": []}
    assert statuses(ids) == {ContactStatus.IDENTIFIED}


# Pages -----------------------------------------------------------------------------------


def test_all_matching_a_filter_are_changed_after_confirming_their_number(
    login, personas, a_case, people, settings
):
    settings.PAGE_SIZE = 50
    lost = many_contacts(a_case, people["li"].division, 120, status=ContactStatus.LOST, tag="X")
    other = many_contacts(a_case, people["li"].division, 4, tag="Y")
    client = login(personas["street"])
    page = client.get(reverse("epi:contacts"), {"status": "lost"}).content.decode()
    assert "All 120 contacts matching this filter" in page
    assert 'name="query" value="status=lost"' in page
    ask = {"query": "status=lost", "status": "located", "reason": "找到了"}
    confirm = client.post(reverse("epi:contacts_status"), ask)
    assert 'data-count="120"' in confirm.content.decode()
    assert statuses(lost) == {ContactStatus.LOST}  # nothing before confirming
    done = client.post(reverse("epi:contacts_status"), {**ask, "confirm": "1"}, follow=True)
    assert "120 contacts changed, 0 already had this status." in done.content.decode()
    assert statuses(lost) == {ContactStatus.LOCATED}
    assert statuses(other) == {ContactStatus.IDENTIFIED}


def test_the_confirmation_keeps_the_time_the_change_happened(login, personas, a_case, people):
    ids = many_contacts(a_case, people["li"].division, 3, status=ContactStatus.LOST, tag="X")
    Contact.objects.filter(pk__in=ids).update(identified_at=timezone.now() - dt.timedelta(days=2))
    when = timezone.localtime() - dt.timedelta(hours=5)
    typed = when.strftime("%Y-%m-%dT%H:%M")
    client = login(personas["street"])
    ask = {"query": "status=lost", "status": "located", "reason": "找到了", "changed_at": typed}
    confirm = client.post(reverse("epi:contacts_status"), ask).content.decode()
    assert f'name="changed_at" value="{typed}"' in confirm
    client.post(reverse("epi:contacts_status"), {**ask, "confirm": "1"})
    assert statuses(ids) == {ContactStatus.LOCATED}
    assert {e.at for e in Event.objects.filter(action=CHANGED)} == {
        when.replace(second=0, microsecond=0)
    }


def test_an_outsiders_filter_on_the_page_changes_nothing(login, personas, a_case, people):
    ids = many_contacts(a_case, people["li"].division, 3)
    client = login(personas["outsider"])
    ask = {"query": "", "status": "located", "reason": "核实", "confirm": "1"}
    done = client.post(reverse("epi:contacts_status"), ask, follow=True)
    assert "0 contacts changed" in done.content.decode()
    assert statuses(ids) == {ContactStatus.IDENTIFIED}


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "This form sent more than 1,000 fields"), ("zh-hans", "超过 1,000 个字段")],
)
def test_too_many_ticked_rows_get_a_message_not_a_bare_400(
    login, personas, a_case, people, language, words
):
    ids = many_contacts(a_case, people["li"].division, 3)
    client = login(personas["street"])
    client.cookies["django_language"] = language
    form = {"ids": [str(i) for i in range(1, 1_200)], "status": "located", "reason": "核实"}
    response = client.post(reverse("epi:contacts_status"), form)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="too-many-fields"' in page and words in page
    assert statuses(ids) == {ContactStatus.IDENTIFIED}


def test_api_refuses_ids_no_column_can_hold(client, personas, a_contact):
    body = {"ids": [a_contact.pk, 2**64], "status": "located", "reason": "核实"}
    response = api(client, personas["street"], body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "ids", 1]
