"""Pages of quarantine sites (list, occupancy board), rooms, stays and allocation."""

from typing import Any

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
from fangkong.quarantine import allocation, sites
from fangkong.quarantine.forms_sites import (
    AllocationForm,
    MoveForm,
    ReasonForm,
    RoomsGenerateForm,
    RoomsImportForm,
    RoomStatusForm,
    SiteForm,
    StaffForm,
)
from fangkong.quarantine.models import AllocationBatch, RoomStatus, StayStatus

SITES = "quarantine_sites"
ALLOCATION = "allocation"


def _ids(request: HttpRequest, name: str) -> list[int]:
    return [int(v) for v in request.POST.getlist(name) if v.isdigit()]


# Sites ----------------------------------------------------------------------------------


@login_required
def site_list(request: HttpRequest) -> HttpResponse:
    """Every site the user may see, with the command centre's totals."""
    visible = sites.sites_for(request.user)
    can_add = can(request.user, Cap.QUARANTINE_MANAGE)
    form = SiteForm(request.POST or None) if can_add else None
    if request.method == "POST":
        require(request.user, Cap.QUARANTINE_MANAGE)
        assert form is not None
        if form.is_valid():
            data = form.cleaned_data
            try:
                place = sites.division_in_scope(request.user, data["place"], "place")
                site = sites.site_register(
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
    figures = sites.occupancy_by_site(rows)
    for site in rows:
        site.figures = figures[site.pk]
    return render(
        request,
        "quarantine/sites.html",
        {
            "rows": rows,
            "pager": pager,
            "totals": sites.occupancy_totals(visible),
            "form": form,
            "can_allocate": can_add,
            "section": SITES,
        },
    )


@login_required
def site_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The occupancy board: rooms by building and floor, coloured by status."""
    site = sites.site_for(request.user, pk)
    board = sites.site_board(site)
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
    site = sites.site_for(request.user, pk, Cap.QUARANTINE_MANAGE)
    form = RoomsGenerateForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else str(error))
        return redirect("quarantine:site", pk=pk)
    data = form.cleaned_data
    try:
        specs = sites.rooms_generate(
            building=data["building"],
            floors=(data["floor_from"], data["floor_to"]),
            positions=(data["room_from"], data["room_to"]),
            beds=data["beds"],
            accessible=data["accessible"],
        )
        added = sites.rooms_add(actor=request.user, site=site, rooms=specs)
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
    site = sites.site_for(request.user, pk, Cap.QUARANTINE_MANAGE)
    form = RoomsImportForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("quarantine:site", pk=pk)
    upload = form.cleaned_data["file"]
    with uploaded_path(upload) as path:
        result = sites.rooms_import(actor=request.user, site=site, path=path, filename=upload.name)
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
    site = sites.site_for(request.user, pk, Cap.QUARANTINE_MANAGE)
    form = RoomStatusForm(request.POST)
    rooms = list(site.rooms.filter(pk__in=_ids(request, "rooms")))
    if not form.is_valid():
        messages.error(request, _("Choose the new status"))
    else:
        try:
            n = sites.rooms_set_status(
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
    site = sites.site_for(request.user, pk, Cap.QUARANTINE_MANAGE)
    form = StaffForm(request.POST)
    if form.is_valid():
        try:
            added, removed = sites.site_staff_set(
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
    room = sites.room_for(request.user, pk)
    manage = can(request.user, Cap.QUARANTINE_MANAGE)
    form = RoomStatusForm(request.POST or None, initial={"status": room.status})
    if request.method == "POST":
        require(request.user, Cap.QUARANTINE_MANAGE)
        if form.is_valid():
            try:
                sites.room_set_status(
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
        stay.masked = sites.masked_name(stay.person.name)  # type: ignore[attr-defined]
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
    site = sites.site_for(request.user, pk)
    manage = can(request.user, Cap.QUARANTINE_MANAGE)
    if request.method == "POST":
        require(request.user, Cap.QUARANTINE_MANAGE)
        chosen = list(
            sites.stays_for(request.user).filter(site=site, pk__in=_ids(request, "stays"))
        )
        try:
            n = sites.stays_check_in(actor=request.user, stays=chosen)
        except ValidationError as exc:
            flash(request, exc)
        else:
            messages.success(request, _("%(n)s people checked in.") % {"n": n})
        return redirect("quarantine:site_stays", pk=pk)
    rows, pager = page_window(request, sites.open_stays(site))
    for stay in rows:
        stay.masked = sites.masked_name(stay.person.name)
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
    stay = sites.stay_for(request.user, pk, Cap.QUARANTINE_MANAGE)
    free = [(r.pk, str(r)) for r in sites.free_rooms(stay.site)[:500]]
    form = MoveForm(request.POST or None, rooms=free)
    if request.method == "POST" and form.is_valid():
        try:
            room = sites.rooms_for(request.user, Cap.QUARANTINE_MANAGE).get(
                pk=form.cleaned_data["room"]
            )
            sites.stay_move(
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


# Allocation -----------------------------------------------------------------------------


def _propose(request: HttpRequest, form: AllocationForm) -> AllocationBatch | None:
    data = form.cleaned_data
    try:
        if data["source"] == "contacts":
            require(request.user, Cap.CONTACTS_VIEW)
            people = allocation.people_from_contacts(
                request.user, category=data["category"], since=data.get("since")
            )
            unplaced: list[dict[str, Any]] = []
            if not people:
                raise ValidationError({"source": [_("No close contact is waiting for a room")]})
        else:
            people, unplaced = allocation.people_from_id_numbers(
                request.user, data["id_numbers"], anchor_on=data["anchor_on"]
            )
        return allocation.allocation_propose(
            actor=request.user,
            category=data["category"],
            people=people,
            unplaced=unplaced,
            source=data["source"],
        )
    except ValidationError as exc:
        apply_errors(form, exc)
        return None


@login_required
def allocate(request: HttpRequest) -> HttpResponse:
    """Pick people and a category; the proposal is saved as a draft to review."""
    require(request.user, Cap.QUARANTINE_MANAGE)
    contacts = can(request.user, Cap.CONTACTS_VIEW)
    form = AllocationForm(request.POST or None, contacts=contacts)
    if request.method == "POST" and form.is_valid():
        batch = _propose(request, form)
        if batch is not None:
            return redirect("quarantine:allocation", pk=batch.pk)
    batches = allocation.batches_for(request.user)
    return render(
        request,
        "quarantine/allocation_start.html",
        {
            "form": form,
            "waiting": allocation.waiting_contacts(request.user).values("person").distinct().count()
            if contacts
            else None,
            "drafts": batches.filter(status=AllocationBatch.Status.DRAFT)[:20],
            "recent": batches.exclude(status=AllocationBatch.Status.DRAFT)[:10],
            "section": ALLOCATION,
        },
    )


@login_required
def allocation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Review a proposal (take people out, confirm, cancel), or see a confirmed one."""
    batch = allocation.batch_for(request.user, pk)
    page, pager = page_window(request, batch.plan)
    return render(
        request,
        "quarantine/allocation_review.html",
        {
            "batch": batch,
            "lines": allocation.batch_lines(batch, page),
            "pager": pager,
            "sites": allocation.batch_sites(batch),
            "unplaced": allocation.batch_unplaced(batch),
            "placed": len(batch.plan),
            "rooms": len({line["room"] for line in batch.plan}),
            "unplaced_count": len(batch.unplaced),
            "draft": batch.status == AllocationBatch.Status.DRAFT,
            "cancel_form": ReasonForm(),
            "section": ALLOCATION,
        },
    )


@login_required
@require_POST
def allocation_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    batch = allocation.batch_for(request.user, pk)
    try:
        if action == "confirm":
            allocation.allocation_confirm(actor=request.user, batch=batch)
            messages.success(
                request,
                _("Allocation confirmed: %(n)s people have rooms and their measures have started.")
                % {"n": len(batch.plan)},
            )
        elif action == "remove":
            allocation.allocation_remove(
                actor=request.user, batch=batch, person_ids=_ids(request, "people")
            )
            messages.success(request, _("Taken out of the proposal."))
        elif action == "cancel":
            form = ReasonForm(request.POST)
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
            allocation.allocation_cancel(actor=request.user, batch=batch, reason=reason)
            messages.success(request, _("Proposal cancelled."))
        elif action == "again":
            fresh = allocation.allocation_repropose(actor=request.user, batch=batch)
            messages.success(request, _("Proposed again."))
            return redirect("quarantine:allocation", pk=fresh.pk)
    except ValidationError as exc:
        flash(request, exc)
    return redirect("quarantine:allocation", pk=pk)
