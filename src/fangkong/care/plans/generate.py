"""The daily job of health plans (`plans_raise_due`, run after midnight by the task
`care.tasks.run_plans_daily` or the `care_plans_daily` command): each standing need falling due
on the day raises one care request, routed by the rule in force like any other. A need raises
once a day at most (`NeedOccurrence`, unique by need and day): running again the same day
raises nothing new; a need changed mid-week raises on its new days from the next run."""

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.labels import SYSTEM
from fangkong.care.models import Channel, NeedOccurrence, StandingNeed
from fangkong.care.plans.schedule import falls_on
from fangkong.care.requests.services import request_raise


def describe(need: StandingNeed) -> str:
    text = _("Standing need of the health plan")
    return f"{text}: {need.description}" if need.description else text


def _raised_at(day: dt.date, now: dt.datetime) -> dt.datetime:
    """Now, on the day itself; the start of the day when a day gone by is run again."""
    if day >= timezone.localdate(now):
        return now
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def plans_raise_due(day: dt.date | None = None, actor: Any = SYSTEM) -> dict[str, int]:
    """Raise the requests of the needs falling due on `day` (today); how many were raised and
    how many had been already."""
    now = timezone.now()
    day = day or timezone.localdate(now)
    needs = (
        StandingNeed.objects.filter(active=True, starts_on__lte=day)
        .exclude(ends_on__lt=day)
        .select_related("plan__person", "facility")
    )
    done = set(NeedOccurrence.objects.filter(day=day).values_list("need_id", flat=True))
    raised = already = 0
    for need in needs:
        if not falls_on(need, day):
            continue
        if need.pk in done:
            already += 1
            continue
        try:
            with transaction.atomic():
                request = request_raise(
                    actor=actor,
                    person=need.plan.person,
                    type=need.type,
                    channel=Channel.PLAN,
                    description=describe(need),
                    raised_at=_raised_at(day, now),
                    planned=need.facility,
                )
                NeedOccurrence.objects.create(need=need, day=day, request=request)
        except IntegrityError:  # another run raised it meanwhile
            already += 1
            continue
        raised += 1
    return {"raised": raised, "already": already}
