"""The routing table in force, in words. It is a section (`care`) of the policy profile: drafts,
versions, comparison and activation are the policy pages' (policy/)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from fangkong.care.routing import selectors
from fangkong.core.access import Cap, can

SECTION = "care_routing"


@login_required
def routing_table(request: HttpRequest) -> HttpResponse:
    policy, rows = selectors.table_for(request.user)
    return render(
        request,
        "care/routing.html",
        {
            "profile": policy.profile,
            "rows": rows,
            "can_edit": can(request.user, Cap.POLICY_MANAGE),
            "section": SECTION,
        },
    )
