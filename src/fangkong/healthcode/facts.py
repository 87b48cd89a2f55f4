"""What is known about people, loaded from the sources' models (one query per fact table).

The facts are plain data (`rules.PersonFacts`); `rules.derive_from()` turns them into a colour.
"""

import datetime as dt
from collections.abc import Iterator

from django.db.models import Q

from fangkong.core.db import in_ids
from fangkong.epi.models import Case, Contact
from fangkong.healthcode.models import CodeOverride, CodeStatus
from fangkong.healthcode.rules import (
    INACTIVE_CASE,
    CaseFact,
    ContactFact,
    ControlFact,
    MeasureFact,
    OverrideFact,
    PersonFacts,
)
from fangkong.lab.models import ControlStatus, TemporaryControl
from fangkong.quarantine.models import (
    DueTestStatus,
    Measure,
    MeasurePhase,
    MeasureStatus,
    ScheduledTest,
)


def load_facts(person_ids: list[int], *, now: dt.datetime) -> dict[int, PersonFacts]:
    """The facts of these people: one query per fact table."""
    out: dict[int, PersonFacts] = {pid: PersonFacts() for pid in person_ids}
    cases = Case.objects.filter(person_id__in=in_ids(person_ids)).values_list(
        "person_id", "number", "kind", "status", "sampled_on", "reported_on"
    )
    for pid, number, kind, status, sampled, reported in cases:
        out[pid].cases.append(CaseFact(number, kind, status, sampled, reported))
    contacts = Contact.objects.filter(person_id__in=in_ids(person_ids)).values_list(
        "person_id",
        "case__number",
        "case__kind",
        "degree",
        "status",
        "relation",
        "venue__name",
        "last_exposure_on",
    )
    for pid, number, kind, degree, status, relation, venue, last in contacts:
        out[pid].contacts.append(
            ContactFact(number, kind, degree, status, relation, venue or "", last)
        )
    overrides = (
        CodeOverride.objects.filter(person_id__in=in_ids(person_ids), revoked_at__isnull=True)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=now))
        .order_by("-created_at", "-id")
        .values_list("person_id", "id", "colour", "reason", "basis", "created_at", "valid_until")
    )
    for pid, oid, colour, reason, basis, created, until in overrides:
        out[pid].overrides.append(OverrideFact(oid, colour, reason, basis, created, until))
    for pid, fact in _measure_facts(person_ids):
        out[pid].measures.append(fact)
    controls = TemporaryControl.objects.filter(
        person_id__in=in_ids(person_ids), status=ControlStatus.ACTIVE
    ).values_list("person_id", "source_tube__barcode", "since")
    for pid, tube, since in controls:
        out[pid].controls.append(ControlFact(tube, since))
    return out


def _measure_facts(person_ids: list[int]) -> Iterator[tuple[int, MeasureFact]]:
    """Active quarantine measures with their phases and missed tests (three queries)."""
    measures = list(
        Measure.objects.filter(
            person_id__in=in_ids(person_ids), status=MeasureStatus.ACTIVE
        ).values_list("id", "person_id", "category", "ends_on")
    )
    if not measures:
        return
    ids = [m[0] for m in measures]
    phases: dict[int, list[tuple[str, dt.date, dt.date]]] = {}
    for mid, kind, first, last in (
        MeasurePhase.objects.filter(measure_id__in=in_ids(ids))
        .order_by("measure_id", "order")
        .values_list("measure_id", "kind", "first_day", "last_day")
    ):
        phases.setdefault(mid, []).append((kind, first, last))
    missed: dict[int, list[dt.date]] = {}
    taken: dict[int, dt.date] = {}
    for mid, due, state in ScheduledTest.objects.filter(measure_id__in=in_ids(ids)).values_list(
        "measure_id", "due_on", "status"
    ):
        if state == DueTestStatus.MISSED:
            missed.setdefault(mid, []).append(due)
        elif state != DueTestStatus.DUE:
            taken[mid] = max(taken.get(mid, due), due)
    for mid, pid, category, ends_on in measures:
        last_taken = taken.get(mid)
        still = tuple(
            sorted(d for d in missed.get(mid, []) if last_taken is None or d > last_taken)
        )
        yield pid, MeasureFact(mid, category, tuple(phases.get(mid, [])), ends_on, still)


def people_with_facts() -> set[int]:
    """Everyone with any fact or stored status (whom a profile switch may recolour)."""
    ids = set(CodeStatus.objects.values_list("person_id", flat=True))
    ids |= set(Case.objects.exclude(status__in=INACTIVE_CASE).values_list("person_id", flat=True))
    ids |= set(Contact.objects.values_list("person_id", flat=True))
    ids |= set(
        Measure.objects.filter(status=MeasureStatus.ACTIVE).values_list("person_id", flat=True)
    )
    ids |= set(
        TemporaryControl.objects.filter(status=ControlStatus.ACTIVE).values_list(
            "person_id", flat=True
        )
    )
    ids |= set(
        CodeOverride.objects.filter(revoked_at__isnull=True).values_list("person_id", flat=True)
    )
    return ids
