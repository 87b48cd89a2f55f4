"""Pages of the contact lists: a case's contacts added by the line-listing grid or a file, the
contact list and pages, and requests for contacts registered elsewhere (协查)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.audit.selectors import events_for_user
from fangkong.core.access import Cap, can, in_scope, require
from fangkong.core.pages import flash, page_window
from fangkong.core.uploads import uploaded_path
from fangkong.epi.cases.forms import ImportForm, grid_columns
from fangkong.epi.cases.selectors import case_for_user
from fangkong.epi.cases.views import case_detail, history
from fangkong.epi.contacts import importing, selectors, services
from fangkong.epi.contacts import requests as contact_requests
from fangkong.epi.contacts.forms import ContactFilterForm, ContactStatusForm, ConvertForm
from fangkong.epi.models import Contact, ContactStatus, RequestStatus

# A case's contacts -----------------------------------------------------------------------------


@login_required
@require_POST
def case_contacts_grid(request: HttpRequest, pk: int) -> HttpResponse:
    """Save many pasted lines as contacts at once; errors come back per line and column."""
    require(request.user, Cap.CONTACTS_EDIT)
    case = case_for_user(request.user, pk)
    grid = importing.add_from_grid(
        actor=request.user, case=case, text=request.POST.get("lines", "")
    )
    if not grid.lines:
        messages.error(request, _("Paste or type at least one line."))
        return redirect("epi:case", pk=pk)
    if not grid.ok:
        grid.text = request.POST.get("lines", "")
        grid.table = [
            (
                number,
                [
                    (cells[i] if i < len(cells) else "", grid.errors.get((number, c), []))
                    for i, (c, _l) in enumerate(grid_columns())
                ],
                grid.row_errors.get(number, []),
            )
            for number, cells in enumerate(grid.lines, start=1)
        ]
        return case_detail(request, pk, grid=grid)
    messages.success(request, _("%(n)s contacts added.") % {"n": len(grid.added)})
    for line, message in [*grid.duplicates, *grid.requested]:
        messages.warning(
            request, _("Line %(line)s: %(message)s") % {"line": line, "message": message}
        )
    return redirect("epi:case", pk=pk)


@login_required
@require_POST
def case_contacts_import(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, Cap.CONTACTS_EDIT)
    case = case_for_user(request.user, pk)
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        flash(request, form=form)
        return redirect("epi:case", pk=pk)
    upload = form.cleaned_data["file"]
    with uploaded_path(upload) as path:
        result = importing.import_contacts(
            actor=request.user, case=case, path=path, filename=upload.name
        )
    return render(
        request,
        "epi/contact_import_result.html",
        {"case": case, "result": result, "section": "cases"},
        status=200 if result.ok else 400,
    )


# Contacts -----------------------------------------------------------------------------


def _filter_query(form: ContactFilterForm) -> str:
    """The list's filters as a query string (no page number): what "all matching" sends."""
    query = QueryDict(mutable=True)
    if form.is_bound and form.is_valid():
        query.update({k: v for k, v in form.cleaned_data.items() if v})
    return query.urlencode()


@login_required
def contact_list(request: HttpRequest) -> HttpResponse:
    form = ContactFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.contacts_for_user(
        request.user, status=filters.get("status", ""), degree=filters.get("degree", "")
    )
    figures = selectors.contact_figures(selectors.contacts_for_user(request.user))
    rows, pager = page_window(request, qs.select_related("person", "case", "venue").order_by("-id"))
    return render(
        request,
        "epi/contact_list.html",
        {
            "form": form,
            "rows": rows,
            "pager": pager,
            "figures": [(s, figures[s.value]) for s in ContactStatus],
            "status_form": ContactStatusForm(),
            "all_status_form": ContactStatusForm(auto_id="all_%s"),
            "can_edit": can(request.user, Cap.CONTACTS_EDIT),
            "query": _filter_query(form),
            # one COUNT only when the matches run past this page
            "matching": qs.count() if pager["next"] else pager["first"] - 1 + len(rows),
            "section": "contacts",
        },
    )


def _filtered(request: HttpRequest, query: str) -> tuple[ContactFilterForm, QuerySet[Contact]]:
    """The contacts of the list page with the filters of `query` (its query string)."""
    form = ContactFilterForm(QueryDict(query))
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.contacts_for_user(
        request.user, status=filters.get("status", ""), degree=filters.get("degree", "")
    )
    return form, qs


# Refused contacts named in the messages after a refused bulk change (the rest are counted).
REFUSED_NAMED = 10


def _report(request: HttpRequest, batch: services.StatusBatch) -> None:
    if batch.refused:
        messages.error(
            request,
            _("Nothing was changed: %(n)s contacts cannot make this move.")
            % {"n": len(batch.refused)},
        )
        named = sorted(batch.refused)[:REFUSED_NAMED]
        names = dict(
            selectors.contacts_for_user(request.user)
            .filter(pk__in=named)
            .values_list("pk", "person__name")
        )
        for pk in named:
            messages.error(request, f"{names.get(pk, f'#{pk}')}: {batch.refused[pk]}")
        return
    messages.success(
        request,
        _("%(changed)s contacts changed, %(unchanged)s already had this status.")
        % {"changed": len(batch.changed), "unchanged": len(batch.unchanged)},
    )


@login_required
@require_POST
def contact_status_bulk(request: HttpRequest) -> HttpResponse:
    """Change the ticked contacts, or (`query`: the list's filter) every contact matching the
    filter: shown first for confirmation with their number, then changed all at once."""
    require(request.user, Cap.CONTACTS_EDIT)
    form = ContactStatusForm(request.POST)
    by_filter = "query" in request.POST
    query = request.POST.get("query", "")
    back = redirect(f"{reverse('epi:contacts')}?{query}" if by_filter else reverse("epi:contacts"))
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
    if not form.is_valid() or not (ids or by_filter):
        flash(request, form=form)
        if not (ids or by_filter):
            messages.error(request, _("Tick the contacts to change."))
        return back
    selection = None
    if by_filter:
        filter_form, selection = _filtered(request, query)
        if "confirm" not in request.POST:
            context = {
                "form": form,
                "filter_form": filter_form,
                "query": query,
                "count": selection.count(),
                "status_label": ContactStatus(form.cleaned_data["status"]).label,
                "section": "contacts",
            }
            return render(request, "epi/contact_status_confirm.html", context)
    try:
        batch = services.contacts_set_status(
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


@login_required
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contact = selectors.contact_for_user(request.user, pk)
    next_statuses = [
        (s, ContactStatus(s).label)
        for s in ContactStatus.values
        if s in services.CONTACT_NEXT[contact.status]
    ]
    context = {
        "c": contact,
        "next_statuses": next_statuses,
        "can_edit": can(request.user, Cap.CONTACTS_EDIT),
        "can_convert": can(request.user, Cap.CONTACTS_EDIT)
        and can(request.user, Cap.CASES_EDIT)
        and contact.became_case_id is None,
        "can_see_case": can(request.user, Cap.CASES_VIEW),
        "convert_form": ConvertForm(),
        "events": history(request.user, contact),
        "section": "contacts",
    }
    contact.via_visible = contact.via is not None and in_scope(  # type: ignore[attr-defined]
        request.user, contact.via.division_key
    )
    return render(request, "epi/contact_detail.html", context)


@login_required
@require_POST
def contact_status(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, Cap.CONTACTS_EDIT)
    contact = selectors.contact_for_user(request.user, pk)
    form = ContactStatusForm(request.POST)
    if not form.is_valid():
        flash(request, form=form)
        return redirect("epi:contact", pk=pk)
    try:
        services.contact_set_status(actor=request.user, contact=contact, **form.cleaned_data)
    except ValidationError as exc:
        flash(request, exc)
    else:
        messages.success(request, _("Status changed."))
    return redirect("epi:contact", pk=pk)


@login_required
@require_POST
def contact_convert(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, Cap.CASES_EDIT)
    contact = selectors.contact_for_user(request.user, pk)
    form = ConvertForm(request.POST)
    if not form.is_valid():
        flash(request, form=form)
        return redirect("epi:contact", pk=pk)
    try:
        case = services.contact_convert_to_case(
            actor=request.user, contact=contact, **form.cleaned_data
        )
    except ValidationError as exc:
        flash(request, exc)
        return redirect("epi:contact", pk=pk)
    messages.success(request, _("Case %(number)s registered.") % {"number": case.number})
    return redirect("epi:case", pk=case.pk)


# Requests for contacts registered elsewhere (协查) -----------------------------------------


@login_required
def contact_request_list(request: HttpRequest) -> HttpResponse:
    """Requests to decide (the person's district or the city) and requests sent from cases of
    the user's jurisdiction (their outcome, never the person)."""
    wanted = request.GET.get("status", RequestStatus.PENDING)
    status = wanted if wanted in RequestStatus.values else ""
    decides = contact_requests.decides_requests(request.user)
    incoming = contact_requests.requests_to_decide(request.user, status=status)
    rows, pager = page_window(request, incoming.select_related(*contact_requests.RELATED))
    sent = contact_requests.requests_sent(request.user, status=status).select_related(
        *contact_requests.RELATED
    )
    context = {
        "rows": rows,
        "pager": pager,
        "sent": list(sent[:100]),
        "decides": decides,
        "statuses": RequestStatus.choices,
        "wanted": status or "all",
        "section": "contact_requests",
    }
    return render(request, "epi/contact_request_list.html", context)


@login_required
def contact_request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    found, decides = contact_requests.request_for_user(request.user, pk)
    context = {
        "q": found,
        "decides": decides,
        "events": events_for_user(request.user).filter(
            object_type=found._meta.label_lower, object_id=str(found.pk)
        )[:100]
        if decides
        else [],
        "section": "contact_requests",
    }
    return render(request, "epi/contact_request_detail.html", context)


@login_required
@require_POST
def contact_request_decide(request: HttpRequest, pk: int) -> HttpResponse:
    found, _decides = contact_requests.request_for_user(request.user, pk)
    decision = request.POST.get("decision", "")
    if decision not in ("confirm", "reject"):
        messages.error(request, _("Choose to confirm or to reject."))
        return redirect("epi:contact_request", pk=pk)
    try:
        contact_requests.contact_request_decide(
            actor=request.user,
            request=found,
            confirm=decision == "confirm",
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        flash(request, exc)
        return redirect("epi:contact_request", pk=pk)
    messages.success(request, _("Decision recorded."))
    return redirect("epi:contact_requests")
