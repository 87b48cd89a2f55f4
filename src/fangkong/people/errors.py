"""Errors that name the field a person must fix."""

from django.core.exceptions import ValidationError


def field_error(field: str, message: object) -> ValidationError:
    return ValidationError({field: [ValidationError(message)]})
