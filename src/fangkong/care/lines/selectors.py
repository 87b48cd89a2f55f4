"""Reads of direct lines: staff see the lines of the communities on their branch (a grid
worker its community's, a district all its communities'); a resident those of their own
community and the places above it."""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from fangkong.care.models import DirectLine
from fangkong.core.access import Cap, require, scoped
from fangkong.lab.selectors import overlap_q
from fangkong.people.models import Resident


def lines_for_user(user: Any) -> QuerySet[DirectLine]:
    require(user, Cap.CARE_VIEW)
    return DirectLine.objects.filter(overlap_q(user)).select_related("community", "facility")


def lines_editable_by(user: Any) -> QuerySet[DirectLine]:
    """The lines the user keeps: communities inside their jurisdiction."""
    require(user, Cap.CARE_COMMUNITY)
    return scoped(DirectLine.objects.all(), user)


def line_for_user(user: Any, pk: int) -> DirectLine:
    try:
        return lines_editable_by(user).select_related("community", "facility").get(pk=pk)
    except DirectLine.DoesNotExist:
        raise Http404 from None


def lines_of_person(person: Resident) -> QuerySet[DirectLine]:
    """The direct lines of the person's community (and of any place above their home)."""
    key = person.division_key
    prefixes = [key[:n] for n in range(1, len(key) + 1)]
    return DirectLine.objects.filter(division_key__in=prefixes).select_related("facility")
