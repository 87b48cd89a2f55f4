"""Online verification: the same checks as the checkpoint phone (hcert.verify against the
published keys), then whether the pass was revoked. Built for speed: the trusted keys and the
rules a verifier needs are kept per process for `CACHE_SECONDS` (a key rotation reaches every
worker within that time; revocation is read from the database on every call, one query).
"""

import datetime as dt
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from fangkong.policy.accessor import current
from fangkong.supplies.models import PassStatus, SupplyPass
from fangkong.supplies.passes import hcert
from fangkong.supplies.passes import selectors as sel

CACHE_SECONDS = 30.0  # how long a worker keeps the key list and the pass rules


@dataclass(frozen=True)
class _Trust:
    keys: list[hcert.TrustedKey]
    tolerance: dt.timedelta
    loaded: float


_lock = threading.Lock()
_trust: _Trust | None = None


def trust(*, fresh: bool = False) -> _Trust:
    global _trust
    now = time.monotonic()
    with _lock:
        if fresh or _trust is None or now - _trust.loaded > CACHE_SECONDS:
            policy = current()
            rules = sel.pass_rules(policy)
            keys = sel.trusted(sel.trusted_keys(rules, timezone.now()), rules)
            _trust = _Trust(keys, policy.rules.records.tolerance, now)
        return _trust


def forget() -> None:
    """Drop the cached keys (after a rotation in this process; tests)."""
    global _trust
    with _lock:
        _trust = None


@dataclass(frozen=True)
class Checked:
    verdict: hcert.Verdict
    reason: str
    revoked_reason: str = ""


def check(code: str, *, now: dt.datetime | None = None) -> Checked:
    """The verdict on a pass code, revocation included."""
    now = now or timezone.now()
    t = trust()
    verdict = hcert.verify(code, t.keys, now=now, tolerance=t.tolerance)
    if verdict.reason == hcert.Reason.UNKNOWN_KEY:  # a key made since the cache was filled
        t = trust(fresh=True)
        verdict = hcert.verify(code, t.keys, now=now, tolerance=t.tolerance)
    if not verdict.valid:
        return Checked(verdict, verdict.reason)
    row: Any = (
        SupplyPass.objects.filter(serial=verdict.serial)
        .values_list("status", "revoked_reason")
        .first()
    )
    if row is None:  # signed by our key yet unknown here: never issued by this platform
        return Checked(verdict, hcert.Reason.UNKNOWN_KEY)
    status, revoked_reason = row
    if status == PassStatus.REVOKED:
        return Checked(verdict, hcert.Reason.REVOKED, revoked_reason)
    return Checked(verdict, hcert.Reason.VALID)
