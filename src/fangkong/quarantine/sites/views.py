"""Pages of quarantine sites (list, occupancy board), rooms and stays."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.audit.models import Event
from fangkong.core.access import Cap, can, require
from fangkong.core.pages import apply_errors, flash, page_window
from fangkong.core.uploads import uploaded_path
from fangkong.places.selectors import place_in_scope
from fangkong.quarantine.models import RoomStatus, Site, Stay, StayStatus
from fangkong.quarantine.sites import rooms_import, selectors, services
from fangkong.quarantine.sites.forms import (
    MoveForm,
    RoomsGenerateForm,
    RoomsImportForm,
    RoomStatusForm,
    SiteForm,
    SiteInUseForm,
    StaffForm,
    StaysInForm,
    StaysOutForm,
)

SITES = "quarantine_sites"


def _ids(request: HttpRequest, name: str) -> list[int]:
    return [int(v) for v in request.POST.getlist(name) if v.isdigit()]


def flash_labelled(
    request: HttpRequest, *, exc: ValidationError | None = None, form: Form | None = None
) -> None:
    """Errors as messages, each error of one of the form's fields named by its label."""
    errors: dict[str, list[str]] = {}
    if form is not None and form.errors:
        errors = {k: [str(e) for e in v] for k, v in form.errors.items()}
    if exc is not None:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
    for name, messages_ in errors.items():
        label = form.fields[name].label if form is not None and name in form.fields else None
        for message in messages_:
            messages.error(request, f"{label}: {message}" if label else message)


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
                    opened_at=data["opened_at"],
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
            "in_use_form": SiteInUseForm(initial={"active": "1" if not site.active else "0"})
            if manage
            else None,
            "section": SITES,
        },
    )


@login_required
@require_POST
def site_in_use(request: HttpRequest, pk: int) -> HttpResponse:
    """Close or suspend the site, or open it again, dated when it happened."""
    require(request.user, Cap.QUARANTINE_MANAGE)
    site = selectors.site_for(request.user, pk, Cap.QUARANTINE_MANAGE)
    form = SiteInUseForm(request.POST)
    if not form.is_valid():
        flash_labelled(request, form=form)
        return redirect("quarantine:site", pk=pk)
    try:
        services.site_set_in_use(actor=request.user, site=site, **form.cleaned_data)
    except ValidationError as exc:
        flash_labelled(request, exc=exc, form=form)
    else:
        messages.success(request, _("Saved."))
    return redirect("quarantine:site", pk=pk)


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
                changed_at=form.cleaned_data["changed_at"],
            )
        except ValidationError as exc:
            flash_labelled(request, exc=exc, form=form)
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
                    changed_at=form.cleaned_data["changed_at"],
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


# Refused stays named in the messages after a refused check-in (the rest are counted).
REFUSED_NAMED = 10


def _check_in(request: HttpRequest, site: Site) -> HttpResponse | None:
    """Check in the ticked people, or (`all_expected`) everyone expected at the site: shown
    first for confirmation with their number. None: go back to the page."""
    form = StaysInForm(request.POST)
    if not form.is_valid():
        flash_labelled(request, form=form)
        return None
    here = Stay.objects.filter(site=site)
    everyone = "all_expected" in request.POST
    if everyone:
        selection = here.filter(status=StayStatus.PLANNED)
        if "confirm" not in request.POST:
            context = {
                "site": site,
                "at": form.cleaned_data["checked_in_at"],
                "at_name": "checked_in_at",
                "at_label": form.fields["checked_in_at"].label,
                "count": selection.count(),
                "section": SITES,
            }
            return render(request, "quarantine/site_stays_confirm.html", context)
        ids = None
    else:
        ids = _ids(request, "stays")
        if not ids:
            messages.error(request, _("Tick the people to check in."))
            return None
        selection = here
    try:
        batch = services.stays_arrive(
            actor=request.user, ids=ids, selection=selection, at=form.cleaned_data["checked_in_at"]
        )
    except ValidationError as exc:
        flash_labelled(request, exc=exc, form=form)
        return None
    if batch.refused:
        messages.error(
            request,
            _("Nobody was checked in: %(n)s of them cannot be.") % {"n": len(batch.refused)},
        )
        named = sorted(batch.refused)[:REFUSED_NAMED]
        names = dict(here.filter(pk__in=named).values_list("pk", "person__name"))
        for pk in named:
            messages.error(request, f"{names.get(pk, f'#{pk}')}: {batch.refused[pk]}")
    else:
        messages.success(
            request,
            _("%(changed)s people checked in, %(unchanged)s were already in.")
            % {"changed": len(batch.changed), "unchanged": len(batch.unchanged)},
        )
    return None


@login_required
def site_stays(request: HttpRequest, pk: int) -> HttpResponse:
    """Who is expected and who is in: check people in (ticked, or everyone expected, at the
    time they arrived), see them leave for the home phase, move them."""
    site = selectors.site_for(request.user, pk)
    manage = can(request.user, Cap.QUARANTINE_MANAGE)
    if request.method == "POST":
        require(request.user, Cap.QUARANTINE_MANAGE)
        site = selectors.site_for(request.user, pk, Cap.QUARANTINE_MANAGE)
        response = _check_in(request, site)
        return response or redirect("quarantine:site_stays", pk=pk)
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
            "inside": StayStatus.IN,
            "in_form": StaysInForm(),
            "out_form": StaysOutForm(auto_id="out_%s"),
            "expected": Stay.objects.filter(site=site, status=StayStatus.PLANNED).count()
            if manage
            else 0,
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
                actor=request.user,
                stay=stay,
                room=room,
                reason=form.cleaned_data["reason"],
                moved_at=form.cleaned_data["moved_at"],
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
