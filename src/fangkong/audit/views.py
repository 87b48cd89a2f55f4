from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from fangkong.audit.models import ACTION_LABELS
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
        {
            "events": rows,
            "pager": pager,
            "action": action,
            # what each action is called, in the reader's language, in the order of its name
            "actions": sorted(((k, str(v)) for k, v in ACTION_LABELS.items()), key=lambda a: a[1]),
            "section": "audit",
        },
    )
