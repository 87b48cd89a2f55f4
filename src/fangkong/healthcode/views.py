"""Health-code pages: a person's status for staff, overrides, appeals; and the pages without login
(verification by QR token, a person's own status and appeal)."""

import time
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.audit.selectors import person_history
from fangkong.core.access import Cap, can, require
from fangkong.core.addresses import client_ip
from fangkong.core.pages import apply_errors, page_window
from fangkong.healthcode import appeals, explanation, rules, selectors
from fangkong.healthcode.forms import AppealForm, DecideForm, IdentityForm, OverrideForm
from fangkong.healthcode.models import AppealStatus, CodeStatus
from fangkong.people.models import Resident
from fangkong.zones.selectors import zone_for_person

MY_CODE_ATTEMPTS_PER_HOUR = 10  # per IP address: ID number + phone guesses
MY_CODE_SESSION_SECONDS = 30 * 60


# ── staff pages ─────────────────────────────────────────────────────────────


def qr_svg(url: str) -> str:
    """An inline SVG QR code of `url`, made on the server."""
    return str(segno.make(url, error="m").svg_inline(scale=4, title=url))


def _verify_url(request: HttpRequest, code: CodeStatus) -> str:
    return request.build_absolute_uri(reverse("public:verify", args=[code.verify_token]))


def _status_context(request: HttpRequest, person: Resident, form: Any = None) -> dict[str, Any]:
    user = request.user
    code = selectors.status_ensure(person)
    may_override = can(user, Cap.CODE_OVERRIDE)
    history = person_history(user, person.pk).filter(
        Q(action__startswith="code.") | Q(action__startswith="appeal.")
    )
    verify_url = _verify_url(request, code)
    return {
        "person": person,
        "code": code,
        "until_day": rules.last_day(code.until),
        "rule_label": rules.RULE_LABELS.get(code.rule, code.rule),
        "explanation": explanation.explain(code, audience="staff"),
        "overrides": list(appeals.active_overrides(user, person)),
        "events": history[:100],
        "may_override": may_override,
        "form": form if form is not None else (OverrideForm() if may_override else None),
        "verify_url": verify_url,
        "qr": qr_svg(verify_url),
        "zone": zone_for_person(person),
        "section": "residents",
    }


@login_required
def status_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    person = selectors.person_for_status(request.user, person_id)
    return render(request, "healthcode/status_detail.html", _status_context(request, person))


@login_required
@require_POST
def status_override(request: HttpRequest, person_id: int) -> HttpResponse:
    person = selectors.person_for_status(request.user, person_id)
    require(request.user, Cap.CODE_OVERRIDE)
    form = OverrideForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            appeals.code_override_create(
                actor=request.user,
                person=person,
                colour=data["colour"],
                reason=data["reason"],
                basis=data["basis"],
                valid_until=data["valid_until"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Colour set by hand."))
            return redirect("healthcode:status", person_id=person.pk)
    context = _status_context(request, person, form)
    return render(request, "healthcode/status_detail.html", context, status=400)


@login_required
@require_POST
def override_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    override = appeals.override_for_user(request.user, pk)
    try:
        appeals.code_override_revoke(
            actor=request.user, override=override, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Manual setting revoked."))
    return redirect("healthcode:status", person_id=override.person_id)


@login_required
def appeal_list(request: HttpRequest) -> HttpResponse:
    wanted = request.GET.get("status", AppealStatus.OPEN)
    if wanted not in AppealStatus.values and wanted != "all":
        wanted = AppealStatus.OPEN
    qs = appeals.appeals_for_user(request.user, status="" if wanted == "all" else wanted)
    rows, pager = page_window(request, qs.order_by("created_at", "id"))
    profiles: dict[str, Any] = {}
    for appeal in rows:
        person = appeal.person
        code = getattr(person, "code_status", None) or selectors.green_status(person)
        appeal.code = code
        appeal.explanation = explanation.explain(code, audience="staff", profiles=profiles)
        appeal.phone_target = f"#appeal-phone-{appeal.pk}"
        appeal.reveal_form_id = f"reveal-appeal-{appeal.pk}"
    return render(
        request,
        "healthcode/appeal_list.html",
        {
            "rows": rows,
            "pager": pager,
            "wanted": wanted,
            "statuses": AppealStatus.choices,
            "form": DecideForm(),
            "section": "appeals",
        },
    )


@login_required
@require_POST
def appeal_decide(request: HttpRequest, pk: int) -> HttpResponse:
    appeal = appeals.appeal_for_user(request.user, pk)
    form = DecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision and give a reason."))
        return redirect("healthcode:appeals")
    data = form.cleaned_data
    try:
        appeals.appeal_decide(
            actor=request.user,
            appeal=appeal,
            uphold=data["decision"] == "uphold",
            reason=data["reason"],
            colour=data["colour"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Appeal decided."))
    return redirect("healthcode:appeals")


@login_required
@require_POST
def appeal_reveal_phone(request: HttpRequest, pk: int) -> HttpResponse:
    """The appellant's phone in full (htmx fragment), only with a reason."""
    appeal = appeals.appeal_for_user(request.user, pk)
    try:
        value = appeals.appeal_phone_reveal(
            actor=request.user, appeal=appeal, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400)
    return render(
        request,
        "people/_revealed.html",
        {"value": value, "field": "contact_phone", "form_id": f"reveal-appeal-{appeal.pk}"},
    )


# ── pages without login ─────────────────────────────────────────────────────


def masked_name(name: str) -> str:
    """Only the first character, as a QR checkpoint shows it: 张伟 → 张*."""
    return f"{name[:1]}*" if name else "*"


def verify(request: HttpRequest, token: str) -> HttpResponse:
    code = selectors.status_by_token(token)
    if code is None:
        raise Http404
    context = {
        "initial": masked_name(code.person.name),
        "colour": code.colour,
        "colour_label": explanation.colour_label(code.colour),
        "checked_at": timezone.localtime(),
        "until_day": rules.last_day(code.until),
    }
    return render(request, "healthcode/verify.html", context)


def my_code_throttled(request: HttpRequest) -> bool:
    """Count an attempt from this address; True once it made too many within the hour."""
    window = int(time.time() // 3600)
    key = f"my-code:{client_ip(request)}:{window}"
    cache.add(key, 0, 3600)
    try:
        attempts = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, 3600)
        attempts = 1
    return attempts > MY_CODE_ATTEMPTS_PER_HOUR


def _session_person(request: HttpRequest) -> Resident | None:
    entry = request.session.get("my_code")
    if not entry or time.time() - entry.get("at", 0) > MY_CODE_SESSION_SECONDS:
        return None
    return Resident.objects.filter(pk=entry.get("person")).first()


def _my_code_page(request: HttpRequest, person: Resident, appeal_form: Any = None) -> HttpResponse:
    code = selectors.status_ensure(person)
    verify_url = _verify_url(request, code)
    context = {
        "person_initial": masked_name(person.name),
        "code": code,
        "colour_label": explanation.colour_label(code.colour),
        "until_day": rules.last_day(code.until),
        "explanation": explanation.explain(code, audience="person"),
        "open_appeal": person.code_appeals.filter(status=AppealStatus.OPEN).first(),
        "appeal_form": appeal_form or AppealForm(),
        "qr": qr_svg(verify_url),
        "zone": zone_for_person(person),
    }
    return render(request, "healthcode/public_my_code.html", context)


def my_code(request: HttpRequest) -> HttpResponse:
    person = _session_person(request)
    if request.method != "POST" and person is not None:
        return _my_code_page(request, person)
    form = IdentityForm(request.POST or None)
    if request.method == "POST":
        if my_code_throttled(request):
            form.add_error(None, _("Too many attempts from this network; try again in an hour."))
            return render(request, "healthcode/public_identify.html", {"form": form}, status=429)
        if form.is_valid():
            found = appeals.person_by_identity(
                form.cleaned_data["id_number"], form.cleaned_data["phone"]
            )
            if found is not None:
                request.session.cycle_key()
                request.session["my_code"] = {"person": found.pk, "at": time.time()}
                return redirect("public:my_code")
            form.add_error(None, _("No person matches this ID number and phone."))
    return render(request, "healthcode/public_identify.html", {"form": form})


@require_POST
def my_code_appeal(request: HttpRequest) -> HttpResponse:
    person = _session_person(request)
    if person is None:
        return redirect("public:my_code")
    form = AppealForm(request.POST)
    if form.is_valid():
        try:
            appeals.appeal_file(
                person=person,
                statement=form.cleaned_data["statement"],
                contact_phone=form.cleaned_data["contact_phone"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Your appeal was filed; staff will review it."))
            return redirect("public:my_code")
    return _my_code_page(request, person, form)


@require_POST
def my_code_leave(request: HttpRequest) -> HttpResponse:
    request.session.pop("my_code", None)
    return redirect("public:my_code")
