from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from fangkong.accounts.access import Cap, require
from fangkong.places import selectors


@login_required
def tree(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.PLACES_VIEW)
    root = selectors.root_for_user(request.user)
    if root is None:
        raise Http404
    return redirect("places:node", key=root.key)


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
            "section": "places",
        },
    )
