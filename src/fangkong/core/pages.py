"""What every server-rendered page shares: offset paging, errors onto forms, errors as messages."""

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest

from fangkong.core.apikit import MAX_OFFSET

# Services name the model field, forms the input a person types into.
FIELD_ALIASES = {"division": "place", "household": "household_code"}


def apply_errors(
    form: Form, exc: ValidationError, aliases: Mapping[str, str] = FIELD_ALIASES
) -> None:
    """Put a service's field errors on the form's fields; errors naming no field of the form
    go to the top of the form."""
    for field, errors in exc.message_dict.items():
        name = aliases.get(field, field)
        form.add_error(name if name in form.fields else None, errors)


def flash(
    request: HttpRequest, exc: ValidationError | None = None, form: Form | None = None
) -> None:
    """Show a form's and a service's errors as messages on the next page."""
    if form is not None:
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, str(e))
    if exc is not None:
        for message in exc.messages:
            messages.error(request, message)


def page_window(request: HttpRequest, qs: Any) -> tuple[list[Any], dict[str, Any]]:
    """Offset paging without COUNT(*): fetch one extra row to know if there is a next page."""
    size = settings.PAGE_SIZE
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    page = min(page, MAX_OFFSET // size)  # beyond it the offset would not fit the database
    rows = list(qs[(page - 1) * size : page * size + 1])
    params = request.GET.copy()
    params.pop("page", None)
    base = params.urlencode()
    pager = {
        "page": page,
        "prev": page - 1 if page > 1 else None,
        "next": page + 1 if len(rows) > size else None,
        "query": f"{base}&" if base else "",
        "first": (page - 1) * size + 1,
    }
    return rows[:size], pager
