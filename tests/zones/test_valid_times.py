"""Two times on every fact (issue 15, item 1) for risk zones: drawn, put in force, changed and
lifted when it happened (valid time), apart from when it was entered. The figures and the daily
report as of a past moment count the zones in force then, at their level then; a late entry
changes them and shows as late; a time in the future or out of order is refused naming the
field (service, page, API)."""

import datetime as dt

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from fangkong.audit.models import Event
from fangkong.command.figures import situation
from fangkong.command.places import node_for
from fangkong.command.report import cut_off, report_for
from fangkong.places.models import Level
from fangkong.zones import services
from fangkong.zones.models import Zone, ZoneChange, ZoneStatus
from tests.zones.conftest import use_profile

JSON = "application/json"


def day(ago: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=ago)


def at(ago: int, hour: int, minute: int = 0) -> dt.datetime:
    """`hour` o'clock `ago` days before today, in the user's time zone."""
    return timezone.make_aware(dt.datetime.combine(day(ago), dt.time(hour, minute)))


def draw(actor, place, level, when, **kw) -> Zone:
    return services.zone_draw(
        actor=actor, level=level, reason="确诊病例居住", divisions=[place], started_at=when, **kw
    )


@pytest.fixture
def scenario(personas, city, building):
    """Entered today, all of it after the fact: a zone drawn high and downgraded, another drawn
    medium and lifted, a proposal put in force later."""
    use_profile("9th-edition")
    command = personas["command"]
    a = draw(command, building, "high", at(4, 9))
    services.zone_set_level(
        actor=command, zone=a, level="medium", reason="连续无新增", changed_at=at(2, 12)
    )
    b = draw(command, city.j[Level.UNIT], "medium", at(3, 10))
    services.zone_set_level(actor=command, zone=b, level="low", reason="解封", changed_at=at(1, 9))
    c = draw(command, city.w[Level.UNIT], "high", at(3, 15), in_force=False)
    services.zone_activate(actor=command, zone=c, reason="批准", started_at=at(2, 8))
    # What happened, written down plainly: the reference the figures are held to.
    return {  # each zone: [(from, level)], "" before it was in force, "low" once lifted
        "zones": [
            [(at(4, 9), "high"), (at(2, 12), "medium")],
            [(at(3, 10), "medium"), (at(1, 9), "low")],
            [(at(2, 8), "high")],
        ]
    }


def first_principles(facts, moment: dt.datetime) -> dict[str, int]:
    levels = [[lv for start, lv in h if start <= moment] for h in facts["zones"]]
    then = [lv[-1] for lv in levels if lv]
    return {level: then.count(level) for level in ("high", "medium")}


def zone_counts(command, node, moment: dt.datetime) -> dict[str, int]:
    zones = situation(command, node, moment, source="rows").zones
    assert zones is not None
    return {lv.level: lv.zones for lv in zones.levels}


def test_figures_and_reports_of_past_moments_count_the_zones_then(scenario, personas):
    command = personas["command"]
    node = node_for(command)
    moments = [at(5, 12), at(4, 10), at(3, 12), at(2, 9), at(2, 13), at(1, 8), at(1, 10), at(0, 0)]
    for moment in moments:
        assert zone_counts(command, node, moment) == first_principles(scenario, moment), moment
    for ago in (5, 4, 3, 2, 1, 0):
        t = report_for(command, node, day(ago)).situation.total
        expected = first_principles(scenario, cut_off(day(ago)))
        assert {lv: t[f"zones_{lv}"] for lv in expected} == expected, ago
    # the moments differ, so the figures cannot be right by accident
    assert first_principles(scenario, at(3, 12)) == {"high": 1, "medium": 1}
    assert first_principles(scenario, at(2, 13)) == {"high": 1, "medium": 2}
    assert first_principles(scenario, at(1, 10)) == {"high": 1, "medium": 1}


def test_changes_keep_both_times(scenario):
    lifted = ZoneChange.objects.get(kind="lifted")
    assert lifted.at == at(1, 9) and lifted.recorded_at > at(0, 0)
    zone = lifted.zone
    assert (zone.status, zone.ended_at) == (ZoneStatus.LIFTED, at(1, 9))
    event = Event.objects.get(action="zone.level_changed", object_id=str(zone.pk))
    assert event.at == at(1, 9) and event.recorded_at > at(0, 0)
    activated = Event.objects.get(action="zone.activated")
    assert activated.at == at(2, 8)


def test_a_late_zone_changes_the_reissued_report_and_shows_as_late(scenario, personas, city, login):
    command = personas["command"]
    node = node_for(command)
    before = report_for(command, node, day(3)).situation.total["zones_high"]
    late = draw(command, city.w[Level.BUILDING], "high", at(3, 6))
    assert report_for(command, node, day(3)).situation.total["zones_high"] == before + 1
    expected = first_principles(scenario, cut_off(day(4)))["high"]
    assert report_for(command, node, day(4)).situation.total["zones_high"] == expected
    event = Event.objects.get(action="zone.drawn", object_id=str(late.pk))
    days = (event.recorded_at - event.at).days
    assert event.at == at(3, 6) and days >= 2
    client = login(command)
    for language, late_text in (
        ("en", f"recorded {days} days after it happened, by p_command"),
        ("zh-hans", f"发生 {days} 天后由 p_command 补录"),
    ):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        page = client.get(reverse("zones:zone", args=[late.pk])).content.decode()
        assert late_text in page, language


def test_a_zone_drawn_now_is_not_shown_as_late(personas, building, login):
    use_profile("9th-edition")
    zone = draw(personas["command"], building, "high", None)
    client = login(personas["command"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("zones:zone", args=[zone.pk])).content.decode()
    assert 'data-action="zone.drawn"' in page and "after it happened" not in page


# Refused, naming the field -------------------------------------------------------------------


def refused(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as exc:
        call()
    return exc.value.message_dict


def test_times_ahead_of_the_clock_or_out_of_order_are_refused(personas, building, city):
    use_profile("9th-edition")
    command = personas["command"]
    ahead = timezone.now() + dt.timedelta(hours=1)
    errors = refused(lambda: draw(command, building, "high", ahead))
    assert errors["started_at"] == ["This time is in the future"]
    assert not Zone.objects.exists()
    zone = draw(command, building, "high", at(2, 9))
    errors = refused(
        lambda: services.zone_set_level(
            actor=command, zone=zone, level="medium", reason="复核", changed_at=at(2, 8)
        )
    )
    assert errors["changed_at"] == ["This is before the zone's level last changed"]
    errors = refused(
        lambda: services.zone_set_level(
            actor=command, zone=zone, level="low", reason="解封", changed_at=ahead
        )
    )
    assert errors["changed_at"] == ["This time is in the future"]
    services.zone_extend(
        actor=command, zone=zone, reason="扩大", divisions=[city.w[Level.COMPOUND]], now=at(1, 9)
    )
    errors = refused(
        lambda: services.zone_set_level(
            actor=command, zone=zone, level="medium", reason="复核", changed_at=at(1, 8)
        )
    )
    assert errors["changed_at"] == ["This is before the zone's last recorded change"]
    zone.refresh_from_db()
    assert (zone.level, zone.status) == ("high", ZoneStatus.ACTIVE)
    proposal = draw(command, city.j[Level.UNIT], "medium", at(2, 10), in_force=False)
    errors = refused(
        lambda: services.zone_activate(actor=command, zone=proposal, started_at=at(2, 9))
    )
    assert errors["started_at"] == ["A zone is put in force after it was proposed"]
    # a phone's clock a minute fast is within the shipped profile's tolerance
    soon = timezone.now() + dt.timedelta(minutes=1)
    services.zone_set_level(
        actor=command, zone=zone, level="medium", reason="复核", changed_at=soon
    )
    assert ZoneChange.objects.filter(zone=zone).latest("at").at == soon


def test_the_pages_refuse_times_at_their_field_and_take_them(personas, building, login):
    use_profile("9th-edition")
    client = login(personas["command"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    future = (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("zones:draw"),
        {"level": "high", "places": building.code, "reason": "确诊", "started_at": future},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["started_at"] == ["This time is in the future"]
    assert not Zone.objects.exists()
    response = client.post(
        reverse("zones:draw"),
        {
            "level": "high",
            "places": building.code,
            "reason": "确诊",
            "started_at": f"{at(2, 9):%Y-%m-%dT%H:%M}",
            "in_force": "on",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    zone = Zone.objects.get()
    assert zone.started_at == at(2, 9)
    url = reverse("zones:level", args=[zone.pk])
    body = {"level": "medium", "reason": "复核"}
    page = client.post(url, {**body, "changed_at": f"{at(2, 8):%Y-%m-%dT%H:%M}"}, follow=True)
    assert "This is before the zone&#x27;s level last changed" in page.content.decode()
    zone.refresh_from_db()
    assert zone.level == "high"
    client.post(url, {**body, "changed_at": f"{at(1, 9):%Y-%m-%dT%H:%M}"})
    zone.refresh_from_db()
    assert (zone.level, zone.level_since) == ("medium", at(1, 9))


def test_the_api_takes_the_times_and_refuses_them_at_their_field(personas, building, as_):
    use_profile("9th-edition")
    client = as_("command")
    future = (timezone.now() + dt.timedelta(days=1)).isoformat()
    body = {"level": "high", "reason": "确诊", "places": [building.code]}
    response = client.post("/api/zones", {**body, "started_at": future}, content_type=JSON)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "started_at"]
    drawn = at(2, 9).isoformat()
    response = client.post("/api/zones", {**body, "started_at": drawn}, content_type=JSON)
    assert response.status_code == 201, response.content
    url = f"/api/zones/{response.json()['id']}/level"
    change = {"level": "low", "reason": "解封"}
    for when in (future, at(2, 8).isoformat()):
        response = client.post(url, {**change, "changed_at": when}, content_type=JSON)
        assert response.status_code == 422, when
        assert response.json()["detail"][0]["loc"] == ["body", "changed_at"]
    response = client.post(url, {**change, "changed_at": at(1, 9).isoformat()}, content_type=JSON)
    assert response.status_code == 200, response.content
    zone = Zone.objects.get()
    assert (zone.status, zone.ended_at) == (ZoneStatus.LIFTED, at(1, 9))
