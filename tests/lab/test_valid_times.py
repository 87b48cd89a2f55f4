"""Two times on every fact (issue 15, item 1) for testing: a round's start and close, a tube's
collection, each person's sampling and the lab's test time are when they happened (valid
time), apart from when they were entered. The figures as of a past moment count what had
happened by then, a late entry changes them and shows as late, and a time in the future or out
of order is refused naming the field (service, page, API)."""

import datetime as dt

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone, translation

from fangkong.audit.models import Event
from fangkong.command import lists
from fangkong.command.figures import round_figures, situation
from fangkong.command.places import node_for
from fangkong.command.report import cut_off, report_for
from fangkong.epi.models import Case
from fangkong.lab.models import Purpose, RoundStatus, Tube, TubeMember
from fangkong.lab.models import TestingRound as Round
from fangkong.lab.results.ingest import results_import
from fangkong.lab.rounds import services as rounds
from fangkong.places.models import Level
from tests.api.conftest import bearer_client
from tests.lab.test_rounds import use_profile

JSON = "application/json"
POOL = 10


def day(ago: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=ago)


def at(ago: int, hour: int, minute: int = 0) -> dt.datetime:
    """`hour` o'clock `ago` days before today, in the user's time zone."""
    return timezone.make_aware(dt.datetime.combine(day(ago), dt.time(hour, minute)))


def start(actor, area, name, when, site) -> Round:
    return rounds.round_start(
        actor=actor,
        area=area,
        name=name,
        reason="传播链不清",
        pool_size=POOL,
        starts_at=when,
        sites=[site],
    )


def tube(actor, barcode, testing_round, site, when, capacity=POOL) -> Tube:
    return rounds.tube_open(
        actor=actor,
        barcode=barcode,
        round=testing_round,
        site=site,
        capacity=capacity,
        purpose=Purpose.ROUND,
        collected_at=when,
    )


def sample(actor, into, person, when) -> TubeMember:
    return rounds.tube_add_member(actor=actor, tube=into, person=person, sampled_at=when)


@pytest.fixture
def scenario(personas, people, city, a_site):
    """Entered today, all of it after the fact: two rounds over the last days, one closed,
    and the people sampled in them."""
    use_profile("9th-edition")
    command = personas["command"]
    street = city.w[Level.STREET]
    first = start(command, street, "第一轮", at(4, 8), a_site)
    t1 = tube(command, "T-001", first, a_site, at(4, 9))
    sample(command, t1, people["zhang"], at(4, 9))
    sample(command, t1, people["li"], at(3, 10))
    rounds.round_close(actor=command, round=first, reason="完成", closed_at=at(2, 18))
    second = start(command, city.weidu, "第二轮", at(2, 9), a_site)
    t2 = tube(command, "T-002", second, a_site, at(1, 10))
    sample(command, t2, people["wang"], at(1, 10))
    # What happened, written down plainly: the reference the figures are held to.
    return {
        "rounds": {  # name: (started, closed, [sampled])
            "第一轮": (at(4, 8), at(2, 18), [at(4, 9), at(3, 10)]),
            "第二轮": (at(2, 9), None, [at(1, 10)]),
        }
    }


def first_principles(facts, moment: dt.datetime) -> dict[str, object]:
    started = {n: r for n, r in facts["rounds"].items() if r[0] <= moment}
    closed = [n for n, r in started.items() if r[1] is not None and r[1] <= moment]
    return {
        "rounds": len(started),
        "rounds_closed": len(closed),
        "rounds_open": len(started) - len(closed),
        "sampled": {n: sum(1 for s in r[2] if s <= moment) for n, r in started.items()},
    }


def figures(command, node, moment: dt.datetime) -> dict[str, object]:
    total = situation(command, node, moment, source="rows").total
    out: dict[str, object] = {k: total[k] for k in ("rounds", "rounds_closed", "rounds_open")}
    out["sampled"] = {f.round.name: f.sampled for f in round_figures(node, moment)}
    return out


def test_figures_of_past_moments_count_what_had_happened_by_then(scenario, personas):
    command = personas["command"]
    node = node_for(command)
    moments = [at(5, 12), at(4, 8, 30), at(3, 12), at(2, 12), at(2, 20), at(1, 12), at(0, 0)]
    for moment in moments:
        assert figures(command, node, moment) == first_principles(scenario, moment), moment
    for ago in (5, 4, 3, 2, 1, 0):
        t = report_for(command, node, day(ago)).situation.total
        expected = first_principles(scenario, cut_off(day(ago)))
        assert {k: t[k] for k in ("rounds", "rounds_closed", "rounds_open")} == {
            k: expected[k] for k in ("rounds", "rounds_closed", "rounds_open")
        }, ago
    # the moments differ, so the figures cannot be right by accident
    assert first_principles(scenario, at(3, 12))["sampled"] == {"第一轮": 2}
    assert first_principles(scenario, at(2, 20))["rounds_closed"] == 1
    assert first_principles(scenario, at(5, 12))["rounds"] == 0


def test_the_rounds_list_as_of_a_moment_reads_the_valid_times(scenario, personas):
    node = node_for(personas["command"])
    moment = at(2, 12)
    since = moment - dt.timedelta(days=1)

    def names(state: str) -> list[str]:
        params = QueryDict(f"state={state}" if state else "")
        return [r.name for r in lists.round_rows(node, moment, since, params)]

    assert names("") == ["第二轮", "第一轮"]
    assert names("open") == ["第二轮", "第一轮"]  # the first closed at 18:00 that day
    assert names("closed") == []


def test_rows_keep_both_times(scenario):
    first = Round.objects.get(name="第一轮")
    assert (first.starts_at, first.closed_at, first.status) == (
        at(4, 8),
        at(2, 18),
        RoundStatus.CLOSED,
    )
    assert first.created_at > at(0, 0)
    member = TubeMember.objects.get(tube__barcode="T-001", sampled_at=at(3, 10))
    assert member.recorded_at > at(0, 0)
    assert Tube.objects.get(barcode="T-001").collected_at == at(4, 9)
    closed = Event.objects.get(action="round.closed")
    assert closed.at == at(2, 18) and closed.recorded_at > at(0, 0)
    added = Event.objects.filter(action="tube.member_added").order_by("at")
    assert [e.at for e in added] == [at(4, 9), at(3, 10), at(1, 10)]


def test_a_late_round_changes_the_reissued_report_and_shows_as_late(
    scenario, personas, city, a_site, login
):
    command = personas["command"]
    node = node_for(command)
    before = report_for(command, node, day(3)).situation.total["rounds"]
    late = start(command, city.w[Level.COMMUNITY], "补录轮", at(3, 7), a_site)
    assert report_for(command, node, day(3)).situation.total["rounds"] == before + 1
    # the day before it started is as it was
    expected = first_principles(scenario, cut_off(day(4)))["rounds"]
    assert report_for(command, node, day(4)).situation.total["rounds"] == expected
    event = Event.objects.get(action="round.started", object_id=str(late.pk))
    days = (event.recorded_at - event.at).days
    assert event.at == at(3, 7) and days >= 2
    client = login(command)
    for language, late_text in (
        ("en", f"recorded {days} days after it happened, by p_command"),
        ("zh-hans", f"发生 {days} 天后由 p_command 补录"),
    ):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        page = client.get(reverse("lab:round", args=[late.pk])).content.decode()
        assert late_text in page, language


def test_a_round_started_now_is_not_shown_as_late(personas, city, a_site, login):
    use_profile("9th-edition")
    r = start(personas["command"], city.weidu, "今日轮", None, a_site)
    client = login(personas["command"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("lab:round", args=[r.pk])).content.decode()
    assert 'data-action="round.started"' in page
    assert "after it happened" not in page


def test_a_positive_result_uploaded_late_opens_its_case_when_it_was_tested(
    personas, people, city, a_site, a_lab, tmp_path
):
    use_profile("9th-edition")
    command = personas["command"]
    r = start(command, city.weidu, "第三轮", at(3, 8), a_site)
    single = tube(command, "S-001", r, a_site, at(3, 9), capacity=1)
    sample(command, single, people["wang"], at(3, 9))
    path = tmp_path / "results.csv"
    tested = at(2, 15)
    path.write_text(
        f"试管编码,检测结果,Ct值,检测时间\nS-001,阳性,27,{tested:%Y-%m-%d %H:%M}\n",
        encoding="utf-8",
    )
    assert results_import(actor=personas["lab"], lab=a_lab, path=path).ok
    case = Case.objects.get(person=people["wang"])
    assert (case.registered_at, case.reported_on) == (tested, day(2))
    node = node_for(command)
    assert situation(command, node, at(2, 14), source="rows").total["cases"] == 0
    assert situation(command, node, at(2, 16), source="rows").total["cases"] == 1
    resulted = Event.objects.get(action="tube.resulted")
    assert resulted.at == tested and resulted.recorded_at > at(0, 0)


# Refused, naming the field -------------------------------------------------------------------


def refused(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as exc:
        call()
    return exc.value.message_dict


def test_times_ahead_of_the_clock_or_out_of_order_are_refused(personas, people, city, a_site):
    use_profile("9th-edition")
    command = personas["command"]
    r = start(command, city.weidu, "第四轮", at(2, 8), a_site)
    ahead = timezone.now() + dt.timedelta(hours=1)
    with translation.override("en"):
        errors = refused(lambda: tube(command, "T-9", r, a_site, ahead))
        assert errors["collected_at"] == ["This time is in the future"]
        errors = refused(lambda: tube(command, "T-9", r, a_site, at(2, 7)))
        assert errors["collected_at"] == ["A tube of a round is taken after it started"]
        t = tube(command, "T-9", r, a_site, at(2, 9))
        errors = refused(lambda: sample(command, t, people["zhang"], at(2, 8, 30)))
        assert errors["sampled_at"] == ["A person is sampled after the tube was opened"]
        errors = refused(lambda: sample(command, t, people["zhang"], ahead))
        assert errors["sampled_at"] == ["This time is in the future"]
        assert not TubeMember.objects.exists()
        errors = refused(lambda: rounds.round_close(actor=command, round=r, closed_at=at(2, 7)))
        assert errors["closed_at"] == ["A round cannot close before it started"]
        errors = refused(lambda: rounds.round_close(actor=command, round=r, closed_at=ahead))
        assert errors["closed_at"] == ["This time is in the future"]
    r.refresh_from_db()
    assert r.status == RoundStatus.OPEN and r.closed_at is None
    # a phone's clock a minute fast is within the shipped profile's tolerance
    soon = timezone.now() + dt.timedelta(minutes=1)
    assert sample(command, t, people["zhang"], soon).sampled_at == soon


def test_the_round_page_refuses_a_close_before_the_start_and_takes_its_time(
    login, personas, city, a_site
):
    use_profile("9th-edition")
    r = start(personas["command"], city.weidu, "第五轮", at(2, 8), a_site)
    client = login(personas["command"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = reverse("lab:round_close", args=[r.pk])
    page = client.post(
        url, {"reason": "完成", "closed_at": f"{at(2, 7):%Y-%m-%dT%H:%M}"}, follow=True
    )
    assert "A round cannot close before it started" in page.content.decode()
    r.refresh_from_db()
    assert r.status == RoundStatus.OPEN
    page = client.get(reverse("lab:round", args=[r.pk])).content.decode()
    assert 'name="closed_at"' in page and 'name="closed_at" value=' not in page  # empty: now
    client.post(url, {"reason": "完成", "closed_at": f"{at(1, 20):%Y-%m-%dT%H:%M}"})
    r.refresh_from_db()
    assert (r.status, r.closed_at) == (RoundStatus.CLOSED, at(1, 20))


def test_the_api_takes_the_times_and_refuses_them_at_their_field(personas, people, city, a_site):
    use_profile("9th-edition")
    command = personas["command"]
    r = start(command, city.weidu, "第六轮", at(3, 8), a_site)
    client = bearer_client(command)
    future = (timezone.now() + dt.timedelta(days=1)).isoformat()
    body = {"barcode": "A-001", "round": r.pk, "site": a_site.code, "mode": "pooled"}
    response = client.post("/api/tubes", {**body, "collected_at": future}, content_type=JSON)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "collected_at"]
    opened = at(3, 9).isoformat()
    response = client.post("/api/tubes", {**body, "collected_at": opened}, content_type=JSON)
    assert response.status_code == 201, response.content
    url = "/api/tubes/A-001/members"
    person = {"person": people["li"].id_number}
    response = client.post(url, {**person, "sampled_at": at(3, 8).isoformat()}, content_type=JSON)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "sampled_at"]
    response = client.post(url, {**person, "sampled_at": at(3, 10).isoformat()}, content_type=JSON)
    assert response.status_code == 200, response.content
    assert TubeMember.objects.get().sampled_at == at(3, 10)
    close = f"/api/rounds/{r.pk}/close"
    response = client.post(close, {"closed_at": future}, content_type=JSON)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "closed_at"]
    response = client.post(close, {"closed_at": at(3, 7).isoformat()}, content_type=JSON)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "closed_at"]
    response = client.post(close, {"closed_at": at(2, 18).isoformat()}, content_type=JSON)
    assert response.status_code == 200, response.content
    assert dt.datetime.fromisoformat(response.json()["closed_at"]) == at(2, 18)
