"""Errors that name the field a person must fix."""

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

# An audited change says why: forms and services refuse it without, in these words.
REASON_MISSING = gettext_lazy("Give a reason for this change")


def field_error(field: str, message: Any) -> ValidationError:
    return ValidationError({field: [ValidationError(message)]})


def need_reason(reason: str) -> str:
    """The reason for an audited change, trimmed; none is an error on the `reason` field."""
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", REASON_MISSING)
    return reason


class BulkErrors(ValidationError):
    """Row-level problems: `rows` maps a 0-based row index to {field: [messages]}."""

    def __init__(self, rows: dict[int, dict[str, list[str]]]) -> None:
        self.rows = rows
        super().__init__(
            {
                f"rows[{index}].{name}": messages
                for index in sorted(rows)
                for name, messages in rows[index].items()
            }
        )
