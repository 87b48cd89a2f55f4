"""The check-in index of this process: read from the database (COPY TO on PostgreSQL), cached
while the CheckIn table does not change, and searched for the candidates of cases under the
active policy. The search itself is `engine` (pure NumPy/Numba, no Django)."""

import datetime as dt
import threading
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from fangkong.epi.finding.engine import (
    I64,
    CaseTuple,
    CheckinIndex,
    Found,
    build_index,
    find_close_contacts,
    find_secondary_contacts,
)
from fangkong.epi.models import CheckIn
from fangkong.policy.accessor import current

CACHE_MIN_ROWS = 100_000  # below this the index is rebuilt each time (cheap, never stale)


# Building from the database ----------------------------------------------------------------

_SELECT = {
    "postgresql": (
        "COPY (SELECT venue_id, person_id, floor(extract(epoch FROM time_in))::bigint,"
        " floor(extract(epoch FROM time_out))::bigint FROM epi_checkin) TO STDOUT"
    ),
    "sqlite": (
        "SELECT venue_id, person_id, CAST(strftime('%s', time_in) AS INTEGER),"
        " CAST(strftime('%s', time_out) AS INTEGER) FROM epi_checkin"
    ),
}


def _db_columns() -> I64:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            parts: list[I64] = []
            tail = b""
            with cursor.cursor.copy(_SELECT["postgresql"]) as copy:
                for block in copy:
                    data = tail + bytes(block)
                    cut = data.rfind(b"\n") + 1
                    tail = data[cut:]
                    if cut:
                        parts.append(np.array(data[:cut].split(), dtype=np.int64))
            flat = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
            return flat.reshape(-1, 4)
        cursor.execute(_SELECT["sqlite"])
        chunks: list[I64] = []
        while rows := cursor.fetchmany(100_000):
            chunks.append(np.asarray(rows, dtype=np.int64))
        return np.concatenate(chunks) if chunks else np.zeros((0, 4), dtype=np.int64)


def index_from_database() -> CheckinIndex:
    """Read the whole CheckIn table into an index (COPY TO on PostgreSQL)."""
    cols = _db_columns()
    return build_index(cols[:, 0], cols[:, 1], cols[:, 2], cols[:, 3])


_lock = threading.Lock()
_cache: dict[str, Any] = {"key": None, "index": None}
_version = [0]


def checkins_changed() -> None:
    """Tell this process's cached index that the CheckIn table changed (imports call it)."""
    with _lock:
        _version[0] += 1
        _cache["key"] = _cache["index"] = None


def current_index() -> CheckinIndex:
    """The index for the current CheckIn table, cached per process when the table is large.

    The cache is keyed by the highest check-in id (check-ins are append-only) and this
    process's change counter, so new imports from any process are seen.
    """
    top = CheckIn.objects.aggregate(top=Max("id"))["top"] or 0
    if top < CACHE_MIN_ROWS:
        return index_from_database()
    key = (connection.settings_dict["NAME"], top, _version[0])
    with _lock:
        if _cache["key"] == key:
            return _cache["index"]
        index = index_from_database()
        _cache["key"], _cache["index"] = key, index
        return index


# The service-facing entry point ------------------------------------------------------------


def _epoch(value: dt.datetime) -> int:
    return int(value.timestamp())


def case_window(case: Any, lookback_days: int) -> tuple[dt.datetime, dt.datetime]:
    """From the start of (index date − look-back days) to isolation: transfer, else report day."""
    tz = timezone.get_current_timezone()
    start_day = case.index_date - dt.timedelta(days=lookback_days)
    start = dt.datetime.combine(start_day, dt.time(), tzinfo=tz)
    if case.transferred_at is not None:
        return start, case.transferred_at
    end_day = case.reported_on + dt.timedelta(days=1)
    return start, dt.datetime.combine(end_day, dt.time(), tzinfo=tz)


def _rows(found: Found, degree: str) -> Iterable[dict[str, Any]]:
    utc = dt.UTC
    for i in range(len(found)):
        via = int(found.via_person_id[i])
        yield {
            "case_id": int(found.case_id[i]),
            "person_id": int(found.person_id[i]),
            "degree": degree,
            "via_person_id": via if via >= 0 else None,
            "venue_id": int(found.venue_id[i]),
            "overlap_start": dt.datetime.fromtimestamp(int(found.overlap_start[i]), utc),
            "overlap_end": dt.datetime.fromtimestamp(int(found.overlap_end[i]), utc),
            "overlap_minutes": int(found.overlap_minutes[i]),
        }


def candidates_for_cases(
    cases: Sequence[Any],
    *,
    padding_minutes: int = 0,
    include_secondary: bool = False,
    index: CheckinIndex | None = None,
) -> list[dict[str, Any]]:
    """Candidate contacts of these cases from the check-in log, with their evidence.

    The look-back window and whether secondary contacts exist come from the active policy
    profile; secondary contacts are searched only when asked and the profile has them. Each
    row: case_id, person_id, degree ("close"/"secondary"), via_person_id, venue_id,
    overlap_start, overlap_end (aware UTC), overlap_minutes; the longest overlap per person.
    """
    rules = current().rules
    lookback = rules.contacts.lookback_days_before_onset
    tuples: list[CaseTuple] = []
    for case in cases:
        start, end = case_window(case, lookback)
        tuples.append((case.pk, case.person_id, _epoch(start), _epoch(end)))
    if not tuples:
        return []
    index = index if index is not None else current_index()
    close = find_close_contacts(index, tuples, padding_minutes)
    out = list(_rows(close, "close"))
    if include_secondary and rules.contacts.secondary_contacts:
        secondary = find_secondary_contacts(index, close, tuples, padding_minutes)
        out.extend(_rows(secondary, "secondary"))
    return out
