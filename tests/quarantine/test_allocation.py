"""Allocation: who goes where by the profile's rules, drafts, confirmation whole or not at all."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangkong.audit.models import Event
from fangkong.epi.models import Case, Contact
from fangkong.quarantine.allocation import engine
from fangkong.quarantine.allocation import selectors as allocation_selectors
from fangkong.quarantine.allocation import services as allocation_services
from fangkong.quarantine.allocation.engine import Person, Rules, propose
from fangkong.quarantine.allocation.ranking import rank_sites
from fangkong.quarantine.measures.services import MeasureStart, measure_start, measures_start_bulk
from fangkong.quarantine.models import (
    AllocationBatch,
    Measure,
    MeasurePhase,
    Room,
    RoomStatus,
    ScheduledTest,
    Stay,
)
from tests import factories as f
from tests.quarantine.sites_factory import (
    EXPOSED,
    TODAY,
    adult,
    child,
    english,  # noqa: F401
    make_rooms,
    make_site,
    set_quarantine_rules,
    use_profile,
)

pytestmark = pytest.mark.usefixtures("english", "twenty")


@pytest.fixture
def twenty(db):
    use_profile("20-measures")


@pytest.fixture
def near(city, personas):
    """A hotel in the 魏都 community: eight single rooms A-201 … A-304."""
    site = make_site(city.w[f.Level.COMMUNITY], "QW1", staff=[personas["quarantine"]])
    make_rooms(site)
    return site


@pytest.fixture
def far(city):
    """A hotel in 建安区: eight single rooms."""
    site = make_site(city.j[f.Level.COMMUNITY], "QJ1")
    make_rooms(site)
    return site


def unit_w(city):
    return city.w[f.Level.UNIT]


def run(actor, people, *, category="close_contact", anchor=EXPOSED, unplaced=()):
    return allocation_services.allocation_propose(
        actor=actor,
        category=category,
        people={p.pk: anchor for p in people},
        unplaced=list(unplaced),
        today=TODAY,
    )


def placed(batch):
    """person id → (site code, room number)."""
    rooms = Room.objects.select_related("site").in_bulk([line["room"] for line in batch.plan])
    return {
        line["person"]: (rooms[line["room"]].site.code, rooms[line["room"]].number)
        for line in batch.plan
    }


def reasons(batch):
    return {entry["person"]: engine.reason_text(entry) for entry in batch.unplaced}


# Who goes where -------------------------------------------------------------------------


def test_one_person_per_room_at_the_nearest_site(personas, city, near, far):
    w = [adult(unit_w(city), name) for name in ("甲", "乙", "丙")]
    j = adult(city.j[f.Level.UNIT], "丁")
    batch = run(personas["command"], [*w, j])
    where = placed(batch)
    assert {where[p.pk][0] for p in w} == {"QW1"} and where[j.pk][0] == "QJ1"
    assert len({where[p.pk] for p in w}) == 3  # three rooms
    assert batch.status == AllocationBatch.Status.DRAFT and not batch.unplaced
    assert [line["room"] for line in batch.plan] == sorted(line["room"] for line in batch.plan)


def test_when_the_nearest_site_is_full_the_next_one_takes_people(personas, city, near, far):
    many = [adult(unit_w(city), f"人{i}") for i in range(10)]
    where = placed(run(personas["command"], many))
    sites_used = [where[p.pk][0] for p in many]
    assert sites_used.count("QW1") == 8 and sites_used.count("QJ1") == 2


def test_a_household_shares_a_room_when_the_beds_allow(personas, city, near):
    home = f.household(unit_w(city), "HH-A")
    make_rooms(near, building="B", floors=(1, 1), per_floor=1, beds=3)
    family = [
        adult(unit_w(city), "父", household=home),
        adult(unit_w(city), "母", household=home, sex="F"),
        child(unit_w(city), "女儿", household=home),
    ]
    batch = run(personas["command"], family)
    assert {placed(batch)[p.pk] for p in family} == {("QW1", "101")}
    assert len({line["group"] for line in batch.plan}) == 1


def test_without_a_room_for_the_household_a_child_stays_with_an_adult(personas, city, near):
    home = f.household(unit_w(city), "HH-B")
    make_rooms(near, building="B", floors=(1, 1), per_floor=1, beds=2)
    father = adult(unit_w(city), "父", household=home)
    mother = adult(unit_w(city), "母", household=home, sex="F")
    daughter = child(unit_w(city), "女儿", household=home)
    batch = run(personas["command"], [father, mother, daughter])
    where = placed(batch)
    assert where[daughter.pk] == ("QW1", "101") and len(where) == 3
    assert where[father.pk] == where[daughter.pk] or where[mother.pk] == where[daughter.pk]
    assert len(set(where.values())) == 2


def test_a_child_and_parent_get_the_last_double_room_before_an_adult_couple(personas, city, near):
    Room.objects.filter(site=near).exclude(number__in=["201", "202"]).delete()
    make_rooms(near, building="B", floors=(1, 1), per_floor=1, beds=2)
    couple = f.household(unit_w(city), "HH-Y")
    husband = adult(unit_w(city), "夫", household=couple)  # lower ids: first in line by id
    wife = adult(unit_w(city), "妻", household=couple, sex="F")
    family = f.household(unit_w(city), "HH-Z")
    mother = adult(unit_w(city), "母", household=family, sex="F")
    son = child(unit_w(city), "子", household=family, sex="M")
    where = placed(run(personas["command"], [husband, wife, mother, son]))
    assert where[mother.pk] == where[son.pk] == ("QW1", "101")
    assert {where[husband.pk], where[wife.pk]} == {("QW1", "201"), ("QW1", "202")}


def test_a_child_with_no_adult_in_the_batch_is_not_placed_and_the_reason_says_so(
    personas, city, near
):
    home = f.household(unit_w(city), "HH-C")
    adult(unit_w(city), "父", household=home)  # not in the batch
    son = child(unit_w(city), "儿子", household=home, sex="M")
    teen = child(unit_w(city), "姐姐", household=home, years=16)
    batch = run(personas["command"], [son, teen])
    assert son.pk not in placed(batch) and teen.pk in placed(batch)
    assert "child under 14" in reasons(batch)[son.pk]


def test_households_apart_when_the_profile_says_so_but_never_a_child_alone(personas, city, near):
    set_quarantine_rules(household_together=False)
    home = f.household(unit_w(city), "HH-D")
    make_rooms(near, building="B", floors=(1, 1), per_floor=1, beds=3)
    father = adult(unit_w(city), "父", household=home)
    mother = adult(unit_w(city), "母", household=home, sex="F")
    son = child(unit_w(city), "儿子", household=home, sex="M")
    where = placed(run(personas["command"], [father, mother, son]))
    assert len(set(where.values())) == 2
    assert where[son.pk] in (where[father.pk], where[mother.pk])


def test_the_guardian_age_comes_from_the_profile(personas, city, near):
    set_quarantine_rules(child_with_guardian_under_age=6)
    home = f.household(unit_w(city), "HH-E")
    pupil = child(unit_w(city), "小学生", household=home, years=8)
    batch = run(personas["command"], [pupil])
    assert pupil.pk in placed(batch)  # 8 is not under 6


def test_accessible_rooms_go_to_people_who_need_them(personas, city, near):
    Room.objects.filter(site=near).update(accessible=False)
    make_rooms(near, building="C", floors=(1, 1), per_floor=1, accessible=(1,))
    first = adult(unit_w(city), "张三")  # lower id: would come first without the need
    wheelchair = adult(unit_w(city), "李四", years=70)
    f.key_person(wheelchair, "disabled")
    where = placed(run(personas["command"], [first, wheelchair]))
    assert where[wheelchair.pk] == ("QW1", "101") and where[first.pk][1] != "101"


def test_no_accessible_room_is_a_reason(personas, city, near):
    elder = adult(unit_w(city), "王五", years=80)
    f.key_person(elder, "elderly_alone")
    batch = run(personas["command"], [elder])
    assert "No free accessible room" in reasons(batch)[elder.pk]


def test_shared_rooms_for_single_adults_of_one_sex_when_one_per_room_is_off(personas, city, near):
    set_quarantine_rules(one_person_per_room=False)
    Room.objects.filter(site=near).delete()
    make_rooms(near, floors=(2, 2), per_floor=2, beds=2)
    men = [adult(unit_w(city), f"男{i}") for i in range(2)]
    women = [adult(unit_w(city), f"女{i}", sex="F") for i in range(2)]
    where = placed(run(personas["command"], men + women))
    assert where[men[0].pk] == where[men[1].pk] != where[women[0].pk] == where[women[1].pk]


def test_people_who_cannot_be_placed_are_listed_with_the_reason(personas, city, near, people):
    busy = adult(unit_w(city), "已隔离")
    measure_start(
        actor=personas["command"],
        person=busy,
        category="inbound_traveller",
        anchor_on=EXPOSED,
        today=TODAY,
    )
    housed = adult(unit_w(city), "已分配")
    Stay.objects.create(
        person=housed, room=near.rooms.first(), site=near, division_key=near.division_key
    )
    late = adult(unit_w(city), "晚")
    soon = adult(unit_w(city), "早")
    people_in = {busy.pk: EXPOSED, housed.pk: EXPOSED, late.pk: dt.date(2022, 11, 1)}
    people_in[soon.pk] = dt.date(2022, 11, 20)
    batch = allocation_services.allocation_propose(
        actor=personas["task_force"], category="close_contact", people=people_in, today=TODAY
    )
    why = reasons(batch)
    assert "Already under a measure (Inbound traveller" in why[busy.pk]
    assert "Already allocated a room" in why[housed.pk]
    assert "no measure is needed" in why[late.pk]
    assert "in the future" in why[soon.pk]
    assert not batch.plan


def test_centralised_quarantine_already_over_is_a_reason(personas, city, near):
    person = adult(unit_w(city), "晚发现")
    batch = run(personas["command"], [person], anchor=dt.date(2022, 11, 8))  # day 6 today
    assert "start a home measure" in reasons(batch)[person.pk]


def test_running_out_of_rooms_is_a_reason(personas, city, near):
    crowd = [adult(unit_w(city), f"人{i}") for i in range(10)]
    batch = allocation_services.allocation_propose(
        actor=personas["task_force"],  # sees only the 魏都 site
        category="close_contact",
        people={p.pk: EXPOSED for p in crowd},
        today=TODAY,
    )
    assert len(batch.plan) == 8
    assert set(reasons(batch).values()) == {"No free room with 1 bed(s) at your sites"}


def test_pasted_id_numbers_unknown_or_outside_the_jurisdiction_are_reasons(
    personas, city, near, people
):
    text = f"{people['zhang'].id_number}\n{people['other'].id_number}, 123"
    found, unplaced = allocation_selectors.people_from_id_numbers(
        personas["task_force"], text, anchor_on=EXPOSED
    )
    assert found == {people["zhang"].pk: EXPOSED}
    assert [u["message"] for u in unplaced] == [engine.R_BAD_ID, engine.R_UNKNOWN]
    assert people["other"].id_number not in str(unplaced)  # masked
    with pytest.raises(ValidationError) as exc:
        allocation_selectors.people_from_id_numbers(personas["task_force"], text, anchor_on=None)
    assert "anchor_on" in exc.value.message_dict


@pytest.mark.parametrize(
    ("category", "message"),
    [
        ("", "Choose the people's category"),
        ("secondary_contact", "sets no measures"),
        ("risk_post_leaver", "no centralised quarantine"),
        ("high_risk_area_leaver", "no centralised quarantine"),
    ],
)
def test_the_category_is_required_and_must_mean_centralised_quarantine(
    personas, people, near, category, message
):
    with pytest.raises(ValidationError, match=message):
        run(personas["command"], [people["zhang"]], category=category)
    assert not AllocationBatch.objects.exists()


def test_only_quarantine_managers_allocate(personas, people, near):
    with pytest.raises(PermissionDenied):
        run(personas["street"], [people["zhang"]])


def test_a_site_manager_fills_only_the_sites_they_staff(personas, city, near, far):
    crowd = [adult(unit_w(city), f"人{i}") for i in range(9)]
    batch = allocation_services.allocation_propose(
        actor=personas["quarantine"],
        category="close_contact",
        people={p.pk: EXPOSED for p in crowd},
        today=TODAY,
    )
    assert {site for site, _room in placed(batch).values()} == {"QW1"}
    assert len(batch.unplaced) == 1


# Waiting contacts -----------------------------------------------------------------------


def test_waiting_close_contacts_with_their_last_exposure_as_anchor(personas, city, people, near):
    case = Case.objects.create(
        person=people["wang"],
        number="T-1",
        kind="confirmed",
        found_by="community_screening",
        found_where="community",
        sampled_on=EXPOSED,
        reported_on=EXPOSED,
        division_key=people["wang"].division_key,
    )
    other_case = Case.objects.create(
        person=people["li"],
        number="T-2",
        kind="confirmed",
        found_by="community_screening",
        found_where="community",
        sampled_on=EXPOSED,
        reported_on=EXPOSED,
        division_key=people["li"].division_key,
    )

    def contact(c, person, day, status="identified"):
        return Contact.objects.create(
            case=c,
            person=person,
            degree="close",
            relation="household",
            last_exposure_on=day,
            status=status,
            division_key=person.division_key,
        )

    zhang = adult(unit_w(city), "赵六")
    contact(case, zhang, dt.date(2022, 11, 11))
    contact(other_case, zhang, EXPOSED, status="located")
    contact(case, adult(unit_w(city), "已管控"), EXPOSED, status="under_control")
    found = allocation_selectors.people_from_contacts(
        personas["task_force"], category="close_contact"
    )
    assert found == {zhang.pk: EXPOSED}
    assert (
        allocation_selectors.people_from_contacts(personas["outsider"], category="close_contact")
        == {}
    )
    batch = allocation_services.allocation_propose(
        actor=personas["task_force"], category="close_contact", people=found, today=TODAY
    )
    allocation_services.allocation_confirm(actor=personas["task_force"], batch=batch, today=TODAY)
    assert (
        allocation_selectors.people_from_contacts(personas["task_force"], category="close_contact")
        == {}
    )
    with pytest.raises(ValidationError, match="close or secondary"):
        allocation_selectors.people_from_contacts(
            personas["task_force"], category="inbound_traveller"
        )


# Confirmation ---------------------------------------------------------------------------


def test_confirmation_books_rooms_starts_measures_and_audits_each_person(personas, city, near):
    home = f.household(unit_w(city), "HH-F")
    make_rooms(near, building="B", floors=(1, 1), per_floor=1, beds=2)
    pair = [adult(unit_w(city), "夫", household=home), adult(unit_w(city), "妻", household=home)]
    single = adult(unit_w(city), "单")
    batch = run(personas["task_force"], [*pair, single])
    events_before = Event.objects.count()
    allocation_services.allocation_confirm(actor=personas["task_force"], batch=batch, today=TODAY)
    batch.refresh_from_db()
    assert batch.status == AllocationBatch.Status.CONFIRMED and batch.confirmed_at
    stays = list(Stay.objects.filter(batch=batch).select_related("room", "measure"))
    assert len(stays) == 3 and {s.status for s in stays} == {"planned"}
    assert {s.room.status for s in stays} == {RoomStatus.OCCUPIED}
    assert len({s.room_id for s in stays}) == 2
    measures = Measure.objects.filter(person__in=[*pair, single])
    assert {m.status for m in measures} == {"active"} and measures.count() == 3
    m = measures.get(person=single)
    assert (m.starts_on, m.ends_on, m.source) == (
        dt.date(2022, 11, 14),
        dt.date(2022, 11, 21),
        f"allocation:{batch.pk}",
    )
    assert MeasurePhase.objects.filter(measure=m).count() == 2
    assert ScheduledTest.objects.filter(measure=m).count() == 6
    actions = list(Event.objects.order_by("id")[events_before:].values_list("action", flat=True))
    assert actions.count("measure.started") == 3 and actions.count("stay.allocated") == 3
    assert actions.count("allocation.confirmed") == 1 and len(actions) == 7
    with pytest.raises(ValidationError, match="already Confirmed"):
        allocation_services.allocation_confirm(
            actor=personas["task_force"], batch=batch, today=TODAY
        )


def test_bulk_measures_write_what_measure_start_writes(personas, people):
    single = measure_start(
        actor=personas["task_force"],
        person=people["zhang"],
        category="close_contact",
        anchor_on=EXPOSED,
        today=TODAY,
    )
    ids = measures_start_bulk(
        actor=personas["task_force"],
        category="close_contact",
        starts=[MeasureStart(people["li"].pk, people["li"].division_key, EXPOSED, name="李秀英")],
        today=TODAY,
    )
    bulk = Measure.objects.get(pk=ids[people["li"].pk])
    assert (bulk.starts_on, bulk.ends_on, bulk.profile_code) == (
        single.starts_on,
        single.ends_on,
        single.profile_code,
    )
    assert sorted(bulk.tests.values_list("due_on", flat=True)) == sorted(
        single.tests.values_list("due_on", flat=True)
    )
    one, many = (
        Event.objects.get(action="measure.started", object_id=str(m.pk)) for m in (single, bulk)
    )
    assert one.basis == many.basis and set(one.data) == set(many.data)
    assert many.data["tests"] == one.data["tests"] and many.object_label.startswith("李秀英")
    with pytest.raises(ValidationError, match="already under a measure"):
        measures_start_bulk(
            actor=personas["task_force"],
            category="close_contact",
            starts=[MeasureStart(people["li"].pk, people["li"].division_key, EXPOSED)],
            today=TODAY,
        )
    with pytest.raises(ValidationError, match="jurisdiction"):
        measures_start_bulk(
            actor=personas["task_force"],
            category="close_contact",
            starts=[MeasureStart(people["other"].pk, people["other"].division_key, EXPOSED)],
            today=TODAY,
        )


def test_a_room_taken_meanwhile_refuses_the_whole_confirmation(personas, city, near, far):
    first = [adult(unit_w(city), f"甲{i}") for i in range(3)]
    second = [adult(unit_w(city), f"乙{i}") for i in range(3)]
    a = run(personas["command"], first)
    b = run(personas["command"], second)
    assert {line["room"] for line in a.plan} == {line["room"] for line in b.plan}
    allocation_services.allocation_confirm(actor=personas["command"], batch=a, today=TODAY)
    stays, measures = Stay.objects.count(), Measure.objects.count()
    with pytest.raises(ValidationError, match="taken or closed meanwhile"):
        allocation_services.allocation_confirm(actor=personas["command"], batch=b, today=TODAY)
    assert (Stay.objects.count(), Measure.objects.count()) == (stays, measures)
    b.refresh_from_db()
    assert b.status == AllocationBatch.Status.DRAFT
    again = allocation_services.allocation_repropose(
        actor=personas["command"], batch=b, today=TODAY
    )
    b.refresh_from_db()
    assert b.status == AllocationBatch.Status.CANCELLED
    allocation_services.allocation_confirm(actor=personas["command"], batch=again, today=TODAY)
    rooms = list(Stay.objects.values_list("room_id", flat=True))
    assert len(rooms) == 6 == len(set(rooms))  # never a room twice


def test_a_room_closed_after_the_proposal_refuses_the_confirmation(personas, city, near):
    batch = run(personas["command"], [adult(unit_w(city), "甲")])
    Room.objects.filter(pk=batch.plan[0]["room"]).update(status=RoomStatus.CLOSED)
    with pytest.raises(ValidationError, match="A-201"):
        allocation_services.allocation_confirm(actor=personas["command"], batch=batch, today=TODAY)


def test_a_person_placed_elsewhere_meanwhile_refuses_the_confirmation(personas, city, near):
    person = adult(unit_w(city), "甲")
    a = run(personas["command"], [person])
    Room.objects.filter(site=near).exclude(pk=a.plan[0]["room"]).delete()
    make_rooms(near, building="Z")
    b = run(personas["command"], [person])
    allocation_services.allocation_confirm(actor=personas["command"], batch=b, today=TODAY)
    with pytest.raises(ValidationError):
        allocation_services.allocation_confirm(actor=personas["command"], batch=a, today=TODAY)
    assert Stay.objects.filter(person=person).count() == 1


# Reviewing a draft ----------------------------------------------------------------------


def test_people_can_be_taken_out_but_not_an_adult_from_a_child(personas, city, near):
    home = f.household(unit_w(city), "HH-G")
    make_rooms(near, building="B", floors=(1, 1), per_floor=1, beds=2)
    mother = adult(unit_w(city), "母", household=home, sex="F")
    son = child(unit_w(city), "子", household=home, sex="M")
    other = adult(unit_w(city), "外人")
    batch = run(personas["command"], [mother, son, other])
    with pytest.raises(ValidationError, match="Take 子 out too"):
        allocation_services.allocation_remove(
            actor=personas["command"], batch=batch, person_ids=[mother.pk]
        )
    allocation_services.allocation_remove(
        actor=personas["command"], batch=batch, person_ids=[other.pk]
    )
    allocation_services.allocation_remove(
        actor=personas["command"], batch=batch, person_ids=[mother.pk, son.pk]
    )
    batch.refresh_from_db()
    assert batch.plan == []
    assert {e["person"] for e in batch.unplaced} == {mother.pk, son.pk, other.pk}
    with pytest.raises(ValidationError, match="Nobody is left"):
        allocation_services.allocation_confirm(actor=personas["command"], batch=batch, today=TODAY)


def test_a_cancelled_draft_cannot_be_confirmed(personas, city, near):
    batch = run(personas["command"], [adult(unit_w(city), "甲")])
    allocation_services.allocation_cancel(actor=personas["command"], batch=batch, reason="重复")
    with pytest.raises(ValidationError, match="already Cancelled"):
        allocation_services.allocation_confirm(actor=personas["command"], batch=batch, today=TODAY)
    assert Event.objects.get(action="allocation.cancelled").reason == "重复"


def test_batches_are_scoped(personas, city, near):
    batch = run(personas["task_force"], [adult(unit_w(city), "甲")])
    assert batch in allocation_selectors.batches_for(personas["command"])
    assert batch not in allocation_selectors.batches_for(f.user("tf_j", "task_force", city.jianan))
    with pytest.raises(PermissionDenied):
        allocation_selectors.batches_for(personas["outsider"])
    assert batch not in allocation_selectors.batches_for(personas["quarantine"])  # not theirs


# The engine on its own ------------------------------------------------------------------


def person(pid, key="411002001001", household=None, age=40, sex="M", access=False):
    return Person(pid, key, household, "", age, sex, EXPOSED, access)


def test_sites_rank_by_distance_when_known_then_by_jurisdiction():
    keys = ["411003001001", "411002001002", "411002001001", "411002002001"]
    coords = [None, None, None, (34.0, 113.8)]
    ranks = rank_sites(["411002001001"], keys, coords, {"411002001001": (34.0, 113.81)})
    assert ranks["411002001001"] == [3, 2, 1, 0]  # known distance, community, street, city
    ranks = rank_sites(["411002001001"], keys, coords, {})
    assert ranks["411002001001"] == [2, 1, 3, 0]


def test_the_engine_places_by_rules_in_one_pass():
    rules = Rules(one_per_room=True, household_together=True, child_age=14)
    people = [
        person(1, household=7),
        person(2, household=7, age=9),
        person(3),
        person(4, access=True),
    ]
    rooms = [(10, 1, 1, False), (11, 1, 2, False), (12, 1, 1, True)]
    out = propose(people, rooms, [1], {"411002001001": [0]}, rules)
    assert {(line["person"], line["room"]) for line in out.lines} == {
        (1, 11),
        (2, 11),
        (3, 10),
        (4, 12),
    }
    assert out.unplaced == []
