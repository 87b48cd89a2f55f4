from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from fangkong.accounts import selectors
from fangkong.accounts.services import HAS_DEVICE_SESSION_KEY
from fangkong.core.access import two_factor_required

# The pages a session may open while it owes its second factor.
OPEN_WHILE_PENDING = {"login", "logout", "two_factor_verify", "two_factor_enrol", "set_language"}


def two_factor_owed(request: HttpRequest) -> bool:
    """Logged in with a password, not yet verified by a second factor, and one is due: the
    role requires it, or the user had a device when logging in."""
    user: Any = request.user
    if not user.is_authenticated or user.is_verified():
        return False
    return two_factor_required(user) or bool(request.session.get(HAS_DEVICE_SESSION_KEY))


def second_step_url(request: HttpRequest, *, has_device: bool) -> str:
    """The code step if the user has a second factor, else enrolment; `next` for a GET."""
    url = reverse("two_factor_verify" if has_device else "two_factor_enrol")
    if request.method == "GET":
        url += "?" + urlencode({"next": request.get_full_path()}, safe="/")
    return url


class TwoFactorMiddleware:
    """After django-otp's OTPMiddleware: a session owing its second factor opens no page but
    the steps that settle it (every other page redirects there, the Django admin included),
    and the API treats it as not logged in. Bearer tokens are not sessions: unaffected."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if not two_factor_owed(request):
            return None
        request.two_factor_pending = True  # type: ignore[attr-defined]
        match = request.resolver_match
        if match is not None and "api" in match.namespaces:
            request.user = AnonymousUser()
            return None
        if match is not None and match.url_name in OPEN_WHILE_PENDING:
            return None
        has_device = selectors.has_device(request.user)
        if not has_device and not two_factor_required(request.user):
            request.session[HAS_DEVICE_SESSION_KEY] = False  # removed since the login
            request.two_factor_pending = False  # type: ignore[attr-defined]
            return None
        return HttpResponseRedirect(second_step_url(request, has_device=has_device))
