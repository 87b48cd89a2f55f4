"""Contact finding from venue check-ins: a sorted in-memory index and vectorised overlap search.

The index holds every check-in as NumPy columns sorted by (venue, time in), with the offsets
of each venue's run. For a case check-in at venue v over [a, b] (widened by the padding) the
other people there are the rows of v whose time in is before b and whose time out is after a.
Rows are sorted by time in, so the first bound is one binary search; for the second the index
keeps `reach`, the running maximum of time out inside each venue's run, which is
non-decreasing, so "time out may be after a" is a binary search too. Only the rows between
the two bounds are read: a case's check-ins touch a few thousand rows, not the whole log.
All the binary searches of a batch of cases run at once (one vectorised search per step).
A person's own check-ins are found through `by_person`, ordered by (person, time in), so only
the ones near the searched window are read. Overlaps are grouped per (case, person) by one
sort of a packed int64 key.

Times are whole seconds since `EPOCH` stored as int32 (1952–2088); each row's time in and
time out sit side by side (`stays`), so one read fetches both.
"""

import datetime as dt
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

EPOCH = 1_577_836_800  # 2020-01-01T00:00:00Z: times are stored relative to it
CACHE_MIN_ROWS = 100_000  # below this the index is rebuilt each time (cheap, never stale)

I32 = NDArray[np.int32]
I64 = NDArray[np.int64]
Rows = NDArray[np.signedinteger[Any]]  # row numbers: int32 unless there are 2**31 rows


@dataclass(frozen=True)
class CheckinIndex:
    """Check-ins sorted by (venue, time in) plus a per-person permutation."""

    venue_ids: I64  # sorted distinct venue ids
    offsets: I64  # rows of venue_ids[k] are offsets[k]:offsets[k + 1]
    stays: I32  # (rows, 2): time in and time out of each row, seconds since EPOCH
    person: I64
    reach: I32  # running max of t_out within each venue's run
    person_ids: I64  # sorted distinct person ids
    person_offsets: I64  # by_person[person_offsets[k]:person_offsets[k + 1]] are their rows
    by_person: Rows  # row numbers ordered by (person, time in, row)
    longest_stay: int  # the longest time out − time in, seconds

    @property
    def t_in(self) -> I32:
        return self.stays[:, 0]

    @property
    def t_out(self) -> I32:
        return self.stays[:, 1]

    @property
    def rows(self) -> int:
        return len(self.stays)

    def stays_at(self, rows: Rows) -> tuple[I32, I32]:
        """(time in, time out) of these rows: each row's pair is one 8-byte read."""
        pair = self.stays.view(np.int64).reshape(-1)[rows].view(np.int32).reshape(-1, 2)
        return pair[:, 0], pair[:, 1]

    @property
    def nbytes(self) -> int:
        return sum(
            a.nbytes
            for a in (
                self.venue_ids,
                self.offsets,
                self.stays,
                self.person,
                self.reach,
                self.person_ids,
                self.person_offsets,
                self.by_person,
            )
        )


@dataclass(frozen=True)
class Found:
    """Contacts (or evidence rows): one entry per position across the arrays.

    Times are epoch seconds (UTC). `via_person_id` is -1 for close contacts.
    """

    case_id: I64
    person_id: I64
    venue_id: I64
    overlap_start: I64
    overlap_end: I64
    overlap_minutes: I64
    via_person_id: I64
    exposed_from: I64  # the earliest overlap start of this person with this case

    def __len__(self) -> int:
        return len(self.case_id)

    def take(self, which: Any) -> "Found":
        return Found(*(getattr(self, f)[which] for f in _FOUND_FIELDS))


_FOUND_FIELDS = (
    "case_id",
    "person_id",
    "venue_id",
    "overlap_start",
    "overlap_end",
    "overlap_minutes",
    "via_person_id",
    "exposed_from",
)


def _dense_ranks(ids: NDArray[Any]) -> tuple[I64, I64]:
    """(distinct sorted ids, rank of each element)."""
    ids = np.asarray(ids)
    if len(ids) and ids.min() >= 0 and ids.max() < 4 * len(ids) + 1024:
        present = np.bincount(ids).astype(bool)
        distinct = np.flatnonzero(present).astype(np.int64)
        rank_of = np.cumsum(present, dtype=np.int64) - 1
        return distinct, rank_of[ids]
    distinct, inverse = np.unique(ids, return_inverse=True)
    return distinct.astype(np.int64), inverse.astype(np.int64)


def build_index(
    venue: NDArray[Any], person: NDArray[Any], t_in: NDArray[Any], t_out: NDArray[Any]
) -> CheckinIndex:
    """Index check-ins given as columns; times are epoch seconds (any integer dtype)."""
    t_in = np.asarray(t_in, dtype=np.int64) - EPOCH
    t_out = np.asarray(t_out, dtype=np.int64) - EPOCH
    t_out = np.maximum(t_out, t_in)
    longest_stay = int((t_out - t_in).max()) if len(t_in) else 0
    venue_ids, vrank = _dense_ranks(venue)
    if len(t_in):
        low = int(t_in.min())
        order = np.argsort((vrank << 32) | (t_in - low))
    else:
        low, order = 0, np.zeros(0, dtype=np.int64)
    vrank_sorted = vrank[order]
    del vrank
    counts = np.bincount(vrank_sorted, minlength=len(venue_ids))
    offsets = np.zeros(len(venue_ids) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    stays = np.empty((len(order), 2), dtype=np.int32)
    stays[:, 0] = t_in[order]
    t_out_s = t_out[order]
    stays[:, 1] = t_out_s
    del t_in, t_out
    keyed = (vrank_sorted << 32) | (t_out_s - low)
    del t_out_s
    np.maximum.accumulate(keyed, out=keyed)
    reach = ((keyed & 0xFFFFFFFF) + low).astype(np.int32)
    del keyed, vrank_sorted
    person_s = np.asarray(person, dtype=np.int64)[order]
    del order
    person_ids, prank = _dense_ranks(person_s)
    by_person = np.argsort((prank << 32) | (stays[:, 0] - np.int64(low)), kind="stable")
    by_person = by_person.astype(np.int32 if len(by_person) < 2**31 else np.int64)
    pcounts = np.bincount(prank, minlength=len(person_ids))
    person_offsets = np.zeros(len(person_ids) + 1, dtype=np.int64)
    np.cumsum(pcounts, out=person_offsets[1:])
    return CheckinIndex(
        venue_ids=venue_ids,
        offsets=offsets,
        stays=stays,
        person=person_s,
        reach=reach,
        person_ids=person_ids,
        person_offsets=person_offsets,
        by_person=by_person,
        longest_stay=longest_stay,
    )


def _search(arr: NDArray[Any], lo: I64, hi: I64, x: I64, via: Rows | None = None) -> I64:
    """Per query, the first index i in [lo, hi) with arr[i] > x (hi when there is none), or
    with arr[via[i]] > x when `via` is given.

    The values must be sorted inside each query's range. All queries halve their ranges together
    without branching (a finished query stays put); once most have finished, the rest are
    compacted so the long ranges (large venues) do not drag the short ones along.
    """
    out, where = lo.copy(), None
    lo, n = lo.copy(), np.maximum(hi - lo, 0)
    last = len(arr if via is None else via) - 1
    while len(n):
        alive = n > 0
        count = int(np.count_nonzero(alive))
        if not count:
            break
        if 2 * count < len(n):
            if where is None:
                out[:], where = lo, np.flatnonzero(alive)
            else:
                out[where], where = lo, where[alive]
            lo, n, x = lo[alive], n[alive], x[alive]
        half = n >> 1
        mid = lo + half
        at = np.minimum(mid, last)
        right = ((arr[at] if via is None else arr[via[at]]) <= x) & (n > 0)
        lo = np.where(right, mid + 1, lo)
        n = np.where(right, n - half - 1, half)
    if where is None:
        return lo
    out[where] = lo
    return out


def _expand(lo: I64, hi: I64) -> tuple[I64, I64]:
    """Flatten the ranges [lo, hi): (query number of each row, row number)."""
    counts = np.maximum(hi - lo, 0)
    total = int(counts.sum())
    query = np.repeat(np.arange(len(lo), dtype=np.int64), counts)
    starts = np.cumsum(counts) - counts
    rows = np.arange(total, dtype=np.int64) - np.repeat(starts - lo, counts)
    return query, rows


def _person_rows(index: CheckinIndex, persons: I64, start: I64, end: I64) -> tuple[I64, I64]:
    """(query number, position in `by_person`) of each person's check-ins that may overlap
    [start, end]: a person's stays are in time order, so those with time in < end and time
    in > start − the longest stay are one run, found by two binary searches."""
    k = np.searchsorted(index.person_ids, persons)
    k = np.minimum(k, max(len(index.person_ids) - 1, 0))
    known = (index.person_ids[k] == persons) if len(index.person_ids) else persons < 0
    lo = np.where(known, index.person_offsets[k], 0)
    hi = np.where(known, index.person_offsets[np.minimum(k + 1, len(index.person_offsets) - 1)], 0)
    lo = _search(index.t_in, lo, hi, start - index.longest_stay, index.by_person)
    hi = _search(index.t_in, lo, hi, end - 1, index.by_person)
    return _expand(lo, hi)


class _Keys:
    """Packs (owner, person) into one int64 that sorts like the pair: the owner's rank among
    `owners` in the high bits, the person's offset from the index's lowest person id below.
    `fits` is False when the two do not fit (then the slower column-wise paths are used)."""

    def __init__(self, index: CheckinIndex, owners: I64) -> None:
        self.owners = np.unique(owners)
        self.low = int(index.person_ids[0]) if len(index.person_ids) else 0
        self.high = int(index.person_ids[-1]) if len(index.person_ids) else 0
        self.shift = (self.high - self.low).bit_length()
        self.fits = self.shift + max(len(self.owners) - 1, 1).bit_length() <= 62

    def rank(self, owner: I64) -> I64:
        return np.searchsorted(self.owners, owner)

    def pack(self, rank: I64, person: I64) -> I64:
        return (rank << self.shift) | (person - self.low)

    def known(self, owner: I64, person: I64) -> I64:
        """Sorted keys of these pairs; pairs that no evidence row can have are left out."""
        rank = self.rank(owner)
        ok = (rank < len(self.owners)) & (person >= self.low) & (person <= self.high)
        ok[ok] = self.owners[rank[ok]] == owner[ok]
        return np.unique(self.pack(rank[ok], person[ok]))


@dataclass(frozen=True)
class _Evidence:
    """Overlaps found by `_meetings`, times relative to EPOCH.

    Per query (a searched stay): `owner`, `source`, `vrank`. Per overlap: `query`, `person`,
    `start`, `end` and `key` (the packed (owner, person), or None when it does not fit).
    """

    keys: _Keys
    owner: I64
    source: I64
    vrank: I64
    query: I64
    person: I64
    start: I64
    end: I64
    key: I64 | None

    def take(self, which: Any) -> "_Evidence":
        return _Evidence(
            self.keys,
            self.owner,
            self.source,
            self.vrank,
            self.query[which],
            self.person[which],
            self.start[which],
            self.end[which],
            None if self.key is None else self.key[which],
        )


def _meetings(
    index: CheckinIndex,
    owner: I64,
    source: I64,
    start: I64,
    end: I64,
    padding: int,
    min_seconds: int,
) -> _Evidence:
    """Everyone at the same venue as `source` while `source` was there inside [start, end]:
    who (person), where (venue rank) and when (overlap start and end)."""
    keys = _Keys(index, owner)
    query, pos = _person_rows(index, source, start, end)
    rows = index.by_person[pos]
    t_in, t_out = index.stays_at(rows)
    a = np.maximum(t_in, start[query])
    b = np.minimum(t_out, end[query])
    # The stay inside the window, padded, must be longer than the minimum overlap; skip the
    # others before searching.
    inside = np.flatnonzero(b - a > max(min_seconds - 2 * padding, 0))
    query, rows = query[inside], rows[inside]
    # Back to (query, row) order, which decides the ties between equally long overlaps.
    back = np.argsort((query << 32) | rows)
    query, rows, inside = query[back], rows[back], inside[back]
    a, b = a[inside] - padding, b[inside] + padding
    vrank = np.searchsorted(index.offsets, rows, side="right") - 1
    seg_lo, seg_hi = index.offsets[vrank], index.offsets[vrank + 1]
    # An overlap longer than min_seconds needs time out > a + min and time in < b − min.
    lo = _search(index.reach, seg_lo, seg_hi, a + min_seconds)
    hi = _search(index.t_in, lo, seg_hi, b - min_seconds - 1)
    q, r = _expand(lo, hi)
    t_in, t_out = index.stays_at(r)
    o_start = np.maximum(t_in, a[q])
    o_end = np.minimum(t_out, b[q])
    person = index.person[r]
    qsource = source[query]
    keep = np.flatnonzero((o_end - o_start > min_seconds) & (person != qsource[q]))
    q, person = q[keep], person[keep]
    qowner = owner[query]
    key = keys.pack(keys.rank(qowner)[q], person) if keys.fits else None
    return _Evidence(keys, qowner, qsource, vrank, q, person, o_start[keep], o_end[keep], key)


def _stable_order(values: I64) -> I64:
    """np.argsort(values, kind="stable") for non-negative values: up to three passes over
    16-bit digits, least significant first (NumPy sorts 16-bit integers by counting)."""
    bits = int(values.max(initial=0)).bit_length()
    if bits > 48:
        return np.argsort(values, kind="stable")
    order = np.argsort((values & 0xFFFF).astype(np.uint16), kind="stable")
    for shift in range(16, bits, 16):
        digit = ((values[order] >> shift) & 0xFFFF).astype(np.uint16)
        order = order[np.argsort(digit, kind="stable")]
    return order


def _best(evidence: _Evidence, minutes: I64, known: I64 | None) -> tuple[I64, NDArray[Any], I64]:
    """Rows ordered by (owner, person, longest overlap first, evidence order) without the
    pairs in `known` (sorted keys), the mask of each group's first row, and per group the
    earliest overlap start."""
    key = evidence.key
    span = int(minutes.max()) if len(minutes) else 0
    if key is not None and int(key.max(initial=0)).bit_length() + span.bit_length() <= 63:
        order = _stable_order((key << span.bit_length()) | (span - minutes))
        k = key[order]
        if known is not None and len(known) and len(k):
            # Sort-merge: the rows of each known pair are one run of the sorted keys.
            lo = np.searchsorted(k, known, side="left")
            hi = np.searchsorted(k, known, side="right")
            hit = hi > lo
            mark = np.zeros(len(k) + 1, dtype=np.int32)
            mark[lo[hit]] += 1
            mark[hi[hit]] -= 1
            keep = np.cumsum(mark[:-1]) == 0
            order, k = order[keep], k[keep]
        first = np.ones(len(order), dtype=bool)
        first[1:] = k[1:] != k[:-1]
    else:
        owner = evidence.owner[evidence.query]
        order = np.lexsort((-minutes, evidence.person, owner))
        if known is not None:
            pairs = _pair_keys(owner[order], evidence.person[order])
            order = order[~np.isin(pairs, known)]
        o, p = owner[order], evidence.person[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = (o[1:] != o[:-1]) | (p[1:] != p[:-1])
    heads = np.flatnonzero(first)
    start = evidence.start
    earliest = np.minimum.reduceat(start[order], heads) if len(heads) else start[:0]
    return order, first, earliest


def _found(
    index: CheckinIndex,
    evidence: _Evidence,
    *,
    via: bool,
    all_rows: bool,
    known: I64 | None = None,
) -> Found:
    minutes = (evidence.end - evidence.start) // 60
    order, first, earliest = _best(evidence, minutes, known)
    if all_rows:
        pick, earliest = order, earliest[np.cumsum(first) - 1]
    else:
        pick = order[first]
    query = evidence.query[pick]
    return Found(
        case_id=evidence.owner[query],
        person_id=evidence.person[pick],
        venue_id=index.venue_ids[evidence.vrank[query]],
        overlap_start=evidence.start[pick] + EPOCH,
        overlap_end=evidence.end[pick] + EPOCH,
        overlap_minutes=minutes[pick],
        via_person_id=(evidence.source[query] if via else np.full(len(pick), -1, dtype=np.int64)),
        exposed_from=earliest + EPOCH,
    )


CaseTuple = tuple[int, int, int, int]  # (case id, person id, window start, window end) in epoch s


def _case_columns(cases: Sequence[CaseTuple]) -> tuple[I64, I64, I64, I64]:
    arr = np.asarray(cases, dtype=np.int64).reshape(-1, 4)
    return arr[:, 0].copy(), arr[:, 1].copy(), arr[:, 2] - EPOCH, arr[:, 3] - EPOCH


def find_close_contacts(
    index: CheckinIndex,
    cases: Sequence[CaseTuple],
    padding_minutes: int = 0,
    *,
    min_minutes: int = 0,
    all_rows: bool = False,
) -> Found:
    """People at the same venue at the same time as a case inside its look-back window.

    `cases` are (case id, person id, window start, window end) with epoch-second times; the
    padding widens each of the case's stays on both sides. One row per (case, person) with the
    longest overlap, or every overlapping pair of stays with `all_rows`. An overlap counts when
    it is longer than `min_minutes`.
    """
    case_id, person, start, end = _case_columns(cases)
    evidence = _meetings(index, case_id, person, start, end, padding_minutes * 60, min_minutes * 60)
    return _found(index, evidence, via=False, all_rows=all_rows)


def find_secondary_contacts(
    index: CheckinIndex,
    close: Found,
    cases: Sequence[CaseTuple],
    padding_minutes: int = 0,
    *,
    min_minutes: int = 0,
    all_rows: bool = False,
) -> Found:
    """Contacts of close contacts: the same search one level further.

    A close contact is searched from the start of their exposure to the end of the case's
    window (when the case, and so its contacts, came under control). The case itself and the
    case's close contacts are not secondary contacts of it.
    """
    case_id, case_person, _start, end = _case_columns(cases)
    by_case = np.argsort(case_id)
    pos = by_case[np.searchsorted(case_id, close.case_id, sorter=by_case)]
    evidence = _meetings(
        index,
        close.case_id,
        close.person_id,
        close.exposed_from - EPOCH,
        end[pos],
        padding_minutes * 60,
        min_minutes * 60,
    )
    # Each case's own person and its close contacts are not its secondary contacts.
    owner = np.concatenate([close.case_id, case_id])
    person = np.concatenate([close.person_id, case_person])
    if evidence.key is not None:
        known = evidence.keys.known(owner, person)
    else:
        known = _pair_keys(owner, person)
    return _found(index, evidence, via=True, all_rows=all_rows, known=known)


def _pair_keys(owner: I64, person: I64) -> I64:
    return (owner.astype(np.int64) << 32) ^ person.astype(np.int64)


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
    from django.db import connection

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
    from django.db import connection
    from django.db.models import Max

    from fangkong.epi.models import CheckIn

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
    from django.utils import timezone

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
    from fangkong.policy.accessor import current

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
