"""Shared pieces of the REST API: pagination, bounded ids, error shapes, lookups that name the
field."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Schema

from fangkong.core.errors import field_error

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
# Numbers a column cannot hold would crash the query (SQLite refuses ints beyond 64 bits), so
# they are refused (422) before any lookup: ids are bigints, floors and counts smaller types.
# Offsets stop where offset + limit would leave the bigint range.
DB_BIGINT_MAX = 2**63 - 1
DB_INTEGER_MAX = 2**31 - 1
DB_SMALLINT_MAX = 2**15 - 1
MAX_OFFSET = DB_BIGINT_MAX - MAX_LIMIT - 1

Id = Annotated[int, Field(ge=1, le=DB_BIGINT_MAX)]
SmallInt = Annotated[int, Field(ge=-DB_SMALLINT_MAX - 1, le=DB_SMALLINT_MAX)]
Limit = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page")
Offset = Query(0, ge=0, le=MAX_OFFSET, description="Items to skip; past the end: an empty page")


class ErrorOut(Schema):
    detail: str


class ReasonIn(Schema):
    reason: str = ""


class FieldErrorOut(Schema):
    loc: list[str | int] = Field(description='Where: ["body", field] or ["query", parameter]')
    msg: str
    type: str | None = None


class ValidationErrorOut(Schema):
    detail: list[FieldErrorOut]


# Documented error responses: exception handlers in fangkong.api produce these shapes.
ERRORS: dict[int, type[Schema]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    422: ValidationErrorOut,
}


# A JSON body nested deeper than this is refused before any code walks it: no real request
# comes close (a FHIR Bundle is about ten levels deep), and recursive walkers would overflow.
MAX_JSON_DEPTH = 32


def too_deep(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether parsed JSON nests lists and objects deeper than `limit` (found without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in item)
    return False


def holds_nul(value: Any) -> bool:
    """Whether any text (key or value) in parsed JSON holds a NUL character, which PostgreSQL
    can neither store nor compare (found without recursion)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


# openapi_extra key: {status: media type} for responses sent as another type than JSON (the
# schema stays the same); fangkong.api moves their content to that type.
MEDIA_TYPES = "x-fangkong-media-types"


def schema_ref(schema: type[Schema]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{schema.__name__}"}


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
