from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from fangkong.audit.selectors import events_for_user
from fangkong.core.access import Cap, require
from fangkong.core.pages import page_window


@login_required
def events(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.AUDIT_VIEW)
    qs = events_for_user(request.user)
    action = request.GET.get("action", "").strip()
    if action:
        qs = qs.filter(action__startswith=action)
    rows, pager = page_window(request, qs)
    return render(
        request,
        "audit/events.html",
        {"events": rows, "pager": pager, "action": action, "section": "audit"},
    )
