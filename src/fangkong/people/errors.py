"""Errors that name the field a person must fix."""

from typing import Any

from django.core.exceptions import ValidationError


def field_error(field: str, message: Any) -> ValidationError:
    return ValidationError({field: [ValidationError(message)]})
