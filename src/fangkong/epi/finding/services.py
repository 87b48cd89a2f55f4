"""Automatic contact finding as a background job, and a tracer's decisions on its candidates.

A job names cases; the worker (`run_finding_job`, below) asks the finder engine for people who
overlapped with them at a venue, writes the candidates with their evidence and reports its
progress. A tracer then confirms candidates (they become contacts through the contact
services, with an audited `candidate.confirmed`) or dismisses them.
"""

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.services import EventRow, actor_columns, event_record, events_record_bulk
from fangkong.core.access import Cap, in_scope, require, scoped
from fangkong.core.bulk import copy_rows
from fangkong.core.errors import field_error
from fangkong.epi.contacts.services import contacts_add_bulk
from fangkong.epi.finding import index as checkin_index
from fangkong.epi.models import (
    Candidate,
    CandidateDecision,
    Case,
    Contact,
    Degree,
    ExposureRelation,
    FindingJob,
    JobStatus,
)
from fangkong.people.models import Resident
from fangkong.policy.accessor import current

log = logging.getLogger(__name__)

MAX_PADDING_MINUTES = 24 * 60  # a tracer's tolerance for clock skew, not a policy rule
MAX_CASES_PER_JOB = 5000
CASE_BATCHES = 10  # the finder runs over the cases in this many steps, for the progress bar
WRITE_CHUNK = 5000
INDEX_SHARE = 10  # percent of the progress bar for reading the check-in log
FIND_SHARE = 50  # … up to here for finding; the rest for writing candidates

CANDIDATE_FIELDS = (
    "job",
    "case",
    "person",
    "degree",
    "via_person",
    "venue",
    "overlap_start",
    "overlap_end",
    "overlap_minutes",
    "decision",
    "division_key",
)


# Reads ---------------------------------------------------------------------------------


def finding_jobs_for_user(user: Any) -> QuerySet[FindingJob]:
    require(user, Cap.CONTACT_FINDING)
    return scoped(FindingJob.objects.all(), user)


def finding_job_for_user(user: Any, pk: int) -> FindingJob:
    try:
        return finding_jobs_for_user(user).get(pk=pk)
    except FindingJob.DoesNotExist:
        raise Http404 from None


def candidates_of_job(
    user: Any, job: FindingJob, *, decision: str = "", degree: str = ""
) -> QuerySet[Candidate]:
    """The job's candidates who live within the user's jurisdiction, best evidence first.

    Each carries `known_case_id` and `known_case_number`: the person's own case (the latest),
    when the person proposed as a contact is already a case (in the same query).
    """
    own = Case.objects.filter(person=OuterRef("person_id")).order_by("-reported_on", "-id")
    qs = scoped(Candidate.objects.filter(job=job), user).annotate(
        known_case_id=Subquery(own.values("pk")[:1]),
        known_case_number=Subquery(own.values("number")[:1]),
    )
    if decision:
        qs = qs.filter(decision=decision)
    if degree:
        qs = qs.filter(degree=degree)
    return qs


def candidate_figures(user: Any, job: FindingJob) -> dict[str, int]:
    """Counts by degree and decision (one query), and how many live outside the jurisdiction."""
    mine = scoped(Candidate.objects.filter(job=job), user)
    pending = Q(decision=CandidateDecision.PENDING)
    counts = mine.order_by().aggregate(
        total=Count("id"),
        close=Count("id", filter=Q(degree=Degree.CLOSE)),
        secondary=Count("id", filter=Q(degree=Degree.SECONDARY)),
        pending=Count("id", filter=pending),
        pending_close=Count("id", filter=pending & Q(degree=Degree.CLOSE)),
        confirmed=Count("id", filter=Q(decision=CandidateDecision.CONFIRMED)),
        dismissed=Count("id", filter=Q(decision=CandidateDecision.DISMISSED)),
    )
    counts["elsewhere"] = 0
    if job.status == JobStatus.DONE:
        counts["elsewhere"] = Candidate.objects.filter(job=job).count() - counts["total"]
    return counts


# Creating and running a job -------------------------------------------------------------


def _check_job_input(
    actor: Any, cases: Sequence[Case], padding_minutes: int, include_secondary: bool
) -> None:
    if not cases:
        raise field_error("cases", _("Choose at least one case"))
    if len(cases) > MAX_CASES_PER_JOB:
        raise field_error(
            "cases", _("At most %(n)s cases in one job") % {"n": f"{MAX_CASES_PER_JOB:,}"}
        )
    outside = [c.number for c in cases if not in_scope(actor, c.division_key)]
    if outside:
        raise field_error(
            "cases",
            _("Outside your jurisdiction: %(numbers)s") % {"numbers": ", ".join(outside[:5])},
        )
    if not 0 <= padding_minutes <= MAX_PADDING_MINUTES:
        raise field_error(
            "padding_minutes",
            _("Padding must be between 0 and %(max)s minutes") % {"max": MAX_PADDING_MINUTES},
        )
    if include_secondary:
        policy = current()
        if not policy.rules.contacts.secondary_contacts:
            raise field_error(
                "include_secondary",
                _(
                    "The active policy profile (%(name)s) does not identify secondary "
                    "contacts; find close contacts only"
                )
                % {"name": policy.profile.name},
            )


def finding_job_create(
    *, actor: Any, cases: Sequence[Case], padding_minutes: int = 0, include_secondary: bool = False
) -> FindingJob:
    """Queue contact finding for `cases`; the worker runs it after this transaction commits."""
    require(actor, Cap.CONTACT_FINDING)
    cases = list({c.pk: c for c in cases}.values())
    _check_job_input(actor, cases, padding_minutes, include_secondary)
    with transaction.atomic():
        job = FindingJob.objects.create(
            padding_minutes=padding_minutes,
            include_secondary=include_secondary,
            created_by=actor,
            division_key=_common_key([c.division_key for c in cases]),
        )
        job.cases.set(cases)
        event_record(
            actor=actor,
            action="finding_job.created",
            obj=job,
            to_value=", ".join(c.number for c in cases[:20]),
            data={
                "cases": [c.pk for c in cases],
                "padding_minutes": padding_minutes,
                "include_secondary": include_secondary,
            },
        )
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _common_key(keys: list[str]) -> str:
    """The smallest jurisdiction holding every case: the keys' shared beginning."""
    first, last = min(keys), max(keys)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]


def _enqueue(job_id: int) -> None:
    run_finding_job.enqueue(job_id)


def _set_progress(job_id: int, percent: int) -> None:
    FindingJob.objects.filter(pk=job_id).update(progress=max(0, min(100, percent)))


def _chunks[T](items: Iterable[T], size: int) -> Iterable[list[T]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def finding_job_run(*, job_id: int) -> FindingJob:
    """The worker's part: find, write candidates, report progress; a failure writes nothing."""
    claimed = FindingJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, progress=0
    )
    job = FindingJob.objects.get(pk=job_id)
    if not claimed:
        return job  # already run (or running) elsewhere: a job runs once
    try:
        rows = _find(job)
        _write_candidates(job, rows)
    except Exception as exc:
        log.exception("contact finding job %s failed", job_id)
        Candidate.objects.filter(job_id=job_id).delete()
        FindingJob.objects.filter(pk=job_id).update(
            status=JobStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
        )
    else:
        FindingJob.objects.filter(pk=job_id).update(
            status=JobStatus.DONE, progress=100, finished_at=timezone.now()
        )
    job.refresh_from_db()
    return job


def _find(job: FindingJob) -> list[dict[str, Any]]:
    cases = list(job.cases.select_related("person").order_by("id"))
    index = checkin_index.current_index()  # read the check-in log once for every batch
    _set_progress(job.pk, INDEX_SHARE)
    size = max(1, -(-len(cases) // CASE_BATCHES))
    batches = list(_chunks(cases, size))
    rows: list[dict[str, Any]] = []
    for done, batch in enumerate(batches, start=1):
        rows.extend(
            checkin_index.candidates_for_cases(
                batch,
                padding_minutes=job.padding_minutes,
                include_secondary=job.include_secondary,
                index=index,
            )
        )
        _set_progress(job.pk, INDEX_SHARE + (FIND_SHARE - INDEX_SHARE) * done // len(batches))
    return rows


def _write_candidates(job: FindingJob, rows: list[dict[str, Any]]) -> None:
    keys: dict[int, str] = {}
    person_ids = sorted({r["person_id"] for r in rows})
    for ids in _chunks(person_ids, WRITE_CHUNK):
        keys.update(Resident.objects.filter(pk__in=ids).values_list("id", "division_key"))
    total = max(1, len(rows))
    written = 0
    for chunk in _chunks(rows, WRITE_CHUNK):
        written += copy_rows(Candidate, CANDIDATE_FIELDS, _candidate_rows(job, chunk, keys))
        _set_progress(job.pk, FIND_SHARE + (100 - FIND_SHARE) * written // total - 1)


def _candidate_rows(
    job: FindingJob, rows: list[dict[str, Any]], keys: dict[int, str]
) -> Iterable[tuple[Any, ...]]:
    for r in rows:
        yield (
            job.pk,
            r["case_id"],
            r["person_id"],
            r["degree"],
            r.get("via_person_id"),
            r["venue_id"],
            r["overlap_start"],
            r["overlap_end"],
            int(r["overlap_minutes"]),
            CandidateDecision.PENDING,
            keys.get(r["person_id"], ""),
        )


# Deciding on candidates ----------------------------------------------------------------


@dataclass
class Decision:
    """What a confirm or dismiss did, for the message the tracer reads."""

    decided: int = 0  # candidates whose decision was recorded
    contacts_added: int = 0
    already_known: int = 0  # confirmed candidates who were already contacts of the case
    waiting: list[int] = field(default_factory=list)  # secondary: their close contact is missing


def _selected(actor: Any, job: FindingJob, candidate_ids: Iterable[int] | None) -> QuerySet:
    require(actor, Cap.CONTACT_FINDING)
    if not in_scope(actor, job.division_key):
        raise Http404
    if job.status != JobStatus.DONE:
        raise field_error("job", _("This job has not finished yet"))
    qs = scoped(Candidate.objects.filter(job=job), actor)
    if candidate_ids is not None:
        qs = qs.filter(pk__in=list(candidate_ids))
    return qs


def candidates_confirm(
    *,
    actor: Any,
    job: FindingJob,
    candidate_ids: Iterable[int] | None = None,
    all_close: bool = False,
    reason: str = "",
) -> Decision:
    """Make the chosen candidates contacts of their cases (or every pending close candidate).

    A secondary candidate brings the candidate who exposed them along; confirming a candidate
    who is already a contact of that case adds nothing and is reported as already known.
    """
    require(actor, Cap.CONTACTS_EDIT)
    if all_close:
        qs = _selected(actor, job, None).filter(
            degree=Degree.CLOSE, decision=CandidateDecision.PENDING
        )
    else:
        qs = _selected(actor, job, candidate_ids if candidate_ids is not None else [])
    chosen = list(qs.select_related("person", "venue", "case__person"))
    chosen = _with_via_candidates(actor, job, chosen)
    result = Decision()
    if not chosen:
        return result
    with transaction.atomic():
        by_case: dict[int, list[Candidate]] = {}
        for cand in chosen:
            by_case.setdefault(cand.case_id, []).append(cand)
        confirmed: list[Candidate] = []
        for group in by_case.values():
            confirmed.extend(_confirm_for_case(actor, group, result, reason))
        Candidate.objects.filter(pk__in=[c.pk for c in confirmed]).update(
            decision=CandidateDecision.CONFIRMED
        )
        events_record_bulk(_decision_events(actor, job, confirmed, "confirmed"))
        result.decided = len(confirmed)
    return result


def _with_via_candidates(actor: Any, job: FindingJob, chosen: list[Candidate]) -> list[Candidate]:
    """Add the close candidates through whom chosen secondary candidates were exposed."""
    have = {(c.case_id, c.person_id) for c in chosen if c.degree == Degree.CLOSE}
    wanted = {
        (c.case_id, c.via_person_id)
        for c in chosen
        if c.degree == Degree.SECONDARY and (c.case_id, c.via_person_id) not in have
    }
    if not wanted:
        return chosen
    extra = (
        scoped(Candidate.objects.filter(job=job, degree=Degree.CLOSE), actor)
        .filter(person_id__in={p for _c, p in wanted})
        .select_related("person", "venue", "case__person")
    )
    return [*chosen, *(c for c in extra if (c.case_id, c.person_id) in wanted)]


def _best_per_person(group: list[Candidate]) -> list[Candidate]:
    """One candidate per person for a case: close before secondary, then the longest overlap."""
    best: dict[int, Candidate] = {}
    for cand in group:
        rank = (cand.degree == Degree.CLOSE, cand.overlap_minutes)
        held = best.get(cand.person_id)
        if held is None or rank > (held.degree == Degree.CLOSE, held.overlap_minutes):
            best[cand.person_id] = cand
    return list(best.values())


def _confirm_for_case(
    actor: Any, group: list[Candidate], result: Decision, reason: str
) -> list[Candidate]:
    case = group[0].case
    known = dict(
        Contact.objects.filter(case=case, person_id__in={c.person_id for c in group}).values_list(
            "person_id", "degree"
        )
    )
    best = _best_per_person(group)
    close_people = {c.person_id for c in best if c.degree == Degree.CLOSE} | {
        p for p, d in known.items() if d == Degree.CLOSE
    }
    rows, via_numbers = [], _via_numbers(best)
    confirmed = []
    for cand in best:
        if cand.person_id in known:
            result.already_known += 1
            confirmed.append(cand)
        elif cand.degree == Degree.SECONDARY and cand.via_person_id not in close_people:
            result.waiting.append(cand.pk)
        else:
            rows.append(_contact_row(cand, via_numbers))
            confirmed.append(cand)
    if rows:
        batch = contacts_add_bulk(
            actor=actor, case=case, rows=rows, reason=reason or _("Confirmed from contact finding")
        )
        result.contacts_added += len(batch)
        result.already_known += len(batch.duplicates)
    chosen_ids = {c.pk for c in confirmed}
    confirmed_people = {c.person_id for c in confirmed}
    # Other rows naming a confirmed person (another venue, the other degree) are settled too.
    return confirmed + [
        c for c in group if c.pk not in chosen_ids and c.person_id in confirmed_people
    ]


def _via_numbers(best: list[Candidate]) -> dict[int, str]:
    via_ids = {c.via_person_id for c in best if c.degree == Degree.SECONDARY and c.via_person_id}
    if not via_ids:
        return {}
    return dict(Resident.objects.filter(pk__in=via_ids).values_list("id", "id_number"))


def _contact_row(cand: Candidate, via_numbers: dict[int, str]) -> dict[str, Any]:
    return {
        "id_number": cand.person.id_number,
        "degree": cand.degree,
        "relation": ExposureRelation.VENUE,
        "venue_code": cand.venue.code,
        "exposure_start": cand.overlap_start,
        "exposure_end": cand.overlap_end,
        "last_exposure_on": timezone.localdate(cand.overlap_end),
        "overlap_minutes": cand.overlap_minutes,
        "via_id_number": via_numbers.get(cand.via_person_id or 0, ""),
    }


def candidates_dismiss(
    *, actor: Any, job: FindingJob, candidate_ids: Iterable[int], reason: str = ""
) -> Decision:
    """Set aside candidates (e.g. passing through, protected); a contact made stays a contact."""
    require(actor, Cap.CONTACTS_EDIT)
    chosen = list(
        _selected(actor, job, candidate_ids)
        .filter(decision=CandidateDecision.PENDING)
        .select_related("person", "venue", "case")
    )
    with transaction.atomic():
        Candidate.objects.filter(pk__in=[c.pk for c in chosen]).update(
            decision=CandidateDecision.DISMISSED
        )
        events_record_bulk(_decision_events(actor, job, chosen, "dismissed", reason))
    return Decision(decided=len(chosen))


_DECIDED = {"confirmed": CandidateDecision.CONFIRMED, "dismissed": CandidateDecision.DISMISSED}


def _decision_events(
    actor: Any, job: FindingJob, candidates: list[Candidate], verb: str, reason: str = ""
) -> Iterable[EventRow]:
    """One event per candidate, so each person's history says where the decision came from."""
    now = timezone.now()
    user_id, actor_name = actor_columns(actor)
    for c in candidates:
        evidence = {
            "job": job.pk,
            "case": c.case.number,
            "degree": c.degree,
            "venue": c.venue.code,
            "overlap_start": c.overlap_start.isoformat(),
            "overlap_end": c.overlap_end.isoformat(),
            "overlap_minutes": c.overlap_minutes,
        }
        yield EventRow(
            at=now,
            actor=user_id,
            actor_name=actor_name,
            action=f"candidate.{verb}",
            object_type="epi.candidate",
            object_id=str(c.pk),
            object_label=f"{c.person.name} ← {c.case.number}"[:200],
            person_id=c.person_id,
            division_key=c.division_key,
            field="decision",
            from_value=str(CandidateDecision.PENDING.label),
            to_value=str(_DECIDED[verb].label),
            reason=reason,
            data=json.dumps(evidence, ensure_ascii=False),
        )


def job_refused(exc: ValidationError) -> str:
    """A job-creation refusal as one line for a page message."""
    return " ".join(str(m) for messages in exc.message_dict.values() for m in messages)


@task()
def run_finding_job(job_id: int) -> str:
    """Run one contact-finding job in the task worker (`fangkong db_worker`); its final status."""
    return str(finding_job_run(job_id=job_id).status)
