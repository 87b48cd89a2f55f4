from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.audit.selectors import person_history
from fangkong.core.access import Cap, can, key_filter, require, scope_key
from fangkong.core.pages import apply_errors, flash, page_window
from fangkong.people import selectors, services
from fangkong.people.display import age_on, place_label
from fangkong.people.exports import key_person_workbook
from fangkong.people.forms import KeyPersonForm, NeedForm, ReasonForm, ResidentForm
from fangkong.people.models import Household, KeyCategory, KeyPerson, Resident
from fangkong.people.reveals import export_reveal_allowed
from fangkong.places.models import Division, Level, named
from fangkong.places.selectors import ancestors, divisions_for_user


def _with_places(qs: Any) -> Any:
    return qs.select_related("division__parent__parent")


@login_required
def resident_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    qs = selectors.resident_search(request.user, q)
    place_key = request.GET.get("place", "")
    place = None
    if place_key:
        place = divisions_for_user(request.user).filter(key=place_key).first()
        if place is not None:
            qs = qs.filter(key_filter(place.key))
    qs = _with_places(qs)
    if can(request.user, Cap.KEY_PERSONS_VIEW):
        qs = qs.prefetch_related(
            Prefetch("key_entries", queryset=KeyPerson.objects.order_by("category"))
        )
    rows, pager = page_window(request, qs)
    today = timezone.localdate()
    for r in rows:
        r.age = age_on(r.birth_date, today)
        r.place = place_label(r.division)
    return render(
        request,
        "people/resident_list.html",
        {"rows": rows, "pager": pager, "q": q, "place": place, "section": "residents"},
    )


@login_required
def resident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    resident = selectors.resident_for_user(request.user, pk)
    members: list[Resident] = []
    if resident.household_id:
        members = list(
            selectors.residents_for_user(request.user)
            .filter(household_id=resident.household_id)
            .exclude(pk=resident.pk)
        )
    can_keep = can(request.user, Cap.KEY_PERSONS_EDIT)
    can_see_ledger = can(request.user, Cap.KEY_PERSONS_VIEW)
    context = {
        "r": resident,
        "age": age_on(resident.birth_date, timezone.localdate()),
        "place": resident.division,
        "ancestors": [d for d in _ancestors_in_scope(request.user, resident.division)],
        "members": members,
        "entries": resident.key_entries.order_by("category") if can_see_ledger else [],
        "needs": resident.needs.order_by("status", "next_due", "id") if can_see_ledger else [],
        "can_see_ledger": can_see_ledger,
        "events": person_history(request.user, resident.pk)[:100]
        if can(request.user, Cap.RESIDENTS_VIEW)
        else [],
        "can_reveal": can(request.user, Cap.PII_REVEAL),
        "can_edit": can(request.user, Cap.RESIDENTS_EDIT),
        "can_keep": can_keep,
        "key_form": KeyPersonForm() if can_keep else None,
        "need_form": NeedForm() if can_keep else None,
        "section": "residents",
    }
    return render(request, "people/resident_detail.html", context)


def _ancestors_in_scope(user: Any, division: Division) -> list[Division]:
    prefix = scope_key(user)
    return [d for d in [*ancestors(division), division] if d.key.startswith(prefix)]


@login_required
@require_POST
def resident_reveal(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    resident = selectors.resident_for_user(request.user, pk)
    try:
        value = services.pii_reveal(
            actor=request.user,
            resident=resident,
            field=field,
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400)
    return render(
        request,
        "people/_revealed.html",
        {"value": value, "field": field, "form_id": f"reveal-{field}"},
    )


@login_required
def resident_new(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.RESIDENTS_EDIT)
    form = ResidentForm(request.POST or None, initial={"place": request.GET.get("place", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            place, household = _place_and_household(request.user, data)
            resident = services.resident_create(
                actor=request.user,
                id_number=data["id_number"],
                name=data["name"],
                phone=data["phone"],
                division=place,
                household=household,
                relation=data["relation"],
                reason=data["reason"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Resident registered."))
            return redirect("people:resident", pk=resident.pk)
    return render(
        request, "people/resident_form.html", {"form": form, "section": "residents", "new": True}
    )


def _place_and_household(user: Any, data: dict[str, Any]) -> tuple[Division, Household | None]:
    place = divisions_for_user(user).filter(named(data["place"])).first()
    if place is None:
        raise ValidationError({"place": [_("No place with this code in your jurisdiction")]})
    return place, _household_for(user, data["household_code"], place)


def _household_for(user: Any, code: str, place: Division) -> Household | None:
    code = (code or "").strip()
    if not code:
        return None
    existing = selectors.households_for_user(user).filter(code=code).first()
    if existing is not None:
        return existing
    if Household.objects.filter(code=code).exists():
        raise ValidationError({"household_code": [_("This household code is already used")]})
    return services.household_create(actor=user, code=code, division=place)


@login_required
def resident_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, Cap.RESIDENTS_EDIT)
    resident = selectors.resident_for_user(request.user, pk)
    initial = {
        "id_number": resident.id_number_masked,
        "name": resident.name,
        "phone": resident.phone_masked,  # opening the form reveals nothing
        "place": resident.division.code,
        "household_code": resident.household.code if resident.household else "",
        "relation": resident.relation,
    }
    form = ResidentForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            place, household = _place_and_household(request.user, data)
            services.resident_update(
                actor=request.user,
                resident=resident,
                name=data["name"],
                phone=None if data["phone"] == resident.phone_masked else data["phone"],
                division=place,
                household=household,
                relation=data["relation"],
                reason=data["reason"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("people:resident", pk=resident.pk)
    return render(
        request,
        "people/resident_form.html",
        {"form": form, "r": resident, "section": "residents", "new": False},
    )


@login_required
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    household = selectors.household_for_user(request.user, pk)
    members = list(
        _with_places(selectors.residents_for_user(request.user).filter(household=household))
    )
    today = timezone.localdate()
    for m in members:
        m.age = age_on(m.birth_date, today)
    return render(
        request,
        "people/household_detail.html",
        {"h": household, "members": members, "section": "residents"},
    )


def _ledger_filters(request: HttpRequest) -> dict[str, Any]:
    category = request.GET.get("category", "")
    if category not in KeyCategory.values:
        category = ""
    place = None
    if request.GET.get("place"):
        place = divisions_for_user(request.user).filter(key=request.GET["place"]).first()
    return {"category": category, "within": place}


def _ledger_places(user: Any) -> list[Division]:
    """Communities and grids the user may filter by (bounded)."""
    return list(
        divisions_for_user(user)
        .filter(level__in=[Level.COMMUNITY, Level.GRID])
        .order_by("key")[:2000]
    )


@login_required
def key_person_list(request: HttpRequest) -> HttpResponse:
    filters = _ledger_filters(request)
    qs = selectors.key_persons_for_user(request.user, **filters).select_related(
        "resident__division__parent__parent"
    )
    rows, pager = page_window(request, qs)
    needs = selectors.open_needs_by_resident([r.resident_id for r in rows])
    today = timezone.localdate()
    for row in rows:
        row.age = age_on(row.resident.birth_date, today)
        row.place = place_label(row.resident.division)
        row.open_needs = needs.get(row.resident_id, [])
    return render(
        request,
        "people/key_person_list.html",
        {
            "rows": rows,
            "pager": pager,
            "categories": KeyCategory.choices,
            "category": filters["category"],
            "place": filters["within"],
            "places": _ledger_places(request.user) if can(request.user, Cap.PLACES_VIEW) else [],
            "section": "key_persons",
        },
    )


@login_required
def key_person_export(request: HttpRequest) -> HttpResponse:
    """Masked for everyone (GET); in full only on a POST by a role that may reveal, with a
    reason (filters stay in the query string)."""
    filters = _ledger_filters(request)
    qs = selectors.key_persons_for_user(request.user, **filters).select_related(
        "resident__division__parent__parent"
    )
    reason = ""
    if request.method == "POST" and request.POST.get("reveal"):
        try:
            reason = export_reveal_allowed(request.user, request.POST.get("reason", ""))
        except ValidationError as exc:
            return HttpResponse(" ".join(exc.messages), status=400)
    content, count = key_person_workbook(request.user, qs, reveal=bool(reason), reason=reason)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="key-persons-{stamp}.xlsx"'
    response["X-Row-Count"] = str(count)
    return response


def _post_form_or_back(request: HttpRequest, form: Form, pk: int) -> bool:
    if form.is_valid():
        return True
    flash(request, form=form)
    return False


@login_required
@require_POST
def key_person_new(request: HttpRequest, pk: int) -> HttpResponse:
    resident = selectors.resident_for_user(request.user, pk)
    form = KeyPersonForm(request.POST)
    if _post_form_or_back(request, form, pk):
        try:
            services.key_person_add(
                actor=request.user,
                resident=resident,
                category=form.cleaned_data["category"],
                note=form.cleaned_data["note"],
                since=form.cleaned_data["since"],
            )
            messages.success(request, _("Added to the key-person ledger."))
        except ValidationError as exc:
            for msg in exc.messages:
                messages.error(request, msg)
    return redirect("people:resident", pk=pk)


@login_required
@require_POST
def key_person_remove_view(request: HttpRequest, pk: int) -> HttpResponse:
    entry = selectors.key_person_for_user(request.user, pk)
    form = ReasonForm(request.POST)
    if _post_form_or_back(request, form, entry.resident_id):
        services.key_person_remove(
            actor=request.user, entry=entry, reason=form.cleaned_data["reason"]
        )
        messages.success(request, _("Removed from the key-person ledger."))
    return redirect("people:resident", pk=entry.resident_id)


@login_required
@require_POST
def need_new(request: HttpRequest, pk: int) -> HttpResponse:
    resident = selectors.resident_for_user(request.user, pk)
    form = NeedForm(request.POST)
    if _post_form_or_back(request, form, pk):
        try:
            services.need_add(actor=request.user, resident=resident, **form.cleaned_data)
            messages.success(request, _("Need recorded."))
        except ValidationError as exc:
            for msg in exc.messages:
                messages.error(request, msg)
    return redirect("people:resident", pk=pk)


@login_required
@require_POST
def need_fulfil_view(request: HttpRequest, pk: int) -> HttpResponse:
    need = selectors.need_for_user(request.user, pk)
    try:
        services.need_fulfil(actor=request.user, need=need, note=request.POST.get("note", ""))
        messages.success(request, _("Need marked as met."))
    except ValidationError as exc:
        for msg in exc.messages:
            messages.error(request, msg)
    return redirect("people:resident", pk=need.resident_id)


@login_required
@require_POST
def need_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    need = selectors.need_for_user(request.user, pk)
    form = ReasonForm(request.POST)
    if _post_form_or_back(request, form, need.resident_id):
        try:
            services.need_cancel(actor=request.user, need=need, reason=form.cleaned_data["reason"])
            messages.success(request, _("Need cancelled."))
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, str(exc))
    return redirect("people:resident", pk=need.resident_id)
