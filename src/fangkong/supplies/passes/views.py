"""Pages of the passes: the list, a pass (its QR, revoke), issuing one from a courier's or a
vehicle's page; and the public pages: the checkpoint's pass check (verifies in the browser,
then asks the server whether revoked) and the courier's own passes (ID number + phone, the
identity the health-code page asks, in the same session)."""

import time
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.core.access import Cap, can
from fangkong.core.pages import flash, page_window
from fangkong.healthcode import appeals
from fangkong.healthcode.forms import IdentityForm
from fangkong.healthcode.views import MY_CODE_SESSION_SECONDS, my_code_throttled
from fangkong.people.models import Resident
from fangkong.supplies import selectors as app_selectors
from fangkong.supplies.models import PassStatus
from fangkong.supplies.passes import selectors, services
from fangkong.supplies.passes.forms import RevokeForm

SECTION = "passes"
# The site's Permissions-Policy with the camera allowed to our own page (the scanner).
CAMERA_ALLOWED = ", ".join(
    f"{feature}=({' '.join(['self'] if feature == 'camera' else allowed)})"
    for feature, allowed in settings.PERMISSIONS_POLICY.items()
)


def pass_qr(code: str) -> str:
    """The pass as an alphanumeric QR (error correction Q, as HCERT's)."""
    return str(segno.make(code, error="q", micro=False).svg_inline(scale=3, title=""))


def _keeper_cap(user: Any) -> Cap:
    return Cap.SUPPLIES_MANAGE if can(user, Cap.SUPPLIES_MANAGE) else Cap.SUPPLY_ENTERPRISE


@login_required
def pass_list(request: HttpRequest) -> HttpResponse:
    visible = app_selectors.passes_for_user(request.user).select_related(
        "enterprise", "courier__person", "vehicle"
    )
    status = request.GET.get("status", "")
    if status in PassStatus.values:
        visible = visible.filter(status=status)
    rows, pager = page_window(request, visible)
    return render(
        request,
        "supplies/passes.html",
        {"rows": rows, "pager": pager, "status": status, "section": SECTION},
    )


@login_required
def pass_detail(request: HttpRequest, pk: int) -> HttpResponse:
    supply_pass = app_selectors.pass_for_user(request.user, pk)
    may_revoke = supply_pass.status == PassStatus.VALID and (
        can(request.user, Cap.SUPPLIES_MANAGE) or can(request.user, Cap.SUPPLY_ENTERPRISE)
    )
    return render(
        request,
        "supplies/pass_detail.html",
        {
            "pass": supply_pass,
            "qr": pass_qr(supply_pass.code),
            "revoke_form": RevokeForm() if may_revoke else None,
            "section": SECTION,
        },
    )


@login_required
@require_POST
def pass_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    supply_pass = app_selectors.pass_for_user(request.user, pk, _keeper_cap(request.user))
    form = RevokeForm(request.POST)
    if form.is_valid():
        try:
            services.pass_revoke(
                actor=request.user, supply_pass=supply_pass, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            flash(request, exc)
        else:
            messages.success(request, _("Pass revoked."))
    else:
        flash(request, form=form)
    return redirect("supplies:pass", pk=supply_pass.pk)


@login_required
@require_POST
def courier_pass_issue(request: HttpRequest, pk: int) -> HttpResponse:
    courier = app_selectors.courier_for_user(request.user, pk, _keeper_cap(request.user))
    try:
        issued = services.pass_issue(actor=request.user, holder=courier)
    except ValidationError as exc:
        flash(request, exc)
        return redirect("supplies:courier", pk=courier.pk)
    messages.success(request, _("Pass issued."))
    return redirect("supplies:pass", pk=issued.pk)


@login_required
@require_POST
def vehicle_pass_issue(request: HttpRequest, pk: int) -> HttpResponse:
    vehicle = app_selectors.vehicle_for_user(request.user, pk, _keeper_cap(request.user))
    try:
        issued = services.pass_issue(actor=request.user, holder=vehicle)
    except ValidationError as exc:
        flash(request, exc)
        return redirect("supplies:vehicle", pk=vehicle.pk)
    messages.success(request, _("Pass issued."))
    return redirect("supplies:pass", pk=issued.pk)


# Public pages ------------------------------------------------------------------------------


def pass_check(request: HttpRequest) -> HttpResponse:
    """The checkpoint's page (a phone): scan or type a pass; verified in the browser against
    the cached key list, then online for revocation."""
    response = render(request, "supplies/pass_check.html", {"section": "pass_check"})
    response.headers["Permissions-Policy"] = CAMERA_ALLOWED
    return response


def _session_person(request: HttpRequest) -> Resident | None:
    entry = request.session.get("my_code")
    if not entry or time.time() - entry.get("at", 0) > MY_CODE_SESSION_SECONDS:
        return None
    return Resident.objects.filter(pk=entry.get("person")).first()


def my_pass(request: HttpRequest) -> HttpResponse:
    """A courier's own passes: valid ones with their QR, revoked ones with the reason."""
    person = _session_person(request)
    if request.method != "POST" and person is not None:
        passes = list(selectors.holder_passes(person)[:10])
        for p in passes:
            p.qr = pass_qr(p.code) if p.status == PassStatus.VALID else ""  # type: ignore[attr-defined]
        return render(
            request,
            "supplies/my_pass.html",
            {"passes": passes, "person_initial": services.masked_name(person.name)},
        )
    form = IdentityForm(request.POST or None)
    if request.method == "POST":
        if my_code_throttled(request):
            form.add_error(None, _("Too many attempts from this network; try again in an hour."))
            return render(request, "supplies/my_pass_identify.html", {"form": form}, status=429)
        if form.is_valid():
            found = appeals.person_by_identity(
                form.cleaned_data["id_number"], form.cleaned_data["phone"]
            )
            if found is not None:
                request.session.cycle_key()
                request.session["my_code"] = {"person": found.pk, "at": time.time()}
                return redirect("supplies_public:my_pass")
            form.add_error(None, _("No person matches this ID number and phone."))
    return render(request, "supplies/my_pass_identify.html", {"form": form})
