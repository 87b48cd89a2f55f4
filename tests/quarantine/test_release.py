"""Release from the site to the home phase, final release with its reasons, the certificate."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from pypdf import PdfReader

from fangkong.audit.models import Event
from fangkong.policy.models import PolicyProfile
from fangkong.quarantine.measures import checks, release
from fangkong.quarantine.models import (
    DueTestStatus,
    MeasureStatus,
    RoomStatus,
    ScheduledTest,
    StayStatus,
)
from tests.quarantine.conftest import ONE_DAY, today

pytestmark = pytest.mark.usefixtures("english")


def set_tests(measure, status, until=None):
    qs = ScheduledTest.objects.filter(measure=measure)
    if until is not None:
        qs = qs.filter(due_on__lte=until)
    qs.update(status=status)


def test_the_schedule_under_the_20_measures(at_site):
    # counted from yesterday: centralised today … +4 (tests 1, 2, 3, 5), home +5 … +7 (1, 3)
    assert at_site.ends_on == today() + 7 * ONE_DAY
    phases = release.site_phase(at_site)
    assert (phases.phase.last_day, phases.home.first_day) == (
        today() + 4 * ONE_DAY,
        today() + 5 * ONE_DAY,
    )


def test_site_release_waits_for_the_phase_and_its_tests(at_site, personas):
    stay = at_site.stays.get()
    last_day = today() + 4 * ONE_DAY
    reasons = release.site_release_refusals(at_site, stay, today=today())
    assert f"The centralised phase runs until {last_day.isoformat()}" in reasons
    assert f"The last test ({last_day.isoformat()}) was not taken" in reasons
    set_tests(at_site, DueTestStatus.NEGATIVE, until=last_day - ONE_DAY)
    ScheduledTest.objects.filter(measure=at_site, due_on=last_day).update(
        status=DueTestStatus.SAMPLED
    )
    assert release.site_release_refusals(at_site, stay, today=last_day) == [
        f"The test of {last_day.isoformat()} has no result yet"
    ]
    ScheduledTest.objects.filter(measure=at_site, due_on=today()).update(
        status=DueTestStatus.POSITIVE
    )
    with pytest.raises(ValidationError, match="positive: transfer"):
        release.measure_release_from_site(
            actor=personas["quarantine"], measure=at_site, today=last_day
        )


def test_site_release_hands_the_person_to_their_community(at_site, personas, rooms):
    last_day = today() + 4 * ONE_DAY
    set_tests(at_site, DueTestStatus.NEGATIVE, until=last_day)
    with pytest.raises(PermissionDenied):
        release.measure_release_from_site(actor=personas["grid"], measure=at_site, today=last_day)
    stay = release.measure_release_from_site(
        actor=personas["quarantine"], measure=at_site, today=last_day
    )
    at_site.refresh_from_db()
    rooms["101"].refresh_from_db()
    assert stay.status == StayStatus.RELEASED and stay.checked_out_at is not None
    assert rooms["101"].status == RoomStatus.CLEANING
    assert at_site.status == MeasureStatus.ACTIVE
    event = Event.objects.get(action="measure.handed_to_community")
    assert "西大社区" in event.reason and event.data["site"] == "魏都隔离酒店"
    home_day = today() + 5 * ONE_DAY
    rows = checks.home_roster(personas["grid"], "", home_day, home_day)
    assert [(r.person.name, r.from_site, r.phase) for r in rows] == [
        ("张伟", "魏都隔离酒店", "Home quarantine")
    ]


def test_final_release_is_refused_with_reasons(at_site, personas):
    end = at_site.ends_on
    assert release.release_refusals(at_site, today=end - ONE_DAY)[0] == (
        f"The schedule runs until {end.isoformat()}"
    )
    with pytest.raises(ValidationError, match="was not taken"):
        release.measure_release(actor=personas["quarantine"], measure=at_site, today=end)
    with pytest.raises(PermissionDenied):  # the person is at a site: the site releases them
        release.measure_release(actor=personas["grid"], measure=at_site, today=end)


def test_a_profile_without_the_test_rule_releases_on_the_last_day(at_site, personas):
    profile = PolicyProfile.objects.get(is_active=True)
    profile.rules["quarantine"] = {
        **profile.rules.get("quarantine", {}),
        "release_needs_negative_tests": False,
    }
    profile.save(update_fields=["rules"])
    assert release.release_refusals(at_site, today=at_site.ends_on) == []


def test_release_issues_a_certificate_and_the_health_code_follows(
    at_site, personas, rooms, monkeypatch
):
    told = []
    monkeypatch.setattr("fangkong.quarantine.measures.services._changed", told.append)
    set_tests(at_site, DueTestStatus.NEGATIVE)
    released = release.measure_release(
        actor=personas["quarantine"], measure=at_site, today=at_site.ends_on
    )
    rooms["101"].refresh_from_db()
    assert released.status == MeasureStatus.RELEASED
    number = released.certificate_number
    assert number == f"{rooms['101'].division_key[:6]}-{at_site.ends_on:%Y%m%d}-0001"
    assert rooms["101"].status == RoomStatus.CLEANING
    assert told == [[at_site.person_id]]
    with pytest.raises(ValidationError, match="is closed"):
        release.measure_release(
            actor=personas["quarantine"], measure=released, today=at_site.ends_on
        )

    reader = PdfReader(io.BytesIO(release.certificate_pdf(released)))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    compact = text.replace(" ", "").replace("\n", "")
    for expected in (
        "解除隔离告知书",
        "张伟",
        number,
        "密切接触者",
        released.person.id_number_masked,
        f"{at_site.starts_on:%Y-%m-%d}",
        f"{at_site.ends_on:%Y-%m-%d}",
        "阴性",
        "魏都隔离酒店",
        "二十条",
    ):
        assert expected.replace(" ", "") in compact, expected


def test_no_certificate_before_release(at_site):
    with pytest.raises(ValidationError, match="not been released"):
        release.certificate_pdf(at_site)
