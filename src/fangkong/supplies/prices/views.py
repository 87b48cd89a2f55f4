"""Pages of price monitoring: the board (lights by area × item, trend charts), a day's report
(phone form) and a file of reports, the reporting stores, the alerts (tasks of the supply
task force) and the catalogue."""

import datetime as dt
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
from fangkong.core.dates import date_problem
from fangkong.core.pages import apply_errors, flash, page_window
from fangkong.core.uploads import uploaded_path
from fangkong.places.selectors import place_in_scope
from fangkong.supplies import selectors as app_selectors
from fangkong.supplies.prices import reports_import, selectors, services
from fangkong.supplies.prices.forms import (
    AlertStatusForm,
    NecessityForm,
    ReportForm,
    ReportsFileForm,
    StoreForm,
)
from fangkong.supplies.prices.models import ReportSource

SECTION = "prices"


def _reporter_cap(user: Any) -> Cap | None:
    if can(user, Cap.SUPPLIES_MANAGE):
        return Cap.SUPPLIES_MANAGE
    if can(user, Cap.SUPPLY_ENTERPRISE):
        return Cap.SUPPLY_ENTERPRISE
    return None


def _day(request: HttpRequest) -> dt.date:
    try:
        day = dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return timezone.localdate()
    return timezone.localdate() if date_problem(day) else day


def _chart(board: selectors.Board) -> dict[str, Any]:
    """What the trend chart draws: per area, a series per item (mean price by day)."""
    names = {i.pk: i.label() for i in board.items}
    areas = []
    for key, division in sorted(board.areas.items()):
        series = [
            {"item": names.get(item, ""), "points": [[d.isoformat(), p] for d, p in points]}
            for (area, item), points in sorted(board.trend.items())
            if area == key
        ]
        areas.append({"key": key, "name": division.name, "series": series})
    return {"areas": areas}


@login_required
def board(request: HttpRequest) -> HttpResponse:
    """Lights by area × item on a day (today by default), the counts and the trends."""
    require(request.user, Cap.SUPPLIES_VIEW)
    shown = selectors.board_for(request.user, _day(request))
    context = {
        "board": shown,
        "grid": shown.grid(),
        "counts": shown.counts(),
        "chart": _chart(shown),
        "report": _reporter_cap(request.user) is not None,
        "section": SECTION,
    }
    return render(request, "supplies/prices_board.html", context)


def _report_form(request: HttpRequest, cap: Cap, data: Any = None) -> ReportForm:
    stores = selectors.stores_for_user(request.user, cap).order_by("name", "pk")
    return ReportForm(
        data,
        stores=stores,
        items=selectors.necessities(),
        initial={"day": timezone.localdate()},
    )


@login_required
def report(request: HttpRequest) -> HttpResponse:
    """A day's report of one item at one store (a phone form), and the file upload."""
    cap = _reporter_cap(request.user)
    if cap is None:
        require(request.user, Cap.SUPPLY_ENTERPRISE)
    assert cap is not None
    form = _report_form(request, cap, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            store = selectors.store_for_user(request.user, data["store"], cap)
            item = selectors.necessities().get(pk=data["item"])
            values, problems = services.report_problems(
                item,
                price=data["price"],
                stock=data["stock"],
                arrivals=data["arrivals"] if data["arrivals"] is not None else "0",
                day=data["day"],
            )
            services.raise_problems(problems)
            services.price_reports_record(
                actor=request.user,
                reports=[services.ReportIn(store, item, data["day"], **values)],
                source=ReportSource.FORM,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(item)s at %(store)s on %(day)s recorded.")
                % {"item": item.name, "store": store.name, "day": data["day"].isoformat()},
            )
            return redirect("supplies:price_report")
    context = {"form": form, "file_form": ReportsFileForm(), "section": "price_report"}
    return render(request, "supplies/prices_report.html", context)


@login_required
@require_POST
def report_import(request: HttpRequest) -> HttpResponse:
    if _reporter_cap(request.user) is None:
        require(request.user, Cap.SUPPLY_ENTERPRISE)
    form = ReportsFileForm(request.POST, request.FILES)
    if not form.is_valid():
        flash(request, form=form)
        return redirect("supplies:price_report")
    upload = form.cleaned_data["file"]
    with uploaded_path(upload) as path:
        result = reports_import.price_reports_import(
            actor=request.user, path=path, filename=upload.name
        )
    return render(
        request,
        "supplies/prices_import_result.html",
        {"result": result, "section": "price_report"},
        status=200 if result.ok else 400,
    )


@login_required
def stores(request: HttpRequest) -> HttpResponse:
    """The reporting stores the user sees; registering one (task force, or an enterprise)."""
    cap = _reporter_cap(request.user)
    visible = selectors.stores_for_user(request.user).select_related("enterprise", "division")
    form = None
    if cap is not None:
        firms = app_selectors.enterprises_for_user(request.user, cap)
        form = StoreForm(request.POST or None, enterprises=firms)
    if request.method == "POST":
        if form is None:
            require(request.user, Cap.SUPPLIES_MANAGE)
        assert form is not None and cap is not None
        if form.is_valid():
            data = form.cleaned_data
            try:
                store = services.store_register(
                    actor=request.user,
                    enterprise=app_selectors.enterprise_for_user(
                        request.user, data["enterprise"], cap
                    ),
                    name=data["name"],
                    division=place_in_scope(request.user, data["place"], "place"),
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Store %(name)s registered.") % {"name": store.name})
                return redirect("supplies:price_stores")
    rows, pager = page_window(request, visible)
    context = {"rows": rows, "pager": pager, "form": form, "section": "price_stores"}
    return render(request, "supplies/prices_stores.html", context)


@login_required
def alerts(request: HttpRequest) -> HttpResponse:
    """The alerts red lights opened: open and acknowledged first."""
    visible = (
        selectors.alerts_for_user(request.user)
        .select_related("necessity", "area")
        .order_by("status", "-last_day", "pk")
    )
    rows, pager = page_window(request, visible)
    context = {
        "rows": rows,
        "pager": pager,
        "form": AlertStatusForm() if can(request.user, Cap.SUPPLIES_MANAGE) else None,
        "section": "price_alerts",
    }
    return render(request, "supplies/prices_alerts.html", context)


@login_required
@require_POST
def alert_status(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, Cap.SUPPLIES_MANAGE)
    alert = selectors.alert_for_user(request.user, pk, Cap.SUPPLIES_MANAGE)
    form = AlertStatusForm(request.POST)
    if not form.is_valid():
        flash(request, form=form)
        return redirect("supplies:price_alerts")
    try:
        services.alert_set_status(
            actor=request.user,
            alert=alert,
            status=form.cleaned_data["status"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as exc:
        flash(request, exc)
    else:
        messages.success(request, _("Alert updated."))
    return redirect("supplies:price_alerts")


@login_required
def catalogue(request: HttpRequest) -> HttpResponse:
    """The catalogue of necessities; the task force changes what an item counts with."""
    require(request.user, Cap.SUPPLIES_VIEW)
    if request.method == "POST":
        return _necessity_save(request)
    items = list(selectors.necessities(active_only=False))
    manage = can(request.user, Cap.SUPPLIES_MANAGE)
    context = {"items": items, "manage": manage, "section": "price_catalogue"}
    return render(request, "supplies/prices_catalogue.html", context)


def _necessity_save(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.SUPPLIES_MANAGE)
    form = NecessityForm(request.POST)
    if not form.is_valid():
        flash(request, form=form)
        return redirect("supplies:price_catalogue")
    data = form.cleaned_data
    item = selectors.necessities(active_only=False).filter(code=data.pop("item")).first()
    if item is None:
        messages.error(request, _("No item of the catalogue has this code."))
        return redirect("supplies:price_catalogue")
    try:
        services.necessity_save(actor=request.user, necessity=item, **data)
    except ValidationError as exc:
        flash(request, exc)
    else:
        messages.success(request, _("%(item)s saved.") % {"item": item.name})
    return redirect("supplies:price_catalogue")
