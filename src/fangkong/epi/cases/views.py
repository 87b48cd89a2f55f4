"""Pages of the case registry."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
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
from fangkong.places.models import Division

CASE_FIELDS = ("person__division",)


def history(user: Any, obj: Case | Contact) -> Any:
    """The last events of a case or contact the user may see (their pages show them)."""
    return events_for_user(user).filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))[
        :100
    ]


# Cases --------------------------------------------------------------------------------


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    form = CaseFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.case_search(request.user, **{k: v for k, v in filters.items() if v})
    figures = selectors.case_figures(qs)
    rows, pager = page_window(request, qs.select_related(*CASE_FIELDS))
    return render(
        request,
        "epi/case_list.html",
        {"form": form, "rows": rows, "pager": pager, "figures": figures, "section": "cases"},
    )


@login_required
def case_new(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.CASES_EDIT)
    form = CaseRegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        code = data.pop("place").strip()
        try:
            place = Division.objects.filter(code=code).first() if code else None
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
