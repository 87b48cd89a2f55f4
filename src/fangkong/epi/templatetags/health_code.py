"""`{% code_badge person %}`: a person's health-code colour with a link to why."""

from typing import Any

from django import template

from fangkong.epi.status import colour_label, last_day, status_current

register = template.Library()


@register.inclusion_tag("epi/status_badge.html")
def code_badge(person: Any) -> dict[str, Any]:
    code = status_current(person)
    return {
        "colour": code.colour,
        "colour_label": colour_label(code.colour),
        "until_day": last_day(code.until),
        "person_id": person.pk,
    }
