"""Pages of medical requests: the list (with the batch routing of the open ones for the
medical task force), raising a request (staff, phone-friendly), a request's page (why it went
where it went, its history, its status), and the resident's own phone page."""

import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.audit.labels import SELF_SERVICE
from fangkong.care.lines.selectors import lines_of_person
from fangkong.care.models import Channel, RequestStatus
from fangkong.care.requests import selectors, services
from fangkong.care.requests.forms import MyRequestForm, RequestForm, StatusForm
from fangkong.core.access import Cap, can, require
from fangkong.core.pages import apply_errors, page_window
from fangkong.healthcode.appeals import person_by_identity
from fangkong.healthcode.forms import IdentityForm
from fangkong.healthcode.views import my_code_throttled
from fangkong.people.models import Resident

SECTION = "care_requests"
SESSION_KEY = "care_person"
SESSION_SECONDS = 30 * 60


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    """Requests the user may see, newest first; open ones by default."""
    show = request.GET.get("status", "open")
    qs = selectors.requests_for_user(request.user).select_related("person", "facility")
    if show == "open":
        qs = qs.filter(status__in=services.OPEN)
    elif show in RequestStatus.values:
        qs = qs.filter(status=show)
    rows, pager = page_window(request, qs)
    return render(
        request,
        "care/requests.html",
        {
            "rows": rows,
            "pager": pager,
            "show": show,
            "statuses": RequestStatus.choices,
            "can_raise": can(request.user, Cap.CARE_REQUEST),
            "can_route": can(request.user, Cap.CARE_MANAGE),
            "section": SECTION,
        },
    )


@login_required
@require_POST
def request_route_open(request: HttpRequest) -> HttpResponse:
    """Route again, in one batch, every open request not yet accepted (the task force, after
    a change of the table or of the facilities in service)."""
    require(request.user, Cap.CARE_MANAGE)
    ids = list(
        selectors.requests_for_user(request.user)
        .filter(status__in=[RequestStatus.REQUESTED, RequestStatus.ROUTED])
        .values_list("pk", flat=True)
    )
    count = services.requests_route(actor=request.user, ids=ids)
    messages.success(request, _("%(n)s requests routed by the rules in force.") % {"n": count})
    return redirect("care:requests")


@login_required
def request_new(request: HttpRequest) -> HttpResponse:
    """Raise a request for a person of the jurisdiction (grid worker, quarantine site,
    hotline, task force): routed at once."""
    require(request.user, Cap.CARE_REQUEST)
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = services.person_in_scope(request.user, data["id_number"])
            raised = services.request_raise(
                actor=request.user,
                person=person,
                type=data["type"],
                channel=services.channel_of(request.user),
                description=data["description"],
                contact_phone=data["contact_phone"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Request raised and routed."))
            return redirect("care:request", pk=raised.pk)
    return render(request, "care/request_new.html", {"form": form, "section": SECTION})


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    care_request = selectors.request_for_user(request.user, pk)
    form = StatusForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_set_status(
                actor=request.user,
                request=care_request,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                happened_at=form.cleaned_data["happened_at"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Status saved."))
            return redirect("care:request", pk=pk)
    return render(
        request,
        "care/request_detail.html",
        {
            "item": care_request,
            "why": selectors.why(care_request),
            "events": selectors.request_history(care_request),
            "form": form if care_request.status in services.MOVES else None,
            "section": SECTION,
        },
    )


# The resident's own page (no login) -------------------------------------------------------


def session_person(request: HttpRequest) -> Resident | None:
    entry = request.session.get(SESSION_KEY)
    if not entry or time.time() - entry.get("at", 0) > SESSION_SECONDS:
        return None
    return Resident.objects.filter(pk=entry.get("person")).first()


def my_request(request: HttpRequest) -> HttpResponse:
    """The resident asks for care from their phone, identified by ID number and phone (like
    /my-code/); the request is routed at once and the page says where it went and why."""
    person = session_person(request)
    if person is None:
        identity = IdentityForm(request.POST or None)
        if request.method == "POST":
            if my_code_throttled(request):
                identity.add_error(
                    None, _("Too many attempts from this network; try again in an hour.")
                )
                return render(request, "care/my_identify.html", {"form": identity}, status=429)
            if identity.is_valid():
                found = person_by_identity(
                    identity.cleaned_data["id_number"], identity.cleaned_data["phone"]
                )
                if found is not None:
                    request.session.cycle_key()
                    request.session[SESSION_KEY] = {"person": found.pk, "at": time.time()}
                    return redirect("care_public:my_request")
                identity.add_error(None, _("No person matches this ID number and phone."))
        return render(request, "care/my_identify.html", {"form": identity})
    form = MyRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            raised = services.request_raise(
                actor=SELF_SERVICE,
                person=person,
                type=form.cleaned_data["type"],
                channel=Channel.RESIDENT,
                description=form.cleaned_data["description"],
                contact_phone=form.cleaned_data["contact_phone"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            request.session[SESSION_KEY] = {**request.session[SESSION_KEY], "last": raised.pk}
            return redirect("care_public:my_request")
    last_pk = request.session[SESSION_KEY].get("last")
    last = (
        person.care_requests.select_related("facility").filter(pk=last_pk).first()
        if last_pk
        else None
    )
    return render(
        request,
        "care/my_request.html",
        {
            "form": form,
            "last": last,
            "why": selectors.why(last) if last else "",
            "lines": lines_of_person(person),
        },
    )


@require_POST
def my_request_leave(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_KEY, None)
    return redirect("care_public:my_request")
