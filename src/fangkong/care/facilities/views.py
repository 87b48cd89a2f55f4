"""Pages of the medical facilities' registry: the list with the register form, a facility's
page (details to edit, suspend or put back in service, staff, history)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.care.facilities import selectors, services
from fangkong.care.facilities.forms import FacilityForm, FacilityStaffForm, FacilityStatusForm
from fangkong.care.models import Capability
from fangkong.core.access import Cap, can, require
from fangkong.core.pages import apply_errors, flash, page_window
from fangkong.places.selectors import place_in_scope

SECTION = "care_facilities"


def _details(user: Any, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": data["name"],
        "kind": data["kind"],
        "division": place_in_scope(user, data["place"], "place"),
        "address": data["address"],
        "phone": data["phone"],
        "capabilities": data["capabilities"],
    }


@login_required
def facility_list(request: HttpRequest) -> HttpResponse:
    """The facilities the user may see; the register form for the medical task force."""
    visible = selectors.registry_for(request.user)
    manage = can(request.user, Cap.CARE_MANAGE)
    form = FacilityForm(request.POST or None) if manage else None
    if request.method == "POST":
        require(request.user, Cap.CARE_MANAGE)
        assert form is not None
        if form.is_valid():
            data = form.cleaned_data
            try:
                facility = services.facility_register(
                    actor=request.user, code=data["code"], **_details(request.user, data)
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Facility %(name)s registered.") % {"name": facility})
                return redirect("care:facility", pk=facility.pk)
    rows, pager = page_window(request, visible)
    return render(
        request,
        "care/facilities.html",
        {"rows": rows, "pager": pager, "form": form, "section": SECTION},
    )


@login_required
def facility_detail(request: HttpRequest, pk: int) -> HttpResponse:
    writing = request.method == "POST"
    facility = selectors.facility_for_user(
        request.user, pk, Cap.CARE_MANAGE if writing else Cap.CARE_VIEW
    )
    manage = can(request.user, Cap.CARE_MANAGE)
    initial = {
        "name": facility.name,
        "kind": facility.kind,
        "place": facility.division.code,
        "address": facility.address,
        "phone": facility.phone,
        "capabilities": facility.capabilities,
    }
    form = FacilityForm(request.POST or None, initial=initial, editing=True) if manage else None
    if writing:
        assert form is not None
        if form.is_valid():
            try:
                facility = services.facility_update(
                    actor=request.user,
                    facility=facility,
                    reason=form.cleaned_data["reason"],
                    **_details(request.user, form.cleaned_data),
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Facility %(name)s saved.") % {"name": facility})
                return redirect("care:facility", pk=facility.pk)
    staff = sorted(facility.staff.values_list("username", flat=True))
    return render(
        request,
        "care/facility_detail.html",
        {
            "facility": facility,
            "staff": staff,
            "capability_labels": [Capability(c).label for c in facility.capabilities],
            "events": selectors.facility_history(facility),
            "form": form,
            "status_form": FacilityStatusForm(initial={"active": "0" if facility.active else "1"})
            if manage
            else None,
            "staff_form": FacilityStaffForm(initial={"usernames": ", ".join(staff)})
            if manage
            else None,
            "section": SECTION,
        },
    )


@login_required
@require_POST
def facility_status(request: HttpRequest, pk: int) -> HttpResponse:
    facility = selectors.facility_for_user(request.user, pk, Cap.CARE_MANAGE)
    form = FacilityStatusForm(request.POST)
    if not form.is_valid():
        flash(request, form=form)
        return redirect("care:facility", pk=pk)
    try:
        facility = services.facility_set_active(
            actor=request.user,
            facility=facility,
            active=form.cleaned_data["active"],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        flash(request, exc)
    else:
        message = _("%(name)s is in service.") if facility.active else _("%(name)s is suspended.")
        messages.success(request, message % {"name": facility.name})
    return redirect("care:facility", pk=pk)


@login_required
@require_POST
def facility_staff(request: HttpRequest, pk: int) -> HttpResponse:
    facility = selectors.facility_for_user(request.user, pk, Cap.CARE_MANAGE)
    form = FacilityStaffForm(request.POST)
    if form.is_valid():
        try:
            added, removed = services.facility_staff_set(
                actor=request.user, facility=facility, usernames=form.cleaned_data["usernames"]
            )
        except ValidationError as exc:
            flash(request, exc)
        else:
            messages.success(
                request,
                _("Staff: %(added)s added, %(removed)s removed.")
                % {"added": added, "removed": removed},
            )
    return redirect("care:facility", pk=pk)
