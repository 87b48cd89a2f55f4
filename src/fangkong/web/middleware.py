import json
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import SuspiciousOperation, TooManyFieldsSent
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language

from fangkong.core.apikit import holds_nul


class LanguageMiddleware:
    """zh-Hans unless the person chose another language with the switch (a cookie).

    The browser's Accept-Language is ignored on purpose: staff machines in command centres
    often run English-language browsers, and the interface must still start in Chinese.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen and check_for_language(chosen) else settings.LANGUAGE_CODE
        with translation.override(language):
            request.LANGUAGE_CODE = language
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class PermissionsPolicyMiddleware:
    """The Permissions-Policy header from settings.PERMISSIONS_POLICY, on every response.

    Each feature maps to its allowlist in header syntax: [] for nobody, ["self"] for our pages.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.header = ", ".join(
            f"{feature}=({' '.join(allowed)})"
            for feature, allowed in settings.PERMISSIONS_POLICY.items()
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response


class NoStoreMiddleware:
    """`Cache-Control: no-store, private` on every response Django makes (static files are served
    before this, by WhiteNoise, with their own long cache).

    Pages, fragments, exports, PDFs and API answers may all carry names, ID numbers and health
    status, so no browser or proxy may keep them. Only a response for nobody in particular (no
    session user, no Authorization header) whose view chose its own Cache-Control keeps it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if response.has_header("Cache-Control") and not _personal(request):
            return response
        add_never_cache_headers(response)
        return response


def _personal(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    return signed_in or "Authorization" in request.headers


LOGIN_AT = "_fangkong_login_at"
SEEN_AT = "_fangkong_seen_at"
# The session (and its cookie) is rewritten at most this often: each write restarts the idle
# clock (SESSION_COOKIE_AGE), and writing on every request would cost a query per request.
REFRESH_SECONDS = 60


@receiver(user_logged_in)
def _stamp_login(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[LOGIN_AT] = request.session[SEEN_AT] = time.time()


class SessionLifetimeMiddleware:
    """Signs a session user out after SESSION_COOKIE_AGE seconds without a request (idle), or
    SESSION_ABSOLUTE_AGE seconds after login however busy, and slides the idle timeout.

    The database also drops a session SESSION_COOKIE_AGE after its last write; the stamps here
    make both limits hold whatever the session store.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.user.is_authenticated:
            self._check(request)
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> None:
        session, now = request.session, time.time()
        login_at = session.setdefault(LOGIN_AT, now)  # sessions from before these stamps
        seen_at = session.get(SEEN_AT, now)
        idle = now - seen_at > settings.SESSION_COOKIE_AGE
        if idle or now - login_at > settings.SESSION_ABSOLUTE_AGE:
            logout(request)
        elif now - seen_at >= REFRESH_SECONDS or SEEN_AT not in session:
            session[SEEN_AT] = now


def _form_holds_nul(request: HttpRequest) -> bool:
    """An API call's form fields (a multipart upload's `reason`): not read by a Django form."""
    if request.method != "POST" or request.content_type not in FORM_TYPES:
        return False
    return any("\x00" in k or any("\x00" in v for v in vs) for k, vs in request.POST.lists())


def _json_body_holds_nul(request: HttpRequest) -> bool:
    if request.content_type != "application/json" or b"\\u0000" not in request.body:
        return False
    try:
        return holds_nul(json.loads(request.body))
    except ValueError:  # not JSON at all: the API answers that itself
        return False


FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


class NulMiddleware:
    """Refuses a request that carries a NUL character where it could reach a query: PostgreSQL
    can neither store nor compare text with one, and no real input has one. A path or query
    string with one is a 400; an API call's JSON body with one a 422 on `body`. Form fields
    are checked by Django's forms."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        api = request.path.startswith("/api/")
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()
        ):
            if api:
                return JsonResponse({"detail": translation.gettext("Bad request")}, status=400)
            raise SuspiciousOperation("NUL character in the path or query string")
        if api and (_json_body_holds_nul(request) or _form_holds_nul(request)):
            message = translation.gettext("Text may not contain the NUL character")
            return JsonResponse({"detail": [{"loc": ["body"], "msg": message}]}, status=422)
        return self.get_response(request)


class TooManyFieldsMiddleware:
    """A form that sends more fields than DATA_UPLOAD_MAX_NUMBER_FIELDS (ticking thousands of
    rows) gets a page saying so and what to do instead, not a bare 400. Listed before the CSRF
    middleware: its `process_view` reads the form first, where the limit is hit."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponseBase | None:
        if request.method != "POST":
            return None
        try:
            request.POST  # noqa: B018 - parsing is what hits the limit
        except TooManyFieldsSent:
            return too_many_fields(request)
        return None


def too_many_fields(request: HttpRequest) -> HttpResponseBase:
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    message = translation.gettext(
        "This form sent more than %(limit)s fields, more than the server accepts at once. "
        "To change many rows, use “all matching this filter” on the list (it sends the "
        "filter, not each row), or the API, which takes the ids in a JSON body."
    ) % {"limit": f"{limit:,}"}
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=400)
    back = request.META.get("HTTP_REFERER", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = ""
    return render(
        request, "web/too_many_fields.html", {"message": message, "back": back}, status=400
    )
