"""`{% code_badge person %}`: a person's health-code colour with a link to why.

Pages of other apps show the badge through this tag (`{% load health_code %}`), so they need not
import the health-code app (it sits above them)."""

from typing import Any

from django import template

from fangkong.healthcode.explanation import colour_label
from fangkong.healthcode.rules import last_day
from fangkong.healthcode.selectors import status_current

register = template.Library()


@register.inclusion_tag("healthcode/status_badge.html")
def code_badge(person: Any) -> dict[str, Any]:
    code = status_current(person)
    return {
        "colour": code.colour,
        "colour_label": colour_label(code.colour),
        "until_day": last_day(code.until),
        "person_id": person.pk,
    }
