"""REST endpoints for rounds, sampling sites, tubes, custody and coverage (/api/)."""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from fangkong.core.access import Cap, require
from fangkong.core.apikit import (
    ERRORS,
    Id,
    Limit,
    Offset,
    Page,
    fields_renamed,
    not_found_message,
    paginate,
)
from fangkong.core.errors import field_error
from fangkong.lab import selectors as lab_selectors
from fangkong.lab.models import Purpose, RoundStatus, TubeFill, TubeStatus
from fangkong.lab.rounds import coverage, selectors, services
from fangkong.lab.rounds.schemas import (
    CloseRoundIn,
    CoverageOut,
    CustodyIn,
    CustodyOut,
    MemberIn,
    MissingOut,
    ReopenIn,
    RoundIn,
    RoundOut,
    SealIn,
    SiteIn,
    SiteOut,
    TubeIn,
    TubeOut,
    coverage_out,
    missing_out,
    round_out,
    site_out,
    tube_out,
)
from fangkong.places.selectors import place_in_scope
from fangkong.policy.accessor import current

router = Router(tags=["testing"])


# Rounds


@router.get("/rounds", response={200: Page[RoundOut], **ERRORS}, summary="Testing rounds")
def round_list(
    request: HttpRequest,
    status: RoundStatus | None = None,
    limit: int = Limit,
    offset: int = Offset,
) -> dict[str, Any]:
    """Rounds over your jurisdiction, its parts, or the area above it; newest first."""
    qs = selectors.rounds_for_user(request.user).prefetch_related("sites")
    if status:
        qs = qs.filter(status=status.value)
    return paginate(qs, limit=limit, offset=offset, convert=round_out)


@router.post("/rounds", response={201: RoundOut, **ERRORS}, summary="Start a round")
def round_new(request: HttpRequest, payload: RoundIn) -> Status[dict[str, Any]]:
    """Pool size, deadline and whether a reason is required come from the active policy."""
    require(request.user, Cap.ROUNDS_MANAGE)
    area = place_in_scope(request.user, payload.area, "area")
    sites = list(selectors.sites_for_user(request.user).filter(code__in=payload.sites))
    unknown = sorted(set(payload.sites) - {s.code for s in sites})
    if unknown:
        raise field_error("sites", not_found_message() + ": " + ", ".join(unknown))
    testing_round = services.round_start(
        actor=request.user,
        area=area,
        name=payload.name,
        reason=payload.reason,
        pool_size=payload.pool_size,
        starts_at=payload.starts_at,
        sites=sites,
    )
    return Status(201, round_out(testing_round))


@router.get("/rounds/{int:round_id}", response={200: RoundOut, **ERRORS})
def round_detail(request: HttpRequest, round_id: Id) -> dict[str, Any]:
    return round_out(selectors.round_for_user(request.user, round_id))


@router.post("/rounds/{int:round_id}/close", response={200: RoundOut, **ERRORS})
def round_close(request: HttpRequest, round_id: Id, payload: CloseRoundIn) -> dict[str, Any]:
    require(request.user, Cap.ROUNDS_MANAGE)
    testing_round = selectors.round_for_user(request.user, round_id)
    services.round_close(
        actor=request.user,
        round=testing_round,
        reason=payload.reason,
        closed_at=payload.closed_at,
    )
    return round_out(testing_round)


@router.get(
    "/rounds/{int:round_id}/coverage",
    response={200: CoverageOut, **ERRORS},
    summary="Round coverage",
)
def round_coverage(request: HttpRequest, round_id: Id, place: str = "") -> dict[str, Any]:
    """Target / sampled / resulted per child of `place` (key or code; default: your node)."""
    testing_round = selectors.round_for_user(request.user, round_id)
    cov = coverage.round_coverage(request.user, testing_round, place)
    targets = current().rules.testing.turnaround_hours
    turnaround = coverage.turnaround(testing_round.tubes.all(), targets)
    return coverage_out(cov, turnaround)


@router.get(
    "/rounds/{int:round_id}/missing",
    response={200: Page[MissingOut], **ERRORS},
    summary="Not yet sampled",
)
def round_missing(
    request: HttpRequest, round_id: Id, place: str = "", limit: int = Limit, offset: int = Offset
) -> dict[str, Any]:
    """Residents under `place` not yet sampled in the round (whom to call); phones masked."""
    testing_round = selectors.round_for_user(request.user, round_id)
    people = coverage.missing_people(request.user, testing_round, place)
    return paginate(people, limit=limit, offset=offset, convert=missing_out)


# Sites


@router.get("/sites", response={200: Page[SiteOut], **ERRORS}, summary="Sampling sites")
def site_list(request: HttpRequest, limit: int = Limit, offset: int = Offset) -> dict[str, Any]:
    qs = selectors.sites_for_user(request.user).order_by("code")
    return paginate(qs, limit=limit, offset=offset, convert=site_out)


@router.post("/sites", response={201: SiteOut, **ERRORS}, summary="Add a sampling site")
def site_new(request: HttpRequest, payload: SiteIn) -> Status[dict[str, Any]]:
    require(request.user, Cap.ROUNDS_MANAGE)
    place = place_in_scope(request.user, payload.place, "place")
    with fields_renamed({"division": "place"}):
        site = services.site_create(
            actor=request.user,
            code=payload.code,
            name=payload.name,
            division=place,
            address=payload.address,
        )
    return Status(201, site_out(site))


# Tubes and custody


@router.post("/tubes", response={201: TubeOut, **ERRORS}, summary="Open a tube")
def tube_open(request: HttpRequest, payload: TubeIn) -> Status[dict[str, Any]]:
    """Single (1) or pooled (the round's pool size; without a round the profile's default)."""
    require(request.user, Cap.SAMPLING)
    testing_round = None
    if payload.round is not None:
        testing_round = (
            selectors.open_rounds_for_sampling(request.user).filter(pk=payload.round).first()
        )
        if testing_round is None:
            raise field_error("round", not_found_message())
    site = None
    if payload.site:
        site = selectors.sites_for_user(request.user).filter(code=payload.site).first()
        if site is None:
            raise field_error("site", not_found_message())
    purpose = (
        payload.purpose.value
        if payload.purpose
        else (Purpose.ROUND if testing_round else Purpose.VOLUNTARY)
    )
    if payload.mode == "single":
        capacity = 1
    else:
        capacity = (
            testing_round.pool_size if testing_round else current().rules.testing.default_pool_size
        )
    tube = services.tube_open(
        actor=request.user,
        barcode=payload.barcode,
        round=testing_round,
        site=site,
        capacity=capacity,
        purpose=purpose,
        collected_at=payload.collected_at,
    )
    return Status(201, tube_out(tube, []))


@router.post("/tubes/{barcode}/members", response={200: TubeOut, **ERRORS}, summary="Add a person")
def tube_member_add(request: HttpRequest, barcode: str, payload: MemberIn) -> dict[str, Any]:
    """By ID number or resident QR (or the resident's id); refuses unknown people, repeats,
    full or sealed tubes, re-sampling. The person who fills the tube seals it. A person with a
    test of their quarantine measure due that day has taken it, with this tube."""
    require(request.user, Cap.SAMPLING)
    tube = selectors.tube_for_user(request.user, barcode)
    if payload.person_id is not None and not payload.person.strip():
        person = selectors.person_by_id_for_sampling(request.user, payload.person_id)
    else:
        person = selectors.person_for_sampling(request.user, payload.person)
    services.tube_add_member(
        actor=request.user, tube=tube, person=person, sampled_at=payload.sampled_at
    )
    tube.refresh_from_db()
    return tube_out(tube, selectors.tube_members(tube))


@router.post("/tubes/send", response={200: CustodyOut, **ERRORS}, summary="Send tubes to a lab")
def tubes_send(request: HttpRequest, payload: CustodyIn) -> dict[str, Any]:
    """Collected → sent, all or nothing; tubes out of order are listed in the error."""
    require(request.user, Cap.SAMPLING)
    lab = lab_selectors.labs().filter(code=payload.lab).first()
    if lab is None:
        raise field_error("lab", not_found_message())
    moved = services.tubes_send(actor=request.user, barcodes=payload.barcodes, lab=lab)
    return {"moved": moved, "status": TubeStatus.SENT}


@router.post("/tubes/receive", response={200: CustodyOut, **ERRORS}, summary="Receive at a lab")
def tubes_receive(request: HttpRequest, payload: CustodyIn) -> dict[str, Any]:
    """Sent → received at your lab, all or nothing."""
    require(request.user, Cap.RESULTS_UPLOAD)
    lab = lab_selectors.labs_for_user(request.user).filter(code=payload.lab).first()
    if lab is None:
        raise field_error("lab", not_found_message())
    moved = services.tubes_receive(actor=request.user, barcodes=payload.barcodes, lab=lab)
    return {"moved": moved, "status": TubeStatus.RECEIVED}


# Open tubes: listed, continued, sealed, reopened. Declared after /tubes/send and
# /tubes/receive, so that those paths are not read as barcodes.


@router.get("/tubes", response={200: Page[TubeOut], **ERRORS}, summary="Tubes")
def tube_list(
    request: HttpRequest,
    fill: TubeFill | None = None,
    site: str = "",
    mine: bool = False,
    limit: int = Limit,
    offset: int = Offset,
) -> dict[str, Any]:
    """Tubes in your reach, newest first. `fill=open`: the tubes still being filled at a site
    (open, not sent, no result), oldest first: what a sampler continues after logging in again
    on any phone. `site`: a sampling-site code; `mine`: only tubes you opened."""
    if fill == TubeFill.OPEN:
        qs = selectors.open_tubes_for_user(request.user)
    else:
        qs = selectors.tubes_for_user(request.user).order_by("-collected_at", "-id")
        if fill is not None:
            qs = qs.filter(fill=fill.value)
    if site:
        qs = qs.filter(site__code=site)
    if mine:
        qs = qs.filter(collected_by_id=request.user.pk)
    qs = qs.prefetch_related(selectors.members_prefetch())
    return paginate(
        qs, limit=limit, offset=offset, convert=lambda t: tube_out(t, t.members_in_order)
    )


@router.get("/tubes/{barcode}", response={200: TubeOut, **ERRORS}, summary="A tube")
def tube_detail(request: HttpRequest, barcode: str) -> dict[str, Any]:
    tube = selectors.tube_for_user(request.user, barcode)
    return tube_out(tube, selectors.tube_members(tube))


@router.post("/tubes/{barcode}/seal", response={200: TubeOut, **ERRORS}, summary="Seal a tube")
def tube_seal(request: HttpRequest, barcode: str, payload: SealIn) -> dict[str, Any]:
    """Close an open tube before it is full; a full tube seals itself, sending seals it."""
    require(request.user, Cap.SAMPLING)
    tube = selectors.tube_for_user(request.user, barcode)
    tube = services.tube_seal(actor=request.user, tube=tube, reason=payload.reason)
    return tube_out(tube, selectors.tube_members(tube))


@router.post(
    "/tubes/{barcode}/reopen", response={200: TubeOut, **ERRORS}, summary="Reopen a sealed tube"
)
def tube_reopen(request: HttpRequest, barcode: str, payload: ReopenIn) -> dict[str, Any]:
    """Add people to a sealed tube, up to its pool size, while it is still at its site; a tube
    sent to the lab or resulted is refused (field `barcode`). The reason is audited."""
    require(request.user, Cap.SAMPLING)
    tube = selectors.tube_for_user(request.user, barcode)
    tube = services.tube_reopen(actor=request.user, tube=tube, reason=payload.reason)
    return tube_out(tube, selectors.tube_members(tube))
