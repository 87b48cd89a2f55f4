"""Resident import pages (being built: see the import module)."""

from django.http import HttpRequest, HttpResponse


def import_page(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def rejected_rows(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    raise NotImplementedError
