"""REST endpoints for the jurisdiction tree and venues (mounted under /api/)."""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from fangkong.core.access import Cap, in_scope, key_filter, require
from fangkong.core.apikit import ERRORS, Limit, Offset, Page, fields_renamed, found, paginate
from fangkong.places.models import Division, VenueKind
from fangkong.places.schemas import (
    PlaceCountOut,
    PlaceDetailOut,
    PlaceIn,
    PlaceOut,
    PlaceRenameIn,
    PlacesRootOut,
    VenueIn,
    VenueOut,
    place_count_out,
    place_out,
    venue_out,
)
from fangkong.places.selectors import (
    ancestors,
    children_with_counts,
    division_by_code_for_user,
    root_for_user,
    venues_for_user,
)
from fangkong.places.services import division_create, division_rename, venue_create

router = Router(tags=["places"])


def place_param(user: Any, code: str | None) -> Division | None:
    """The `?place=` filter: a division code within the caller's jurisdiction, or none."""
    if not code:
        return None
    return found("place", lambda: division_by_code_for_user(user, code), in_query=True)


def _children(node: Division) -> list[dict[str, Any]]:
    return [place_count_out(child, node.code) for child in children_with_counts(node)]


@router.get("/places", response={200: PlacesRootOut, **ERRORS}, summary="Your root place")
def places_root(request: HttpRequest) -> dict[str, Any]:
    """The root of your jurisdiction and its children, each with its resident count."""
    require(request.user, Cap.PLACES_VIEW)
    root = root_for_user(request.user)
    if root is None:
        return {"root": None, "children": []}
    parent_code = root.parent.code if root.parent_id and root.parent else None
    return {"root": place_out(root, parent_code), "children": _children(root)}


router.get("/places/", response={200: PlacesRootOut, **ERRORS}, include_in_schema=False)(
    places_root
)


@router.get("/places/{code}", response={200: PlaceDetailOut, **ERRORS}, summary="One place")
def place_detail(request: HttpRequest, code: str) -> dict[str, Any]:
    """A place with its chain of parents (root first) and its children with resident counts."""
    node = division_by_code_for_user(request.user, code)
    chain = ancestors(node)
    parents = [None, *(d.code for d in chain)]
    visible = [
        place_out(d, parents[i]) for i, d in enumerate(chain) if in_scope(request.user, d.key)
    ]
    return place_out(node, parents[-1]) | {"ancestors": visible, "children": _children(node)}


@router.get(
    "/places/{code}/children", response={200: list[PlaceCountOut], **ERRORS}, summary="Children"
)
def place_children(request: HttpRequest, code: str) -> list[dict[str, Any]]:
    return _children(division_by_code_for_user(request.user, code))


@router.post(
    "/places/{code}/children", response={201: PlaceOut, **ERRORS}, summary="Add a child place"
)
def place_add_child(request: HttpRequest, code: str, payload: PlaceIn) -> Status[dict[str, Any]]:
    """Add a subdivision (e.g. a building to a compound); its code extends the parent's."""
    require(request.user, Cap.PLACES_EDIT)
    parent = division_by_code_for_user(request.user, code)
    child = division_create(
        actor=request.user,
        parent=parent,
        name=payload.name,
        number=payload.number,
        reason=payload.reason,
    )
    return Status(201, place_out(child, parent.code))


@router.patch("/places/{code}", response={200: PlaceOut, **ERRORS}, summary="Rename a place")
def place_rename(request: HttpRequest, code: str, payload: PlaceRenameIn) -> dict[str, Any]:
    require(request.user, Cap.PLACES_EDIT)
    node = division_by_code_for_user(request.user, code)
    division_rename(actor=request.user, division=node, name=payload.name, reason=payload.reason)
    return place_out(node, node.parent.code if node.parent else None)


@router.get("/venues", response={200: Page[VenueOut], **ERRORS}, summary="Venues")
def venue_list(
    request: HttpRequest,
    place: str = "",
    kind: VenueKind | None = None,
    limit: int = Limit,
    offset: int = Offset,
) -> dict[str, Any]:
    """Venues within your jurisdiction, optionally within one place and of one kind."""
    qs = venues_for_user(request.user)
    within = place_param(request.user, place)
    if within is not None:
        qs = qs.filter(key_filter(within.key))
    if kind:
        qs = qs.filter(kind=kind)
    return paginate(qs.order_by("code"), limit=limit, offset=offset, convert=venue_out)


@router.post("/venues", response={201: VenueOut, **ERRORS}, summary="Create a venue")
def venue_new(request: HttpRequest, payload: VenueIn) -> Status[dict[str, Any]]:
    require(request.user, Cap.PLACES_EDIT)
    division = found("place", lambda: division_by_code_for_user(request.user, payload.place))
    with fields_renamed({"division": "place"}):
        venue = venue_create(
            actor=request.user,
            code=payload.code,
            name=payload.name,
            kind=payload.kind.value,
            division=division,
            address=payload.address,
            lat=payload.lat,
            lon=payload.lon,
            reason=payload.reason,
        )
    return Status(201, venue_out(venue))
