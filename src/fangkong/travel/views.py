"""Trip pages: the staff list and detail, the checkpoint, the destination's hand-overs, and the
public trip report (no login, throttled per network address)."""

import time
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.audit.selectors import events_for_user
from fangkong.core.access import Cap, can, require
from fangkong.core.addresses import client_ip
from fangkong.core.pages import apply_errors, page_window
from fangkong.lab.rounds.selectors import sites_for_user
from fangkong.places.models import Division, Level
from fangkong.places.selectors import place_lines
from fangkong.travel import obligations, selectors, services
from fangkong.travel.forms import (
    ArrivalForm,
    FindForm,
    HandoverFilterForm,
    TripFilterForm,
    TripForm,
)
from fangkong.travel.models import Trip, TripStatus

TRIP_REPORTS_PER_HOUR = 20  # per network address: a family reports several trips
REPORT_SESSION_SECONDS = 30 * 60
NOT_COMPLIED_SHOWN = 500


def _destination(key: str) -> Division | None:
    return Division.objects.filter(key=key, level__gte=Level.COMMUNITY).first() if key else None


def _with_places(rows: list[Any], **levels: Any) -> list[Any]:
    """Each row (a trip or a hand-over) with `place_line`: where it went, grid included."""
    lines = place_lines((r.division_key for r in rows), **levels)
    for row in rows:
        row.place_line = lines.get(row.division_key, "")
    return rows


def _place_line(trip: Trip) -> str:
    """From the street down to the unit: the whole destination on one line."""
    return place_lines([trip.division_key], top=Level.STREET)[trip.division_key]


def _report(request: HttpRequest, form: TripForm, actor: Any) -> services.Reported | None:
    """Run the trip report from a valid form; errors go onto the form."""
    data = form.cleaned_data
    destination = _destination(data["destination"])
    try:
        if destination is None:
            raise services.destination_unknown()
        return services.trip_report(
            actor=actor,
            **{k: v for k, v in data.items() if k != "destination"},
            destination=destination,
        )
    except ValidationError as exc:
        apply_errors(form, exc)
        return None


# Staff: list and detail -------------------------------------------------------------------------


@login_required
def trip_list(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.TRIPS_VIEW)
    communities = list(selectors.communities_for_user(request.user))
    form = TripFilterForm(request.GET or None, communities=communities)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.trip_search(request.user, **{k: v for k, v in filters.items() if v})
    rows, pager = page_window(request, qs)
    context = {
        "form": form,
        "rows": _with_places(rows, top=Level.STREET, bottom=Level.GRID),
        "pager": pager,
        "can_record": can(request.user, Cap.TRIPS_RECORD),
        "section": "trips",
    }
    return render(request, "travel/trip_list.html", context)


def _scheduled(trip: Trip) -> list[Any]:
    entry = getattr(trip, "handover", None)
    return list(entry.measure.tests.all()) if entry is not None else []


@login_required
def trip_detail(request: HttpRequest, pk: int) -> HttpResponse:
    trip = selectors.trip_for_user(request.user, pk)
    test = getattr(trip, "arrival_test", None)
    entry = getattr(trip, "handover", None)
    events = events_for_user(request.user).filter(
        object_type="travel.trip", object_id=str(trip.pk)
    )[:100]
    context = {
        "trip": trip,
        "place_line": _place_line(trip),
        "test": test,
        "handover": entry,
        "obligation_lines": obligations.lines(entry.obligations) if entry else [],
        "scheduled": _scheduled(trip),
        "events": events,
        "can_record": can(request.user, Cap.TRIPS_RECORD) and trip.status == TripStatus.REPORTED,
        "can_acknowledge": entry is not None
        and entry.acknowledged_at is None
        and can(request.user, Cap.MEASURES_KEEP),
        "section": "trips",
    }
    return render(request, "travel/trip_detail.html", context)


# Checkpoint -------------------------------------------------------------------------------------


def _arrival_form(request: HttpRequest, data: Any = None) -> ArrivalForm:
    sites = sites_for_user(request.user).filter(active=True).order_by("code")
    initial = {"checkpoint": request.session.get("travel_checkpoint", "")}
    return ArrivalForm(data, sites=sites, initial=initial)


def _checkpoint_page(
    request: HttpRequest,
    *,
    trip: Trip | None = None,
    arrival: ArrivalForm | None = None,
    register: TripForm | None = None,
    status: int = 200,
) -> HttpResponse:
    find = FindForm(request.GET or None)
    q = find.cleaned_data.get("q", "") if find.is_valid() else ""
    found = selectors.trips_to_meet(request.user, q) if trip is None else [trip]
    if trip is None and len(found) == 1 and found[0].status == TripStatus.REPORTED:
        trip = found[0]
    if register is None and ((q and not found) or request.GET.get("register")):
        initial = {"arriving_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}
        if len(q) == 18:
            initial["id_number"] = q
        register = TripForm(
            initial=initial, communities=selectors.communities_for_user(request.user)
        )
    context = {
        "find": find,
        "q": q,
        "found": found,
        "trip": trip,
        "preview": _trip_preview(trip) if trip is not None else None,
        "place_line": _place_line(trip) if trip is not None else "",
        "arrival": arrival or (_arrival_form(request) if trip is not None else None),
        "register": register,
        "last": request.session.get("travel_last"),
        "section": "checkpoint",
    }
    return render(request, "travel/checkpoint.html", context, status=status)


def _trip_preview(trip: Trip) -> list[str]:
    arrival_day = timezone.localdate()
    found = obligations.preview(trip.origin_kind, trip.departed_on, arrival_day)
    return obligations.lines(found.obligations) if found.obligations else [found.reason]


@login_required
def checkpoint(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.TRIPS_RECORD)
    if request.method != "POST":
        trip_id = request.GET.get("trip", "")
        trip = selectors.trip_for_user(request.user, int(trip_id)) if trip_id.isdigit() else None
        return _checkpoint_page(request, trip=trip)
    if request.POST.get("action") == "register":
        return _checkpoint_register(request)
    return _checkpoint_arrive(request)


def _checkpoint_register(request: HttpRequest) -> HttpResponse:
    communities = selectors.communities_for_user(request.user)
    form = TripForm(request.POST, communities=communities)
    reported = _report(request, form, request.user) if form.is_valid() else None
    if reported is None:
        return _checkpoint_page(request, register=form, status=400)
    messages.success(request, _("Trip %(code)s registered.") % {"code": reported.trip.code})
    return redirect(f"{reverse('travel:checkpoint')}?trip={reported.trip.pk}")


def _checkpoint_arrive(request: HttpRequest) -> HttpResponse:
    trip_id = request.POST.get("trip", "")
    trip = selectors.trip_for_user(request.user, int(trip_id) if trip_id.isdigit() else 0)
    form = _arrival_form(request, request.POST)
    if not form.is_valid():
        return _checkpoint_page(request, trip=trip, arrival=form, status=400)
    data = form.cleaned_data
    site = sites_for_user(request.user).filter(pk=data["site"]).first() if data["site"] else None
    try:
        services.arrival_record(
            actor=request.user,
            trip=trip,
            checkpoint=data["checkpoint"],
            arrived_at=data["arrived_at"],
            barcode=data["barcode"],
            site=site,
        )
    except ValidationError as exc:
        apply_errors(form, exc)
        return _checkpoint_page(request, trip=trip, arrival=form, status=400)
    trip.refresh_from_db()
    entry = getattr(trip, "handover", None)
    request.session["travel_checkpoint"] = data["checkpoint"]
    request.session["travel_last"] = {
        "trip": trip.pk,
        "code": trip.code,
        "name": trip.name,
        "status": str(trip.get_status_display()),
        "lines": obligations.lines(entry.obligations) if entry else [trip.outcome_note],
    }
    messages.success(request, _("Arrival of %(name)s recorded.") % {"name": trip.name})
    return redirect("travel:checkpoint")


# Destination: hand-overs and who has not complied -----------------------------------------------


@login_required
def handover_list(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.TRIPS_VIEW)
    communities = list(selectors.communities_for_user(request.user))
    form = HandoverFilterForm(request.GET or None, communities=communities)
    filters = form.cleaned_data if form.is_valid() else {}
    acknowledged = {"yes": True, "no": False}.get(filters.get("acknowledged", ""))
    community = filters.get("community", "")
    qs = selectors.handovers_for_user(request.user, acknowledged=acknowledged, community=community)
    rows, pager = page_window(request, qs)
    for row in _with_places(rows, top=Level.COMMUNITY, bottom=Level.GRID):
        row.lines = obligations.lines(row.obligations)
    late = list(selectors.not_complied(request.user, community=community)[: NOT_COMPLIED_SHOWN + 1])
    context = {
        "form": form,
        "rows": rows,
        "pager": pager,
        "late": late[:NOT_COMPLIED_SHOWN],
        "late_more": len(late) > NOT_COMPLIED_SHOWN,
        "can_acknowledge": can(request.user, Cap.MEASURES_KEEP),
        "today": timezone.localdate(),
        "section": "handovers",
    }
    return render(request, "travel/handover_list.html", context)


@login_required
@require_POST
def handover_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    entry = selectors.handover_for_user(request.user, pk)
    try:
        services.handover_acknowledge(actor=request.user, handover=entry)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request, _("Hand-over of %(name)s acknowledged.") % {"name": entry.trip.name}
        )
    target = request.POST.get("next", "")
    if target == "trip":
        return redirect("travel:trip", pk=entry.trip_id)
    return redirect("travel:handovers")


# Public: report a trip --------------------------------------------------------------------------


def report_throttled(request: HttpRequest) -> bool:
    """Count a report from this address; True once it made too many within the hour."""
    window = int(time.time() // 3600)
    key = f"trip-report:{client_ip(request)}:{window}"
    cache.add(key, 0, 3600)
    try:
        attempts = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, 3600)
        attempts = 1
    return attempts > TRIP_REPORTS_PER_HOUR


def _public_communities(request: HttpRequest) -> tuple[str, str, list[Division]]:
    street = request.GET.get("street", "").strip()
    q = request.GET.get("q", "").strip()[:20]
    if not (street or q):
        return street, q, []
    return street, q, list(selectors.communities_public(street=street, q=q)[:200])


def report(request: HttpRequest) -> HttpResponse:
    street, q, communities = _public_communities(request)
    chosen = _destination(request.POST.get("destination", "")) if request.method == "POST" else None
    if chosen is not None and chosen not in communities:
        communities.append(chosen)
    form = TripForm(request.POST or None, communities=communities)
    status = 200
    if request.method == "POST":
        if report_throttled(request):
            form.add_error(None, _("Too many reports from this network; try again in an hour."))
            status = 429
        elif form.is_valid():
            reported = _report(request, form, None)
            if reported is not None:
                request.session["travel_report"] = {
                    "trip": reported.trip.pk,
                    "created": reported.created,
                    "at": time.time(),
                }
                return redirect("travel:report_done")
            status = 400
        else:
            status = 400
    context = {
        "form": form,
        "street": street,
        "q": q,
        "streets": selectors.streets_public(),
        "communities": communities,
    }
    return render(request, "travel/report.html", context, status=status)


def report_done(request: HttpRequest) -> HttpResponse:
    entry = request.session.get("travel_report")
    if not entry or time.time() - entry.get("at", 0) > REPORT_SESSION_SECONDS:
        return redirect("travel:report")
    trip = Trip.objects.select_related("destination__parent").filter(pk=entry["trip"]).first()
    if trip is None:
        return redirect("travel:report")
    found = obligations.preview(trip.origin_kind, trip.departed_on, trip.arriving_on)
    context = {
        "trip": trip,
        "initial": f"{trip.name[:1]}*",
        "place_line": _place_line(trip),
        "created": entry.get("created", True),
        "lines": obligations.lines(found.obligations) if found.obligations else [found.reason],
        "basis": found.basis,
    }
    return render(request, "travel/report_done.html", context)
