"""The demo city at 20k residents: valid identities, a complete tree, realistic ledgers."""

import datetime as dt
from collections import Counter

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory, override_settings

from fangkong.accounts.models import User
from fangkong.core.roles import Role
from fangkong.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
from fangkong.demo.services import demo_clear, demo_generate
from fangkong.people.idnumber import parse_id_number
from fangkong.people.models import Household, KeyCategory, KeyPerson, Need, Resident
from fangkong.places.models import KEY_LENGTH, Division, Level, Outline, Venue, code_from_key
from fangkong.supplies.models import Enterprise, SigningKey, SupplyPass

N = 20_000
DEMO_DATE = dt.date(2022, 5, 7)  # the as-of date of this city


@pytest.fixture(scope="module")
def city(django_db_setup, django_db_blocker):
    md5 = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # as the autouse fixture does
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=md5):
        stats = demo_generate(residents=N, seed=7, as_of=DEMO_DATE)
        yield stats
        demo_clear()
        # The demo's pass made the platform's first signing key, which outlives a city (keys are
        # the platform's): gone too, or later tests in this process would find a key made here.
        SigningKey.objects.all().delete()


pytestmark = pytest.mark.usefixtures("city", "db")


def test_exactly_the_requested_residents_in_realistic_households():
    assert Resident.objects.count() == N
    households = Household.objects.count()
    assert 2.4 < N / households < 2.8
    assert Resident.objects.filter(relation="head").count() == households
    sizes = Counter(Resident.objects.values_list("household_id", flat=True))
    assert max(sizes.values()) <= 6


def test_every_id_number_is_valid_unique_and_matches_sex_and_birth():
    seen = set()
    for number, sex, born in Resident.objects.values_list("id_number", "sex", "birth_date"):
        info = parse_id_number(number, today=DEMO_DATE)
        assert (info.sex, info.birth_date) == (sex, born)
        assert info.region.startswith("41")
        seen.add(number)
    assert len(seen) == N


def test_members_ages_fit_their_relation():
    heads = dict(Resident.objects.filter(relation="head").values_list("household_id", "birth_date"))
    for household, relation, born in Resident.objects.values_list(
        "household_id", "relation", "birth_date"
    ):
        years = (heads[household] - born).days / 365.25  # positive: older than the head
        if relation == "child":
            assert years <= -18
        elif relation == "parent":
            assert years >= 18
        elif relation == "grandchild":
            assert years <= -36


def test_tree_is_complete_and_keys_nest():
    by_id = {d.id: d for d in Division.objects.all()}
    assert set(Counter(d.level for d in by_id.values())) == set(Level.values)
    for d in by_id.values():
        assert len(d.key) == KEY_LENGTH[Level(d.level)]
        assert d.code == code_from_key(d.key)
        if d.level <= Level.COMMUNITY:
            assert len(d.code) == 12 and d.code.isdigit()
        if d.parent_id:
            parent = by_id[d.parent_id]
            assert d.key.startswith(parent.key) and d.level == parent.level + 1
            assert abs(d.lat - parent.lat) < 0.5 and abs(d.lon - parent.lon) < 0.5
    districts = {d.code[:6]: d.name for d in by_id.values() if d.level == Level.DISTRICT}
    assert districts["411002"] == "魏都区" and districts["411082"] == "长葛市"
    units = {d.key for d in by_id.values() if d.level == Level.UNIT}
    assert set(Resident.objects.values_list("division_key", flat=True)) == units


def test_every_place_down_to_the_buildings_has_an_outline_around_its_point():
    with_outline = Division.objects.filter(level__lte=Level.BUILDING)
    assert Outline.objects.count() == with_outline.count()
    assert not Outline.objects.filter(derived=True).exists()
    for o in Outline.objects.select_related("division").filter(level__gte=Level.COMPOUND)[:50]:
        assert o.west <= o.division.lon <= o.east and o.south <= o.division.lat <= o.north


def test_addresses_name_the_whole_path():
    home = Household.objects.filter(division_key__startswith="411002001").first()
    assert home.address.startswith("许昌市魏都区西大街街道")
    assert "号楼" in home.address and home.address.endswith("室")


def rate(category, eligible):
    return KeyPerson.objects.filter(category=category).count() / eligible


def test_ages_count_up_to_the_as_of_date():
    assert max(Resident.objects.values_list("birth_date", flat=True)) <= DEMO_DATE
    oldest = min(Resident.objects.values_list("birth_date", flat=True))
    assert DEMO_DATE.replace(year=DEMO_DATE.year - 103) < oldest
    assert set(KeyPerson.objects.values_list("created_at", flat=True)) == {
        dt.datetime(2022, 5, 7, 0, tzinfo=dt.UTC)  # 08:00 in Asia/Shanghai
    }


def test_key_person_rates_are_realistic():
    old = DEMO_DATE.replace(year=DEMO_DATE.year - 50)
    assert rate(KeyCategory.CHRONIC, Resident.objects.filter(birth_date__lte=old).count()) > 0.03
    assert rate(KeyCategory.CHRONIC, Resident.objects.filter(birth_date__lte=old).count()) < 0.07
    assert 0.01 < rate(KeyCategory.DISABLED, N) < 0.02
    assert 0.0001 <= rate(KeyCategory.DIALYSIS, N) <= 0.0012
    assert 0.0003 <= rate(KeyCategory.CHEMO, N) <= 0.002
    assert 0.0001 <= rate(KeyCategory.CHILD_DIFFICULTY, N) <= 0.0012
    women = Resident.objects.filter(
        sex="F",
        birth_date__lte=DEMO_DATE.replace(year=DEMO_DATE.year - 20),
        birth_date__gt=DEMO_DATE.replace(year=DEMO_DATE.year - 41),
    ).count()
    assert 0.002 < rate(KeyCategory.PREGNANT, women) < 0.015
    alone = KeyPerson.objects.filter(category=KeyCategory.ELDERLY_ALONE)
    assert 0.01 < alone.count() / N < 0.06
    assert all(kp.resident.household.members.count() == 1 for kp in alone[:50])


def test_every_key_person_has_a_due_need():
    needy = set(Need.objects.values_list("resident_id", flat=True))
    chronic = KeyPerson.objects.filter(category__in=["chronic", "dialysis", "chemo", "pregnant"])
    assert set(chronic.values_list("resident_id", flat=True)) <= needy
    assert Need.objects.filter(kind="medicine").exclude(recurrence_days=30).count() == 0
    assert set(Need.objects.values_list("recurrence_days", flat=True)) <= {2, 3, 7, 14, 21, 28, 30}
    first, last = (
        min(Need.objects.values_list("next_due", flat=True)),
        max(Need.objects.values_list("next_due", flat=True)),
    )
    assert first >= DEMO_DATE and last < DEMO_DATE + dt.timedelta(days=30)


def test_venues_about_one_per_150_residents_with_unique_codes():
    venues = Venue.objects.count()
    assert N / 200 < venues < N / 100
    assert Venue.objects.values("code").distinct().count() == venues
    assert Venue.objects.filter(name="许昌市中心医院", division_key__startswith="411002").exists()


def test_one_demo_account_per_role_and_they_can_log_in():
    roles = Counter(a.role for a in DEMO_ACCOUNTS if a.username != "outsider")
    assert set(roles) == {*Role.values, ""} and set(roles.values()) == {1}
    request = RequestFactory().post("/login/")
    for account in DEMO_ACCOUNTS:
        user = authenticate(request, username=account.username, password=DEMO_PASSWORD)
        assert user is not None, account.username
        assert user.role == account.role
        assert (user.jurisdiction.key if user.jurisdiction else "") == account.jurisdiction_key
    assert User.objects.get(username="admin").is_superuser
    assert User.objects.get(username="grid").jurisdiction.level == Level.GRID
    assert User.objects.get(username="outsider").jurisdiction.name == "新元街道"


def test_if_empty_is_a_no_op_when_residents_exist(capsys):
    call_command(
        "demo", "--residents", "1000", "--seed", "3", "--if-empty", "--as-of", "2022-05-07"
    )
    assert Resident.objects.count() == N


def test_refuses_to_mix_with_existing_data():
    with pytest.raises(CommandError, match="--replace"):
        call_command("demo", "--residents", "1000")


def test_a_whitelisted_supply_enterprise_with_its_account_courier_vehicle_and_pass(city):
    firm = Enterprise.objects.get()
    assert city.supply_enterprises == 1 and firm.status == "granted"
    assert list(firm.staff.values_list("username", flat=True)) == ["supply"]
    assert firm.couriers.get().status == firm.vehicles.get().status == "granted"
    supply_pass = SupplyPass.objects.get()
    assert supply_pass.vehicle == firm.vehicles.get() and supply_pass.status == "valid"


def test_health_plans_and_direct_lines_of_the_demo_communities(city):
    from fangkong.care.models import DirectLine, HealthPlan, MedicineCourse, StandingNeed

    dialysis = StandingNeed.objects.get(type="dialysis")
    assert dialysis.weekdays == "024" and dialysis.facility.code == "XC-DIALYSIS"
    insulin = MedicineCourse.objects.get()
    assert insulin.runs_out_on == DEMO_DATE + dt.timedelta(days=2)
    assert HealthPlan.objects.count() == 2
    street = User.objects.get(username="street").jurisdiction
    communities = Division.objects.filter(level=Level.COMMUNITY, key__startswith=street.key)
    kinds = Counter(DirectLine.objects.values_list("kind", flat=True))
    assert kinds["vehicle"] == communities.count() > 0 and kinds["counselling"] == kinds["vehicle"]


def test_receiving_points_and_orders_in_every_state(city):
    from fangkong.supplies.orders.models import Order, Product, ReceivingPoint

    assert city.supply_orders == Order.objects.count() > 0
    assert ReceivingPoint.objects.exists() and Product.objects.filter(name="母婴包").exists()
    states = set(Order.objects.values_list("status", flat=True))
    assert {"placed", "delivered"} <= states
    assert Order.objects.filter(problems__isnull=False).exists()
