"""Reads of the laboratories' registry pages and API. Which labs a user sees is decided in
`fangkong.lab.selectors` (`labs_for_user`, `lab_for_user`), which the results and custody
pages use too."""

from typing import Any

from django.db.models import Count, QuerySet

from fangkong.audit.models import Event
from fangkong.core.access import Cap
from fangkong.lab.models import Lab
from fangkong.lab.selectors import labs_for_user


def registry_for(user: Any, cap: Cap = Cap.LABS_VIEW) -> QuerySet[Lab]:
    """The labs of the registry list, with their places and the size of their staff."""
    return (
        labs_for_user(user, cap)
        .select_related("division", "area")
        .annotate(staff_count=Count("staff"))
        .order_by("code")
    )


def lab_history(lab: Lab, limit: int = 50) -> QuerySet[Event]:
    """The lab's audit events, newest first."""
    return Event.objects.filter(object_type="lab.lab", object_id=str(lab.pk))[:limit]
