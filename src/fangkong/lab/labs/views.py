"""Pages of the laboratories' registry: the list with the register form, a lab's page (its
details to edit, suspend or reopen, its staff and history)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.core.access import Cap, can, require
from fangkong.core.pages import apply_errors, flash, page_window
from fangkong.lab import selectors as lab_selectors
from fangkong.lab.labs import selectors, services
from fangkong.lab.labs.forms import LabForm, LabStaffForm, LabStatusForm
from fangkong.lab.models import Lab, TurnaroundClass
from fangkong.places.selectors import place_in_scope

SECTION = "labs"


def _details(user: Any, data: dict[str, Any]) -> dict[str, Any]:
    """The form's answers as the services take them (places looked up in the jurisdiction)."""
    place = place_in_scope(user, data["place"], "place")
    area = place_in_scope(user, data["area"], "area") if data["area"] else None
    return {
        "name": data["name"],
        "division": place,
        "area": area,
        "capacity_per_day": data["capacity_per_day"],
        "turnaround": data["turnaround"],
        "address": data["address"],
        "contact_name": data["contact_name"],
        "phone": data["phone"],
    }


def _decorate(labs: list[Lab], labels: dict[str, str]) -> None:
    """Today's tubes sent (one query) and the promised hours, on each lab of a page."""
    sent = lab_selectors.tubes_sent_on([lab.pk for lab in labs], timezone.localdate())
    for lab in labs:
        lab.sent_today = sent.get(lab.pk, 0)  # type: ignore[attr-defined]
        lab.turnaround_label = labels[lab.turnaround]  # type: ignore[attr-defined]


@login_required
def lab_list(request: HttpRequest) -> HttpResponse:
    """The labs the user may see; the register form for those who manage labs."""
    visible = selectors.registry_for(request.user)
    manage = can(request.user, Cap.LABS_MANAGE)
    labels = lab_selectors.turnaround_labels()
    form = None
    if manage:
        initial = {"turnaround": TurnaroundClass.ROUTINE}
        form = LabForm(request.POST or None, initial=initial, turnarounds=labels)
    if request.method == "POST":
        require(request.user, Cap.LABS_MANAGE)
        assert form is not None
        if form.is_valid():
            data = form.cleaned_data
            try:
                lab = services.lab_register(
                    actor=request.user, code=data["code"], **_details(request.user, data)
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Laboratory %(name)s registered.") % {"name": lab})
                return redirect("lab:lab", pk=lab.pk)
    rows, pager = page_window(request, visible)
    _decorate(rows, labels)
    return render(
        request,
        "lab/labs.html",
        {"rows": rows, "pager": pager, "form": form, "section": SECTION},
    )


@login_required
def lab_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A lab's details, load and history; those who manage labs edit it here."""
    writing = request.method == "POST"
    lab = lab_selectors.lab_for_user(
        request.user, pk, Cap.LABS_MANAGE if writing else Cap.LABS_VIEW
    )
    manage = can(request.user, Cap.LABS_MANAGE)
    initial = {
        "name": lab.name,
        "place": lab.division.code,
        "area": lab.area.code if lab.area else "",
        "capacity_per_day": lab.capacity_per_day,
        "turnaround": lab.turnaround,
        "address": lab.address,
        "contact_name": lab.contact_name,
        "phone": lab.phone,
    }
    labels = lab_selectors.turnaround_labels()
    form = None
    if manage:
        form = LabForm(request.POST or None, initial=initial, editing=True, turnarounds=labels)
    if writing:
        assert form is not None
        if form.is_valid():
            try:
                lab = services.lab_update(
                    actor=request.user,
                    lab=lab,
                    reason=form.cleaned_data["reason"],
                    **_details(request.user, form.cleaned_data),
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Laboratory %(name)s saved.") % {"name": lab.name})
                return redirect("lab:lab", pk=lab.pk)
    _decorate([lab], labels)
    staff = sorted(lab.staff.values_list("username", flat=True))
    return render(
        request,
        "lab/lab_detail.html",
        {
            "lab": lab,
            "staff": staff,
            "events": selectors.lab_history(lab),
            "form": form,
            "status_form": LabStatusForm(initial={"active": "0" if lab.active else "1"})
            if manage
            else None,
            "staff_form": LabStaffForm(initial={"usernames": ", ".join(staff)}) if manage else None,
            "section": SECTION,
        },
    )


@login_required
@require_POST
def lab_status(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, Cap.LABS_MANAGE)
    lab = lab_selectors.lab_for_user(request.user, pk, Cap.LABS_MANAGE)
    form = LabStatusForm(request.POST)
    if not form.is_valid():
        flash(request, form=form)
        return redirect("lab:lab", pk=pk)
    try:
        lab = services.lab_set_active(
            actor=request.user,
            lab=lab,
            active=form.cleaned_data["active"],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        flash(request, exc)
    else:
        message = _("%(name)s is in use.") if lab.active else _("%(name)s is suspended.")
        messages.success(request, message % {"name": lab.name})
    return redirect("lab:lab", pk=pk)


@login_required
@require_POST
def lab_staff(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, Cap.LABS_MANAGE)
    lab = lab_selectors.lab_for_user(request.user, pk, Cap.LABS_MANAGE)
    form = LabStaffForm(request.POST)
    if form.is_valid():
        try:
            added, removed = services.lab_staff_set(
                actor=request.user, lab=lab, usernames=form.cleaned_data["usernames"]
            )
        except ValidationError as exc:
            flash(request, exc)
        else:
            messages.success(
                request,
                _("Staff: %(added)s added, %(removed)s removed.")
                % {"added": added, "removed": removed},
            )
    return redirect("lab:lab", pk=pk)
