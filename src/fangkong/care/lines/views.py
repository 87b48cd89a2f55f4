"""Pages of direct lines: the lines of the communities on the user's branch, grouped by
community, with the form the community's staff keep them with; a line's page to change or
remove it."""

from itertools import groupby
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.care.lines import selectors, services
from fangkong.care.lines.forms import LineForm
from fangkong.care.models import DirectLine
from fangkong.core.access import Cap, can, require
from fangkong.core.pages import apply_errors
from fangkong.places.selectors import place_in_scope

SECTION = "care_lines"


def _save(user: Any, data: dict[str, Any], line: DirectLine | None = None) -> DirectLine:
    return services.line_save(
        actor=user,
        community=place_in_scope(user, data["community"], "community"),
        kind=data["kind"],
        name=data["name"],
        phone=data["phone"],
        facility=data["facility"],
        note=data["note"],
        line=line,
    )


@login_required
def line_list(request: HttpRequest) -> HttpResponse:
    keeps = can(request.user, Cap.CARE_COMMUNITY)
    if request.method == "POST":
        require(request.user, Cap.CARE_COMMUNITY)
    form = LineForm(request.POST or None, user=request.user) if keeps else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            _save(request.user, form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Direct line saved."))
            return redirect("care:lines")
    lines = selectors.lines_for_user(request.user).order_by("division_key", "kind", "id")
    groups = [(community, list(rows)) for community, rows in groupby(lines, lambda r: r.community)]
    editable = (
        set(selectors.lines_editable_by(request.user).values_list("pk", flat=True))
        if keeps
        else set()
    )
    return render(
        request,
        "care/lines.html",
        {"groups": groups, "form": form, "editable": editable, "section": SECTION},
    )


@login_required
def line_edit(request: HttpRequest, pk: int) -> HttpResponse:
    line = selectors.line_for_user(request.user, pk)
    initial = {
        "community": line.community.code,
        "kind": line.kind,
        "name": line.name,
        "phone": line.phone,
        "facility": line.facility_id,
        "note": line.note,
    }
    form = LineForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            _save(request.user, form.cleaned_data, line)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Direct line saved."))
            return redirect("care:lines")
    return render(request, "care/line_edit.html", {"line": line, "form": form, "section": SECTION})


@login_required
@require_POST
def line_remove(request: HttpRequest, pk: int) -> HttpResponse:
    line = selectors.line_for_user(request.user, pk)
    services.line_remove(actor=request.user, line=line)
    messages.success(request, _("Direct line removed."))
    return redirect("care:lines")
