"""The one rule for every date a person types, sends or imports.

A fact (sampling, onset, report, exposure, check-in, arrival…) lies between the platform's
epoch (`DATE_EPOCH`, FANGKONG_EPOCH) and now, and not before the birth of the person it is
about. A plan (deadline, test day, end of validity) may lie ahead, at most `PLAN_HORIZON_DAYS`
(FANGKONG_PLAN_HORIZON_DAYS). A search window (reported from…, arriving on…) only starts at the
epoch: beyond today it simply finds nothing. The same check serves API schemas (`Day`,
`Moment`, `PlanDay`, `PlanMoment`, `WindowDay`, `WindowMoment`), forms (`DayField`,
`MomentField`) and services (`check_date`, `check_dates`).
"""

import datetime as dt
from typing import Annotated, Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

type DateLike = dt.date | dt.datetime


def epoch() -> dt.date:
    value = settings.DATE_EPOCH
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def horizon(today: dt.date | None = None) -> dt.date:
    """The last day a plan may name."""
    return (today or timezone.localdate()) + dt.timedelta(days=settings.PLAN_HORIZON_DAYS)


def moment_bounds() -> tuple[dt.datetime, dt.datetime]:
    """The first and last moment a fact may name: the epoch's midnight here, and now."""
    first = dt.datetime.combine(epoch(), dt.time(), tzinfo=timezone.get_current_timezone())
    return first, timezone.now()


def _local_day(value: DateLike) -> dt.date:
    if not isinstance(value, dt.datetime):
        return value
    if timezone.is_naive(value):
        return value.date()
    try:
        return timezone.localtime(value).date()
    except OverflowError:  # year 1 or 9999 cannot be moved to another zone
        return value.date()


def _ahead(value: DateLike, day: dt.date, today: dt.date | None, now: dt.datetime | None) -> bool:
    if isinstance(value, dt.datetime) and today is None:
        aware = value if timezone.is_aware(value) else timezone.make_aware(value)
        return aware > (now or timezone.now())
    return day > (today or timezone.localdate(now))


def date_problem(
    value: DateLike | None,
    *,
    plan: bool = False,
    window: bool = False,
    born: dt.date | None = None,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> str | None:
    """What is wrong with `value`, in the reader's language; None when it is within bounds.

    `today` and `now` stand in for the clock (simulations, nightly jobs run for a past day).
    """
    if value is None:
        return None
    day = _local_day(value)
    first = epoch()
    if day < first:
        return _("This date is before %(epoch)s, when the platform's records begin") % {
            "epoch": first.isoformat()
        }
    if born is not None and day < born:
        return _("This date is before the person was born (%(born)s)") % {"born": born.isoformat()}
    if window:
        return None
    if plan:
        last = horizon(today or (timezone.localdate(now) if now else None))
        if day > last:
            return _("This date is too far ahead: %(last)s at the latest") % {
                "last": last.isoformat()
            }
        return None
    if _ahead(value, day, today, now):
        if isinstance(value, dt.datetime):
            return _("This time is in the future")
        return _("This date is in the future")
    return None


def check_date(
    field: str,
    value: DateLike | None,
    *,
    plan: bool = False,
    born: dt.date | None = None,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Raise a ValidationError naming `field` when `value` is out of bounds."""
    message = date_problem(value, plan=plan, born=born, today=today, now=now)
    if message:
        raise ValidationError({field: [ValidationError(message, code="date_range")]})


def check_dates(
    values: dict[str, DateLike | None],
    *,
    born: dt.date | None = None,
    plans: tuple[str, ...] = (),
    today: dt.date | None = None,
) -> None:
    """Check several fields at once; every field out of bounds is named in one error."""
    errors = {}
    for field, value in values.items():
        message = date_problem(value, plan=field in plans, born=born, today=today)
        if message:
            errors[field] = [ValidationError(message, code="date_range")]
    if errors:
        raise ValidationError(errors)


# Two times on every fact (docs/architecture.md) -------------------------------------------


def happened_at(value: dt.datetime | None, *, now: dt.datetime | None = None) -> dt.datetime:
    """The valid time of a fact: as given (naive: in the user's time zone), else now."""
    if value is None:
        return now or timezone.now()
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def check_happened(
    field: str,
    value: dt.datetime,
    *,
    tolerance: dt.timedelta,
    after: tuple[tuple[DateLike | None, str], ...] = (),
    born: dt.date | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Refuse, naming `field`, a valid time before the epoch or the person's birth, ahead of
    the clock by more than `tolerance` (policy: `records.future_tolerance_minutes`), or before
    a fact it must follow: `after` lists (that fact's time or day, the message saying so)."""
    value = happened_at(value)
    problem = date_problem(value, window=True, born=born)
    if problem is None and value > (now or timezone.now()) + tolerance:
        problem = _("This time is in the future")
    for earlier, message in after:
        if problem is not None or earlier is None:
            break
        if isinstance(earlier, dt.datetime):
            if value < earlier:
                problem = message
        elif _local_day(value) < earlier:
            problem = message
    if problem:
        raise ValidationError({field: [ValidationError(problem, code="date_order")]})


# API schemas (pydantic) ---------------------------------------------------------------


def _bounded(*, plan: bool = False, window: bool = False) -> AfterValidator:
    def check(value: Any) -> Any:
        message = date_problem(value, plan=plan, window=window)
        if message:
            raise PydanticCustomError("date_range", message)
        return value

    return AfterValidator(check)


Day = Annotated[dt.date, _bounded(plan=False)]
Moment = Annotated[dt.datetime, _bounded(plan=False)]
PlanDay = Annotated[dt.date, _bounded(plan=True)]
PlanMoment = Annotated[dt.datetime, _bounded(plan=True)]
WindowDay = Annotated[dt.date, _bounded(window=True)]
WindowMoment = Annotated[dt.datetime, _bounded(window=True)]
# When a fact happened (valid time): the service checks it against the clock, with the
# policy's tolerance, and against the facts it must follow (`check_happened`).
Happened = Annotated[dt.datetime, _bounded(window=True)]


# Forms --------------------------------------------------------------------------------


class _Bounds:
    def __init__(self, *, plan: bool, window: bool) -> None:
        self.plan, self.window = plan, window

    def __call__(self, value: DateLike | None) -> None:
        message = date_problem(value, plan=self.plan, window=self.window)
        if message:
            raise ValidationError(message, code="date_range")


# What `<input type="date">` and `<input type="datetime-local">` take, whatever the language
# (zh-Hans would otherwise render 2022/05/07, which a browser shows as an empty field).
ISO_DAY = "%Y-%m-%d"
ISO_MOMENT = "%Y-%m-%dT%H:%M"


class DayField(forms.DateField):
    """A form date within bounds: a fact, a plan (`plan=True`) or a search window (`window`),
    shown in a date picker with an ISO value."""

    widget = forms.DateInput(attrs={"type": "date"})

    def __init__(self, *, plan: bool = False, window: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators.append(_Bounds(plan=plan, window=window))
        if isinstance(self.widget, forms.DateInput):
            self.widget.format = ISO_DAY
            self.widget.input_type = "date"


def this_minute() -> dt.datetime:
    """Now in the user's time zone, to the minute (what a date-and-time picker shows)."""
    return timezone.localtime().replace(second=0, microsecond=0)


class HappenedField(forms.DateTimeField):
    """When a fact happened (its valid time), in the user's time zone; left empty it is now
    (a required one is shown filled with `this_minute`). Only the epoch is checked here: the
    service refuses a time ahead of the clock (by the policy's tolerance) or out of order,
    naming this field. An optional one is left empty rather than filled: a time filled when
    the page was drawn could fall before a change made since, and be refused."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"})

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        if kwargs["required"]:
            kwargs.setdefault("initial", this_minute)
        super().__init__(**kwargs)
        self.validators.append(_Bounds(plan=False, window=True))
        if isinstance(self.widget, forms.DateTimeInput):
            self.widget.format = ISO_MOMENT
            self.widget.input_type = "datetime-local"


class MomentField(forms.DateTimeField):
    """A form date and time within bounds: a fact, a plan or a search window, shown in a
    date-and-time picker with an ISO value (to the minute unless the widget says otherwise)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"})

    def __init__(self, *, plan: bool = False, window: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators.append(_Bounds(plan=plan, window=window))
        if isinstance(self.widget, forms.DateTimeInput):
            self.widget.format = self.widget.format or ISO_MOMENT
            self.widget.input_type = "datetime-local"
