"""Pages of sites, the occupancy board, rooms, arrivals and allocation."""

import datetime as dt

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from fangkong.audit.models import Event
from fangkong.quarantine.allocation.services import allocation_propose
from fangkong.quarantine.models import AllocationBatch, Room, RoomStatus, Site, Stay, StayStatus
from tests import factories as f
from tests.quarantine.sites_factory import adult, make_rooms, make_site, use_profile


@pytest.fixture(autouse=True)
def _english_pages(settings, db):
    settings.LANGUAGE_CODE = "en"
    use_profile("20-measures")


@pytest.fixture
def site(city, personas):
    s = make_site(city.w[f.Level.COMMUNITY], "QW1", staff=[personas["quarantine"]])
    make_rooms(s)
    return s


def test_site_list_shows_the_command_centres_totals(client, personas, city, site):
    other = make_site(city.j[f.Level.COMMUNITY], "QJ1")
    make_rooms(other, beds=2, status=RoomStatus.CLEANING)
    f.sign_in(client, personas["command"])
    page = client.get(reverse("quarantine:sites")).content.decode()
    assert 'data-figure="sites">2<' in page and 'data-figure="rooms">16<' in page
    assert 'data-figure="beds">24<' in page and 'data-figure="cleaning">8<' in page
    f.sign_in(client, personas["quarantine"])
    page = client.get(reverse("quarantine:sites")).content.decode()
    assert "QW1" in page and "QJ1" not in page and 'data-figure="sites">1<' in page


@pytest.mark.parametrize("n", [2, 8])
def test_site_list_and_board_query_counts_stay_flat(
    client, personas, city, django_assert_num_queries, n
):
    for i in range(n):
        s = make_site(city.w[f.Level.COMMUNITY], f"Q{i}")
        make_rooms(s, floors=(2, 1 + n), per_floor=n)
        person = adult(city.w[f.Level.UNIT], f"住{i}")
        room = s.rooms.first()
        Stay.objects.create(person=person, room=room, site=s, division_key=s.division_key)
    f.sign_in(client, personas["task_force"])
    client.get(reverse("quarantine:sites"))
    # session, user, jurisdiction; page of sites with places; rooms and stays per site; totals (3)
    with django_assert_num_queries(9):
        assert client.get(reverse("quarantine:sites")).status_code == 200
    # session, user, jurisdiction; the site; its rooms; its open stays with names; its staff
    with django_assert_num_queries(7):
        assert client.get(reverse("quarantine:site", args=[s.pk])).status_code == 200


def test_board_shows_rooms_by_floor_with_masked_occupants(client, personas, site, people):
    room = site.rooms.get(number="201")
    Stay.objects.create(
        person=people["li"], room=room, site=site, division_key=site.division_key, status="in"
    )
    Room.objects.filter(pk=room.pk).update(status=RoomStatus.OCCUPIED)
    f.sign_in(client, personas["quarantine"])
    page = client.get(reverse("quarantine:site", args=[site.pk])).content.decode()
    assert 'class="room-cell occupied"' in page and "李*" in page and "李秀英" not in page
    assert page.index('data-floor="3"') < page.index('data-floor="2"')
    assert 'data-figure="occupied">1<' in page and 'data-figure="available">7<' in page


def test_register_a_site_then_add_and_import_rooms(client, personas, city):
    f.sign_in(client, personas["task_force"])
    response = client.post(
        reverse("quarantine:sites"),
        {"code": "qn-9", "name": "新宾馆", "kind": "hotel", "place": city.w[f.Level.STREET].code},
    )
    site = Site.objects.get(code="QN-9")
    assert response.url == reverse("quarantine:site", args=[site.pk])
    response = client.post(
        reverse("quarantine:site_rooms", args=[site.pk]),
        {
            "building": "A",
            "floor_from": 2,
            "floor_to": 9,
            "room_from": 1,
            "room_to": 20,
            "beds": 1,
            "accessible": "1, 2",
        },
    )
    assert response.status_code == 302 and site.rooms.count() == 160
    assert site.rooms.filter(accessible=True).count() == 16
    upload = SimpleUploadedFile("rooms.csv", "楼栋,楼层,房间号\nB,1,101\nB,1,102\n".encode())
    response = client.post(
        reverse("quarantine:site_rooms_import", args=[site.pk]), {"file": upload}
    )
    assert response.status_code == 200 and site.rooms.count() == 162
    bad = SimpleUploadedFile("rooms.csv", "楼栋,楼层,房间号\nB,x,103\n".encode())
    response = client.post(reverse("quarantine:site_rooms_import", args=[site.pk]), {"file": bad})
    assert (
        response.status_code == 400 and "Floor must be a whole number" in response.content.decode()
    )


def test_a_room_marked_disinfected_from_the_board_and_from_its_page(client, personas, site):
    rooms = list(site.rooms.order_by("number")[:2])
    Room.objects.filter(pk__in=[r.pk for r in rooms]).update(status=RoomStatus.CLEANING)
    f.sign_in(client, personas["quarantine"])
    client.post(
        reverse("quarantine:site_rooms_status", args=[site.pk]),
        {"status": "available", "rooms": [rooms[0].pk]},
    )
    assert Room.objects.get(pk=rooms[0].pk).status == RoomStatus.AVAILABLE
    client.post(
        reverse("quarantine:room", args=[rooms[1].pk]), {"status": "closed", "reason": "维修"}
    )
    assert Room.objects.get(pk=rooms[1].pk).status == RoomStatus.CLOSED
    page = client.get(reverse("quarantine:room", args=[rooms[1].pk])).content.decode()
    assert "维修" in page
    assert Event.objects.filter(action="room.status_changed").count() == 2


def test_staff_form_sets_who_manages_the_site(client, personas, site, city):
    f.user("mgr9", "quarantine", city.weidu)
    f.sign_in(client, personas["task_force"])
    client.post(
        reverse("quarantine:site_staff", args=[site.pk]), {"usernames": "p_quarantine, mgr9"}
    )
    assert set(site.staff.values_list("username", flat=True)) == {"p_quarantine", "mgr9"}


def test_arrivals_are_checked_in_and_a_person_moved(client, personas, site, people):
    room = site.rooms.get(number="201")
    stay = Stay.objects.create(
        person=people["li"], room=room, site=site, division_key=site.division_key
    )
    Room.objects.filter(pk=room.pk).update(status=RoomStatus.OCCUPIED)
    f.sign_in(client, personas["quarantine"])
    page = client.get(reverse("quarantine:site_stays", args=[site.pk])).content.decode()
    assert "李秀英" in page
    client.post(reverse("quarantine:site_stays", args=[site.pk]), {"stays": [stay.pk]})
    stay.refresh_from_db()
    assert stay.status == StayStatus.IN
    target = site.rooms.get(number="202")
    client.post(
        reverse("quarantine:stay_move", args=[stay.pk]), {"room": target.pk, "reason": "漏水"}
    )
    assert Stay.objects.get(person=people["li"], status="in").room == target
    assert Room.objects.get(pk=room.pk).status == RoomStatus.CLEANING


def test_outsiders_and_other_roles_get_nothing(client, personas, site):
    room = site.rooms.first()
    f.sign_in(client, personas["outsider"])
    for url in (
        reverse("quarantine:site", args=[site.pk]),
        reverse("quarantine:room", args=[room.pk]),
        reverse("quarantine:site_stays", args=[site.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert "QW1" not in client.get(reverse("quarantine:sites")).content.decode()
    f.sign_in(client, personas["lab"])
    assert client.get(reverse("quarantine:sites")).status_code == 403
    f.sign_in(client, personas["street"])  # sees the site, may not change it
    assert client.get(reverse("quarantine:allocate")).status_code == 403
    response = client.post(reverse("quarantine:room", args=[room.pk]), {"status": "closed"})
    assert response.status_code == 403


# Allocation pages -----------------------------------------------------------------------


def test_allocate_review_and_confirm_through_the_pages(client, personas, site, city):
    unit = city.w[f.Level.UNIT]
    people = [adult(unit, f"密接{i}") for i in range(3)]
    anchor = timezone.localdate() - dt.timedelta(days=1)
    f.sign_in(client, personas["task_force"])
    page = client.get(reverse("quarantine:allocate")).content.decode()
    assert "close contacts are waiting" in page
    response = client.post(
        reverse("quarantine:allocate"),
        {
            "source": "id_numbers",
            "category": "close_contact",
            "anchor_on": anchor.isoformat(),
            "id_numbers": "\n".join(p.id_number for p in people) + "\n110101199001011234",
        },
    )
    batch = AllocationBatch.objects.get()
    assert response.url == reverse("quarantine:allocation", args=[batch.pk])
    page = client.get(response.url).content.decode()
    assert 'data-figure="placed">3<' in page and "密接0" in page
    assert "check digit" in page or "ID number" in page  # the bad number is listed with why
    client.post(
        reverse("quarantine:allocation_action", args=[batch.pk, "remove"]),
        {"people": [people[2].pk]},
    )
    client.post(reverse("quarantine:allocation_action", args=[batch.pk, "confirm"]))
    batch.refresh_from_db()
    assert batch.status == AllocationBatch.Status.CONFIRMED
    assert Stay.objects.filter(batch=batch).count() == 2
    page = client.get(reverse("quarantine:allocation", args=[batch.pk])).content.decode()
    assert 'id="confirm"' not in page


def test_allocation_form_needs_a_category(client, personas, site, people):
    f.sign_in(client, personas["task_force"])
    response = client.post(
        reverse("quarantine:allocate"),
        {"source": "id_numbers", "id_numbers": people["li"].id_number, "anchor_on": "2022-11-13"},
    )
    assert response.status_code == 200 and not AllocationBatch.objects.exists()
    assert "This field is required" in response.content.decode()


def test_a_draft_can_be_cancelled_or_proposed_again(client, personas, site, city):
    person = adult(city.w[f.Level.UNIT], "甲")
    anchor = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    f.sign_in(client, personas["task_force"])
    form = {"source": "id_numbers", "category": "close_contact", "anchor_on": anchor}
    client.post(reverse("quarantine:allocate"), {**form, "id_numbers": person.id_number})
    first = AllocationBatch.objects.get()
    response = client.post(reverse("quarantine:allocation_action", args=[first.pk, "again"]))
    second = AllocationBatch.objects.exclude(pk=first.pk).get()
    assert response.url == reverse("quarantine:allocation", args=[second.pk])
    client.post(
        reverse("quarantine:allocation_action", args=[second.pk, "cancel"]), {"reason": "x"}
    )
    assert set(AllocationBatch.objects.values_list("status", flat=True)) == {"cancelled"}


@pytest.mark.parametrize("n", [5, 40])
def test_review_page_query_count_stays_flat(client, personas, city, django_assert_num_queries, n):
    s = make_site(city.w[f.Level.COMMUNITY], "QW1")
    make_rooms(s, floors=(2, 9), per_floor=10)
    unit = city.w[f.Level.UNIT]
    people = {adult(unit, f"人{i}").pk: timezone.localdate() for i in range(n)}
    batch = allocation_propose(
        actor=personas["task_force"], category="close_contact", people=people
    )
    f.sign_in(client, personas["task_force"])
    # session, user, jurisdiction; the batch; people and rooms of the page; sites
    with django_assert_num_queries(7):
        assert client.get(reverse("quarantine:allocation", args=[batch.pk])).status_code == 200


PAGE_ROLES = {
    "quarantine:sites": {"command", "task_force", "street", "grid", "quarantine"},
    "quarantine:allocate": {"command", "task_force", "quarantine"},
}


@pytest.mark.parametrize("page", sorted(PAGE_ROLES))
def test_each_role_opens_exactly_these_pages(client, personas, page):
    for role, user in personas.items():
        f.sign_in(client, user)
        response = client.get(reverse(page))
        allowed = role in PAGE_ROLES[page] or (role == "outsider" and page == "quarantine:sites")
        assert response.status_code == (200 if allowed else 403), (page, role)


def test_the_confirmation_takes_when_the_rooms_were_allocated(client, personas, site, city):
    """An allocation entered after the fact: the confirmation form takes the time it happened
    (empty: now), refuses one ahead of the clock naming the field, and the page shows it."""
    unit = city.w[f.Level.UNIT]
    people = [adult(unit, f"补录{i}") for i in range(2)]
    f.sign_in(client, personas["task_force"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    anchor = timezone.localdate() - dt.timedelta(days=2)
    client.post(
        reverse("quarantine:allocate"),
        {
            "source": "id_numbers",
            "category": "close_contact",
            "anchor_on": anchor.isoformat(),
            "id_numbers": "\n".join(p.id_number for p in people),
        },
    )
    batch = AllocationBatch.objects.get()
    url = reverse("quarantine:allocation_action", args=[batch.pk, "confirm"])
    page = client.get(reverse("quarantine:allocation", args=[batch.pk])).content.decode()
    assert 'name="allocated_at"' in page
    ahead = (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    refused = client.post(url, {"allocated_at": ahead}, follow=True).content.decode()
    assert "Allocated at: This time is in the future" in refused
    batch.refresh_from_db()
    assert batch.status == AllocationBatch.Status.DRAFT
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    refused = client.post(url, {"allocated_at": ahead}, follow=True).content.decode()
    assert "分配时间：" in refused
    when = (timezone.localtime() - dt.timedelta(hours=20)).replace(second=0, microsecond=0)
    client.post(url, {"allocated_at": when.strftime("%Y-%m-%dT%H:%M")})
    batch.refresh_from_db()
    assert batch.status == AllocationBatch.Status.CONFIRMED
    assert set(Stay.objects.filter(batch=batch).values_list("allocated_at", flat=True)) == {when}
    page = client.get(reverse("quarantine:allocation", args=[batch.pk])).content.decode()
    assert f'id="allocated-at">{when.strftime("%Y-%m-%d %H:%M")}<' in page


def test_a_move_is_dated_when_it_happened(client, personas, site, people):
    """The move page takes when the person moved (empty: now): the old stay ends and the new
    one begins then, the event is dated then; a time before the arrival is refused on the
    field."""
    room, target = site.rooms.get(number="201"), site.rooms.get(number="202")
    arrived = timezone.localtime() - dt.timedelta(hours=10)
    stay = Stay.objects.create(
        person=people["li"],
        room=room,
        site=site,
        status=StayStatus.IN,
        allocated_at=arrived,
        checked_in_at=arrived,
        division_key=room.division_key,
    )
    Room.objects.filter(pk=room.pk).update(status=RoomStatus.OCCUPIED)
    f.sign_in(client, personas["quarantine"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = reverse("quarantine:stay_move", args=[stay.pk])
    assert 'name="moved_at"' in client.get(url).content.decode()
    early = (arrived - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    page = client.post(url, {"room": target.pk, "reason": "漏水", "moved_at": early})
    assert "A move cannot be before the person arrived" in page.content.decode()
    assert Stay.objects.get(pk=stay.pk).status == StayStatus.IN
    moved = (arrived + dt.timedelta(hours=3)).replace(second=0, microsecond=0)
    client.post(
        url, {"room": target.pk, "reason": "漏水", "moved_at": moved.strftime("%Y-%m-%dT%H:%M")}
    )
    old = Stay.objects.get(pk=stay.pk)
    new = Stay.objects.get(person=people["li"], status=StayStatus.IN)
    assert (old.status, old.checked_out_at) == (StayStatus.MOVED, moved)
    assert (new.room, new.checked_in_at, new.allocated_at) == (target, moved, moved)
    assert Event.objects.get(action="stay.moved").at == moved
