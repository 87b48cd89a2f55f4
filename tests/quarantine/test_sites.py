"""Quarantine sites and rooms: registration, scoping, rooms in bulk and from files, room
status, staff, check-in and moves."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangkong.audit.models import Event
from fangkong.quarantine.models import Room, RoomStatus, Site, Stay, StayStatus
from fangkong.quarantine.sites import rooms_import
from fangkong.quarantine.sites import selectors as site_selectors
from fangkong.quarantine.sites import services as site_services
from tests import factories as f
from tests.quarantine.sites_factory import make_rooms, make_site

pytestmark = pytest.mark.usefixtures("english")

from tests.quarantine.sites_factory import english  # noqa: E402, F401


@pytest.fixture
def two_sites(city, personas):
    """One site in 魏都区 staffed by the site manager persona, one in 建安区."""
    weidu = make_site(city.w[f.Level.COMMUNITY], "QW1", staff=[personas["quarantine"]])
    jianan = make_site(city.j[f.Level.COMMUNITY], "QJ1")
    return weidu, jianan


def register(actor, place, **kw):
    fields = {"code": "qs-01", "name": "魏都宾馆", "kind": "hotel", "division": place}
    fields.update(kw)
    return site_services.site_register(actor=actor, **fields)


# Registering sites ----------------------------------------------------------------------


def test_register_a_site_audits_and_a_site_manager_staffs_it(personas, city):
    place = city.w[f.Level.STREET]
    site = register(personas["task_force"], place, latitude=34.03, longitude=113.82)
    assert (site.code, site.division_key) == ("QS-01", place.key)
    event = Event.objects.get(action="site.registered")
    assert event.object_id == str(site.pk) and event.division_key == place.key
    assert not site.staff.exists()
    mine = register(personas["quarantine"], place, code="QS-02")
    assert list(mine.staff.all()) == [personas["quarantine"]]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"code": "bad code!"}, "code"),
        ({"name": "  "}, "name"),
        ({"kind": "tent"}, "kind"),
        ({"latitude": 34.0}, "longitude"),
        ({"latitude": 95.0, "longitude": 113.0}, "latitude"),
        ({"phone": "call me"}, "phone"),
    ],
)
def test_register_refuses_bad_input_naming_the_field(personas, city, fields, field):
    with pytest.raises(ValidationError) as exc:
        register(personas["task_force"], city.weidu, **fields)
    assert field in exc.value.message_dict
    assert not Site.objects.exists()


def test_register_refuses_a_repeated_code_and_a_place_outside_the_jurisdiction(personas, city):
    register(personas["task_force"], city.weidu)
    with pytest.raises(ValidationError, match="already exists"):
        register(personas["task_force"], city.weidu, code="QS-01")
    with pytest.raises(ValidationError) as exc:
        register(personas["task_force"], city.jianan, code="QS-09")
    assert "division" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        register(personas["lab"], city.weidu, code="QS-10")


# Scoping --------------------------------------------------------------------------------


def test_everyone_sees_sites_by_jurisdiction_and_site_managers_only_their_own(
    personas, city, two_sites
):
    weidu, jianan = two_sites
    seen = {
        name: set(site_selectors.sites_for(personas[name])) for name in ("command", "task_force")
    }
    assert seen == {"command": {weidu, jianan}, "task_force": {weidu}}
    assert set(site_selectors.sites_for(personas["outsider"])) == {jianan}
    assert set(site_selectors.sites_for(personas["quarantine"])) == {weidu}
    other = make_site(city.w[f.Level.COMMUNITY], "QW2")  # in 魏都区, not staffed by them
    assert other not in site_selectors.sites_for(personas["quarantine"])
    assert other in site_selectors.sites_for(personas["task_force"])
    with pytest.raises(PermissionDenied):
        site_selectors.sites_for(personas["lab"])


def test_rooms_and_stays_follow_the_sites_rule(personas, city, two_sites):
    weidu, jianan = two_sites
    make_rooms(weidu)
    make_rooms(jianan)
    assert {r.site_id for r in site_selectors.rooms_for(personas["quarantine"])} == {weidu.pk}
    assert {r.site_id for r in site_selectors.rooms_for(personas["outsider"])} == {jianan.pk}


def test_staff_changes_are_audited_and_change_what_a_manager_sees(personas, city, two_sites):
    weidu, _jianan = two_sites
    manager = f.user("mgr2", "quarantine", city.weidu)
    assert weidu not in site_selectors.sites_for(manager)
    added, removed = site_services.site_staff_set(
        actor=personas["task_force"], site=weidu, usernames=["mgr2", "p_quarantine"]
    )
    assert (added, removed) == (1, 0)
    assert weidu in site_selectors.sites_for(manager)
    assert Event.objects.get(action="site.staff_changed").data["added"] == ["mgr2"]
    with pytest.raises(ValidationError, match="No active user"):
        site_services.site_staff_set(actor=personas["task_force"], site=weidu, usernames=["nobody"])
    with pytest.raises(ValidationError, match="yourself"):
        site_services.site_staff_set(actor=manager, site=weidu, usernames=["p_quarantine"])


def test_staff_come_from_the_jurisdiction_and_outsiders_are_not_named(personas, city, two_sites):
    weidu, _jianan = two_sites
    f.user("mgr_far", "quarantine", city.jianan)
    f.user("mgr_none", "quarantine", None)
    for stranger in ("mgr_far", "mgr_none"):
        with pytest.raises(ValidationError, match=f"No active user named {stranger}"):
            site_services.site_staff_set(
                actor=personas["task_force"], site=weidu, usernames=["p_quarantine", stranger]
            )
    assert list(weidu.staff.values_list("username", flat=True)) == ["p_quarantine"]
    assert not Event.objects.filter(action="site.staff_changed").exists()


# Rooms in bulk --------------------------------------------------------------------------


def test_rooms_are_generated_floor_by_floor_with_accessible_positions():
    rooms = site_services.rooms_generate(
        building="A", floors=(2, 9), positions=(1, 20), beds=2, accessible=[1, 2]
    )
    assert len(rooms) == 160
    assert (rooms[0].number, rooms[19].number, rooms[-1].number) == ("201", "220", "920")
    assert {r.number for r in rooms if r.accessible} == {
        f"{fl}0{p}" for fl in range(2, 10) for p in (1, 2)
    }
    assert {r.beds for r in rooms} == {2}
    with pytest.raises(ValidationError):
        site_services.rooms_generate(building="A", floors=(9, 2), positions=(1, 20))
    with pytest.raises(ValidationError, match="at most"):
        site_services.rooms_generate(building="A", floors=(1, 900), positions=(1, 99))


def test_adding_the_same_rooms_twice_changes_nothing(personas, two_sites):
    weidu, _ = two_sites
    specs = site_services.rooms_generate(building="A", floors=(2, 9), positions=(1, 20))
    first = site_services.rooms_add(actor=personas["quarantine"], site=weidu, rooms=specs)
    again = site_services.rooms_add(actor=personas["quarantine"], site=weidu, rooms=specs)
    assert (first.created, again.created, again.unchanged) == (160, 0, 160)
    wider = site_services.rooms_generate(building="A", floors=(2, 2), positions=(1, 20), beds=3)
    changed = site_services.rooms_add(actor=personas["quarantine"], site=weidu, rooms=wider)
    assert (changed.created, changed.updated) == (0, 20)
    assert Room.objects.filter(site=weidu).count() == 160
    assert Room.objects.filter(site=weidu, beds=3).count() == 20
    assert Event.objects.filter(action="rooms.added").count() == 3


def test_rooms_can_only_be_added_at_ones_own_sites(personas, two_sites):
    weidu, jianan = two_sites
    specs = [site_services.RoomSpec("A", 2, "201")]
    with pytest.raises(ValidationError, match="not one you manage"):
        site_services.rooms_add(actor=personas["quarantine"], site=jianan, rooms=specs)
    other = make_site(weidu.division, "QW3")
    with pytest.raises(ValidationError, match="not one you manage"):
        site_services.rooms_add(actor=personas["quarantine"], site=other, rooms=specs)
    with pytest.raises(ValidationError, match="twice"):
        site_services.rooms_add(actor=personas["quarantine"], site=weidu, rooms=specs * 2)


def write(tmp_path, text: str, name: str = "rooms.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def test_room_file_imports_once_and_again_changes_nothing(personas, two_sites, tmp_path):
    weidu, _ = two_sites
    path = write(
        tmp_path,
        "楼栋,楼层,房间号,床位,无障碍\nA,2,201,1,是\nA,2,202,2,否\nB,1,101,,\n",
    )
    result = rooms_import.rooms_import(actor=personas["quarantine"], site=weidu, path=path)
    assert result.ok and result.written and result.added.created == 3
    assert Room.objects.get(site=weidu, building="A", number="201").accessible
    assert Room.objects.get(site=weidu, building="B", number="101").beds == 1
    again = rooms_import.rooms_import(actor=personas["quarantine"], site=weidu, path=path)
    assert (again.added.created, again.added.unchanged) == (0, 3)


def test_gbk_room_file_with_english_headers(personas, two_sites, tmp_path):
    weidu, _ = two_sites
    path = write(tmp_path, "building,floor,room,beds\n东楼,3,301,2\n", encoding="gbk")
    result = rooms_import.rooms_import(actor=personas["quarantine"], site=weidu, path=path)
    assert result.ok, [(e.row, e.column, e.reason) for e in result.errors]
    assert Room.objects.get(site=weidu, number="301").building == "东楼"


def test_bad_room_rows_are_reported_by_row_and_column_and_nothing_is_written(
    personas, two_sites, tmp_path
):
    weidu, _ = two_sites
    path = write(
        tmp_path,
        "楼栋,楼层,房间号,床位,无障碍\n"
        "A,2,201,1,是\n"
        "A,二,202,1,否\n"
        "A,2,,1,否\n"
        "A,2,203,40,也许\n"
        "A,2,201,1,否\n",
    )
    result = rooms_import.rooms_import(actor=personas["quarantine"], site=weidu, path=path)
    assert not result.written and not Room.objects.exists()
    problems = [(e.row, e.column, e.value) for e in result.errors]
    assert problems == [
        (3, "楼层", "二"),
        (4, "房间号", ""),
        (5, "床位", "40"),
        (5, "无障碍", "也许"),
        (6, "房间号", "201"),
    ]
    assert "row 2" in result.errors[-1].reason


def test_room_file_without_the_number_column_is_refused(personas, two_sites, tmp_path):
    weidu, _ = two_sites
    path = write(tmp_path, "楼栋,楼层\nA,2\n")
    result = rooms_import.rooms_import(actor=personas["quarantine"], site=weidu, path=path)
    assert not result.ok and "房间号" in result.errors[0].reason


# Room status ----------------------------------------------------------------------------


def test_a_disinfected_room_becomes_available_again_with_an_event(personas, two_sites):
    weidu, _ = two_sites
    room = make_rooms(weidu, status=RoomStatus.CLEANING)[0]
    site_services.room_set_status(
        actor=personas["quarantine"], room=room, status="available", reason="消杀完成"
    )
    assert room.status == RoomStatus.AVAILABLE
    event = Event.objects.get(action="room.status_changed")
    assert (event.from_value, event.to_value, event.reason) == ("cleaning", "available", "消杀完成")
    site_services.room_set_status(actor=personas["quarantine"], room=room, status="closed")
    assert room.status == RoomStatus.CLOSED


def test_occupied_rooms_change_only_through_stays(personas, two_sites, people):
    weidu, _ = two_sites
    room = make_rooms(weidu)[0]
    with pytest.raises(ValidationError, match="allocated"):
        site_services.room_set_status(actor=personas["quarantine"], room=room, status="occupied")
    Stay.objects.create(
        person=people["zhang"], room=room, site=weidu, division_key=weidu.division_key
    )
    Room.objects.filter(pk=room.pk).update(status=RoomStatus.OCCUPIED)
    with pytest.raises(ValidationError, match="occupied"):
        site_services.room_set_status(actor=personas["quarantine"], room=room, status="cleaning")
    assert not Event.objects.filter(action="room.status_changed").exists()


def test_status_changes_are_refused_outside_ones_sites(personas, two_sites):
    _weidu, jianan = two_sites
    room = make_rooms(jianan)[0]
    with pytest.raises(ValidationError, match="not one you manage"):
        site_services.room_set_status(actor=personas["quarantine"], room=room, status="closed")
    with pytest.raises(ValidationError, match="not one you manage"):
        site_services.room_set_status(actor=personas["task_force"], room=room, status="closed")
    with pytest.raises(PermissionDenied):
        site_services.room_set_status(actor=personas["street"], room=room, status="closed")


# Check-in and moves ---------------------------------------------------------------------


@pytest.fixture
def planned(two_sites, people):
    weidu, _ = two_sites
    rooms = make_rooms(weidu)
    Room.objects.filter(pk=rooms[0].pk).update(status=RoomStatus.OCCUPIED)
    stay = Stay.objects.create(
        person=people["zhang"], room=rooms[0], site=weidu, division_key=weidu.division_key
    )
    return stay, rooms


def test_check_in_sets_the_time_and_audits(personas, planned):
    stay, rooms = planned
    site_services.stay_check_in(actor=personas["quarantine"], stay=stay)
    assert stay.status == StayStatus.IN and stay.checked_in_at is not None
    assert Room.objects.get(pk=rooms[0].pk).status == RoomStatus.OCCUPIED
    assert Event.objects.get(action="stay.checked_in").person_id == stay.person_id
    with pytest.raises(ValidationError, match="not expected"):
        site_services.stay_check_in(actor=personas["quarantine"], stay=stay)


def test_moving_a_person_frees_the_old_room_for_disinfection(personas, planned):
    stay, rooms = planned
    site_services.stay_check_in(actor=personas["quarantine"], stay=stay)
    with pytest.raises(ValidationError, match="reason"):
        site_services.stay_move(actor=personas["quarantine"], stay=stay, room=rooms[1], reason="")
    new = site_services.stay_move(
        actor=personas["quarantine"], stay=stay, room=rooms[1], reason="空调故障"
    )
    stay.refresh_from_db()
    assert stay.status == StayStatus.MOVED and stay.checked_out_at is not None
    assert (new.status, new.room_id, new.checked_in_at is not None) == ("in", rooms[1].pk, True)
    statuses = dict(
        Room.objects.filter(pk__in=[rooms[0].pk, rooms[1].pk]).values_list("pk", "status")
    )
    assert statuses == {rooms[0].pk: "cleaning", rooms[1].pk: "occupied"}
    event = Event.objects.get(action="stay.moved")
    assert event.reason == "空调故障" and event.person_id == stay.person_id


def test_a_person_cannot_be_moved_into_a_taken_room(personas, planned, people):
    stay, rooms = planned
    Stay.objects.create(
        person=people["li"], room=rooms[1], site=rooms[1].site, division_key=rooms[1].division_key
    )
    Room.objects.filter(pk=rooms[1].pk).update(status=RoomStatus.OCCUPIED)
    with pytest.raises(ValidationError, match="not free"):
        site_services.stay_move(
            actor=personas["quarantine"], stay=stay, room=rooms[1], reason="换房"
        )
    Room.objects.filter(pk=rooms[2].pk).update(status=RoomStatus.CLOSED)
    with pytest.raises(ValidationError, match="not free"):
        site_services.stay_move(
            actor=personas["quarantine"], stay=stay, room=rooms[2], reason="换房"
        )
    # nobody had arrived: the old room is simply free again
    site_services.stay_move(actor=personas["quarantine"], stay=stay, room=rooms[3], reason="换房")
    assert Room.objects.get(pk=rooms[0].pk).status == RoomStatus.AVAILABLE


# Figures and board ----------------------------------------------------------------------


def test_totals_count_rooms_beds_and_people(personas, planned, two_sites):
    _stay, rooms = planned
    _weidu, jianan = two_sites
    make_rooms(jianan, beds=2)
    Room.objects.filter(pk=rooms[1].pk).update(status=RoomStatus.CLEANING)
    totals = site_selectors.occupancy_totals(site_selectors.sites_for(personas["command"]))
    assert (totals.sites, totals.rooms, totals.beds) == (2, 16, 24)
    assert (totals.occupied, totals.cleaning, totals.free) == (1, 1, 14)
    assert (totals.people_in, totals.people_expected) == (0, 1)
    assert (
        site_selectors.occupancy_totals(site_selectors.sites_for(personas["outsider"])).rooms == 8
    )


def test_board_lays_rooms_out_by_building_and_floor_with_masked_names(planned):
    stay, _rooms = planned
    board = site_selectors.site_board(stay.site)
    (building,) = board.buildings
    assert building.name == "A"
    assert [fl.number for fl in building.floors] == [3, 2]  # top floor first
    first = building.floors[1].cells[0]
    assert first.room.number == "201" and first.occupants == ["张*"] and first.state == "expected"
    assert board.counts == {"occupied": 1, "available": 7}
