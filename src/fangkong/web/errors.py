"""Error answers: pages in the layout (templates 400/403/404/500.html), JSON under /api/.

With DEBUG off nothing internal shows: no URL list, no traceback, no exception text.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import defaults


def _api(request: HttpRequest) -> bool:
    return request.path_info.startswith(reverse("api:api-root"))


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _api(request):
        return JsonResponse({"detail": "Not Found"}, status=404)  # as django-ninja says it
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """Rendered without the request: the layout asks nothing of the database, which may be
    what failed."""
    if _api(request):
        return JsonResponse({"detail": _("Internal server error")}, status=500)
    return defaults.server_error(request)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without a valid CSRF token (usually a page left open too long); the reason
    goes to the log (django.security.csrf), not to the person."""
    return render(request, "403_csrf.html", status=403)
