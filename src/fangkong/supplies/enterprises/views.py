"""Pages of the supply whitelist: the enterprises (register form), an enterprise's page (its
status, staff, vehicles and couriers: register, grant, suspend, revoke, issue passes)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.core.access import Cap, can, require
from fangkong.core.pages import apply_errors, flash, page_window
from fangkong.places.selectors import place_in_scope
from fangkong.supplies import selectors as app_selectors
from fangkong.supplies.enterprises import selectors, services
from fangkong.supplies.enterprises.forms import (
    CourierForm,
    EnterpriseForm,
    StaffForm,
    VehicleForm,
    WhitelistForm,
)
from fangkong.supplies.models import Courier, Enterprise, Vehicle

SECTION = "supplies"


@login_required
def enterprise_list(request: HttpRequest) -> HttpResponse:
    """The enterprises the user may see; the register form for the supply task force."""
    visible = selectors.registry_for(request.user)
    form = EnterpriseForm(request.POST or None) if can(request.user, Cap.SUPPLIES_MANAGE) else None
    if request.method == "POST":
        require(request.user, Cap.SUPPLIES_MANAGE)
        assert form is not None
        if form.is_valid():
            data = form.cleaned_data
            try:
                enterprise = services.enterprise_register(
                    actor=request.user,
                    kind=data["kind"],
                    name=data["name"],
                    credit_code=data["credit_code"],
                    division=place_in_scope(request.user, data["place"], "place"),
                    address=data["address"],
                    contact_name=data["contact_name"],
                    phone=data["phone"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(
                    request, _("Enterprise %(name)s registered.") % {"name": enterprise}
                )
                return redirect("supplies:enterprise", pk=enterprise.pk)
    rows, pager = page_window(request, visible)
    return render(
        request,
        "supplies/enterprises.html",
        {"rows": rows, "pager": pager, "form": form, "section": SECTION},
    )


def _keeper(user: Any) -> bool:
    return can(user, Cap.SUPPLIES_MANAGE) or can(user, Cap.SUPPLY_ENTERPRISE)


@login_required
def enterprise_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An enterprise: its status, staff, vehicles and couriers, and its history."""
    enterprise = app_selectors.enterprise_for_user(request.user, pk)
    manage = can(request.user, Cap.SUPPLIES_MANAGE)
    keep = _keeper(request.user)
    context = {
        "enterprise": enterprise,
        "couriers": selectors.couriers_of(request.user, enterprise),
        "vehicles": selectors.vehicles_of(request.user, enterprise),
        "history": selectors.history(enterprise),
        "manage": manage,
        "keep": keep,
        "status_form": WhitelistForm() if manage else None,
        "staff_form": StaffForm(
            initial={"staff": ", ".join(u.username for u in enterprise.staff.order_by("username"))}
        )
        if manage
        else None,
        "courier_form": CourierForm(prefix="courier") if keep else None,
        "vehicle_form": VehicleForm(prefix="vehicle") if keep else None,
        "section": SECTION,
    }
    return render(request, "supplies/enterprise_detail.html", context)


def _status(request: HttpRequest, obj: Enterprise | Courier | Vehicle) -> None:
    form = WhitelistForm(request.POST)
    if not form.is_valid():
        flash(request, form=form)
        return
    try:
        services.whitelist_set(actor=request.user, obj=obj, **form.cleaned_data)
    except ValidationError as exc:
        flash(request, exc)
    else:
        messages.success(request, _("Whitelist status saved."))


@login_required
@require_POST
def enterprise_status(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = app_selectors.enterprise_for_user(request.user, pk, Cap.SUPPLIES_MANAGE)
    _status(request, enterprise)
    return redirect("supplies:enterprise", pk=enterprise.pk)


@login_required
@require_POST
def courier_status(request: HttpRequest, pk: int) -> HttpResponse:
    courier = app_selectors.courier_for_user(request.user, pk, Cap.SUPPLIES_MANAGE)
    _status(request, courier)
    return redirect("supplies:courier", pk=courier.pk)


@login_required
@require_POST
def vehicle_status(request: HttpRequest, pk: int) -> HttpResponse:
    vehicle = app_selectors.vehicle_for_user(request.user, pk, Cap.SUPPLIES_MANAGE)
    _status(request, vehicle)
    return redirect("supplies:vehicle", pk=vehicle.pk)


@login_required
@require_POST
def enterprise_staff(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = app_selectors.enterprise_for_user(request.user, pk, Cap.SUPPLIES_MANAGE)
    form = StaffForm(request.POST)
    if form.is_valid():
        try:
            added, removed = services.enterprise_staff_set(
                actor=request.user,
                enterprise=enterprise,
                usernames=form.cleaned_data["staff"].replace("，", ",").split(","),
            )
        except ValidationError as exc:
            flash(request, exc)
        else:
            messages.success(
                request,
                _("Staff saved: %(added)s added, %(removed)s removed.")
                % {"added": added, "removed": removed},
            )
    else:
        flash(request, form=form)
    return redirect("supplies:enterprise", pk=enterprise.pk)


def _keeper_cap(user: Any) -> Cap:
    return Cap.SUPPLIES_MANAGE if can(user, Cap.SUPPLIES_MANAGE) else Cap.SUPPLY_ENTERPRISE


@login_required
@require_POST
def vehicle_add(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = app_selectors.enterprise_for_user(request.user, pk, _keeper_cap(request.user))
    form = VehicleForm(request.POST, prefix="vehicle")
    if form.is_valid():
        try:
            vehicle = services.vehicle_register(
                actor=request.user,
                enterprise=enterprise,
                plate=form.cleaned_data["plate"],
                area=place_in_scope(request.user, form.cleaned_data["area"], "area"),
            )
        except ValidationError as exc:
            flash(request, exc)
        else:
            messages.success(request, _("Vehicle %(plate)s registered.") % {"plate": vehicle})
    else:
        flash(request, form=form)
    return redirect("supplies:enterprise", pk=enterprise.pk)


@login_required
@require_POST
def courier_add(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = app_selectors.enterprise_for_user(request.user, pk, _keeper_cap(request.user))
    form = CourierForm(request.POST, prefix="courier")
    if form.is_valid():
        data = form.cleaned_data
        try:
            home = (
                place_in_scope(request.user, data["home_place"], "home_place")
                if data["home_place"]
                else None
            )
            courier = services.courier_register(
                actor=request.user,
                enterprise=enterprise,
                id_number=data["id_number"],
                name=data["name"],
                phone=data["phone"],
                area=place_in_scope(request.user, data["area"], "area"),
                home_address=data["home_address"],
                home_place=home,
            )
        except ValidationError as exc:
            flash(request, exc)
        else:
            messages.success(request, _("Courier %(name)s registered.") % {"name": courier})
            return redirect("supplies:courier", pk=courier.pk)
    else:
        flash(request, form=form)
    return redirect("supplies:enterprise", pk=enterprise.pk)


@login_required
def courier_detail(request: HttpRequest, pk: int) -> HttpResponse:
    courier = app_selectors.courier_for_user(request.user, pk)
    return render(
        request,
        "supplies/holder_detail.html",
        {
            "holder": courier,
            "courier": courier,
            "passes": courier.passes.order_by("-issued_at")[:20],
            "history": selectors.history(courier),
            "status_form": WhitelistForm() if can(request.user, Cap.SUPPLIES_MANAGE) else None,
            "keep": _keeper(request.user),
            "section": SECTION,
        },
    )


@login_required
def vehicle_detail(request: HttpRequest, pk: int) -> HttpResponse:
    vehicle = app_selectors.vehicle_for_user(request.user, pk)
    return render(
        request,
        "supplies/holder_detail.html",
        {
            "holder": vehicle,
            "vehicle": vehicle,
            "passes": vehicle.passes.order_by("-issued_at")[:20],
            "history": selectors.history(vehicle),
            "status_form": WhitelistForm() if can(request.user, Cap.SUPPLIES_MANAGE) else None,
            "keep": _keeper(request.user),
            "section": SECTION,
        },
    )
