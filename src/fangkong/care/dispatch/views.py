"""Pages of the 120 side: the queue, a dispatch (its steps), the 110 hand-over, the vehicles."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from fangkong.care.dispatch import selectors, services
from fangkong.care.dispatch.forms import StepForm, TransferForm, VehicleForm
from fangkong.care.dispatch.models import Stage, Vehicle
from fangkong.care.requests.selectors import why
from fangkong.care.requests.services import person_in_scope
from fangkong.core.pages import apply_errors, page_window

SECTION = "care_dispatch"
NEXT_STEP = {
    Stage.QUEUED: "assign",
    Stage.ASSIGNED: "pick_up",
    Stage.PICKED_UP: "arrive",
    Stage.ARRIVED: "hand_over",
}


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """The 120 queue: open requests by 120 not yet handed over, most urgent first."""
    done = request.GET.get("show") == "done"
    rows, pager = page_window(request, selectors.queue_for_user(request.user, done=done))
    return render(
        request,
        "care/dispatch_queue.html",
        {"rows": rows, "pager": pager, "done": done, "section": SECTION},
    )


@login_required
def dispatch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.queued_request(request.user, pk)
    dispatch = getattr(item, "dispatch", None)
    stage = dispatch.stage if dispatch else Stage.QUEUED
    vehicles = selectors.vehicles_for_user(request.user).filter(active=True)
    form = StepForm(request.POST or None, vehicles=vehicles, next_step=NEXT_STEP.get(stage, ""))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            vehicle = (
                services.vehicle_of(request.user, data["vehicle"]) if data["vehicle"] else None
            )
            services.dispatch_step(
                actor=request.user,
                request=item,
                step=data["step"],
                vehicle=vehicle,
                happened_at=data["happened_at"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Step saved."))
            return redirect("care:dispatch", pk=pk)
    return render(
        request,
        "care/dispatch_detail.html",
        {
            "item": item,
            "dispatch": dispatch,
            "why": why(item),
            "form": form
            if stage in NEXT_STEP and item.status in ("requested", "routed", "accepted")
            else None,
            "section": SECTION,
        },
    )


@login_required
def transfer_110(request: HttpRequest) -> HttpResponse:
    """An emergency handed over by 110, with its reference number: into the 120 queue."""
    selectors.queue_for_user(request.user)  # the capability check
    form = TransferForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = person_in_scope(request.user, data["id_number"])
            made = services.transfer_from_110(
                actor=request.user,
                person=person,
                ref_110=data["ref_110"],
                description=data["description"],
                contact_phone=data["contact_phone"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Taken over from 110 and queued for 120."))
            return redirect("care:dispatch", pk=made.pk)
    return render(request, "care/dispatch_110.html", {"form": form, "section": SECTION})


@login_required
def vehicles(request: HttpRequest) -> HttpResponse:
    centres = list(selectors.centres_for_user(request.user))
    form = VehicleForm(request.POST or None, centres=centres)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        centre = next(c for c in centres if str(c.pk) == str(data["centre"]))
        try:
            services.vehicle_register(
                actor=request.user, centre=centre, plate=data["plate"], call_sign=data["call_sign"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Vehicle registered."))
            return redirect("care:vehicles")
    rows: list[Vehicle] = list(selectors.vehicles_for_user(request.user))
    return render(
        request,
        "care/dispatch_vehicles.html",
        {"rows": rows, "form": form if centres else None, "section": SECTION},
    )
