from typing import Any

from django import template

register = template.Library()


@register.filter
def signed(value: Any) -> str:
    """+3, −2, ±0: a change over the day."""
    try:
        n = int(value)
    except (TypeError, ValueError):
        return ""
    if n > 0:
        return f"+{n:,}"
    if n < 0:
        return f"−{-n:,}"
    return "±0"


@register.filter
def get(mapping: Any, key: str) -> Any:
    """`mapping|get:key` for keys built in the template."""
    try:
        return mapping[key]
    except (KeyError, TypeError, IndexError):
        return ""
