"""Contact-finding jobs: run in the background, write candidates with evidence, bulk decisions."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from fangkong.audit.models import Event
from fangkong.epi.finding import index as finder
from fangkong.epi.finding import services as finding
from fangkong.epi.models import (
    Candidate,
    CandidateDecision,
    CheckIn,
    Contact,
    ContactRequest,
    Degree,
    ExposureRelation,
    FindingJob,
    JobStatus,
    RequestStatus,
)
from fangkong.policy.models import PolicyProfile
from fangkong.policy.services import profile_activate
from tests import factories as f
from tests.epi.conftest import make_case

TZ = ZoneInfo("Asia/Shanghai")
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
DUMMY = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2022, 1, day, hour, minute, tzinfo=TZ)


def visit(person, venue, start: dt.datetime, end: dt.datetime) -> CheckIn:
    return CheckIn.objects.create(person=person, venue=venue, time_in=start, time_out=end)


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    settings.TASKS = IMMEDIATE


@pytest.fixture
def log(city, people, a_case):
    """张伟 (the case) at a supermarket on 8 January with three others; 李秀英 later at a
    restaurant with 钱多多 (a contact of a contact); 孙丽 came after the case had left."""
    unit = city.w[f.Level.UNIT]
    market = f.venue(unit, "V-MARKET", "胖东来超市")
    diner = f.venue(unit, "V-DINER", "老街面馆")
    qian = f.resident(unit, "钱多多")
    sun = f.resident(unit, "孙丽", sex="F")
    visit(people["zhang"], market, at(8, 10), at(8, 11))
    visit(people["li"], market, at(8, 10, 30), at(8, 12))  # 30 minutes together
    visit(people["wang"], market, at(8, 9), at(8, 10, 15))  # 15 minutes
    visit(people["other"], market, at(8, 10, 50), at(8, 11, 30))  # 10 minutes, lives in 建安区
    visit(sun, market, at(8, 12, 30), at(8, 13))  # after the case left
    visit(people["li"], diner, at(9, 18), at(9, 19))
    visit(qian, diner, at(9, 18, 30), at(9, 20))
    return {"market": market, "diner": diner, "qian": qian, "sun": sun}


@pytest.fixture
def tracer(personas):
    return personas["task_force"]


@pytest.fixture
def ninth(personas):
    profile_activate(
        profile=PolicyProfile.objects.get(code="9th-edition"),
        actor=personas["command"],
        reason="test: the 9th edition identifies secondary contacts",
    )


def run_job(django_capture_on_commit_callbacks, actor, cases, **kw) -> FindingJob:
    with django_capture_on_commit_callbacks(execute=True):
        job = finding.finding_job_create(actor=actor, cases=cases, **kw)
    job.refresh_from_db()
    return job


def found(job: FindingJob) -> dict[str, tuple[str, int]]:
    return {
        c.person.name: (c.degree, c.overlap_minutes)
        for c in Candidate.objects.filter(job=job).select_related("person")
    }


# The job's life ------------------------------------------------------------------------


def test_a_job_finds_people_at_the_same_venue_at_the_same_time(
    log, a_case, tracer, django_capture_on_commit_callbacks
):
    job = run_job(django_capture_on_commit_callbacks, tracer, [a_case])

    assert (job.status, job.progress, job.error) == (JobStatus.DONE, 100, "")
    assert job.finished_at is not None
    assert found(job) == {"李秀英": ("close", 30), "王芳": ("close", 15), "赵强": ("close", 10)}
    li = Candidate.objects.get(job=job, person__name="李秀英")
    assert (li.venue, li.overlap_start, li.overlap_end) == (log["market"], at(8, 10, 30), at(8, 11))
    assert li.division_key == li.person.division_key


def test_padding_widens_each_stay(log, a_case, tracer, django_capture_on_commit_callbacks):
    job = run_job(django_capture_on_commit_callbacks, tracer, [a_case], padding_minutes=120)

    assert "孙丽" in found(job)


def test_progress_climbs_to_100_while_the_job_runs(
    log, a_case, tracer, monkeypatch, django_capture_on_commit_callbacks
):
    seen: list[int] = []
    real = finding._set_progress
    monkeypatch.setattr(
        finding, "_set_progress", lambda job_id, p: (seen.append(p), real(job_id, p))
    )

    job = run_job(django_capture_on_commit_callbacks, tracer, [a_case])

    assert seen == sorted(seen) and 0 < seen[0] < 100
    assert job.progress == 100


def test_a_job_waits_in_the_queue_for_the_worker_and_runs_once(
    log, a_case, tracer, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = DUMMY
    job = run_job(django_capture_on_commit_callbacks, tracer, [a_case])
    assert (job.status, job.progress) == (JobStatus.QUEUED, 0)
    assert not Candidate.objects.filter(job=job).exists()

    finding.finding_job_run(job_id=job.pk)  # what the worker does
    finding.finding_job_run(job_id=job.pk)  # a second delivery of the same task

    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert Candidate.objects.filter(job=job).count() == 3


def test_a_failing_job_says_why_and_keeps_no_half_written_candidates(
    log, a_case, tracer, monkeypatch, django_capture_on_commit_callbacks
):

    def broken(cases, **kw):
        raise RuntimeError("check-in log unreadable")

    monkeypatch.setattr(finder, "candidates_for_cases", broken)

    job = run_job(django_capture_on_commit_callbacks, tracer, [a_case])

    assert job.status == JobStatus.FAILED
    assert "check-in log unreadable" in job.error
    assert not Candidate.objects.filter(job=job).exists()


def test_starting_a_job_is_audited(log, a_case, tracer, django_capture_on_commit_callbacks):
    job = run_job(django_capture_on_commit_callbacks, tracer, [a_case], padding_minutes=5)

    event = Event.objects.get(action="finding_job.created")
    assert (event.object_id, event.actor, event.to_value) == (str(job.pk), tracer, a_case.number)
    assert event.data["padding_minutes"] == 5


# Policy and scope ----------------------------------------------------------------------


def test_secondary_contacts_are_refused_under_the_20_measures(log, a_case, tracer):
    with pytest.raises(ValidationError) as exc:
        finding.finding_job_create(actor=tracer, cases=[a_case], include_secondary=True)

    assert "include_secondary" in exc.value.message_dict
    assert "secondary" in exc.value.message_dict["include_secondary"][0]
    assert not FindingJob.objects.exists()


def test_the_9th_edition_finds_contacts_of_close_contacts(
    log, a_case, tracer, ninth, django_capture_on_commit_callbacks
):
    job = run_job(django_capture_on_commit_callbacks, tracer, [a_case], include_secondary=True)

    assert found(job)["钱多多"] == ("secondary", 30)
    qian = Candidate.objects.get(job=job, person=log["qian"])
    assert qian.via_person.name == "李秀英"
    assert qian.venue == log["diner"]


def test_cases_outside_the_jurisdiction_are_refused(log, a_case, city):
    tracer_elsewhere = f.user("jianan_tracer", "task_force", city.jianan)

    with pytest.raises(ValidationError) as exc:
        finding.finding_job_create(actor=tracer_elsewhere, cases=[a_case])

    assert a_case.number in exc.value.message_dict["cases"][0]


def test_a_job_needs_a_case_and_a_sane_padding(a_case, tracer):
    with pytest.raises(ValidationError) as none:
        finding.finding_job_create(actor=tracer, cases=[])
    with pytest.raises(ValidationError) as padding:
        finding.finding_job_create(actor=tracer, cases=[a_case], padding_minutes=100_000)

    assert "cases" in none.value.message_dict
    assert "padding_minutes" in padding.value.message_dict


def test_roles_without_contact_finding_cannot_start_a_job(a_case, personas):
    from django.core.exceptions import PermissionDenied

    for role in ("grid", "street", "lab", "hospital"):
        with pytest.raises(PermissionDenied):
            finding.finding_job_create(actor=personas[role], cases=[a_case])


def test_candidates_living_elsewhere_are_listed_for_their_own_jurisdiction(
    log, a_case, tracer, personas, django_capture_on_commit_callbacks
):
    job = run_job(django_capture_on_commit_callbacks, tracer, [a_case])  # a 魏都区 tracer

    mine = finding.candidates_of_job(tracer, job)
    city_wide = finding.candidates_of_job(personas["command"], job)

    assert {c.person.name for c in mine} == {"李秀英", "王芳"}
    assert finding.candidate_figures(tracer, job)["elsewhere"] == 1
    assert {c.person.name for c in city_wide} == {"李秀英", "王芳", "赵强"}


# Decisions -----------------------------------------------------------------------------


@pytest.fixture
def done_job(log, a_case, tracer, django_capture_on_commit_callbacks):
    return run_job(django_capture_on_commit_callbacks, tracer, [a_case])


def cand(job, name):
    return Candidate.objects.get(job=job, person__name=name)


def test_confirmed_candidates_become_contacts_with_their_evidence(done_job, a_case, tracer, log):
    li = cand(done_job, "李秀英")

    result = finding.candidates_confirm(actor=tracer, job=done_job, candidate_ids=[li.pk])

    contact = Contact.objects.get(case=a_case, person=li.person)
    assert (contact.degree, contact.relation, contact.venue) == (
        Degree.CLOSE,
        ExposureRelation.VENUE,
        log["market"],
    )
    assert (contact.exposure_start, contact.exposure_end) == (at(8, 10, 30), at(8, 11))
    assert (contact.overlap_minutes, contact.last_exposure_on) == (30, dt.date(2022, 1, 8))
    assert (result.decided, result.contacts_added) == (1, 1)
    li.refresh_from_db()
    assert li.decision == CandidateDecision.CONFIRMED
    event = Event.objects.get(action="candidate.confirmed")
    assert (event.person_id, event.actor, event.data["overlap_minutes"]) == (
        li.person_id,
        tracer,
        30,
    )


def test_confirming_twice_adds_no_second_contact(done_job, a_case, tracer):
    li = cand(done_job, "李秀英")
    finding.candidates_confirm(actor=tracer, job=done_job, candidate_ids=[li.pk])

    again = finding.candidates_confirm(actor=tracer, job=done_job, candidate_ids=[li.pk])

    assert Contact.objects.filter(case=a_case, person=li.person).count() == 1
    assert (again.contacts_added, again.already_known) == (0, 1)


def test_a_candidate_already_known_as_a_contact_is_not_added_again(
    done_job, a_case, tracer, a_contact
):
    li = cand(done_job, "李秀英")  # a_contact: 李秀英 is already a household contact

    result = finding.candidates_confirm(actor=tracer, job=done_job, candidate_ids=[li.pk])

    assert (result.contacts_added, result.already_known) == (0, 1)
    assert Contact.objects.get(case=a_case, person=li.person).relation == ExposureRelation.HOUSEHOLD


def test_confirm_all_close_contacts_takes_every_pending_close_candidate_in_scope(
    done_job, a_case, tracer
):
    finding.candidates_dismiss(
        actor=tracer, job=done_job, candidate_ids=[cand(done_job, "王芳").pk]
    )

    result = finding.candidates_confirm(actor=tracer, job=done_job, all_close=True)

    names = set(Contact.objects.filter(case=a_case).values_list("person__name", flat=True))
    assert names == {"李秀英"}  # 赵强 lives in 建安区: left for the tracers there
    assert result.contacts_added == 1


def test_dismissed_candidates_are_recorded_and_audited(done_job, tracer):
    wang = cand(done_job, "王芳")

    result = finding.candidates_dismiss(
        actor=tracer, job=done_job, candidate_ids=[wang.pk], reason="passed by the door"
    )

    wang.refresh_from_db()
    assert (result.decided, wang.decision) == (1, CandidateDecision.DISMISSED)
    event = Event.objects.get(action="candidate.dismissed")
    assert (event.person_id, event.reason) == (wang.person_id, "passed by the door")
    assert not Contact.objects.exists()


def test_confirming_a_secondary_candidate_brings_their_close_contact_along(
    log, a_case, tracer, ninth, django_capture_on_commit_callbacks
):
    job = run_job(django_capture_on_commit_callbacks, tracer, [a_case], include_secondary=True)
    qian = cand(job, "钱多多")

    result = finding.candidates_confirm(actor=tracer, job=job, candidate_ids=[qian.pk])

    secondary = Contact.objects.get(case=a_case, person=log["qian"])
    assert secondary.degree == Degree.SECONDARY
    assert secondary.via.person.name == "李秀英"
    assert result.contacts_added == 2


def test_decisions_wait_for_the_job_to_finish(a_case, tracer, settings, log):
    settings.TASKS = DUMMY
    job = finding.finding_job_create(actor=tracer, cases=[a_case])

    with pytest.raises(ValidationError):
        finding.candidates_confirm(actor=tracer, job=job, all_close=True)


# Pages ---------------------------------------------------------------------------------


def test_the_finding_page_starts_a_job_and_shows_its_candidates(
    log, a_case, tracer, login, django_capture_on_commit_callbacks
):
    client = login(tracer)
    page = client.get(reverse("epi:finding"))
    assert page.status_code == 200 and a_case.number in page.text

    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(
            reverse("epi:finding"), {"cases": [a_case.pk], "padding_minutes": "0"}
        )

    job = FindingJob.objects.get()
    assert started.status_code == 302 and started["Location"].endswith(f"/finding/{job.pk}/")
    shown = client.get(started["Location"])
    assert "李秀英" in shown.text and "胖东来超市" in shown.text
    assert a_case.person.id_number not in shown.text  # masked


def test_a_candidate_who_is_already_a_case_is_flagged_on_the_page_and_in_the_api(
    log, a_case, people, tracer, login, django_capture_on_commit_callbacks
):
    """王芳 was at the supermarket with 张伟 and is a case herself (found the day before)."""
    hers = make_case(people["wang"], number="4110-2022-0007")
    job = run_job(django_capture_on_commit_callbacks, tracer, [a_case])
    client = login(tracer)
    page = client.get(reverse("epi:finding_job", args=[job.pk])).text
    rows = {row.split("</td>")[1]: row for row in page.split("<tr>")[2:]}
    wang = next(row for name, row in rows.items() if "王芳" in name)
    li = next(row for name, row in rows.items() if "李秀英" in name)
    assert "已是病例" in wang and hers.number in wang
    assert reverse("epi:case", args=[hers.pk]) in wang
    assert "已是病例" not in li and "data-known-case" not in li

    listed = client.get(f"/api/finding-jobs/{job.pk}/candidates?degree=close").json()["items"]
    flags = {c["person"]["name"]: c["already_case"] for c in listed}
    assert flags == {"李秀英": None, "王芳": {"id": hers.pk, "number": "4110-2022-0007"}}


def test_a_job_can_be_started_by_case_number(log, a_case, tracer, login):
    client = login(tracer)

    bad = client.post(reverse("epi:finding"), {"numbers": "NOPE-1", "padding_minutes": "0"})
    good = client.post(
        reverse("epi:finding"), {"numbers": f" {a_case.number}\n", "padding_minutes": "0"}
    )

    assert bad.status_code == 200 and "NOPE-1" in bad.text
    assert good.status_code == 302
    assert list(FindingJob.objects.get().cases.all()) == [a_case]


def test_the_page_refuses_secondary_contacts_under_the_20_measures(log, a_case, tracer, login):
    page = login(tracer).post(
        reverse("epi:finding"),
        {"cases": [a_case.pk], "padding_minutes": "0", "include_secondary": "on"},
    )

    assert page.status_code == 200
    assert "secondary" in page.text and not FindingJob.objects.exists()


def test_the_progress_bar_polls_while_running_and_reloads_when_done(done_job, tracer, login):
    client = login(tracer)
    url = reverse("epi:finding_job_progress", args=[done_job.pk])
    FindingJob.objects.filter(pk=done_job.pk).update(status=JobStatus.RUNNING, progress=40)

    running = client.get(url, HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 1s"' in running.text and 'value="40"' in running.text
    assert "HX-Refresh" not in running

    FindingJob.objects.filter(pk=done_job.pk).update(status=JobStatus.DONE, progress=100)
    finished = client.get(url, HTTP_HX_REQUEST="true")
    assert "every 1s" not in finished.text and finished["HX-Refresh"] == "true"


def test_the_job_page_confirms_and_dismisses_selected_candidates(done_job, a_case, tracer, login):
    client = login(tracer)
    url = reverse("epi:finding_job_decide", args=[done_job.pk])
    li, wang = cand(done_job, "李秀英"), cand(done_job, "王芳")

    client.post(url, {"action": "confirm", "candidate": [li.pk]})
    client.post(url, {"action": "dismiss", "candidate": [wang.pk]})
    client.post(url, {"action": "confirm_all_close"})

    assert set(Contact.objects.filter(case=a_case).values_list("person__name", flat=True)) == {
        "李秀英"
    }
    wang.refresh_from_db()
    assert wang.decision == CandidateDecision.DISMISSED


@pytest.mark.parametrize(
    ("role", "status"),
    [("command", 200), ("task_force", 200), ("lab", 403), ("grid", 403), ("outsider", 403)],
)
def test_who_may_use_the_finding_pages(done_job, personas, login, role, status):
    client = login(personas[role])

    assert client.get(reverse("epi:finding")).status_code == status
    assert client.get(reverse("epi:finding_job", args=[done_job.pk])).status_code == status


def test_a_tracer_elsewhere_cannot_see_or_decide_on_the_job(done_job, city, login):
    client = login(f.user("jianan_tracer", "task_force", city.jianan))

    listing = client.get(reverse("epi:finding"))
    assert listing.status_code == 200 and f"#{done_job.pk}" not in listing.text
    assert client.get(reverse("epi:finding_job", args=[done_job.pk])).status_code == 404
    assert client.get(reverse("epi:finding_job_progress", args=[done_job.pk])).status_code == 404
    decide = client.post(
        reverse("epi:finding_job_decide", args=[done_job.pk]), {"action": "confirm_all_close"}
    )
    assert decide.status_code == 404
    assert not Contact.objects.exists()


# API -----------------------------------------------------------------------------------


def api_post(client, path, data):
    return client.post(path, data, content_type="application/json")


def test_the_api_runs_a_job_and_decides_on_candidates(
    log, a_case, tracer, login, django_capture_on_commit_callbacks
):
    client = login(tracer)
    with django_capture_on_commit_callbacks(execute=True):
        created = api_post(client, "/api/finding-jobs", {"cases": [a_case.pk]})
    assert created.status_code == 201, created.text
    job_id = created.json()["id"]

    status = client.get(f"/api/finding-jobs/{job_id}").json()
    assert (status["status"], status["progress"]) == ("done", 100)
    assert status["cases"] == [{"id": a_case.pk, "number": a_case.number}]

    listed = client.get(f"/api/finding-jobs/{job_id}/candidates?degree=close").json()["items"]
    assert [c["person"]["name"] for c in listed] == ["李秀英", "王芳"]  # 赵强 lives in 建安区
    assert listed[0]["venue"]["code"] == "V-MARKET" and listed[0]["overlap_minutes"] == 30
    assert "*" in listed[0]["person"]["id_number"]

    li, wang = listed[0]["id"], listed[1]["id"]
    confirmed = api_post(client, f"/api/finding-jobs/{job_id}/confirm", {"candidates": [li]})
    assert confirmed.json() == {
        "decided": 1,
        "contacts_added": 1,
        "already_known": 0,
        "waiting": [],
    }
    dismissed = api_post(client, f"/api/finding-jobs/{job_id}/dismiss", {"candidates": [wang]})
    assert dismissed.json()["decided"] == 1
    all_close = api_post(client, f"/api/finding-jobs/{job_id}/confirm", {"all_close": True})
    assert all_close.json()["decided"] == 0  # nothing left pending within 魏都区

    pending = client.get(f"/api/finding-jobs/{job_id}/candidates?decision=pending").json()
    assert pending["items"] == []
    assert Contact.objects.filter(case=a_case).count() == 1


def test_the_api_refuses_secondary_contacts_under_the_20_measures(a_case, tracer, login):
    response = api_post(
        login(tracer), "/api/finding-jobs", {"cases": [a_case.pk], "include_secondary": True}
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "include_secondary"]


def test_the_api_names_a_case_outside_the_jurisdiction(a_case, city, login):
    client = login(f.user("jianan_tracer", "task_force", city.jianan))

    response = api_post(client, "/api/finding-jobs", {"cases": [a_case.pk]})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "cases"]


def test_the_api_scope_matrix(done_job, personas, city, login):
    job = f"/api/finding-jobs/{done_job.pk}"
    lab = login(personas["lab"])
    for path in ("/api/finding-jobs", job, f"{job}/candidates"):
        assert lab.get(path).status_code == 403
    assert api_post(lab, f"{job}/confirm", {"all_close": True}).status_code == 403

    elsewhere = login(f.user("jianan_tracer", "task_force", city.jianan))
    assert elsewhere.get("/api/finding-jobs").json()["items"] == []
    for path in (job, f"{job}/candidates"):
        assert elsewhere.get(path).status_code == 404
    assert api_post(elsewhere, f"{job}/confirm", {"all_close": True}).status_code == 404
    assert api_post(elsewhere, f"{job}/dismiss", {"candidates": [1]}).status_code == 404
    assert not Contact.objects.exists()


def test_many_cases_in_one_job(city, people, tracer, log, django_capture_on_commit_callbacks):
    unit = city.w[f.Level.UNIT]
    cases = [make_case(f.resident(unit, f"病例{i}")) for i in range(12)]
    for i, c in enumerate(cases):
        venue = f.venue(unit, f"V-{i}", f"商店{i}")
        visit(c.person, venue, at(7, 9), at(7, 10))
        visit(f.resident(unit, f"顾客{i}"), venue, at(7, 9, 30), at(7, 11))

    job = run_job(django_capture_on_commit_callbacks, tracer, cases)

    assert job.status == JobStatus.DONE
    assert Candidate.objects.filter(job=job).values("case").distinct().count() == 12
    assert Candidate.objects.filter(job=job, overlap_minutes=30).count() == 12


# Candidates living elsewhere: sent to their jurisdiction ----------------------------------


def test_candidates_living_elsewhere_are_sent_to_their_district_which_confirms(
    done_job, tracer, personas, login
):

    response = api_post(login(tracer), f"/api/finding-jobs/{done_job.pk}/refer", {})
    assert response.status_code == 200, response.content
    assert response.json() == {"referred": 1}
    assert "赵强" not in response.content.decode()
    again = api_post(login(tracer), f"/api/finding-jobs/{done_job.pk}/refer", {})
    assert again.json() == {"referred": 0}  # never sent twice
    request = ContactRequest.objects.get()
    assert request.person.name == "赵强" and request.status == RequestStatus.PENDING
    assert not Contact.objects.exists()

    client = login(personas["outsider"])  # street staff of 建安区, at district level
    listed = client.get("/api/contact-requests").json()["items"]
    assert [r["person"]["name"] for r in listed] == ["赵强"]
    assert (
        api_post(
            client, f"/api/contact-requests/{request.pk}/confirm", {"reason": "场所码核实"}
        ).json()["status"]
        == "confirmed"
    )
    contact = Contact.objects.get()
    assert contact.person.name == "赵强" and contact.relation == ExposureRelation.VENUE
    assert contact.overlap_minutes == 10
    candidate = Candidate.objects.get(person__name="赵强")
    assert candidate.decision == CandidateDecision.CONFIRMED
    assert Event.objects.filter(action="contact.added", person_id=contact.person_id).exists()


def test_the_job_page_offers_to_send_candidates_elsewhere(done_job, tracer, login):
    client = login(tracer)
    page = client.get(reverse("epi:finding_job", args=[done_job.pk])).content.decode()
    assert reverse("epi:finding_job_refer", args=[done_job.pk]) in page
    client.post(reverse("epi:finding_job_refer", args=[done_job.pk]))
    assert ContactRequest.objects.count() == 1
