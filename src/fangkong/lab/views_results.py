"""Result upload pages."""

from django.http import HttpRequest, HttpResponse


def upload(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError
