from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.core.access import Cap, can, require
from fangkong.places import maps, selectors
from fangkong.places.models import Level
from fangkong.places.services import division_create, division_rename


@login_required
def tree(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.PLACES_VIEW)
    root = selectors.root_for_user(request.user)
    if root is None:
        raise Http404
    return redirect("places:node", key=root.key)


@login_required
def base_map(request: HttpRequest) -> JsonResponse:
    """GeoJSON of the caller's places to draw under a map at `zoom` inside `bbox`."""
    require(request.user, Cap.PLACES_VIEW)
    try:
        zoom = int(request.GET.get("zoom", "0"))
    except ValueError:
        zoom = 0
    box = maps.parse_box(request.GET.get("bbox", ""))
    return JsonResponse(maps.base_layer(request.user, zoom=zoom, box=box))


@login_required
def node(request: HttpRequest, key: str) -> HttpResponse:
    division = selectors.division_for_user(request.user, key)
    children = selectors.children_with_counts(division)
    venues = list(selectors.venues_for_user(request.user).filter(division_key=division.key)[:100])
    return render(
        request,
        "places/node.html",
        {
            "node": division,
            "ancestors": selectors.visible_ancestors(request.user, division),
            "children": children,
            "total": sum(c.resident_count for c in children),  # type: ignore[attr-defined]
            "venues": venues,
            "child_level": Level(division.level + 1).label if division.level < Level.UNIT else None,
            "can_edit": can(request.user, Cap.PLACES_EDIT),
            "section": "places",
        },
    )


def _report(request: HttpRequest, exc: ValidationError) -> None:
    for msg in exc.messages:
        messages.error(request, msg)


@login_required
@require_POST
def add_child(request: HttpRequest, key: str) -> HttpResponse:
    parent = selectors.division_for_user(request.user, key)
    number = request.POST.get("number", "").strip()
    try:
        child = division_create(
            actor=request.user,
            parent=parent,
            name=request.POST.get("name", ""),
            number=int(number) if number.isdigit() else None,
        )
    except ValidationError as exc:
        _report(request, exc)
    else:
        messages.success(request, _("Added %(name)s.") % {"name": child.name})
    return redirect("places:node", key=parent.key)


@login_required
@require_POST
def rename(request: HttpRequest, key: str) -> HttpResponse:
    division = selectors.division_for_user(request.user, key)
    try:
        division_rename(
            actor=request.user,
            division=division,
            name=request.POST.get("name", ""),
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        _report(request, exc)
    return redirect("places:node", key=division.key)
