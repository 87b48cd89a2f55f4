"""Reads of cases (and of a case's contacts, for its page), always scoped to the caller's
jurisdiction."""

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from fangkong.core.access import Cap, require, scoped
from fangkong.epi.models import Case, CaseKind, Contact, Degree, FoundWhere


def cases_for_user(user: Any) -> QuerySet[Case]:
    require(user, Cap.CASES_VIEW)
    return scoped(Case.objects.all(), user)


def case_for_user(user: Any, pk: int) -> Case:
    try:
        return cases_for_user(user).select_related("person__division").get(pk=pk)
    except Case.DoesNotExist:
        raise Http404 from None


def case_search(
    user: Any,
    *,
    kind: str = "",
    found_where: str = "",
    status: str = "",
    reported_from: dt.date | None = None,
    reported_to: dt.date | None = None,
) -> QuerySet[Case]:
    """The case list with its filters (newest report first)."""
    qs = cases_for_user(user)
    if kind:
        qs = qs.filter(kind=kind)
    if found_where:
        qs = qs.filter(found_where=found_where)
    if status:
        qs = qs.filter(status=status)
    if reported_from:
        qs = qs.filter(reported_on__gte=reported_from)
    if reported_to:
        qs = qs.filter(reported_on__lte=reported_to)
    return qs


def case_figures(qs: QuerySet[Case]) -> dict[str, int]:
    """Headline counts in one query: confirmed / asymptomatic, community / in quarantine."""
    return qs.order_by().aggregate(
        total=Count("id"),
        confirmed=Count("id", filter=Q(kind=CaseKind.CONFIRMED)),
        asymptomatic=Count("id", filter=Q(kind=CaseKind.ASYMPTOMATIC)),
        community=Count("id", filter=Q(found_where=FoundWhere.COMMUNITY)),
        quarantine=Count("id", filter=Q(found_where=FoundWhere.QUARANTINE)),
    )


def contacts_of_case(user: Any, case: Case) -> dict[str, list[Contact]]:
    """A case's contacts within the user's jurisdiction, grouped by degree (close first)."""
    require(user, Cap.CONTACTS_VIEW)
    qs = scoped(Contact.objects.filter(case=case), user).select_related(
        "person", "venue", "via__person", "became_case"
    )
    grouped: dict[str, list[Contact]] = {d: [] for d in Degree.values}
    for contact in qs.order_by("degree", "id"):
        grouped[contact.degree].append(contact)
    return grouped
