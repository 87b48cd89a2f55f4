"""Log-in throttling: a delay per account that doubles with each failure, a cap per address.

Failures against an account double the wait before its next attempt is even checked (1 s,
2 s, 4 s … up to settings.LOGIN_DELAY_MAX_SECONDS): a stranger's guesses slow the account
down but never lock its owner out, and the right password works once the wait is over.
Attempts refused during a wait are not checked and do not lengthen it. Failures from one
network address across any accounts within LOGIN_ADDRESS_WINDOW_MINUTES count together; at
LOGIN_ADDRESS_FAILURE_LIMIT that address waits LOGIN_ADDRESS_WAIT_MINUTES (caps password
spraying). Two-factor codes have their own delay per account.

An attempt is counted as failed when it starts (under a row lock) and taken back when it
succeeds, so that a burst of simultaneous requests gets one guess, not one each.
"""

import datetime as dt
import math

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.accounts.models import Throttle

Kind = Throttle.Kind
Key = tuple[str, str]  # (kind, account name / address / user id)


def now() -> dt.datetime:
    return timezone.now()


def account_delay(failures: int) -> dt.timedelta:
    first = settings.LOGIN_DELAY_FIRST_SECONDS
    doubled = first * 2 ** min(max(failures - 1, 0), 40)
    return dt.timedelta(seconds=min(doubled, settings.LOGIN_DELAY_MAX_SECONDS))


def password_keys(username: str, address: str) -> list[Key]:
    return [(Kind.ACCOUNT, username[:150]), (Kind.ADDRESS, address)]


def code_keys(user_id: int) -> list[Key]:
    return [(Kind.CODE, str(user_id))]


def _stale(row: Throttle, at: dt.datetime) -> bool:
    if row.wait_until is not None and row.wait_until > at:
        return False
    if row.kind == Kind.ADDRESS:
        return row.first_at <= at - dt.timedelta(minutes=settings.LOGIN_ADDRESS_WINDOW_MINUTES)
    return row.last_at <= at - dt.timedelta(hours=settings.LOGIN_FAILURES_FORGOTTEN_HOURS)


def _wait_after(row: Throttle, at: dt.datetime) -> dt.datetime | None:
    if row.kind == Kind.ADDRESS:
        if row.failures < settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            return None
        return at + dt.timedelta(minutes=settings.LOGIN_ADDRESS_WAIT_MINUTES)
    return at + account_delay(row.failures)


@transaction.atomic
def attempt_begin(keys: list[Key]) -> dt.datetime | None:
    """Count an attempt against every key; when one of them is waiting, count nothing and
    return when the longest wait ends (the attempt must then be refused unchecked)."""
    at = now()
    rows = [
        Throttle.objects.select_for_update().get_or_create(
            kind=kind, key=key, defaults={"first_at": at, "last_at": at}
        )[0]
        for kind, key in keys
    ]
    waits = [r.wait_until for r in rows if r.wait_until is not None and r.wait_until > at]
    if waits:
        return max(waits)
    for row in rows:
        if _stale(row, at):
            row.failures, row.first_at = 0, at
        row.failures += 1
        row.last_at = at
        row.wait_until = _wait_after(row, at)
        row.save()
    _forget_old(at)
    return None


@transaction.atomic
def attempt_succeeded(keys: list[Key]) -> None:
    """Take the attempt back: an account's count starts over, an address's loses this one."""
    for kind, key in keys:
        rows = Throttle.objects.select_for_update().filter(kind=kind, key=key)
        if kind != Kind.ADDRESS:
            rows.delete()
            continue
        row = rows.first()
        if row is not None and row.failures > 0:
            row.failures -= 1
            row.wait_until = _wait_after(row, row.last_at) if row.failures else None
            row.save(update_fields=["failures", "wait_until"])


def _forget_old(at: dt.datetime) -> None:
    horizon = dt.timedelta(
        hours=settings.LOGIN_FAILURES_FORGOTTEN_HOURS,
        minutes=settings.LOGIN_ADDRESS_WINDOW_MINUTES,
    )
    Throttle.objects.filter(
        Q(wait_until__isnull=True) | Q(wait_until__lt=at), last_at__lt=at - horizon
    ).delete()


def wait_left(keys: list[Key]) -> dt.timedelta:
    """How long until the next attempt against these keys is checked (zero: at once)."""
    match = Q(pk__in=[])
    for kind, key in keys:
        match |= Q(kind=kind, key=key)
    at = now()
    waits = Throttle.objects.filter(match, wait_until__gt=at).values_list("wait_until", flat=True)
    return max((w - at for w in waits if w is not None), default=dt.timedelta(0))


def account_wait_left(username: str) -> dt.timedelta:
    return wait_left(password_keys(username, "")[:1])


def seconds_until(until: dt.datetime) -> int:
    return max(1, math.ceil((until - now()).total_seconds()))


def wait_message(until: dt.datetime) -> str:
    """ "Too many failed attempts. Try again at 14:05:32 (in 16 seconds).", in local time."""
    seconds = seconds_until(until)
    if seconds < 120:
        wait = ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}
    else:
        minutes = math.ceil(seconds / 60)
        wait = ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    at = timezone.localtime(until).strftime("%H:%M:%S")
    return _("Too many failed attempts. Try again at %(time)s (in %(wait)s).") % {
        "time": at,
        "wait": wait,
    }
