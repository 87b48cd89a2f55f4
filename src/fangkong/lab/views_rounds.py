"""Rounds pages."""

from django.http import HttpRequest, HttpResponse


def round_list(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def sampling(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError
