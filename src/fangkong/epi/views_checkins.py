"""checkins pages."""

from django.http import HttpRequest, HttpResponse


def checkin_import(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError
