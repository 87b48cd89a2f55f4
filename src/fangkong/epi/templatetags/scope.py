"""`{{ thing|name_in_scope:user }}`: a person's name, or a neutral label when they are
registered outside the user's jurisdiction (a via contact, a via candidate)."""

from typing import Any

from django import template
from django.utils.translation import gettext as _

from fangkong.core.access import in_scope

register = template.Library()


@register.filter
def name_in_scope(thing: Any, user: Any) -> str:
    if thing is None:
        return ""
    person = getattr(thing, "person", thing)
    if in_scope(user, thing.division_key):
        return str(person.name)
    return _("Someone outside your jurisdiction")
