"""status pages."""

from django.http import HttpRequest, HttpResponse


def appeal_list(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError
