"""REST endpoints for measures, test days, daily checks, alerts, transfers and release (/api/).

Scoped like the pages: a measure (and its tests, checks and alerts) is visible when the person
lives in your jurisdiction or stays at a site in it; a site manager sees only the people at the
sites where they are on the staff.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from fangkong.core.access import Cap, require
from fangkong.core.apikit import ERRORS, Id, Limit, Offset, Page, SmallInt, found, paginate
from fangkong.core.dates import Day, Happened, PlanDay
from fangkong.core.errors import BulkErrors, field_error
from fangkong.epi.cases.selectors import case_for_user
from fangkong.people.schemas import resident_brief
from fangkong.quarantine.batches import BatchOut, batch_out
from fangkong.quarantine.measures import bulk, checks, release, selectors, services, transfers
from fangkong.quarantine.measures.schemas import (
    AlertHandleIn,
    AlertOut,
    CheckIn,
    CheckOut,
    ChecksSavedOut,
    DepartIn,
    FloorIn,
    FloorRowOut,
    HandOverIn,
    MeasureDetailOut,
    MeasureEndIn,
    MeasureOut,
    MeasuresEndIn,
    MeasureStartIn,
    ReasonRequiredIn,
    SampledIn,
    StaysOutIn,
    TestOut,
    TestTaskOut,
    TransferIn,
    TransferOut,
    alert_out,
    check_out,
    measure_out,
    test_out,
    transfer_out,
)
from fangkong.quarantine.models import (
    STAY_OPEN,
    AlertStatus,
    Category,
    Measure,
    MeasureStatus,
    PhaseKind,
    Site,
    Stay,
    TransferStatus,
)

router = Router(tags=["quarantine"])

PDF = "application/pdf"
PhaseQuery = Query(None, description="The phase the person is in today")
WhereQuery = Query("", pattern="^(|site|home)$", description="site or home")
DueQuery = Query(False, description="Due for release (from the site or at the end)")
MissedQuery = Query(False, description="Missed a test or a home check-in")
DayQuery = Query(None, description="Default today")
MissedTestsQuery = Query(False, description="Instead: tests of active measures not taken")
TransferStatusQuery = Query(None, description="Default: those under way")
ReleasedQuery = Query(
    None, description="When the person was released (valid time); now if left out"
)
LeftQuery = Query(None, description="When the person left the site (valid time); now if left out")


def _measure(user: Any, pk: int) -> Measure:
    return selectors.measure_for_user(user, pk)


def _detail(m: Measure) -> dict[str, Any]:
    today = timezone.localdate()
    stay = selectors.open_stay(m.person_id)
    out = measure_out(m, stay)
    now = m.phases.filter(first_day__lte=today, last_day__gte=today).first()
    out["phase_today"] = now.kind if now else None
    out["phases"] = list(m.phases.order_by("order").values("kind", "first_day", "last_day"))
    out["tests"] = [test_out(t) for t in m.tests.select_related("tube__result").order_by("due_on")]
    recent = m.checks.order_by("-day")[:30]
    out["checks"] = [check_out(c) for c in recent]
    return out


# Measures


@router.get("/quarantine/measures", response={200: Page[MeasureOut], **ERRORS}, summary="Measures")
def measure_list(
    request: HttpRequest,
    category: Category | None = None,
    phase: PhaseKind | None = PhaseQuery,
    where: str = WhereQuery,
    site: Id | None = None,
    due: bool = DueQuery,
    missed: bool = MissedQuery,
    status: MeasureStatus = MeasureStatus.ACTIVE,
    limit: int = Limit,
    offset: int = Offset,
) -> dict[str, Any]:
    """People under measures in your jurisdiction (site managers: at your sites), the schedule
    ending first."""
    qs = selectors.measure_search(
        request.user,
        today=timezone.localdate(),
        category=category.value if category else "",
        phase=phase.value if phase else "",
        where=where,
        site=site,
        due=due,
        missed=missed,
        status=status.value,
    ).select_related("person__division")
    page = paginate(qs, limit=limit, offset=offset)
    stays = {
        s.person_id: s
        for s in Stay.objects.filter(
            person_id__in=[m.person_id for m in page["items"]], status__in=STAY_OPEN
        ).select_related("site", "room")
    }
    page["items"] = [measure_out(m, stays.get(m.person_id)) for m in page["items"]]
    return page


@router.post(
    "/quarantine/measures", response={201: MeasureDetailOut, **ERRORS}, summary="Start a measure"
)
def measure_new(request: HttpRequest, payload: MeasureStartIn) -> Status[dict[str, Any]]:
    """Put a resident of your jurisdiction under the active profile's measure for `category`
    (community staff: home measures). 422 names the field: unknown ID number, already under a
    measure, a category the profile does not act on, a schedule already over."""
    measure = services.measure_start_home(
        actor=request.user,
        id_number=payload.id_number,
        category=payload.category.value,
        anchor_on=payload.anchor_on,
        note=payload.note,
        started_at=payload.started_at,
    )
    return Status(201, _detail(_measure(request.user, measure.pk)))


@router.post(
    "/quarantine/measures/end",
    response={200: BatchOut, 409: BatchOut, **ERRORS},
    summary="End many measures early",
)
def measures_end(request: HttpRequest, payload: MeasuresEndIn) -> Status[dict[str, Any]]:
    """End many active measures early with one reason, at `closed_at` (valid time, now if
    left out): the measures `ids`, or every active measure you see matching `filter` (the
    filters of `GET /api/quarantine/measures`, not only a page). People still at a site leave
    their rooms. All or nothing: a measure you do not see, one closed otherwise, or a time
    before a measure's start, its last status change or its person's check-in answers 409
    naming each id, and nothing changes. Measures already ended are `unchanged`, so sending
    the same request again changes nothing."""
    services.require_keeper(request.user)
    if (payload.ids is None) == (payload.filter is None):
        raise field_error("ids", _("Send either ids or filter"))
    selection = None
    if payload.filter is not None:
        f = payload.filter
        selection = selectors.measure_search(
            request.user,
            today=timezone.localdate(),
            category=f.category.value if f.category else "",
            phase=f.phase.value if f.phase else "",
            where=f.where,
            site=f.site,
            due=f.due,
            missed=f.missed,
            status=MeasureStatus.ACTIVE,
        )
    batch = bulk.measures_end(
        actor=request.user,
        ids=payload.ids,
        selection=selection,
        reason=payload.reason,
        closed_at=payload.closed_at,
    )
    return Status(409 if batch.refused else 200, batch_out(batch))


@router.get("/quarantine/measures/{int:measure_id}", response={200: MeasureDetailOut, **ERRORS})
def measure_detail(request: HttpRequest, measure_id: Id) -> dict[str, Any]:
    """A measure with its phases, test days (with results) and recent health checks."""
    return _detail(_measure(request.user, measure_id))


@router.post(
    "/quarantine/measures/{int:measure_id}/close",
    response={200: MeasureDetailOut, **ERRORS},
    summary="End a measure early",
)
def measure_close(request: HttpRequest, measure_id: Id, payload: MeasureEndIn) -> dict[str, Any]:
    """At `closed_at` (valid time, now if left out): not before the measure started, its
    last status change or the person's check-in (422 naming `closed_at`)."""
    services.require_keeper(request.user)
    measure = _measure(request.user, measure_id)
    services.measure_end_early(
        actor=request.user, measure=measure, reason=payload.reason, closed_at=payload.closed_at
    )
    return _detail(_measure(request.user, measure_id))


@router.post(
    "/quarantine/measures/{int:measure_id}/checkins",
    response={201: CheckOut, **ERRORS},
    summary="Record a home check-in",
)
def measure_checkin(
    request: HttpRequest, measure_id: Id, payload: CheckIn
) -> Status[dict[str, Any]]:
    """A day's temperature and symptoms for a person at home. Abnormal values raise an alert."""
    require(request.user, Cap.MEASURES_KEEP)
    measure = _measure(request.user, measure_id)
    entry = checks.CheckEntry(
        measure=measure,
        temperature=payload.temperature,
        symptoms=[s.value for s in payload.symptoms],
        symptom_other=payload.symptom_other,
        note=payload.note,
    )
    if entry.blank:
        raise field_error("temperature", _("Give the temperature"))
    try:
        checks.checks_record(actor=request.user, day=payload.day, entries=[entry])
    except BulkErrors as exc:
        raise ValidationError(exc.rows[0]) from None
    return Status(201, check_out(measure.checks.get(day=payload.day)))


@router.post(
    "/quarantine/measures/{int:measure_id}/release",
    response={200: MeasureDetailOut, **ERRORS},
    summary="Release at the end of the schedule",
)
def measure_release(
    request: HttpRequest, measure_id: Id, closed_at: Happened | None = ReleasedQuery
) -> dict[str, Any]:
    """Refused (422 on `measure`, with the reasons) before the last day, or when the profile
    needs negative tests and one is positive or pending, or the last was not taken. The answer
    has the certificate number and `certificate_url` (PDF). `closed_at`: when the person was
    released (valid time, now if left out)."""
    measure = _measure(request.user, measure_id)
    release.measure_release(actor=request.user, measure=measure, closed_at=closed_at)
    return _detail(_measure(request.user, measure_id))


@router.post(
    "/quarantine/measures/{int:measure_id}/site-release",
    response={200: MeasureDetailOut, **ERRORS},
    summary="Release from the site to the home phase",
)
def measure_site_release(
    request: HttpRequest, measure_id: Id, checked_out_at: Happened | None = LeftQuery
) -> dict[str, Any]:
    """The centralised phase is over: the stay ends, the room awaits disinfection and the
    measure goes on at home with the person's community. `checked_out_at`: when the person
    left (valid time, now if left out)."""
    measure = _measure(request.user, measure_id)
    release.measure_release_from_site(
        actor=request.user, measure=measure, checked_out_at=checked_out_at
    )
    return _detail(_measure(request.user, measure_id))


@router.get(
    "/quarantine/measures/{int:measure_id}/certificate.pdf",
    response={200: None, **ERRORS},
    summary="Release certificate (PDF)",
    openapi_extra={"responses": {200: {"description": "解除隔离告知书", "content": {PDF: {}}}}},
)
def measure_certificate(request: HttpRequest, measure_id: Id) -> HttpResponse:
    """The release certificate (解除隔离告知书) in Chinese, once the person is released."""
    measure = _measure(request.user, measure_id)
    try:
        pdf = release.certificate_pdf(measure)
    except ValidationError:
        raise Http404 from None
    response = HttpResponse(pdf, content_type=PDF)
    response["Content-Disposition"] = f'inline; filename="release-{measure.certificate_number}.pdf"'
    return response


@router.post(
    "/quarantine/sites/{int:site_id}/stays/check-out",
    response={200: BatchOut, 409: BatchOut, **ERRORS},
    summary="Many people leave a site for the home phase",
)
def stays_check_out(
    request: HttpRequest, site_id: Id, payload: StaysOutIn
) -> Status[dict[str, Any]]:
    """People whose centralised phase is over leave the site for the home phase of their
    schedule (as `POST /api/quarantine/measures/{id}/site-release` for one): the stays `ids`
    at this site, or everyone here due to leave (`all_due`), at `checked_out_at` (valid time,
    now if left out). All or nothing: a stay not at this site, a person the release rules keep
    here (phase not over, a test missing or positive), or a time before a check-in answers 409
    naming each id, and nothing changes. Stays already ended as released are `unchanged`."""
    site = _site(request.user, site_id)
    require(request.user, Cap.QUARANTINE_MANAGE)
    if (payload.ids is None) == (not payload.all_due):
        raise field_error("ids", _("Send either ids or all_due"))
    here = Stay.objects.filter(site=site)
    if payload.ids is None:
        here = selectors.due_home(request.user, site, timezone.localdate())
    batch = bulk.stays_leave(
        actor=request.user, ids=payload.ids, selection=here, at=payload.checked_out_at
    )
    return Status(409 if batch.refused else 200, batch_out(batch))


# Test days


@router.get("/quarantine/tests", response={200: list[TestTaskOut], **ERRORS}, summary="Test days")
def test_list(
    request: HttpRequest,
    day: PlanDay | None = DayQuery,
    missed: bool = MissedTestsQuery,
) -> list[dict[str, Any]]:
    """The day's sampling tasks, each with where it is done: the site of the person's open stay
    or their community (people at home)."""
    if missed:
        groups = selectors.missed_tests(request.user)
    else:
        groups = selectors.test_tasks(request.user, day or timezone.localdate())
    out = []
    for g in groups:
        place = {"kind": g.kind, "key": g.key, "name": g.name}
        for t in g.tests:
            row = test_out(t)
            row.update(measure_id=t.measure_id, person=resident_brief(t.person), place=place)
            out.append(row)
    return out


@router.post(
    "/quarantine/tests/{int:test_id}/sampled",
    response={200: TestOut, **ERRORS},
    summary="Record a test as sampled",
)
def test_sampled(request: HttpRequest, test_id: Id, payload: SampledIn) -> dict[str, Any]:
    """Link the tube holding the person's sample (its result then shows) or give just the time."""
    require(request.user, Cap.SAMPLING)
    test = selectors.test_for_user(request.user, test_id)
    services.test_mark_sampled(
        actor=request.user, test=test, barcode=payload.barcode, sampled_at=payload.sampled_at
    )
    return test_out(selectors.test_for_user(request.user, test_id))


# Daily checks


def _site(user: Any, pk: int) -> Site:
    site = selectors.sites_for_measures(user).filter(pk=pk).first()
    if site is None:
        raise Http404
    return site


@router.get(
    "/quarantine/checks/floor",
    response={200: list[FloorRowOut], **ERRORS},
    summary="A floor's people and their checks",
)
def floor_rows(
    request: HttpRequest, site: Id, floor: SmallInt, building: str = "", day: Day | None = None
) -> list[dict[str, Any]]:
    """The people in the rooms of one floor with the day's check, if recorded."""
    chosen = found("site", lambda: _site(request.user, site), in_query=True)
    rows = checks.floor_roster(chosen, building, floor, day or timezone.localdate())
    return [
        {
            "stay": r.stay.pk if r.stay else 0,
            "room": str(r.room),
            "person": resident_brief(r.person),
            "measure_id": r.measure.pk if r.measure else None,
            "check": check_out(r.check) if r.check else None,
        }
        for r in rows
    ]


@router.post(
    "/quarantine/checks/floor",
    response={200: ChecksSavedOut, **ERRORS},
    summary="Save a floor's checks at once",
)
def floor_save(request: HttpRequest, payload: FloorIn) -> Any:
    """All rows or none: any bad row answers 422 with `loc` ["body", "rows", row, field]. Rows
    with no temperature and no symptoms are skipped; abnormal rows raise alerts."""
    require(request.user, Cap.MEASURES_KEEP)
    chosen = found("site", lambda: _site(request.user, payload.site))
    roster = checks.floor_roster(chosen, payload.building, payload.floor, payload.day)
    rows = {r.stay.pk: r for r in roster if r.stay is not None}
    detail: list[dict[str, Any]] = []
    entries = []
    for index, item in enumerate(payload.rows):
        row = rows.get(item.stay)
        if row is None or row.measure is None:
            detail.append({"loc": ["body", "rows", index, "stay"], "msg": _not_on_floor()})
            continue
        entries.append(
            (
                index,
                checks.CheckEntry(
                    measure=row.measure,
                    stay=row.stay,
                    temperature=item.temperature,
                    symptoms=[s.value for s in item.symptoms],
                    symptom_other=item.symptom_other,
                    note=item.note,
                ),
            )
        )
    if detail:
        return Status(422, {"detail": detail})
    try:
        result = checks.checks_record(
            actor=request.user, day=payload.day, entries=[e for _i, e in entries]
        )
    except BulkErrors as exc:
        for position, errors in exc.rows.items():
            for name, messages in errors.items():
                loc = ["body", "rows", entries[position][0], name]
                detail.append({"loc": loc, "msg": " ".join(messages)})
        return Status(422, {"detail": detail})
    return {"saved": len(result.saved), "alerts": len(result.alerts)}


def _not_on_floor() -> str:
    return _("Nobody with an active measure is in a room of this floor under this stay")


# Alerts


@router.get("/quarantine/alerts", response={200: Page[AlertOut], **ERRORS}, summary="Alerts")
def alert_list(
    request: HttpRequest,
    status: AlertStatus | None = AlertStatus.OPEN,
    limit: int = Limit,
    offset: int = Offset,
) -> dict[str, Any]:
    """Abnormal health checks raised to the medical task force, newest first."""
    qs = checks.alerts_for_user(request.user, status=status.value if status else "")
    return paginate(qs.order_by("-raised_at", "-id"), limit=limit, offset=offset, convert=alert_out)


@router.post("/quarantine/alerts/{int:alert_id}/handle", response={200: AlertOut, **ERRORS})
def alert_handle(request: HttpRequest, alert_id: Id, payload: AlertHandleIn) -> dict[str, Any]:
    """Record what was done about an alert (the medical task force)."""
    require(request.user, Cap.QUARANTINE_MANAGE)
    alert = checks.alerts_for_user(request.user, status="").filter(pk=alert_id).first()
    if alert is None:
        raise Http404
    checks.alert_handle(actor=request.user, alert=alert, outcome=payload.outcome)
    return alert_out(checks.alerts_for_user(request.user, status="").get(pk=alert_id))


# Transfers


@router.get("/quarantine/transfers", response={200: Page[TransferOut], **ERRORS})
def transfer_list(
    request: HttpRequest,
    status: TransferStatus | None = TransferStatusQuery,
    limit: int = Limit,
    offset: int = Offset,
) -> dict[str, Any]:
    """Closed-loop transfers in your jurisdiction (site managers: from your sites)."""
    qs = transfers.transfers_for_user(request.user)
    qs = qs.filter(status=status.value) if status else qs.filter(status__in=transfers.OPEN_TRANSFER)
    return paginate(
        qs.select_related("person__division").order_by("-requested_at", "-id"),
        limit=limit,
        offset=offset,
        convert=transfer_out,
    )


@router.post(
    "/quarantine/transfers", response={201: TransferOut, **ERRORS}, summary="Request a transfer"
)
def transfer_new(request: HttpRequest, payload: TransferIn) -> Status[dict[str, Any]]:
    """A transfer task for a person who tested positive, from their `measure` or their `case`."""
    require(request.user, Cap.TRANSFERS_MANAGE)
    measure = case = None
    if payload.measure is not None:
        measure_id = payload.measure
        measure = found("measure", lambda: _measure(request.user, measure_id))
    if payload.case is not None:
        case_id = payload.case
        case = found("case", lambda: case_for_user(request.user, case_id))
    t = transfers.transfer_request(
        actor=request.user,
        measure=measure,
        case=case,
        destination_kind=payload.destination_kind.value,
        destination=payload.destination,
        vehicle=payload.vehicle,
        escort=payload.escort,
    )
    return Status(201, transfer_out(transfers.transfer_for_user(request.user, t.pk)))


def _step(request: HttpRequest, transfer_id: Id, step: Any, **kw: Any) -> dict[str, Any]:
    require(request.user, Cap.TRANSFERS_MANAGE)
    t = transfers.transfer_for_user(request.user, transfer_id)
    step(actor=request.user, transfer=t, **kw)
    return transfer_out(transfers.transfer_for_user(request.user, transfer_id))


@router.post(
    "/quarantine/transfers/{int:transfer_id}/depart", response={200: TransferOut, **ERRORS}
)
def transfer_depart(request: HttpRequest, transfer_id: Id, payload: DepartIn) -> dict[str, Any]:
    """The vehicle left: the stay ends, the room awaits disinfection, the measure closes as
    transferred and the person's open case records the transfer."""
    return _step(request, transfer_id, transfers.transfer_depart, departed_at=payload.departed_at)


@router.post(
    "/quarantine/transfers/{int:transfer_id}/hand-over", response={200: TransferOut, **ERRORS}
)
def transfer_hand_over(
    request: HttpRequest, transfer_id: Id, payload: HandOverIn
) -> dict[str, Any]:
    """The hospital received the person."""
    return _step(
        request,
        transfer_id,
        transfers.transfer_hand_over,
        received_by=payload.received_by,
        handed_over_at=payload.handed_over_at,
    )


@router.post(
    "/quarantine/transfers/{int:transfer_id}/cancel", response={200: TransferOut, **ERRORS}
)
def transfer_cancel(
    request: HttpRequest, transfer_id: Id, payload: ReasonRequiredIn
) -> dict[str, Any]:
    return _step(request, transfer_id, transfers.transfer_cancel, reason=payload.reason)
