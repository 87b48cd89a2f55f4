"""A person under a measure who is sampled into a tube on a test day has taken that day's test:
the test day shows the tube (and later its result) without anyone typing the barcode again.
"Sample now" on the test day opens the sampling page with the person (services, pages, API)."""

import pytest
from django.urls import reverse

from fangkong.audit.models import Event
from fangkong.lab.models import Purpose, SamplingSite
from fangkong.lab.rounds import services as lab_services
from fangkong.quarantine.measures import selectors, services
from fangkong.quarantine.models import DueTestStatus, ScheduledTest
from tests import factories as f
from tests.api.conftest import bearer_client
from tests.quarantine.conftest import ONE_DAY, give_result, today

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def sampling_site(city) -> SamplingSite:
    street = city.w[f.Level.STREET]
    return SamplingSite.objects.create(
        code="SITE-W", name="西大街采样点", division=street, division_key=street.key
    )


def pool(actor, site, barcode="P-1"):
    return lab_services.tube_open(
        actor=actor, barcode=barcode, site=site, capacity=10, purpose=Purpose.VOLUNTARY
    )


def test_sampling_a_person_on_a_test_day_takes_that_days_test(
    at_home, personas, people, sampling_site
):
    street, wang = personas["street"], people["wang"]
    due_today = at_home.tests.get(due_on=today())
    later = list(at_home.tests.filter(due_on__gt=today()).values_list("pk", flat=True))
    assert later  # home quarantine tests on days 1, 3, 5 and 7
    tube = pool(street, sampling_site)
    member = lab_services.tube_add_member(actor=street, tube=tube, person=wang)
    lab_services.tube_add_member(actor=street, tube=tube, person=people["zhang"])  # no measure
    due_today.refresh_from_db()
    assert (due_today.status, due_today.tube, due_today.sampled_at) == (
        DueTestStatus.SAMPLED,
        tube,
        member.sampled_at,
    )
    assert set(at_home.tests.filter(pk__in=later).values_list("status", flat=True)) == {"due"}
    [event] = Event.objects.filter(action="test.sampled")
    assert (event.actor, event.person_id, event.object_id) == (street, wang.pk, str(due_today.pk))
    assert (event.field, event.from_value, event.to_value) == ("status", "due", "sampled")
    assert event.reason == "Sampled into tube P-1" and event.data["tube"] == "P-1"
    # the lab's finding shows on the test day
    give_result(tube, "negative")
    due_today.refresh_from_db()
    assert selectors.test_state(due_today) == DueTestStatus.NEGATIVE


def test_a_test_marked_taken_without_a_barcode_gets_the_tube(
    at_home, personas, people, sampling_site
):
    street = personas["street"]
    due_today = at_home.tests.get(due_on=today())
    services.test_mark_sampled(actor=street, test=due_today)
    marked_at = at_home.tests.get(pk=due_today.pk).sampled_at
    tube = pool(street, sampling_site)
    lab_services.tube_add_member(actor=street, tube=tube, person=people["wang"])
    due_today.refresh_from_db()
    assert (due_today.status, due_today.tube, due_today.sampled_at) == ("sampled", tube, marked_at)
    event = Event.objects.filter(action="test.sampled").latest("id")
    assert (event.field, event.from_value, event.to_value) == ("tube", "", "P-1")


def test_only_the_test_due_on_the_sample_day_is_taken(at_home, personas, people, sampling_site):
    """A test missed the day before stays missed (it is taken late by hand); the test due on
    the sample's own day is the one taken."""
    yesterday = today() - ONE_DAY
    day_1, day_3 = at_home.tests.order_by("due_on")[:2]
    ScheduledTest.objects.filter(pk=day_1.pk).update(due_on=yesterday, status=DueTestStatus.MISSED)
    ScheduledTest.objects.filter(pk=day_3.pk).update(due_on=today())
    tube = pool(personas["street"], sampling_site)
    lab_services.tube_add_member(actor=personas["street"], tube=tube, person=people["wang"])
    day_1.refresh_from_db()
    day_3.refresh_from_db()
    assert (day_1.status, day_1.tube) == (DueTestStatus.MISSED, None)
    assert (day_3.status, day_3.tube) == (DueTestStatus.SAMPLED, tube)
    assert Event.objects.filter(action="test.sampled").count() == 1


def test_sample_now_opens_sampling_with_the_person_and_the_day_shows_done(
    login, personas, people, at_home, sampling_site
):
    wang = people["wang"]
    client = login(personas["street"])
    measure_page = client.get(reverse("quarantine:measure", args=[at_home.pk])).content.decode()
    link = f'href="/lab/sampling/?person={wang.pk}" class="button sample-now"'
    assert link in measure_page
    tasks = client.get(reverse("quarantine:tasks")).content.decode()
    assert link in tasks
    sampling = client.get(reverse("lab:sampling"), {"person": wang.pk})
    assert sampling.context["to_sample"] == wang
    assert 'id="to-sample"' in sampling.content.decode()
    client.post(reverse("lab:sampling"), {"action": "setup", "site": sampling_site.pk})
    opened = client.post(
        reverse("lab:sampling"),
        {"action": "open", "barcode": "P-9", "mode": "pooled", "person_id": wang.pk},
    )
    assert opened.url == f"/lab/sampling/?tube=P-9&person={wang.pk}"
    page = client.get(opened.url)
    assert f"Add {wang.name}" in page.content.decode()
    added = client.post(
        reverse("lab:sampling"),
        {"action": "add", "tube": "P-9", "person": "", "person_id": wang.pk},
        follow=True,
    )
    assert f"{wang.name} added to P-9 (1/10)." in added.content.decode()
    assert added.context["to_sample"] is None  # sampled: nobody is carried any more
    measure_page = client.get(reverse("quarantine:measure", args=[at_home.pk])).content.decode()
    assert f'data-day="{today():%Y-%m-%d}" data-state="sampled"' in measure_page
    assert ">P-9<" in measure_page and link not in measure_page


def test_sample_now_names_nobody_outside_the_jurisdiction(login, personas, people, at_home):
    outsider = login(personas["outsider"])
    page = outsider.get(reverse("lab:sampling"), {"person": people["wang"].pk})
    assert page.context["to_sample"] is None
    assert people["wang"].name not in page.content.decode()


def test_api_sampling_by_person_id_takes_the_test(personas, people, at_home, sampling_site):
    street = bearer_client(personas["street"])
    street.post(
        "/api/tubes",
        {"barcode": "A-1", "site": "SITE-W", "mode": "pooled"},
        content_type="application/json",
    )
    added = street.post(
        "/api/tubes/A-1/members",
        {"person_id": people["wang"].pk},
        content_type="application/json",
    )
    assert added.status_code == 200, added.content
    detail = street.get(f"/api/quarantine/measures/{at_home.pk}").json()
    [day] = [t for t in detail["tests"] if t["due_on"] == today().isoformat()]
    assert (day["status"], day["tube"]) == ("sampled", "A-1")
