"""The demo outbreak: check-ins, cases, household contacts and health codes."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db.models import Count, F
from django.utils import timezone

from fangkong.audit.models import Event
from fangkong.command.figures import quarantine_tally
from fangkong.command.places import Node
from fangkong.demo.services import demo_clear, demo_generate
from fangkong.epi.finding.index import candidates_for_cases
from fangkong.epi.models import (
    Case,
    CaseStatus,
    CheckIn,
    Contact,
    Degree,
    ExposureRelation,
    FindingJob,
)
from fangkong.healthcode.models import CodeStatus, Colour
from fangkong.people.models import Need
from fangkong.places.models import KEY_LENGTH, Level
from fangkong.policy.services import profiles_install_shipped
from fangkong.quarantine.models import Site, Stay, StayStatus
from fangkong.travel.models import Trip
from tests.shared import rolled_back

N = 5_000
AS_OF = dt.date(2022, 5, 7)  # the 许昌 report day: 2022 Labour Day falls in the window


# Each city is built once for the class of tests that read it and rolled back after the class
# (tests/shared.py); what a test changes is rolled back after the test.
@pytest.fixture(scope="class")
def demo(django_db_setup, django_db_blocker):
    with rolled_back(django_db_blocker):
        profiles_install_shipped()
        yield demo_generate(residents=N, seed=7, as_of=AS_OF)


@pytest.fixture(scope="class")
def live(django_db_setup, django_db_blocker):
    """A city as of today (the default), as `make run` loads it."""
    with rolled_back(django_db_blocker):
        profiles_install_shipped()
        yield demo_generate(residents=2_000, seed=5)


def _checkins():
    return list(
        CheckIn.objects.order_by("id").values_list("person", "venue", "time_in", "time_out")
    )


@pytest.mark.usefixtures("db")
class TestTheReportDayOutbreak:
    """The city as of the 许昌 report day, 5,000 residents."""

    def test_the_scenario_has_checkins_cases_and_contacts(self, demo):
        assert demo.cases == Case.objects.count() >= 3
        assert demo.contacts == Contact.objects.count() > 0
        assert 0 < demo.checkins == CheckIn.objects.count() <= N * 14 * 2
        first = dt.date.fromisoformat("2022-04-23")
        days = {t.date() for t in CheckIn.objects.values_list("time_in", flat=True)[:5000]}
        assert all(first - dt.timedelta(days=1) <= d < AS_OF for d in days)
        assert not CheckIn.objects.filter(time_out__lte=F("time_in")).exists()
        # Every case lives in 魏都区 and is numbered the way case_register numbers cases.
        for case in Case.objects.all():
            assert case.division_key.startswith("411002")
            assert case.number.startswith("4110-2022-") and len(case.number) == 14
            assert AS_OF - dt.timedelta(days=6) <= case.reported_on < AS_OF
            assert case.sampled_on <= case.reported_on
        assert Case.objects.filter(status=CaseStatus.TRANSFERRED).exclude(destination="").exists()
        contacts = Contact.objects.select_related("case__person", "person")
        for contact in contacts:
            assert contact.degree == Degree.CLOSE
            assert contact.relation == ExposureRelation.HOUSEHOLD
            assert contact.person.household_id == contact.case.person.household_id
        assert not Contact.objects.filter(degree=Degree.SECONDARY).exists()
        assert Event.objects.filter(action="case.registered").count() == demo.cases
        # Nobody checks in anywhere once isolated.
        for case in Case.objects.all():
            start = dt.datetime.combine(case.reported_on, dt.time(), dt.UTC) + dt.timedelta(
                hours=-8
            )
            assert not CheckIn.objects.filter(person=case.person, time_in__gte=start).exists()

    def test_the_contact_finder_finds_people_who_met_a_case(self, demo):
        cases = list(Case.objects.annotate(n=Count("person__checkin")).order_by("number"))
        found = [len(candidates_for_cases([case])) for case in cases]
        assert max(found) > 0
        rows = candidates_for_cases(cases)
        assert {r["degree"] for r in rows} == {"close"}
        assert all(r["overlap_minutes"] >= 0 for r in rows)

    def test_replace_clears_the_outbreak_and_finding_jobs(self, demo):
        from fangkong.accounts.models import User

        job = FindingJob.objects.create(
            created_by=User.objects.get(username="command"), division_key="4110"
        )
        job.cases.set(Case.objects.all()[:2])
        call_command("demo", "--residents", "1000", "--seed", "2", "--replace", "--no-outbreak")
        assert not CheckIn.objects.exists() and not Case.objects.exists()
        assert not FindingJob.objects.exists() and not CodeStatus.objects.exists()


@pytest.mark.usefixtures("db")
class TestTheOutbreakAsOfToday:
    """The city as of today, 2,000 residents."""

    def test_cases_close_contacts_and_travellers_are_red(self, live):
        people = set(Case.objects.values_list("person", flat=True))
        people |= set(Contact.objects.values_list("person", flat=True))
        travellers = set(Trip.objects.values_list("person", flat=True))
        assert travellers and not travellers & people  # handed over from a high-risk area
        people |= travellers
        colours = dict(CodeStatus.objects.values_list("person", "colour"))
        assert set(colours) == people
        assert set(colours.values()) == {Colour.RED}

    def test_travellers_are_handed_over_to_the_grid_of_their_address(self, live):
        trips = list(Trip.objects.select_related("person", "handover"))
        assert trips
        for trip in trips:  # home: their household's address names their unit, in its grid
            assert trip.division_key == trip.person.division_key
            assert trip.handover.division_key == trip.division_key
            assert len(trip.division_key) > KEY_LENGTH[Level.GRID]

    def test_as_of_today_the_outbreak_is_live(self, live):
        today, now = timezone.localdate(), timezone.now()
        for case in Case.objects.all():
            assert today - dt.timedelta(days=6) <= case.reported_on < today
        assert case.number.startswith(f"4110-{today.year}-")
        contacts = set(Contact.objects.filter(became_case=None).values_list("person", flat=True))
        contacts -= set(Case.objects.values_list("person", flat=True))
        codes = CodeStatus.objects.filter(person__in=contacts)
        assert codes.count() == len(contacts) > 0
        for code in codes:
            assert code.colour == Colour.RED
            assert code.until is not None and now < code.until < now + dt.timedelta(days=30)
        last = max(CheckIn.objects.values_list("time_in", flat=True))
        assert timezone.localdate(last) == today - dt.timedelta(days=1)
        for due in Need.objects.values_list("next_due", flat=True):
            assert abs((due - today).days) <= 60


@pytest.fixture
def run_city(db):
    """The city `make run` loads (its default size and seed), as of today."""
    profiles_install_shipped()
    return demo_generate(residents=20_000, seed=1)


def test_people_in_rooms_are_counted_at_the_demo_moment(run_city):
    """Check-ins are stamped by 08:00 on the as-of day, so the 08:00 report counts the people
    the site's board shows in their rooms (they were stamped 10:00, after it)."""
    at = dt.datetime.combine(timezone.localdate(), dt.time(8), timezone.get_current_timezone())
    inside = Stay.objects.filter(status=StayStatus.IN)
    assert inside.exists()
    assert not inside.filter(checked_in_at__gt=at).exists()
    tally = quarantine_tally(Node("", "", 0), at, at - dt.timedelta(days=1), 0)
    assert tally[""]["people"] == inside.count()
    # The `quarantine` account manages the two sites of 魏都区, as the README says (the tree of
    # a 20,000-resident city has one street there).
    sites = Site.objects.filter(staff__username="quarantine")
    assert sites.count() == 2
    assert all(site.division_key.startswith("411002") for site in sites)


def test_same_seed_same_outbreak(db):
    profiles_install_shipped()
    demo_generate(residents=1_000, seed=3, checkins_per_day=0.5)
    first = (_checkins(), list(Case.objects.order_by("id").values()))
    demo_clear()
    assert not CheckIn.objects.exists() and not Case.objects.exists()
    demo_generate(residents=1_000, seed=3, checkins_per_day=0.5)
    second = (_checkins(), list(Case.objects.order_by("id").values()))
    assert first == second
    assert len(first[0]) > 1000


def test_no_outbreak_makes_none(db):
    call_command("demo", "--residents", "1000", "--seed", "2", "--no-outbreak")
    assert not CheckIn.objects.exists()
    assert not Case.objects.exists() and not Contact.objects.exists()
    assert not CodeStatus.objects.exists()


def test_a_city_built_just_after_midnight_enters_nothing_ahead_of_the_clock(db, monkeypatch):
    """`make run` at 00:05 (the suite once did): the as-of day is today, its 07:00 arrivals and
    08:00 check-ins are still to come, and a fact cannot be entered before it has happened."""
    zone = timezone.get_current_timezone()
    moment = dt.datetime.combine(timezone.localdate(), dt.time(0, 5), zone)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    profiles_install_shipped()
    stats = demo_generate(residents=3_000, seed=1)
    assert stats.travellers > 0 and stats.in_quarantine > 0
    assert not Trip.objects.filter(arrived_at__gt=moment).exists()
    assert not Stay.objects.filter(checked_in_at__gt=moment).exists()
