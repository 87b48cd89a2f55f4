"""cases pages."""

from django.http import HttpRequest, HttpResponse


def case_list(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def contact_list(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError
