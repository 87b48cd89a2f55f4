from typing import Any

from django.db.models import QuerySet

from fangkong.audit.models import Event
from fangkong.core.access import scoped


def events_for_user(user: Any) -> QuerySet[Event]:
    return scoped(Event.objects.select_related("actor"), user)


def person_history(user: Any, person_id: int) -> QuerySet[Event]:
    return events_for_user(user).filter(person_id=person_id)
