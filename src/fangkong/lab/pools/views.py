"""Pages of retests: the single-tube tests owed by members of positive pools."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from fangkong.core.access import Cap, can
from fangkong.core.pages import page_window
from fangkong.lab.models import RetestStatus
from fangkong.lab.pools import selectors
from fangkong.people.display import place_label


@login_required
def retest_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", RetestStatus.PENDING)
    if status not in RetestStatus.values:
        status = ""
    rows, pager = page_window(request, selectors.retests_for_user(request.user, status))
    for r in rows:
        r.place = place_label(r.person.division)
    return render(
        request,
        "lab/retest_list.html",
        {
            "rows": rows,
            "pager": pager,
            "status": status,
            "statuses": RetestStatus.choices,
            "can_see_residents": can(request.user, Cap.RESIDENTS_VIEW),
            "can_sample": can(request.user, Cap.SAMPLING),
            "section": "rounds" if can(request.user, Cap.COVERAGE_VIEW) else "sampling",
        },
    )
