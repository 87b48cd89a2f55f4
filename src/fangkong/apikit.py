"""Shared pieces of the REST API: pagination, error shapes, lookups that name the field."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Schema

from fangkong.people.errors import field_error

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class ErrorOut(Schema):
    detail: str


class FieldErrorOut(Schema):
    loc: list[str | int] = Field(description='Where: ["body", field] or ["query", parameter]')
    msg: str
    type: str | None = None


class ValidationErrorOut(Schema):
    detail: list[FieldErrorOut]


# Documented error responses: exception handlers in fangkong.api produce these shapes.
ERRORS: dict[int, type[Schema]] = {
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    422: ValidationErrorOut,
}


class Page[T](Schema):
    """A window of a list; `next_offset` is null on the last page (no COUNT(*) is run)."""

    items: list[T]
    limit: int
    offset: int
    next_offset: int | None


def paginate(
    qs: QuerySet[Any], *, limit: int, offset: int, convert: Callable[[Any], Any] | None = None
) -> dict[str, Any]:
    """Fetch one row more than asked to learn whether another page follows."""
    rows = list(qs[offset : offset + limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [convert(r) for r in rows] if convert else rows,
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if more else None,
    }


class QueryFieldError(ValidationError):
    """A ValidationError about a query parameter: answered with loc ["query", name]."""

    location = "query"


def query_error(param: str, message: str) -> QueryFieldError:
    return QueryFieldError({param: [ValidationError(message)]})


def not_found_message() -> str:
    return _("Not found, or outside your jurisdiction")


def found[T](field: str, lookup: Callable[[], T], *, in_query: bool = False) -> T:
    """Resolve an object named by a request field; a miss is a validation error on that field."""
    try:
        return lookup()
    except Http404:
        if in_query:
            raise query_error(field, not_found_message()) from None
        raise field_error(field, not_found_message()) from None


@contextmanager
def fields_renamed(names: dict[str, str]) -> Iterator[None]:
    """Report a service's field names (e.g. `division`) under the API's names (`place`)."""
    try:
        yield
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise ValidationError(
            {names.get(field, field): errors for field, errors in exc.error_dict.items()}
        ) from None
