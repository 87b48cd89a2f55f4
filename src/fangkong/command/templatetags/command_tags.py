from typing import Any

from django import template
from django.utils.translation import pgettext

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
def change(value: Any) -> str:
    """+3, −2, ±0 written as the report writes its numbers, without grouping (5431, as in the
    text: 密切接触者5431人), where the dashboard groups them (5,431)."""
    try:
        n = int(value)
    except (TypeError, ValueError):
        return ""
    return f"+{n}" if n > 0 else (f"−{-n}" if n < 0 else "±0")


@register.filter
def with_change(value: Any, new: Any) -> str:
    """A figure of the report with its change over the day, if any: 3 (+1); 3（+1）."""
    if not new:
        return str(value)
    return pgettext("a figure with its change", "%(value)s (%(change)s)") % {
        "value": value,
        "change": change(new),
    }


@register.filter
def get(mapping: Any, key: str) -> Any:
    """`mapping|get:key` for keys built in the template."""
    try:
        return mapping[key]
    except (KeyError, TypeError, IndexError):
        return ""
