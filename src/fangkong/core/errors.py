"""Errors that name the field a person must fix."""

from typing import Any

from django.core.exceptions import ValidationError


def field_error(field: str, message: Any) -> ValidationError:
    return ValidationError({field: [ValidationError(message)]})


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
