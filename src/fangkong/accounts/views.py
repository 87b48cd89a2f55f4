from base64 import b32encode
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from fangkong.accounts import selectors, services, throttle
from fangkong.accounts.forms import AppCodeForm, CodeForm, LoginForm
from fangkong.accounts.models import ApiToken
from fangkong.accounts.services import token_create, token_revoke
from fangkong.core.access import two_factor_required

# Session keys: recovery codes to show once, and where to go after seeing them.
CODES_SESSION_KEY = "two_factor_codes"
NEXT_SESSION_KEY = "two_factor_next"
HAS_DEVICE_KEY = services.HAS_DEVICE_SESSION_KEY


class SiteLoginView(auth_views.LoginView):
    """Username and password; a refused attempt during a wait answers 429 with Retry-After."""

    form_class = LoginForm
    redirect_authenticated_user = True

    def form_invalid(self, form: LoginForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_invalid(form)
        if form.wait_until is not None:
            response.status_code = 429
            response["Retry-After"] = str(throttle.seconds_until(form.wait_until))
        return response


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else reverse("home")


def _verified(request: HttpRequest, device: Any) -> None:
    otp_login(request, device)
    request.session.cycle_key()  # a new session id for the session that now has both factors


@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if user.is_verified():
        return redirect(_next(request))
    if not selectors.has_device(user):
        return redirect(reverse("two_factor_enrol") + "?" + request.GET.urlencode())
    form = CodeForm(request.POST or None)
    form.fields["code"].widget.attrs["autofocus"] = True
    status = 200
    if request.method == "POST" and form.is_valid():
        check = services.code_check(user=user, code=form.cleaned_data["code"])
        if check.ok:
            _verified(request, check.device)
            return redirect(_next(request))
        status = form.refuse(check)
    context = {"form": form, "next": _next(request), "section": "security"}
    return render(request, "accounts/two_factor_verify.html", context, status=status)


def _qr_svg(uri: str) -> str:
    return str(segno.make(uri, error="m").svg_inline(scale=5, title=_("QR code to scan")))


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@login_required
def two_factor_enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the QR code (or type the secret), confirm with a
    code from the app; then the recovery codes are shown once."""
    user: Any = request.user
    if not user.is_verified() and selectors.has_device(user):
        return redirect("two_factor_verify")  # the password alone may not add a device
    if selectors.totp_device_of(user) is not None:
        return redirect("account_security")
    device = services.totp_device_pending(user)
    form = AppCodeForm(request.POST or None)
    form.fields["code"].widget.attrs["autofocus"] = True
    status = 200
    if request.method == "POST" and form.is_valid():
        check = services.code_check(user=user, code=form.cleaned_data["code"], devices=[device])
        if check.ok:
            codes = services.two_factor_enrol(user=user, device=device)
            _verified(request, device)
            request.session[HAS_DEVICE_KEY] = True
            request.session[CODES_SESSION_KEY] = codes
            request.session[NEXT_SESSION_KEY] = _next(request)
            return redirect("two_factor_codes")
        status = form.refuse(check)
    secret = _secret_of(device)
    context = {
        "form": form,
        "qr": mark_safe(_qr_svg(device.config_url)),  # segno's SVG: modules and our title
        "secret": _grouped(secret),
        "uri": device.config_url,
        "required": two_factor_required(user),
        "next": _next(request),
        "section": "security",
    }
    return render(request, "accounts/two_factor_enrol.html", context, status=status)


def _secret_of(device: TOTPDevice) -> str:
    return b32encode(device.bin_key).decode()


def _security_page(
    request: HttpRequest,
    *,
    codes_form: CodeForm | None = None,
    remove_form: CodeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user: Any = request.user
    context = {
        "device": selectors.totp_device_of(user),
        "codes_left": selectors.recovery_codes_left(user),
        "required": two_factor_required(user),
        "codes_form": codes_form or CodeForm(auto_id="codes_%s"),
        "remove_form": remove_form or CodeForm(auto_id="remove_%s"),
        "section": "security",
    }
    return render(request, "accounts/security.html", context, status=status)


@login_required
def account_security(request: HttpRequest) -> HttpResponse:
    return _security_page(request)


@login_required
def two_factor_codes(request: HttpRequest) -> HttpResponse:
    """GET: the recovery codes just made, once. POST (with a code): make new ones."""
    user: Any = request.user
    if request.method == "POST":
        form = CodeForm(request.POST, auto_id="codes_%s")
        if form.is_valid():
            check = services.code_check(user=user, code=form.cleaned_data["code"])
            if check.ok:
                request.session[CODES_SESSION_KEY] = services.recovery_codes_replace(user=user)
                request.session[NEXT_SESSION_KEY] = reverse("account_security")
                return redirect("two_factor_codes")
            return _security_page(request, codes_form=form, status=form.refuse(check))
        return _security_page(request, codes_form=form)
    codes = request.session.pop(CODES_SESSION_KEY, None)
    if not codes:
        return redirect("account_security")
    context = {
        "codes": [f"{c[:4]}-{c[4:]}" for c in codes],
        "next": request.session.pop(NEXT_SESSION_KEY, "") or reverse("home"),
        "section": "security",
    }
    return render(request, "accounts/two_factor_codes.html", context)


@login_required
@require_POST
def two_factor_remove(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = CodeForm(request.POST, auto_id="remove_%s")
    if not form.is_valid():
        return _security_page(request, remove_form=form)
    check = services.code_check(user=user, code=form.cleaned_data["code"])
    if not check.ok:
        return _security_page(request, remove_form=form, status=form.refuse(check))
    services.two_factor_remove(user=user, actor=user)
    request.session[HAS_DEVICE_KEY] = False
    messages.success(request, _("Two-factor authentication is off for your account."))
    return redirect("account_security")


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    raw = None
    if request.method == "POST":
        days = request.POST.get("valid_days") or ""
        _token, raw = token_create(
            user=request.user,  # type: ignore[arg-type]
            name=request.POST.get("name", ""),
            valid_days=int(days) if days.isdigit() and int(days) > 0 else None,
        )
        messages.success(request, _("Token created. Copy it now: it will not be shown again."))
    rows = ApiToken.objects.filter(user_id=request.user.pk or 0)
    return render(
        request, "accounts/tokens.html", {"tokens": rows, "raw": raw, "section": "tokens"}
    )


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token_revoke(token=token, actor=request.user)
    messages.success(request, _("Token revoked."))
    return redirect("tokens")
