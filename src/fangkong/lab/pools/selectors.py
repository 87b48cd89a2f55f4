"""Reads of retests, strictly in the caller's jurisdiction."""

from typing import Any

from django.db.models import QuerySet

from fangkong.core.access import Cap, scoped
from fangkong.lab.models import Retest, RetestStatus
from fangkong.lab.selectors import require_any


def retests_for_user(user: Any, status: str = RetestStatus.PENDING) -> QuerySet[Retest]:
    require_any(user, Cap.COVERAGE_VIEW, Cap.SAMPLING)
    qs = scoped(Retest.objects.all(), user).select_related(
        "person__division__parent__parent", "source_tube", "tube"
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("division_key", "created_at", "id")
