"""Contact services: adding, secondary contacts by profile, status moves, conversion, bulk."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from fangkong.audit.models import Event
from fangkong.epi.contacts import services
from fangkong.epi.models import Case, Contact, ContactStatus, FoundWhere
from fangkong.people.idnumber import make_id_number
from fangkong.people.models import Residency, Resident
from fangkong.policy.models import PolicyProfile
from fangkong.policy.services import profile_activate
from tests.epi.conftest import make_contact

NINTH = "9th-edition"
TWENTY = "20-measures"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def activate(code, actor):
    profile_activate(profile=PolicyProfile.objects.get(code=code), actor=actor, reason="test")


def add(actor, case, person, **kw):
    fields = {"degree": "close", "relation": "household", "last_exposure_on": case.reported_on}
    fields.update(kw)
    return services.contact_add(actor=actor, case=case, person=person, **fields)


def test_close_contact_added_with_evidence_and_audited(personas, a_case, people):
    contact = add(personas["street"], a_case, people["li"], relation="meal", note="同桌吃饭")
    assert contact.status == ContactStatus.IDENTIFIED
    assert contact.division_key == people["li"].division_key
    event = Event.objects.get(action="contact.added")
    assert event.person_id == people["li"].pk and a_case.number in event.to_value


def test_same_person_is_not_added_twice_to_a_case(personas, a_case, people):
    add(personas["street"], a_case, people["li"])
    with pytest.raises(ValidationError) as exc:
        add(personas["street"], a_case, people["li"])
    assert "already" in str(exc.value)


def test_secondary_contacts_allowed_under_the_ninth_edition(personas, a_case, people):
    activate(NINTH, personas["command"])
    close = add(personas["street"], a_case, people["li"])
    secondary = add(personas["street"], a_case, people["wang"], degree="secondary", via=close)
    assert secondary.via == close


def test_secondary_contacts_refused_under_the_twenty_measures(personas, a_case, people):
    activate(TWENTY, personas["command"])
    close = add(personas["street"], a_case, people["li"])
    with pytest.raises(ValidationError) as exc:
        add(personas["street"], a_case, people["wang"], degree="secondary", via=close)
    assert "secondary contacts" in exc.value.message_dict["degree"][0]


def test_secondary_contact_must_name_a_close_contact_of_the_same_case(personas, a_case, people):
    activate(NINTH, personas["command"])
    with pytest.raises(ValidationError) as exc:
        add(personas["street"], a_case, people["wang"], degree="secondary")
    assert "via" in exc.value.message_dict


@pytest.mark.parametrize(
    "path",
    [
        ["located", "under_control", "released"],
        ["under_control", "released"],
        ["lost", "located", "under_control"],
    ],
)
def test_contact_status_moves_forward(personas, a_contact, path):
    for status in path:
        services.contact_set_status(
            actor=personas["street"], contact=a_contact, status=status, reason="核实"
        )
    a_contact.refresh_from_db()
    assert a_contact.status == path[-1]
    events = Event.objects.filter(action="contact.status_changed").order_by("id")
    assert [e.to_value for e in events] == [str(ContactStatus(s).label) for s in path]
    assert events[0].from_value == "Identified"


@pytest.mark.parametrize(
    ("before", "after"),
    [("identified", "released"), ("released", "under_control"), ("under_control", "located")],
)
def test_impossible_status_moves_are_refused(personas, a_contact, before, after):
    Contact.objects.filter(pk=a_contact.pk).update(status=before)
    a_contact.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        services.contact_set_status(
            actor=personas["street"], contact=a_contact, status=after, reason="核实"
        )
    assert "cannot become" in exc.value.message_dict["status"][0]
    assert not Event.objects.filter(action="contact.status_changed").exists()


@pytest.mark.parametrize("status", ["located", "under_control", "lost"])
@pytest.mark.parametrize("reason", ["", "  "])
def test_every_status_change_needs_a_reason(personas, a_contact, status, reason):
    with pytest.raises(ValidationError) as exc:
        services.contact_set_status(
            actor=personas["street"], contact=a_contact, status=status, reason=reason
        )
    assert exc.value.message_dict == {"reason": ["Give a reason for this change"]}
    a_contact.refresh_from_db()
    assert a_contact.status == ContactStatus.IDENTIFIED
    assert not Event.objects.filter(action="contact.status_changed").exists()


def test_a_bulk_change_without_a_reason_changes_no_one(personas, a_contact):
    with pytest.raises(ValidationError) as exc:
        services.contacts_set_status(
            actor=personas["street"], ids=[a_contact.pk], status="located", reason=""
        )
    assert list(exc.value.message_dict) == ["reason"]
    a_contact.refresh_from_db()
    assert a_contact.status == ContactStatus.IDENTIFIED


def test_convert_contact_to_case_keeps_the_chain(personas, a_contact):
    services.contact_set_status(
        actor=personas["task_force"], contact=a_contact, status="under_control", reason="入住"
    )
    day = a_contact.case.reported_on + dt.timedelta(days=2)
    case = services.contact_convert_to_case(
        actor=personas["task_force"],
        contact=a_contact,
        kind="asymptomatic",
        found_by="in_quarantine",
        sampled_on=day,
        reported_on=day,
    )
    a_contact.refresh_from_db()
    assert a_contact.became_case == case
    assert case.person == a_contact.person
    assert case.found_where == FoundWhere.QUARANTINE
    assert Case.objects.get(from_contacts=a_contact) == case
    assert Event.objects.filter(action="contact.converted", to_value=case.number).exists()
    with pytest.raises(ValidationError):
        services.contact_convert_to_case(
            actor=personas["task_force"],
            contact=a_contact,
            kind="confirmed",
            found_by="in_quarantine",
            sampled_on=day,
            reported_on=day,
        )


def test_contact_not_yet_under_control_becomes_a_community_case(personas, a_contact):
    day = a_contact.case.reported_on
    case = services.contact_convert_to_case(
        actor=personas["task_force"],
        contact=a_contact,
        kind="confirmed",
        found_by="community_screening",
        sampled_on=day,
        reported_on=day,
    )
    assert case.found_where == FoundWhere.COMMUNITY


# Bulk ---------------------------------------------------------------------------------


def visitor_id(seq):
    return make_id_number("330102", dt.date(1990, 1, 1), seq, "M")


def row(id_number, **kw):
    out = {"id_number": id_number, "relation": "meal", "last_exposure_on": dt.date(2022, 1, 9)}
    out.update(kw)
    return out


def test_bulk_adds_known_and_new_people_in_one_go(
    personas, a_case, people, django_assert_max_num_queries
):
    rows = [
        row(people["li"].id_number),
        row(visitor_id(1), name="游客甲", phone="13800000001"),
        row(visitor_id(2), name="游客乙"),
    ]
    added = services.contacts_add_bulk(actor=personas["street"], case=a_case, rows=rows)
    assert sorted(c.person.name for c in added) == ["李秀英", "游客乙", "游客甲"]
    visitor = Resident.objects.get(id_number=visitor_id(1))
    assert visitor.residency == Residency.VISITOR
    assert visitor.division_key == a_case.person.division_key
    assert Event.objects.filter(action="contact.added").count() == 3
    assert Event.objects.filter(action="resident.created").count() == 2


def test_bulk_query_count_does_not_grow_with_rows(personas, people, city):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests import factories as f
    from tests.epi.conftest import make_case

    def run(case, first, n):
        rows = [row(visitor_id(i), name=f"游客{i}") for i in range(first, first + n)]
        with CaptureQueriesContext(connection) as ctx:
            added = services.contacts_add_bulk(actor=personas["street"], case=case, rows=rows)
        assert len(added) == n
        return len(ctx.captured_queries)

    few = run(make_case(people["li"]), 1, 3)
    many = run(make_case(f.resident(city.w[f.Level.UNIT], "某某")), 100, 60)
    assert many == few


def test_bulk_reports_a_duplicate_and_adds_it_once(personas, a_case, people):
    make_contact(a_case, people["li"])
    added = services.contacts_add_bulk(
        actor=personas["street"],
        case=a_case,
        rows=[row(people["li"].id_number), row(people["wang"].id_number)],
    )
    assert [c.person for c in added] == [people["wang"]]
    assert [(d.index, d.contact.person) for d in added.duplicates] == [(0, people["li"])]
    assert Contact.objects.filter(case=a_case, person=people["li"]).count() == 1


def test_bulk_with_a_bad_row_writes_nothing_and_names_row_and_column(personas, a_case, people):
    rows = [
        row(people["li"].id_number),
        row("123", name="坏行"),
        row(visitor_id(3), relation="dance"),
        row(visitor_id(4)),
    ]
    with pytest.raises(services.BulkErrors) as exc:
        services.contacts_add_bulk(actor=personas["street"], case=a_case, rows=rows)
    assert set(exc.value.rows) == {1, 2, 3}
    assert "id_number" in exc.value.rows[1]
    assert "relation" in exc.value.rows[2]
    assert "name" in exc.value.rows[3]
    assert not Contact.objects.exists()
    assert not Resident.objects.filter(residency=Residency.VISITOR).exists()


def test_bulk_secondary_via_a_close_contact_in_the_same_list(personas, a_case, people):
    activate(NINTH, personas["command"])
    rows = [
        row(people["li"].id_number, relation="household"),
        row(people["wang"].id_number, degree="secondary", via_id_number=people["li"].id_number),
    ]
    added = services.contacts_add_bulk(actor=personas["street"], case=a_case, rows=rows)
    wang = next(c for c in added if c.person == people["wang"])
    assert wang.via.person == people["li"]


def test_bulk_secondary_refused_under_twenty_measures(personas, a_case, people):
    activate(TWENTY, personas["command"])
    rows = [
        row(people["li"].id_number),
        row(people["wang"].id_number, degree="secondary", via_id_number=people["li"].id_number),
    ]
    with pytest.raises(services.BulkErrors) as exc:
        services.contacts_add_bulk(actor=personas["street"], case=a_case, rows=rows)
    assert list(exc.value.rows) == [1] and "degree" in exc.value.rows[1]


def test_same_id_twice_in_a_list_is_a_row_error(personas, a_case, people):
    rows = [row(people["li"].id_number), row(people["li"].id_number)]
    with pytest.raises(services.BulkErrors) as exc:
        services.contacts_add_bulk(actor=personas["street"], case=a_case, rows=rows)
    assert "row 1" in exc.value.rows[1]["id_number"][0]
