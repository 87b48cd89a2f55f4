"""Reads of contacts, always scoped to the caller's jurisdiction."""

from typing import Any

from django.db.models import Count, QuerySet
from django.http import Http404

from fangkong.core.access import Cap, require, scoped
from fangkong.epi.models import Case, Contact, ContactStatus


def contacts_for_user(
    user: Any, *, case: Case | None = None, degree: str = "", status: str = ""
) -> QuerySet[Contact]:
    require(user, Cap.CONTACTS_VIEW)
    qs = scoped(Contact.objects.all(), user)
    if case is not None:
        qs = qs.filter(case=case)
    if degree:
        qs = qs.filter(degree=degree)
    if status:
        qs = qs.filter(status=status)
    return qs


def contact_for_user(user: Any, pk: int) -> Contact:
    try:
        return (
            contacts_for_user(user)
            .select_related(
                "person__division", "case__person", "venue", "via__person", "became_case"
            )
            .get(pk=pk)
        )
    except Contact.DoesNotExist:
        raise Http404 from None


def contact_figures(qs: QuerySet[Contact]) -> dict[str, int]:
    """Contacts by status (one query)."""
    counts = dict(qs.order_by().values("status").annotate(n=Count("id")).values_list("status", "n"))
    return {s: counts.get(s, 0) for s in ContactStatus.values}
