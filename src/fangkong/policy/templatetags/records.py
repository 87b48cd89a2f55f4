"""`{% late_entry event as late %}`: "recorded 2 days after it happened, by 李四" when the
event was recorded later than the policy allows without notice (`records.late_after_hours`),
else "" (docs/architecture.md, "Two times on every fact"). The policy is read only for an
event recorded at least `LATE_AFTER_HOURS_MIN` after it happened, once per page."""

import datetime as dt
from typing import Any

from django import template
from django.utils.translation import ngettext

from fangkong.policy.accessor import current
from fangkong.policy.schema import LATE_AFTER_HOURS_MIN

register = template.Library()

_THRESHOLD = "records.late_after"


def late_text(delay: dt.timedelta, who: str) -> str:
    """How late, in whole days (or hours under a day), and by whom, in the reader's language."""
    days = delay.days
    if days:
        return ngettext(
            "recorded %(n)s day after it happened, by %(who)s",
            "recorded %(n)s days after it happened, by %(who)s",
            days,
        ) % {"n": days, "who": who}
    hours = int(delay.total_seconds() // 3600)
    return ngettext(
        "recorded %(n)s hour after it happened, by %(who)s",
        "recorded %(n)s hours after it happened, by %(who)s",
        hours,
    ) % {"n": hours, "who": who}


@register.simple_tag(takes_context=True)
def late_entry(context: Any, event: Any) -> str:
    delay = event.delay
    if delay < dt.timedelta(hours=LATE_AFTER_HOURS_MIN):
        return ""
    cache = context.render_context
    if _THRESHOLD not in cache:
        cache[_THRESHOLD] = current().rules.records.late_after
    if delay < cache[_THRESHOLD]:
        return ""
    return late_text(delay, event.actor_label)
