"""Pages of the case registry."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms import Form
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fangkong.audit.selectors import events_for_user
from fangkong.core.access import Cap, can, require
from fangkong.core.pages import apply_errors, flash, page_window
from fangkong.epi.cases import selectors, services
from fangkong.epi.cases.forms import (
    CaseFilterForm,
    CaseRegisterForm,
    CloseForm,
    ImportForm,
    ReclassifyForm,
    TransferForm,
    grid_columns,
)
from fangkong.epi.models import Case, Contact, Degree
from fangkong.places.models import Division, named

CASE_FIELDS = ("person__division",)


def history(user: Any, obj: Case | Contact) -> Any:
    """The last events of a case or contact the user may see (their pages show them)."""
    return events_for_user(user).filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))[
        :100
    ]


# Cases --------------------------------------------------------------------------------


def _filter_query(form: CaseFilterForm) -> str:
    """The list's filters as a query string (no page number): what "all matching" sends."""
    query = QueryDict(mutable=True)
    if form.is_bound and form.is_valid():
        query.update({k: str(v) for k, v in form.cleaned_data.items() if v})
    return query.urlencode()


# Many cases at once: the list's actions, each a form (prefixed by its name) and a service.
BULK: dict[str, tuple[type[Form], Any, Any]] = {
    "reclassify": (ReclassifyForm, services.cases_reclassify, gettext_lazy("Reclassify")),
    "transfer": (TransferForm, services.cases_transfer, gettext_lazy("Transfer the cases")),
    "close": (CloseForm, services.cases_close, gettext_lazy("Close the cases")),
}


def _bulk_form(name: str, data: Any = None, auto_id: str = "id_%s") -> tuple[str, Any, Form]:
    form_class, _service, label = BULK[name]
    return name, label, form_class(data, prefix=name, auto_id=auto_id)


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    form = CaseFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.case_search(request.user, **{k: v for k, v in filters.items() if v})
    figures = selectors.case_figures(qs)
    rows, pager = page_window(request, qs.select_related(*CASE_FIELDS))
    can_edit = can(request.user, Cap.CASES_EDIT)
    context: dict[str, Any] = {
        "form": form,
        "rows": rows,
        "pager": pager,
        "figures": figures,
        "can_edit": can_edit,
        "section": "cases",
    }
    if can_edit and rows:
        context.update(
            ticked=[_bulk_form(name) for name in BULK],
            matching_forms=[_bulk_form(name, auto_id="all_%s") for name in BULK],
            query=_filter_query(form),
            matching=figures["total"],  # the figures count the list's filter
        )
    return render(request, "epi/case_list.html", context)


@login_required
def case_new(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.CASES_EDIT)
    form = CaseRegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        code = data.pop("place").strip()
        try:
            place = Division.objects.filter(named(code)).first() if code else None
            if code and place is None:
                raise ValidationError({"place": [_("No place has this code")]})
            case = services.case_register(actor=request.user, place=place, **data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Case %(number)s registered.") % {"number": case.number})
            return redirect("epi:case", pk=case.pk)
    return render(request, "epi/case_form.html", {"form": form, "section": "cases"})


@login_required
def case_detail(request: HttpRequest, pk: int, grid: Any = None) -> HttpResponse:
    case = selectors.case_for_user(request.user, pk)
    can_contacts = can(request.user, Cap.CONTACTS_VIEW)
    grouped = selectors.contacts_of_case(request.user, case) if can_contacts else {}
    context = {
        "case": case,
        "close": grouped.get(Degree.CLOSE, []),
        "secondary": grouped.get(Degree.SECONDARY, []),
        "can_contacts": can_contacts,
        "can_edit": can(request.user, Cap.CASES_EDIT),
        "can_add": can(request.user, Cap.CONTACTS_EDIT),
        "is_open": case.status in services.OPEN_CASE,
        "reclassify_form": ReclassifyForm(),
        "transfer_form": TransferForm(),
        "close_form": CloseForm(),
        "import_form": ImportForm(),
        "grid": grid,
        "grid_columns": grid_columns(),
        "events": history(request.user, case),
        "section": "cases",
    }
    return render(
        request, "epi/case_detail.html", context, status=200 if grid is None or grid.ok else 400
    )


def _case_action(
    request: HttpRequest, pk: int, form_class: type[Form], action: Any
) -> HttpResponse:
    case = selectors.case_for_user(request.user, pk)
    form = form_class(request.POST)
    if not form.is_valid():
        flash(request, form=form)
        return redirect("epi:case", pk=pk)
    try:
        action(actor=request.user, case=case, **form.cleaned_data)
    except ValidationError as exc:
        flash(request, exc)
    else:
        messages.success(request, _("Saved."))
    return redirect("epi:case", pk=pk)


@login_required
@require_POST
def case_reclassify(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, Cap.CASES_EDIT)
    return _case_action(request, pk, ReclassifyForm, services.case_reclassify)


@login_required
@require_POST
def case_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, Cap.CASES_EDIT)
    return _case_action(request, pk, TransferForm, services.case_transfer)


@login_required
@require_POST
def case_close(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, Cap.CASES_EDIT)
    return _case_action(request, pk, CloseForm, services.case_close)


def _filtered(request: HttpRequest, query: str) -> tuple[CaseFilterForm, QuerySet[Case]]:
    """The cases of the list page with the filters of `query` (its query string)."""
    form = CaseFilterForm(QueryDict(query))
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.case_search(request.user, **{k: v for k, v in filters.items() if v})
    return form, qs


# Refused cases named in the messages after a refused bulk change (the rest are counted).
REFUSED_NAMED = 10


def _report(request: HttpRequest, batch: services.StatusBatch) -> None:
    if batch.refused:
        messages.error(
            request,
            _("Nothing was changed: %(n)s cases cannot make this change.")
            % {"n": len(batch.refused)},
        )
        named = sorted(batch.refused)[:REFUSED_NAMED]
        numbers = dict(
            selectors.cases_for_user(request.user).filter(pk__in=named).values_list("pk", "number")
        )
        for pk in named:
            messages.error(request, f"{numbers.get(pk, f'#{pk}')}: {batch.refused[pk]}")
        return
    messages.success(
        request,
        _("%(changed)s cases changed, %(unchanged)s were already so.")
        % {"changed": len(batch.changed), "unchanged": len(batch.unchanged)},
    )


def _shown(form: Form) -> list[tuple[Any, Any]]:
    """The change asked for, field by field, as the confirmation page states it."""
    out = []
    for bound in form:
        value = form.cleaned_data.get(bound.name)
        choices = dict(getattr(bound.field, "choices", ()))
        if value in choices:
            value = choices[value]
        elif value is None:
            value = _("Now")
        out.append((bound.label, value))
    return out


@login_required
@require_POST
def case_bulk(request: HttpRequest) -> HttpResponse:
    """Reclassify or close the ticked cases, or (`query`: the list's filter) every case
    matching the filter: shown first for confirmation with their number, then changed all at
    once (`services.cases_reclassify`, `services.cases_close`)."""
    require(request.user, Cap.CASES_EDIT)
    action = request.POST.get("action", "")
    by_filter = "query" in request.POST
    query = request.POST.get("query", "")
    back = redirect(f"{reverse('epi:cases')}?{query}" if by_filter else reverse("epi:cases"))
    if action not in BULK:
        messages.error(request, _("Choose what to change."))
        return back
    name, label, form = _bulk_form(action, request.POST)
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
    if not form.is_valid() or not (ids or by_filter):
        flash(request, form=form)
        if not (ids or by_filter):
            messages.error(request, _("Tick the cases to change."))
        return back
    selection = None
    if by_filter:
        filter_form, selection = _filtered(request, query)
        if "confirm" not in request.POST:
            context = {
                "form": form,
                "action": name,
                "action_label": label,
                "shown": _shown(form),
                "filter_form": filter_form,
                "query": query,
                "count": selection.count(),
                "section": "cases",
            }
            return render(request, "epi/case_bulk_confirm.html", context)
    service = BULK[action][1]
    try:
        batch = service(
            actor=request.user,
            ids=None if by_filter else ids,
            selection=selection,
            **form.cleaned_data,
        )
    except ValidationError as exc:
        flash(request, exc)
        return back
    _report(request, batch)
    return back
