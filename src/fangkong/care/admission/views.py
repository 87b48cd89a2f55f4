"""Pages of the hospital side: the SLA board (the medical task force's; a hospital sees its
patients there), confirming or refusing admission, and the first-diagnosis incidents."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.care.admission import selectors, services
from fangkong.care.admission.forms import BoardForm, RefuseForm, ResolveForm
from fangkong.care.facilities.selectors import facilities_for_user, is_facility_staff
from fangkong.care.requests.selectors import request_for_user, why
from fangkong.core.access import Cap, can
from fangkong.core.pages import apply_errors, page_window

SECTION = "care_board"


@login_required
def board(request: HttpRequest) -> HttpResponse:
    """Open and late requests, the clock that runs out first on top; filterable."""
    services.incidents_sweep()  # right even if the worker lags
    now = timezone.now()
    facilities = facilities_for_user(request.user).only("pk", "name").order_by("name")
    form = BoardForm(request.GET or None)
    form.fields["facility"].choices = [("", _("All")), *((x.pk, x.name) for x in facilities)]  # type: ignore[attr-defined]
    data = form.cleaned_data if form.is_valid() else {}
    filters = selectors.BoardFilters(
        type=data.get("type") or "",
        status=data.get("status") or "",
        late=bool(data.get("late")),
        facility=data.get("facility"),
    )
    rows, pager = page_window(request, selectors.board_for_user(request.user, now, filters))
    return render(
        request,
        "care/board.html",
        {
            "form": form,
            "rows": rows,
            "pager": pager,
            "now": now,
            "counts": selectors.board_counts(request.user, now),
            "section": SECTION,
        },
    )


@login_required
def admission(request: HttpRequest, pk: int) -> HttpResponse:
    """The facility confirms the patient is admitted, or records a refusal (an incident)."""
    item = request_for_user(request.user, pk)
    may = can(request.user, Cap.CARE_MANAGE) or is_facility_staff(request.user)
    form = RefuseForm(request.POST or None)
    if request.method == "POST" and may and form.is_valid():
        data = form.cleaned_data
        try:
            incident = services.admission_refuse(
                actor=request.user,
                request=item,
                reason=data["reason"],
                reason_text=data["reason_text"],
                happened_at=data["happened_at"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.warning(
                request,
                _("Refusal recorded as a first-diagnosis incident and escalated to the command "
                  "centre. The patient stays yours to admit."),
            )  # fmt: skip
            return redirect("care:incident", pk=incident.pk)
    return render(
        request,
        "care/admission.html",
        {
            "item": item,
            "why": why(item),
            "form": form if may and item.status == "routed" else None,
            "incidents": item.incidents.select_related("facility"),
            "section": SECTION,
        },
    )


@login_required
@require_POST
def admission_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    item = request_for_user(request.user, pk)
    try:
        services.admission_confirm(actor=request.user, request=item)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Admission confirmed."))
    return redirect("care:admission", pk=pk)


@login_required
def incidents(request: HttpRequest) -> HttpResponse:
    services.incidents_sweep()
    qs = selectors.incidents_for_user(request.user).select_related(
        "request", "request__person", "facility"
    )
    rows, pager = page_window(request, qs)
    return render(
        request, "care/incidents.html", {"rows": rows, "pager": pager, "section": SECTION}
    )


@login_required
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The incident, how it was resolved; the command centre resolves it here."""
    item = selectors.incident_for_user(request.user, pk)
    may = can(request.user, Cap.CARE_MANAGE) and item.resolved_at is None
    form = ResolveForm(request.POST or None) if may else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.incident_resolve(
                    actor=request.user,
                    incident=item,
                    resolution=data["resolution"],
                    basis=data["basis"],
                    happened_at=data["happened_at"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Incident resolved."))
                return redirect("care:incident", pk=pk)
    return render(
        request,
        "care/incident_detail.html",
        {
            "item": item,
            "form": form,
            "events": selectors.incident_history(item),
            "section": SECTION,
        },
    )
