"""Pages of quarantine sites (list, occupancy board), rooms and stays."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.audit.models import Event
from fangkong.core.access import Cap, can, require
from fangkong.core.pages import apply_errors, flash, page_window
from fangkong.core.uploads import uploaded_path
from fangkong.places.selectors import place_in_scope
from fangkong.quarantine.models import RoomStatus, StayStatus
from fangkong.quarantine.sites import rooms_import, selectors, services
from fangkong.quarantine.sites.forms import (
    MoveForm,
    RoomsGenerateForm,
    RoomsImportForm,
    RoomStatusForm,
    SiteForm,
    StaffForm,
)

SITES = "quarantine_sites"


def _ids(request: HttpRequest, name: str) -> list[int]:
    return [int(v) for v in request.POST.getlist(name) if v.isdigit()]


# Sites ----------------------------------------------------------------------------------


@login_required
def site_list(request: HttpRequest) -> HttpResponse:
    """Every site the user may see, with the command centre's totals."""
    visible = selectors.sites_for(request.user)
    can_add = can(request.user, Cap.QUARANTINE_MANAGE)
    form = SiteForm(request.POST or None) if can_add else None
    if request.method == "POST":
        require(request.user, Cap.QUARANTINE_MANAGE)
        assert form is not None
        if form.is_valid():
            data = form.cleaned_data
            try:
                place = place_in_scope(request.user, data["place"], "place")
                site = services.site_register(
                    actor=request.user,
                    code=data["code"],
                    name=data["name"],
                    kind=data["kind"],
                    division=place,
                    address=data["address"],
                    latitude=data["latitude"],
                    longitude=data["longitude"],
                    phone=data["phone"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Site %(name)s registered.") % {"name": site.name})
                return redirect("quarantine:site", pk=site.pk)
    rows, pager = page_window(request, visible.select_related("division"))
    figures = selectors.occupancy_by_site(rows)
    for site in rows:
        site.figures = figures[site.pk]
    return render(
        request,
        "quarantine/sites.html",
        {
            "rows": rows,
            "pager": pager,
            "totals": selectors.occupancy_totals(visible),
            "form": form,
            "can_allocate": can_add,
            "section": SITES,
        },
    )


@login_required
def site_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The occupancy board: rooms by building and floor, coloured by status."""
    site = selectors.site_for(request.user, pk)
    board = selectors.site_board(site)
    manage = can(request.user, Cap.QUARANTINE_MANAGE)
    cleaning = [
        cell.room
        for building in board.buildings
        for floor in building.floors
        for cell in floor.cells
        if cell.room.status == RoomStatus.CLEANING
    ]
    return render(
        request,
        "quarantine/site_board.html",
        {
            "site": site,
            "board": board,
            "statuses": [(s.value, s.label, board.counts.get(s.value, 0)) for s in RoomStatus],
            "rooms_total": sum(board.counts.values()),
            "cleaning": cleaning,
            "manage": manage,
            "generate_form": RoomsGenerateForm() if manage else None,
            "import_form": RoomsImportForm() if manage else None,
            "staff_form": StaffForm(
                initial={"usernames": ", ".join(u.username for u in site.staff.all())}
            )
            if manage
            else None,
            "section": SITES,
        },
    )


@login_required
@require_POST
def site_rooms_add(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, Cap.QUARANTINE_MANAGE)
    site = selectors.site_for(request.user, pk, Cap.QUARANTINE_MANAGE)
    form = RoomsGenerateForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else str(error))
        return redirect("quarantine:site", pk=pk)
    data = form.cleaned_data
    try:
        specs = services.rooms_generate(
            building=data["building"],
            floors=(data["floor_from"], data["floor_to"]),
            positions=(data["room_from"], data["room_to"]),
            beds=data["beds"],
            accessible=data["accessible"],
        )
        added = services.rooms_add(actor=request.user, site=site, rooms=specs)
    except ValidationError as exc:
        flash(request, exc)
    else:
        messages.success(
            request,
            _("%(created)s rooms added, %(updated)s updated, %(unchanged)s already there.")
            % {"created": added.created, "updated": added.updated, "unchanged": added.unchanged},
        )
    return redirect("quarantine:site", pk=pk)


@login_required
@require_POST
def site_rooms_import(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, Cap.QUARANTINE_MANAGE)
    site = selectors.site_for(request.user, pk, Cap.QUARANTINE_MANAGE)
    form = RoomsImportForm(request.POST, request.FILES)
    if not form.is_valid():
        flash(request, form=form)
        return redirect("quarantine:site", pk=pk)
    upload = form.cleaned_data["file"]
    with uploaded_path(upload) as path:
        result = rooms_import.rooms_import(
            actor=request.user, site=site, path=path, filename=upload.name
        )
    return render(
        request,
        "quarantine/room_import_result.html",
        {"site": site, "result": result, "section": SITES},
        status=200 if result.ok else 400,
    )


@login_required
@require_POST
def site_rooms_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Several rooms at once, e.g. every room of the floor disinfected → available."""
    require(request.user, Cap.QUARANTINE_MANAGE)
    site = selectors.site_for(request.user, pk, Cap.QUARANTINE_MANAGE)
    form = RoomStatusForm(request.POST)
    rooms = list(site.rooms.filter(pk__in=_ids(request, "rooms")))
    if not form.is_valid():
        messages.error(request, _("Choose the new status"))
    else:
        try:
            n = services.rooms_set_status(
                actor=request.user,
                rooms=rooms,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            flash(request, exc)
        else:
            messages.success(request, _("%(n)s room(s) changed.") % {"n": n})
    return redirect("quarantine:site", pk=pk)


@login_required
@require_POST
def site_staff(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, Cap.QUARANTINE_MANAGE)
    site = selectors.site_for(request.user, pk, Cap.QUARANTINE_MANAGE)
    form = StaffForm(request.POST)
    if form.is_valid():
        try:
            added, removed = services.site_staff_set(
                actor=request.user, site=site, usernames=form.cleaned_data["usernames"]
            )
        except ValidationError as exc:
            flash(request, exc)
        else:
            messages.success(
                request,
                _("Staff: %(added)s added, %(removed)s removed.")
                % {"added": added, "removed": removed},
            )
    return redirect("quarantine:site", pk=pk)


# Rooms ----------------------------------------------------------------------------------


@login_required
def room_detail(request: HttpRequest, pk: int) -> HttpResponse:
    room = selectors.room_for(request.user, pk)
    manage = can(request.user, Cap.QUARANTINE_MANAGE)
    form = RoomStatusForm(request.POST or None, initial={"status": room.status})
    if request.method == "POST":
        require(request.user, Cap.QUARANTINE_MANAGE)
        if form.is_valid():
            try:
                services.room_set_status(
                    actor=request.user,
                    room=room,
                    status=form.cleaned_data["status"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Room status changed."))
                return redirect("quarantine:room", pk=pk)
    stays = list(room.stays.select_related("person").order_by("-allocated_at", "-id")[:20])
    for stay in stays:
        stay.masked = selectors.masked_name(stay.person.name)  # type: ignore[attr-defined]
    events = Event.objects.filter(object_type="quarantine.room", object_id=str(room.pk))
    return render(
        request,
        "quarantine/room.html",
        {
            "room": room,
            "site": room.site,
            "stays": stays,
            "events": events.select_related("actor")[:20],
            "form": form if manage else None,
            "section": SITES,
        },
    )


# Stays ----------------------------------------------------------------------------------


@login_required
def site_stays(request: HttpRequest, pk: int) -> HttpResponse:
    """Who is expected and who is in: check people in, move them."""
    site = selectors.site_for(request.user, pk)
    manage = can(request.user, Cap.QUARANTINE_MANAGE)
    if request.method == "POST":
        require(request.user, Cap.QUARANTINE_MANAGE)
        chosen = list(
            selectors.stays_for(request.user).filter(site=site, pk__in=_ids(request, "stays"))
        )
        try:
            n = services.stays_check_in(actor=request.user, stays=chosen)
        except ValidationError as exc:
            flash(request, exc)
        else:
            messages.success(request, _("%(n)s people checked in.") % {"n": n})
        return redirect("quarantine:site_stays", pk=pk)
    rows, pager = page_window(request, selectors.open_stays(site))
    for stay in rows:
        stay.masked = selectors.masked_name(stay.person.name)
    return render(
        request,
        "quarantine/site_stays.html",
        {
            "site": site,
            "rows": rows,
            "pager": pager,
            "manage": manage,
            "planned": StayStatus.PLANNED,
            "section": SITES,
        },
    )


@login_required
def stay_move(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, Cap.QUARANTINE_MANAGE)
    stay = selectors.stay_for(request.user, pk, Cap.QUARANTINE_MANAGE)
    free = [(r.pk, str(r)) for r in selectors.free_rooms(stay.site)[:500]]
    form = MoveForm(request.POST or None, rooms=free)
    if request.method == "POST" and form.is_valid():
        try:
            room = selectors.rooms_for(request.user, Cap.QUARANTINE_MANAGE).get(
                pk=form.cleaned_data["room"]
            )
            services.stay_move(
                actor=request.user, stay=stay, room=room, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, _("%(name)s moved to %(room)s.") % {"name": stay.person.name, "room": room}
            )
            return redirect("quarantine:site_stays", pk=stay.site_id)
    return render(
        request,
        "quarantine/site_stay_move.html",
        {"stay": stay, "site": stay.site, "form": form, "section": SITES},
    )
