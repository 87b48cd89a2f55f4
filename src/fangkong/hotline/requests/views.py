"""Pages of citizen requests: the operator's intake (keyboard only: phone, ID, what is said,
the suggested category confirmed by Enter), the list, a request's page (why it went where it
went, duplicates to merge, the department's and the operator's actions, its history), and the
public form with the caller's own page (no login)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.labels import ANONYMOUS
from fangkong.core.access import Cap, can, require
from fangkong.core.pages import apply_errors, page_window
from fangkong.hotline.dispatch.selectors import staffs_department
from fangkong.hotline.dispatch.services import requests_escalate
from fangkong.hotline.models import HotlineCategory, HotlineRequest, HotlineStatus
from fangkong.hotline.requests import selectors, services
from fangkong.hotline.requests.forms import (
    CallbackForm,
    CategoryForm,
    CompleteForm,
    IntakeForm,
    MergeForm,
    NoteForm,
    PublicForm,
    ReasonForm,
    WeChatForm,
)
from fangkong.hotline.words import within_words
from fangkong.policy.accessor import at

SECTION = "hotline"
OPEN = "open"
LATE = "late"


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    """Requests the user may see, newest first: open ones by default, or late, or by status,
    category; "mine": those dispatched to the departments the user staffs."""
    show = request.GET.get("status", OPEN)
    category = request.GET.get("category", "")
    qs = selectors.requests_for_user(request.user).select_related("department")
    if show == OPEN:
        qs = qs.filter(status__in=[s.value for s in HotlineStatus if s.value in _OPEN])
    elif show == LATE:
        requests_escalate()  # escalations right even if the worker lags
        qs = selectors.late_requests(request.user).select_related("department")
    elif show in HotlineStatus.values:
        qs = qs.filter(status=show)
    if category in HotlineCategory.values:
        qs = qs.filter(category=category)
    if request.GET.get("mine"):
        qs = qs.filter(department__staff=request.user.pk)
    rows, pager = page_window(request, qs)
    return render(
        request,
        "hotline/requests.html",
        {
            "rows": rows,
            "pager": pager,
            "show": show,
            "category": category,
            "mine": bool(request.GET.get("mine")),
            "statuses": HotlineStatus.choices,
            "categories": HotlineCategory.choices,
            "can_take": can(request.user, Cap.HOTLINE_INTAKE),
            "now": timezone.now(),
            "section": SECTION,
        },
    )


_OPEN = {
    s.value
    for s in (
        HotlineStatus.QUEUED,
        HotlineStatus.RECEIVED,
        HotlineStatus.DISPATCHED,
        HotlineStatus.ACCEPTED,
        HotlineStatus.COMPLETED,
    )
}


@login_required
def intake(request: HttpRequest) -> HttpResponse:
    """Take a call: the caller found by phone or ID number, the category suggested as the
    text is typed (Enter confirms it), written and dispatched at once; the page is ready for
    the next call."""
    require(request.user, Cap.HOTLINE_INTAKE)
    form = IntakeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            taken = services.request_take(
                actor=request.user,
                channel=data["channel"],
                text=data["text"],
                category=data["category"],
                caller_name=data["caller_name"],
                caller_phone=data["caller_phone"],
                id_number=data["id_number"],
                place_text=data["place"],
                happened_at=data["happened_at"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            where = taken.department.name if taken.department else _("the 12345 centre")
            messages.success(
                request,
                _("Request %(number)s taken: %(category)s, sent to %(where)s.")
                % {
                    "number": taken.number,
                    "category": taken.get_category_display(),
                    "where": where,
                },
            )
            return redirect(f"{request.path}?last={taken.pk}")
    last = None
    if request.GET.get("last", "").isdigit():
        last = selectors.requests_for_user(request.user).filter(pk=int(request.GET["last"])).first()
    return render(
        request,
        "hotline/intake.html",
        {"form": form, "last": last, "section": "hotline_intake"},
    )


@login_required
def wechat(request: HttpRequest) -> HttpResponse:
    """Paste a WeChat group's messages: each becomes a request, repeats left out."""
    require(request.user, Cap.HOTLINE_INTAKE)
    form = WeChatForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            made, left_out = services.wechat_paste(
                actor=request.user, text=form.cleaned_data["text"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(made)s requests taken from the messages; %(dup)s repeats left out.")
                % {"made": len(made), "dup": left_out},
            )
            return redirect("hotline:requests")
    return render(request, "hotline/wechat.html", {"form": form, "section": "hotline_intake"})


def _actions(user: Any, item: HotlineRequest) -> dict[str, bool]:
    manage = can(user, Cap.HOTLINE_MANAGE)
    department = manage or staffs_department(user, item.department_id)
    status = item.status
    return {
        "accept": department and status == HotlineStatus.DISPATCHED,
        "note": department and status in (HotlineStatus.DISPATCHED, HotlineStatus.ACCEPTED),
        "complete": department and status in (HotlineStatus.DISPATCHED, HotlineStatus.ACCEPTED),
        "callback": can(user, Cap.HOTLINE_INTAKE) and status == HotlineStatus.COMPLETED,
        "dispatch": manage
        and status in (HotlineStatus.QUEUED, HotlineStatus.RECEIVED, HotlineStatus.DISPATCHED),
        "category": manage
        and status in (HotlineStatus.QUEUED, HotlineStatus.RECEIVED, HotlineStatus.DISPATCHED),
        "cancel": manage and status in _OPEN,
        "merge": manage and status in _OPEN,
    }


FORMS = {
    "note": NoteForm,
    "complete": CompleteForm,
    "callback": CallbackForm,
    "category": CategoryForm,
    "cancel": ReasonForm,
    "dispatch": ReasonForm,
    "merge": MergeForm,
}


def _run(user: Any, item: HotlineRequest, action: str, data: dict[str, Any]) -> str:
    if action == "accept":
        services.request_accept(actor=user, request=item)
        return _("Accepted.")
    if action == "note":
        services.request_note(actor=user, request=item, text=data["text"])
        return _("Note saved.")
    if action == "complete":
        services.request_complete(actor=user, request=item, reply=data["reply"])
        return _("Completed: the caller will be called back.")
    if action == "callback":
        services.request_callback(
            actor=user,
            request=item,
            solved=data["solved"] == "yes",
            satisfaction=data["satisfaction"],
            note=data["note"],
        )
        return _("Call back recorded.")
    if action == "category":
        services.request_recategorise(
            actor=user, request=item, category=data["category"], reason=data["reason"]
        )
        return _("Category changed and the request dispatched again.")
    if action == "cancel":
        services.request_cancel(actor=user, request=item, reason=data["reason"])
        return _("Cancelled.")
    if action == "dispatch":
        services.request_dispatch(actor=user, request=item, reason=data.get("reason", ""))
        return _("Dispatched by the rule in force.")
    into = selectors.request_for_user(user, data["into"])
    services.request_merge(actor=user, duplicate=item, into=into)
    return _("Merged into %(number)s.") % {"number": into.number}


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.request_for_user(request.user, pk)
    allowed = _actions(request.user, item)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    bound: dict[str, Any] = {}
    if action:
        if not allowed.get(action):
            raise Http404
        form_class = FORMS.get(action)
        form = form_class(request.POST) if form_class else None
        if form is not None:
            bound[action] = form
        if form is None or form.is_valid():
            try:
                done = _run(request.user, item, action, form.cleaned_data if form else {})
            except ValidationError as exc:
                if form is None:
                    messages.error(request, " ".join(exc.messages))
                    return redirect("hotline:request", pk=pk)
                apply_errors(form, exc)
            else:
                messages.success(request, done)
                return redirect("hotline:request", pk=pk)
    forms = {name: bound.get(name) or cls() for name, cls in FORMS.items() if name != "merge"}
    return render(
        request,
        "hotline/request_detail.html",
        {
            "item": item,
            "caller_phone": item.caller_phone_masked,
            "allowed": allowed,
            "forms": forms,
            "why": why(item),
            "notes": item.notes.select_related("author"),
            "callers": selectors.callers_of(item),
            "duplicates": selectors.duplicates_of(request.user, item) if allowed["merge"] else [],
            "history": selectors.request_history(item),
            "late": item.due_at is not None
            and item.due_at < timezone.now()
            and item.status in _OPEN,
            "section": SECTION,
        },
    )


def why(item: HotlineRequest) -> str:
    """Which rule dispatched the request and where, in one sentence."""
    if item.rule_number is None:
        return _("Not dispatched yet.")
    where = (
        item.department.name
        if item.department
        else _("no department of this kind is in service: the 12345 centre dispatches it")
    )
    return _(
        "Rule %(n)s of the policy profile %(profile)s sends %(category)s to: %(where)s, "
        "to be solved within %(within)s."
    ) % {
        "n": item.rule_number,
        "profile": profile_label(item),
        "category": item.get_category_display(),
        "where": where,
        "within": within_words(item.sla_minutes or 0),
    }


def profile_label(item: HotlineRequest) -> str:
    policy = at(item.profile_code, item.profile_version) if item.profile_version else None
    return str(policy.profile.label) if policy else _("no longer on record")


def client_address(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def public_form(request: HttpRequest) -> HttpResponse:
    """The public web form (no login, no third-party captcha): over the policy's limits a
    request is queued for an operator, never dropped."""
    form = PublicForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["website"]:  # a bot: answered as a person would be, nothing written
            return render(request, "hotline/public_thanks.html", {"item": None})
        try:
            taken = services.public_submit(
                text=data["text"],
                phone=data["phone"],
                name=data["name"],
                place_text=data["place"],
                address=client_address(request),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("hotline_public:mine", token=taken.caller_token)
    return render(request, "hotline/public_form.html", {"form": form})


def public_mine(request: HttpRequest, token: str) -> HttpResponse:
    """The caller's own page (by the token only they were given): where the request is, and,
    once completed, their confirmation and satisfaction."""
    item = HotlineRequest.objects.select_related("department").filter(caller_token=token).first()
    if item is None:
        raise Http404
    form = CallbackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_callback(
                actor=ANONYMOUS,
                request=item,
                solved=form.cleaned_data["solved"] == "yes",
                satisfaction=form.cleaned_data["satisfaction"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Thank you: your answer is recorded."))
            return redirect("hotline_public:mine", token=token)
    return render(
        request,
        "hotline/public_mine.html",
        {"item": item, "form": form, "notes": item.notes.all()},
    )
