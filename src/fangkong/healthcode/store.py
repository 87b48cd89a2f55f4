"""Stored health-code state: bulk writes of `CodeStatus` rows and their audit events.

`recompute()` derives for many people at once (one query per fact table), stores the result in
`CodeStatus` (a row per person with any non-green history; no row = green) and records a
`code.changed` event whenever a colour changes (and announces the people on `core.changes`,
subject "code").
"""

import datetime as dt
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangkong.audit.services import EventRow, actor_columns, events_record_bulk
from fangkong.core import changes
from fangkong.core.db import in_ids
from fangkong.healthcode.facts import load_facts, people_with_facts
from fangkong.healthcode.models import CodeStatus, Colour
from fangkong.healthcode.rules import MANUAL_OVERRIDE, RULE_LABELS, Derived, derive_from
from fangkong.people.models import Resident
from fangkong.policy import accessor
from fangkong.policy.models import PolicyProfile

CODE_CHANGED = "code"  # the core.changes subject announced with the people whose colour changed
CHUNK = 2000  # people per round trip: well under SQLite's bound-parameter limit
EXPIRED = gettext_lazy("The colour's time ran out")  # the reason of the daily re-derivation


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def new_verify_token() -> str:
    return secrets.token_hex(16)


def _event_row(
    *,
    now: dt.datetime,
    actor: Any,
    person: tuple[int, str, str],
    old: str,
    new: Derived,
    reason: str,
    basis: str,
    profile_code: str,
) -> EventRow:
    pid, key, name = person
    actor_id, actor_name = actor_columns(actor)
    rule_label = str(RULE_LABELS.get(new.rule, new.rule)) if new.rule else ""
    data = {
        "rule": new.rule,
        "profile": profile_code,
        "until": new.until.isoformat() if new.until else None,
    }
    return EventRow(
        at=connection.ops.adapt_datetimefield_value(now),
        actor=actor_id,
        actor_name=actor_name,
        action="code.changed",
        object_type="people.resident",
        object_id=str(pid),
        object_label=name[:200],
        person_id=pid,
        division_key=key,
        field="colour",
        from_value=old,
        to_value=new.colour,
        reason=reason or rule_label,
        basis=basis[:300],
        data=json.dumps(data),
    )


@transaction.atomic
def recompute(
    *, person_ids: list[int], actor: Any = None, reason: str = "", now: dt.datetime | None = None
) -> None:
    """Derive and store these people's colours; audit each colour that changes."""
    if not person_ids:
        return
    policy = accessor.current()
    now = now or timezone.now()
    for chunk in _chunks(sorted(set(person_ids))):
        _recompute_chunk(chunk, policy, now, actor, reason)


@dataclass(frozen=True)
class _Stored:
    colour: str
    rule: str
    facts: list[dict[str, Any]]
    since: dt.datetime
    until: dt.datetime | None
    profile_code: str
    division_key: str
    verify_token: str


def _stored(ids: list[int]) -> dict[int, _Stored]:
    rows = CodeStatus.objects.filter(person_id__in=in_ids(ids)).values_list(
        "person_id",
        "colour",
        "rule",
        "facts",
        "since",
        "until",
        "profile_code",
        "division_key",
        "verify_token",
    )
    return {pid: _Stored(*values) for pid, *values in rows}


def _recompute_chunk(
    ids: list[int], policy: accessor.Policy, now: dt.datetime, actor: Any, reason: str
) -> None:
    today = timezone.localdate(now)
    people = {
        pid: (pid, key, name)
        for pid, key, name in Resident.objects.filter(pk__in=in_ids(ids)).values_list(
            "pk", "division_key", "name"
        )
    }
    facts = load_facts(list(people), now=now)
    existing = _stored(list(people))
    code = policy.profile.code
    rows: list[tuple[Any, ...]] = []
    events: list[EventRow] = []
    for pid, person in people.items():
        new = derive_from(facts[pid], today=today, rules=policy.rules, now=now)
        old = existing.get(pid)
        old_colour = old.colour if old else Colour.GREEN
        if old is None and new.colour == Colour.GREEN and not new.rule:
            continue
        row = _status_row(person, new, old, now, code)
        if old is not None and row[1:9] == (
            old.colour,
            old.rule,
            old.facts,
            old.since,
            old.until,
            old.profile_code,
            old.rule == MANUAL_OVERRIDE,
            old.division_key,
        ):
            continue  # nothing changed: no write
        rows.append(row)
        if new.colour != old_colour:
            basis = new.facts[0]["basis"] if new.rule == MANUAL_OVERRIDE else policy.profile.source
            events.append(
                _event_row(
                    now=now,
                    actor=actor,
                    person=person,
                    old=old_colour,
                    new=new,
                    reason=reason,
                    basis=basis,
                    profile_code=code,
                )
            )
    _upsert_statuses(rows)
    events_record_bulk(events)
    if events:  # those whose colour changed: what depends on a colour hears it (supply passes)
        changes.changed(CODE_CHANGED, [int(e.person_id) for e in events if e.person_id])


def _status_row(
    person: tuple[int, str, str],
    new: Derived,
    old: _Stored | None,
    now: dt.datetime,
    profile_code: str,
) -> tuple[Any, ...]:
    """(person, colour, rule, facts, since, until, profile, overridden, key, computed, token)."""
    pid, key, _name = person
    if old is not None and old.colour == new.colour:
        since = new.since or old.since
    elif old is not None and old.until is not None and old.until <= now:
        since = new.since or old.until  # the old colour ran out at its end, not at this run
    else:
        since = new.since or now
    return (
        pid,
        new.colour,
        new.rule,
        new.facts,
        since,
        new.until,
        profile_code,
        new.rule == MANUAL_OVERRIDE,
        key,
        now,
        old.verify_token if old else new_verify_token(),
    )


UPSERT_COLUMNS = [
    "person_id",
    "colour",
    "rule",
    "facts",
    "since",
    "until",
    "profile_code",
    "overridden",
    "division_key",
    "computed_at",
    "verify_token",
]


def _upsert_statuses(rows: list[tuple[Any, ...]]) -> None:
    """INSERT … ON CONFLICT (person) DO UPDATE, executemany: the same SQL on both databases.

    The verification token is kept on update, so a printed QR code stays valid.
    """
    if not rows:
        return
    ops = connection.ops
    facts_field = CodeStatus._meta.get_field("facts")
    when = ops.adapt_datetimefield_value
    params = []
    for row in rows:
        values = list(row)
        values[3] = facts_field.get_db_prep_save(values[3], connection)
        for i in (4, 5, 9):  # since, until, computed_at
            values[i] = when(values[i])
        params.append(values)
    quote = ops.quote_name
    columns = ", ".join(quote(c) for c in UPSERT_COLUMNS)
    updates = ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in UPSERT_COLUMNS[1:-1])
    sql = (
        f"INSERT INTO {quote(CodeStatus._meta.db_table)} ({columns}) "
        f"VALUES ({', '.join(['%s'] * len(UPSERT_COLUMNS))}) "
        f"ON CONFLICT ({quote('person_id')}) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def recompute_all(*, actor: Any = None, reason: str = "") -> int:
    """Re-derive everyone with any fact or stored status (after a profile switch)."""
    ids = sorted(people_with_facts())
    recompute(person_ids=ids, actor=actor, reason=reason)
    return len(ids)


def recompute_expired(*, now: dt.datetime | None = None) -> int:
    """Re-derive statuses whose time ran out (run daily: `fangkong recompute_codes`)."""
    now = now or timezone.now()
    ids = list(CodeStatus.objects.filter(until__lte=now).values_list("person_id", flat=True))
    recompute(person_ids=ids, reason=str(EXPIRED), now=now)
    return len(ids)


def on_policy_activated(sender: Any, profile: PolicyProfile, actor: Any, **kwargs: Any) -> None:
    reason = _("Policy profile activated: %(name)s") % {"name": profile.name}
    recompute_all(actor=actor, reason=reason)
