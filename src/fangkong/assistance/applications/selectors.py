"""Reads of assistance applications, scoped to the user's jurisdiction (the applicant's home);
the resident's own; the rules' findings in words."""

import datetime as dt
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.assistance import rules
from fangkong.assistance.models import Application, ApplicationStatus, Document, Member, Payment
from fangkong.audit.models import Event
from fangkong.core.access import Cap, key_filter, require, scoped
from fangkong.people.models import Resident

OPEN = (ApplicationStatus.SUBMITTED, ApplicationStatus.REVIEWED)

FINDING_WORDS = {
    rules.HOUSEHOLD_WITHIN_LINE: _("Income and assets per person within the limits"),
    rules.SINGLE_ILL_OR_DISABLED: _(
        "Low-income household with a seriously ill or disabled member: covered alone (单人保)"
    ),
    rules.INCOME_ABOVE_LINE: _("Income per person above the line"),
    rules.ASSETS_ABOVE_LIMIT: _("Savings and property per person above the limit"),
    rules.NO_INCOME_LONG_ENOUGH: _(
        "Without income long enough and not covered by unemployment insurance"
    ),
    rules.NO_INCOME_TOO_SHORT: _("Not without income long enough"),
    rules.UNEMPLOYMENT_INSURED: _("Covered by unemployment insurance"),
    rules.NOT_RESIDENT: _("Not living here (a visitor)"),
    rules.PERMIT_NOT_ACCEPTED: _("Residence-permit holders may not apply here"),
}


def findings_in_words(codes: list[str]) -> list[str]:
    return [str(FINDING_WORDS.get(c, c)) for c in codes]


def applications_for_user(user: Any) -> QuerySet[Application]:
    require(user, Cap.ASSISTANCE_VIEW)
    return scoped(Application.objects.all(), user)


def application_for_user(user: Any, pk: int) -> Application:
    try:
        return applications_for_user(user).select_related("applicant", "household").get(pk=pk)
    except Application.DoesNotExist:
        raise Http404 from None


def with_details(qs: QuerySet[Application]) -> QuerySet[Application]:
    """With the members (and their names) and the documents (without their bytes): two more
    queries for a whole page."""
    return qs.prefetch_related(
        Prefetch("members", queryset=Member.objects.select_related("person")),
        Prefetch("documents", queryset=Document.objects.defer("content")),
    )


def overdue(qs: QuerySet[Application]) -> QuerySet[Application]:
    """Undecided past their deadline."""
    return qs.filter(status__in=OPEN, due_at__lt=timezone.now())


def overdue_count(user: Any) -> int:
    return overdue(applications_for_user(user)).count()


def documents_of(application: Application) -> QuerySet[Document]:
    """The documents without their bytes (a list never loads the files)."""
    return application.documents.defer("content")


def document_for_user(user: Any, application_pk: int, pk: int) -> Document:
    application = application_for_user(user, application_pk)
    try:
        return application.documents.get(pk=pk)
    except Document.DoesNotExist:
        raise Http404 from None


def missing_documents(application: Application) -> list[str]:
    have = set(application.documents.values_list("kind", flat=True))
    return [kind for kind in application.documents_required if kind not in have]


def payments_for_user(user: Any) -> QuerySet[Payment]:
    require(user, Cap.ASSISTANCE_VIEW)
    return scoped(Payment.objects.all(), user)


def application_history(application: Application) -> QuerySet[Event]:
    return Event.objects.filter(
        object_type="assistance.application", object_id=str(application.pk)
    ).order_by("at", "pk")


def applications_of_person(person: Resident) -> QuerySet[Application]:
    """The resident's own applications (the public page, after ID number and phone)."""
    return Application.objects.filter(applicant=person)


def assistance_figures(key: str, at: dt.datetime, since: dt.datetime) -> dict[str, int]:
    """The command centre's figures of social assistance under the division `key` (one
    query): applications filed in (since, at], those undecided (filed by `at`, as they stand
    now) and of them past their deadline at `at`."""
    return Application.objects.filter(key_filter(key)).aggregate(
        filed=Count("pk", filter=Q(applied_at__gt=since, applied_at__lte=at)),
        undecided=Count("pk", filter=Q(status__in=OPEN, applied_at__lte=at)),
        overdue=Count("pk", filter=Q(status__in=OPEN, applied_at__lte=at, due_at__lt=at)),
    )
