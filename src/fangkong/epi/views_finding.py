"""finding pages."""

from django.http import HttpRequest, HttpResponse


def finding_list(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def chains(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError
