"""What a result means for people: pools, retests, temporary control and cases.

Called by the result ingest (inside its transaction) once tubes hold their new outcome:

- a negative tube closes the retests it answers, and a negative retest clears the temporary
  control it was owed for;
- a positive pooled tube puts every member under temporary control and owes each one a
  single-tube retest (the home-sampling list);
- a positive single tube (a retest tube too) opens an asymptomatic case through the cases
  module, unless the person already has an open case. Labs may not edit cases and the person
  may live anywhere, so the case is opened by the system account
  (`accounts.services.system_actor`); its event names the lab user and the upload it acted
  for (basis and data).

Every member of a positive tube gets a "tube.resulted" event in their history. Rows are
written column-wise (`copy_rows`) and audited in bulk (`events_record_bulk`).
"""

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.services import system_actor
from fangkong.audit.services import EventRow, actor_columns, events_record_bulk
from fangkong.core.bulk import copy_rows
from fangkong.core.db import in_ids
from fangkong.epi.cases.services import OPEN_CASE, case_register
from fangkong.epi.models import Case, Contact, ContactStatus
from fangkong.lab.models import (
    ControlStatus,
    Outcome,
    Purpose,
    ResultUpload,
    Retest,
    RetestStatus,
    TemporaryControl,
    Tube,
    TubeMember,
)

LOOKUP_BATCH = 1000
OPEN_RETEST = (RetestStatus.PENDING, RetestStatus.SAMPLED)

# How a positive single tube was found, from why it was taken (cases' FoundBy values).
FOUND_BY: dict[str, str] = {
    Purpose.ROUND: "community_screening",
    Purpose.RETEST: "community_screening",
    Purpose.ARRIVAL: "arrival_test",
    Purpose.RISK_POST: "risk_post",
    Purpose.FEVER_CLINIC: "fever_clinic",
    Purpose.OUTPATIENT: "fever_clinic",  # seen at a hospital, as fever-clinic patients are
    Purpose.VOLUNTARY: "self_report",  # the person came forward on their own
}


@dataclass
class PoolReport:
    positives: int = 0
    retests_created: int = 0
    controls_started: int = 0
    controls_cleared: int = 0
    retests_resolved: int = 0
    cases_opened: int = 0
    person_ids: list[int] = field(default_factory=list)


class _Events:
    """Audit rows in EVENT_FIELDS order, written together at the end."""

    def __init__(self, actor: Any, reason: str, basis: str = "") -> None:
        self.at = timezone.now()
        self.actor_id, self.actor_name = actor_columns(actor)
        self.reason = reason[:300]
        self.basis = basis[:300]
        self.rows: list[EventRow] = []

    def add(
        self,
        action: str,
        obj: tuple[str, int, str],
        *,
        person_id: int | None,
        key: str,
        field: str = "status",
        old: str = "",
        new: str = "",
        data: dict[str, Any] | None = None,
        at: dt.datetime | None = None,
    ) -> None:
        object_type, pk, label = obj
        self.rows.append(
            EventRow(
                at=at or self.at,
                actor=self.actor_id,
                actor_name=self.actor_name,
                action=action,
                object_type=object_type,
                object_id=str(pk),
                object_label=label[:200],
                person_id=person_id,
                division_key=key,
                field=field,
                from_value=old[:300],
                to_value=new[:300],
                reason=self.reason,
                basis=self.basis,
                data=json.dumps(data or {}),
            )
        )

    def write(self) -> None:
        if self.rows:
            events_record_bulk(self.rows)


def _label(choices: Any, value: str) -> str:
    return str(choices(value).label)


# Negative and positive retests -------------------------------------------------------------


def _answered_retests() -> list[tuple[Retest, Tube]]:
    """Open retests whose tube now has a result: linked ones, and single retest tubes of the
    same person collected after the retest was asked for."""
    found: list[tuple[Retest, Tube]] = []
    linked = Retest.objects.filter(status__in=OPEN_RETEST, tube__result__isnull=False)
    found.extend((r, r.tube) for r in linked.select_related("tube__result", "person") if r.tube)
    unlinked = list(
        Retest.objects.filter(status__in=OPEN_RETEST, tube__isnull=True).select_related("person")
    )
    if not unlinked:
        return found
    samples = (
        TubeMember.objects.filter(
            person_id__in={r.person_id for r in unlinked},
            tube__purpose=Purpose.RETEST,
            tube__capacity=1,
            tube__result__isnull=False,
        )
        .select_related("tube__result")
        .order_by("tube__collected_at")
    )
    tubes: dict[int, list[Tube]] = defaultdict(list)
    for sample in samples:
        tubes[sample.person_id].append(sample.tube)
    for retest in unlinked:
        later = [t for t in tubes.get(retest.person_id, []) if t.collected_at >= retest.created_at]
        if later:
            found.append((retest, later[0]))
    return found


def _resolve_retests(events: _Events, report: PoolReport) -> None:
    answered = _answered_retests()
    if not answered:
        return
    now = timezone.now()
    cleared: list[tuple[int, int]] = []  # (person, source tube)
    for retest, tube in answered:
        old = retest.status
        retest.tube = tube
        retest.status = (
            RetestStatus.NEGATIVE
            if tube.result.outcome == Outcome.NEGATIVE
            else RetestStatus.POSITIVE
        )
        events.add(
            "retest.resulted",
            ("lab.retest", retest.pk, str(retest.person)),
            person_id=retest.person_id,
            key=retest.division_key,
            old=_label(RetestStatus, old),
            new=_label(RetestStatus, retest.status),
            data={"tube": tube.barcode},
        )
        if retest.status == RetestStatus.NEGATIVE:
            cleared.append((retest.person_id, retest.source_tube_id))
    Retest.objects.bulk_update([r for r, _t in answered], ["tube", "status"])
    report.retests_resolved = len(answered)
    _clear_controls(cleared, now, events, report)


def _clear_controls(
    pairs: list[tuple[int, int]], now: dt.datetime, events: _Events, report: PoolReport
) -> None:
    if not pairs:
        return
    wanted = set(pairs)
    controls = [
        c
        for c in TemporaryControl.objects.filter(
            status=ControlStatus.ACTIVE, person_id__in={p for p, _s in pairs}
        ).select_related("person")
        if (c.person_id, c.source_tube_id) in wanted
    ]
    TemporaryControl.objects.filter(pk__in=[c.pk for c in controls]).update(
        status=ControlStatus.CLEARED, cleared_at=now
    )
    for control in controls:
        events.add(
            "control.cleared",
            ("lab.temporarycontrol", control.pk, str(control.person)),
            person_id=control.person_id,
            key=control.division_key,
            old=_label(ControlStatus, ControlStatus.ACTIVE),
            new=_label(ControlStatus, ControlStatus.CLEARED),
        )
        report.person_ids.append(control.person_id)
    report.controls_cleared = len(controls)


# Positive pools -----------------------------------------------------------------------------


def _positive_pools(pools: list[Tube], events: _Events, report: PoolReport) -> None:
    if not pools:
        return
    now = timezone.now()
    ids = [t.pk for t in pools]
    members = list(
        TubeMember.objects.filter(tube_id__in=ids).select_related("person").order_by("id")
    )
    controlled = set(
        TemporaryControl.objects.filter(
            source_tube_id__in=ids, status=ControlStatus.ACTIVE
        ).values_list("person_id", "source_tube_id")
    )
    owed = set(
        Retest.objects.filter(source_tube_id__in=ids).values_list("person_id", "source_tube_id")
    )
    new_controls = [m for m in members if (m.person_id, m.tube_id) not in controlled]
    new_retests = [m for m in members if (m.person_id, m.tube_id) not in owed]
    copy_rows(
        TemporaryControl,
        ("person", "source_tube", "status", "since", "division_key"),
        ((m.person_id, m.tube_id, ControlStatus.ACTIVE, now, m.division_key) for m in new_controls),
    )
    copy_rows(
        Retest,
        ("person", "source_tube", "status", "created_at", "division_key"),
        ((m.person_id, m.tube_id, RetestStatus.PENDING, now, m.division_key) for m in new_retests),
    )
    by_tube = {t.pk: t for t in pools}
    for tube in pools:
        count = sum(1 for m in members if m.tube_id == tube.pk)
        events.add(
            "pool.positive",
            ("lab.tube", tube.pk, tube.barcode),
            person_id=None,
            key=tube.division_key,
            field="outcome",
            new=_label(Outcome, Outcome.POSITIVE),
            data={"members": count},
        )
    _audit_created(TemporaryControl, "control.started", new_controls, by_tube, events)
    _audit_created(Retest, "retest.created", new_retests, by_tube, events)
    report.controls_started = len(new_controls)
    report.retests_created = len(new_retests)
    report.person_ids.extend(m.person_id for m in members)


def _audit_created(
    model: type[TemporaryControl] | type[Retest],
    action: str,
    members: list[TubeMember],
    tubes: dict[int, Tube],
    events: _Events,
) -> None:
    if not members:
        return
    rows = model.objects.filter(
        source_tube_id__in={m.tube_id for m in members},
        person_id__in={m.person_id for m in members},
    ).values_list("pk", "person_id", "source_tube_id", "status")
    pks = {(p, t): (pk, status) for pk, p, t, status in rows}
    choices: Any = ControlStatus if model is TemporaryControl else RetestStatus
    for m in members:
        pk, status = pks[(m.person_id, m.tube_id)]
        events.add(
            action,
            (model._meta.label_lower, pk, str(m.person)),
            person_id=m.person_id,
            key=m.division_key,
            new=_label(choices, status),
            data={"source_tube": tubes[m.tube_id].barcode},
        )


# Positive single tubes ----------------------------------------------------------------------


def _in_quarantine(person_ids: Iterable[int]) -> set[int]:
    active = (ContactStatus.IDENTIFIED, ContactStatus.LOCATED, ContactStatus.UNDER_CONTROL)
    people = set(person_ids)
    contacts = Contact.objects.filter(person_id__in=people, status__in=active)
    controls = TemporaryControl.objects.filter(person_id__in=people, status=ControlStatus.ACTIVE)
    return set(contacts.values_list("person_id", flat=True)) | set(
        controls.values_list("person_id", flat=True)
    )


@dataclass
class _Singles:
    """Positive single tubes and their people, with where each person was found."""

    tubes: dict[int, Tube]
    members: list[TubeMember]
    quarantined: set[int]


def _singles_found(singles: list[Tube]) -> _Singles:
    """Read before any control changes: were these people under control or traced?"""
    members = list(
        TubeMember.objects.filter(tube_id__in=[t.pk for t in singles])
        .select_related("person")
        .order_by("id")
    )
    quarantined = _in_quarantine(m.person_id for m in members) if members else set()
    return _Singles({t.pk: t for t in singles}, members, quarantined)


def _positive_singles(
    found: _Singles, actor: Any, upload: ResultUpload, report: PoolReport
) -> None:
    """Open a case for each positive single tube's person (the system account acting for the
    lab user who uploaded the result), registered when the tube was tested (valid time) and
    reported that day: a result uploaded late opens its case when it happened, not now."""
    if not found.members:
        return
    people = {m.person_id for m in found.members}
    open_cases = set(
        Case.objects.filter(person_id__in=people, status__in=OPEN_CASE).values_list(
            "person_id", flat=True
        )
    )
    system = system_actor()
    on_behalf_of = {"id": actor.pk, "username": actor.get_username(), "name": str(actor)}
    for member in found.members:
        if member.person_id in open_cases:
            continue
        tube = found.tubes[member.tube_id]
        ct_value = tube.result.ct_value
        ct = f", Ct {ct_value:g}" if ct_value is not None else ""
        case_register(
            actor=system,
            id_number=member.person.id_number,
            kind="asymptomatic",
            found_by=FOUND_BY.get(tube.purpose, "community_screening"),
            found_where="quarantine" if member.person_id in found.quarantined else "community",
            sampled_on=timezone.localdate(tube.collected_at),
            reported_on=timezone.localdate(tube.result.tested_at),
            registered_at=tube.result.tested_at,
            reason=_("Positive nucleic-acid test, tube %(barcode)s%(ct)s")
            % {"barcode": tube.barcode, "ct": ct},
            basis=_upload_basis(upload),
            data={
                "on_behalf_of": on_behalf_of,
                "upload": upload.pk,
                "lab": upload.lab.code,
                "tube": tube.barcode,
            },
        )
        open_cases.add(member.person_id)
        report.cases_opened += 1


# Entry point --------------------------------------------------------------------------------


def _upload_basis(upload: ResultUpload) -> str:
    return f"results upload #{upload.pk} sha256:{upload.sha256}"


def _positive_tubes(barcodes: list[str]) -> list[Tube]:
    tubes: list[Tube] = []
    for start in range(0, len(barcodes), LOOKUP_BATCH):
        chunk = barcodes[start : start + LOOKUP_BATCH]
        tubes.extend(Tube.objects.filter(barcode__in=chunk).select_related("result"))
    return sorted(tubes, key=lambda t: t.pk)


def _audit_positives(tubes: list[Tube], events: _Events) -> None:
    """A "tube.resulted" event for each member of a positive tube, in their history."""
    members = TubeMember.objects.filter(tube_id__in=in_ids(t.pk for t in tubes)).order_by("id")
    by_tube = {t.pk: t for t in tubes}
    positive = _label(Outcome, Outcome.POSITIVE)
    for member in members:
        tube = by_tube[member.tube_id]
        events.add(
            "tube.resulted",
            ("lab.tube", tube.pk, tube.barcode),
            person_id=member.person_id,
            key=member.division_key,
            field="outcome",
            new=positive,
            data={"ct": tube.result.ct_value},
            at=tube.result.tested_at,
        )


def tubes_resulted(
    *, actor: Any, upload: ResultUpload, positives: list[str], reason: str
) -> PoolReport:
    """Follow up an upload's new results: `positives` are the barcodes of its positive tubes
    (negatives need nothing but the retests they answer).

    Runs inside the caller's transaction; the caller tells the health-code engine about
    `report.person_ids` once it commits (cases tell it themselves).
    """
    report = PoolReport()
    events = _Events(actor, reason, _upload_basis(upload))
    tubes = _positive_tubes(positives)
    report.positives = len(tubes)
    _audit_positives(tubes, events)
    singles = _singles_found([t for t in tubes if t.capacity <= 1])
    _positive_pools([t for t in tubes if t.capacity > 1], events, report)
    _resolve_retests(events, report)
    events.write()
    _positive_singles(singles, actor, upload, report)
    report.person_ids = sorted(set(report.person_ids))
    return report
