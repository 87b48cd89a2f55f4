"""Contact finding from venue check-ins: a sorted in-memory index and compiled overlap search.

The index holds every check-in twice, as 16-byte int32 records. `venue_log` is sorted by
(venue, time in), with the offsets of each venue's run; each row also carries `reach`, the
running maximum of time out inside its venue's run, which never decreases. `person_log` is
sorted by (person, time in), so a person's stays near a window are one run of it, found by a
binary search; each record keeps the stay's venue and its row in `venue_log`.

For a case's stay at venue v, padded to [a, b], the others there are the rows of v whose time
in is before b and whose time out is after a. Those rows are one run: after it every time in
is too late, before it every reach is too early. The run holds the stay's own row, so it is
read outwards from that row: a handful of rows, usually in the same cache line, and nothing
else of the log. The searches are Numba kernels (compiled on first use, cached on disk) that
ask for the memory of the next people and stays ahead of time, since waiting on memory is
most of their cost. Overlaps are then grouped per (case, person) after a radix sort.

Times are whole seconds since `EPOCH` stored as int32 (1952–2088).
"""

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
from llvmlite import binding as llvm_binding
from llvmlite import ir as llvm_ir
from numba.core import cgutils, types
from numba.core.extending import intrinsic
from numpy.typing import NDArray

EPOCH = 1_577_836_800  # 2020-01-01T00:00:00Z: times are stored relative to it
SPLIT_MIN_SOURCES = 256  # searches from more sources than twice this use two threads
AHEAD = 4  # sources whose memory is asked for ahead of the one searched
TIME_IN, TIME_OUT, REACH, PERSON = 0, 1, 2, 3  # the columns of venue_log
VENUE, ROW = 2, 3  # and of person_log (time in and out as in venue_log)

I32 = NDArray[np.int32]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class CheckinIndex:
    """Check-ins sorted by (venue, time in) and by (person, time in). People and venues are
    dense ranks into `person_ids` and `venue_ids`."""

    venue_ids: I64  # sorted distinct venue ids
    offsets: I64  # venue k's rows are venue_log[offsets[k]:offsets[k + 1]]
    venue_log: I32  # (rows, 4): time in, time out, reach, person rank
    person_ids: I64  # sorted distinct person ids
    person_offsets: I64  # person k's rows are person_log[person_offsets[k]:…[k + 1]]
    person_log: I32  # (rows, 4): time in, time out, venue rank, row in venue_log
    longest_stay: int  # the longest time out − time in, seconds

    @property
    def t_in(self) -> I32:
        return self.venue_log[:, TIME_IN]

    @property
    def t_out(self) -> I32:
        return self.venue_log[:, TIME_OUT]

    @property
    def rows(self) -> int:
        return len(self.venue_log)

    @property
    def nbytes(self) -> int:
        arrays: tuple[NDArray[Any], ...] = (self.venue_ids, self.offsets, self.venue_log)
        arrays += (self.person_ids, self.person_offsets, self.person_log)
        return sum(a.nbytes for a in arrays)


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
    if len(t_in) >= 2**31:
        raise ValueError("the index holds at most 2**31 − 1 check-ins")
    t_in = np.asarray(t_in, dtype=np.int64) - EPOCH
    t_out = np.asarray(t_out, dtype=np.int64) - EPOCH
    t_out = np.maximum(t_out, t_in)
    longest_stay = int((t_out - t_in).max()) if len(t_in) else 0
    low = int(t_in.min()) if len(t_in) else 0
    venue_ids, vrank = _dense_ranks(venue)
    order = np.argsort((vrank << 32) | (t_in - low))
    vrank = vrank[order]
    offsets = np.zeros(len(venue_ids) + 1, dtype=np.int64)
    np.cumsum(np.bincount(vrank, minlength=len(venue_ids)), out=offsets[1:])
    venue_log = np.empty((len(order), 4), dtype=np.int32)
    venue_log[:, TIME_IN] = t_in[order]
    venue_log[:, TIME_OUT] = t_out[order]
    del t_in, t_out
    keyed = (vrank << 32) | (venue_log[:, TIME_OUT] - np.int64(low))
    np.maximum.accumulate(keyed, out=keyed)
    venue_log[:, REACH] = (keyed & 0xFFFFFFFF) + low
    del keyed
    person_ids, prank = _dense_ranks(np.asarray(person, dtype=np.int64)[order])
    del order
    venue_log[:, PERSON] = prank
    by_person = np.argsort((prank << 32) | (venue_log[:, TIME_IN] - np.int64(low)), kind="stable")
    person_offsets = np.zeros(len(person_ids) + 1, dtype=np.int64)
    np.cumsum(np.bincount(prank, minlength=len(person_ids)), out=person_offsets[1:])
    del prank
    person_log = np.empty_like(venue_log)
    person_log[:, : TIME_OUT + 1] = venue_log[by_person, : TIME_OUT + 1]
    person_log[:, VENUE] = vrank[by_person]
    person_log[:, ROW] = by_person
    return CheckinIndex(
        venue_ids=venue_ids,
        offsets=offsets,
        venue_log=venue_log,
        person_ids=person_ids,
        person_offsets=person_offsets,
        person_log=person_log,
        longest_stay=longest_stay,
    )


# Search kernels (Numba) --------------------------------------------------------------------


# Opaque pointers (LLVM 17 on) name the intrinsic by address space only.
_PREFETCH = "llvm.prefetch.p0" if llvm_binding.llvm_version_info >= (17,) else "llvm.prefetch.p0i8"


def _kernel(fn: Any) -> Any:
    """numba.njit, with the machine code cached beside this file (or in the user's cache
    directory); where neither is writable, each process compiles on first use."""
    try:
        return numba.njit(cache=True, nogil=True)(fn)
    except RuntimeError:  # no writable cache location
        return numba.njit(nogil=True)(fn)


@_kernel
def _first_above(values: Any, lo: int, hi: int, x: int) -> int:
    """The first i in [lo, hi) with values[i] > x, or hi; values are sorted there. Without
    branches on the data, so the CPU can run ahead into the next search."""
    n = hi - lo
    if n <= 0:
        return lo
    while n > 1:
        half = n >> 1
        lo = lo + half if values[lo + half - 1] <= x else lo
        n -= half
    return lo + (values[lo] <= x)


@_kernel
def _grown(values: Any, size: int) -> Any:
    """A copy of values with room for `size`."""
    more = np.empty(size, np.int64)
    for i in range(len(values)):
        more[i] = values[i]
    return more


def _prefetch_typed(typingctx: Any, array: Any, row: Any) -> Any:
    """_prefetch(array, row): ask the CPU to start loading the cache line of array[row] (or
    array[row, 0]) and go on without waiting for it."""

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        array_type, row_type = signature.args
        data = context.make_array(array_type)(context, builder, args[0])
        at = [context.cast(builder, args[1], row_type, types.intp)]
        at += [context.get_constant(types.intp, 0)] * (array_type.ndim - 1)
        pointer = cgutils.get_item_pointer(context, builder, array_type, data, at)
        pointer = builder.bitcast(pointer, llvm_ir.IntType(8).as_pointer())
        i32 = llvm_ir.IntType(32)
        function = cgutils.get_or_insert_function(
            builder.module,
            llvm_ir.FunctionType(llvm_ir.VoidType(), [pointer.type, i32, i32, i32]),
            _PREFETCH,
        )
        builder.call(function, [pointer, i32(0), i32(3), i32(1)])  # read, keep, data cache
        return context.get_dummy_value()

    return types.void(array, row), codegen


_prefetch: Any = intrinsic(_prefetch_typed)


@_kernel
def _overlaps(
    offsets: Any,
    venue_log: Any,
    person_offsets: Any,
    person_log: Any,
    longest: int,
    source: Any,
    owner: Any,
    shift: int,
    start: Any,
    end: Any,
    padding: int,
    min_seconds: int,
) -> Any:
    """Everyone at the same venue as each source (a person rank, −1 for none) while the
    source was there inside its [start, end], the source's stays widened by the padding:
    per overlap longer than min_seconds (source number, venue rank, key, start, end) where the
    key packs the source's owner rank and the person rank, (owner << shift) | person; ordered
    by source, the source's stays in time order, then rows.

    A source's stays with time in before `end` and after start − the longest stay are one run
    of its rows. For each stay, padded to [a, b], the rows of its venue that may overlap it by
    more than min — reach > a + min and time in < b − min — are one run around the stay's
    own row, read outwards from it. Reads from memory wait long on this kind of work, so the
    lines the next sources and stays need are asked for ahead (`_prefetch`).
    """
    size = max(1024, 8 * len(source))
    query = np.empty(size, np.int64)
    venue = np.empty(size, np.int64)
    key = np.empty(size, np.int64)
    begin = np.empty(size, np.int64)
    finish = np.empty(size, np.int64)
    found = 0
    inside = max(min_seconds - 2 * padding, 0)
    n = len(source)
    for i in range(n):
        if i + 2 * AHEAD < n and source[i + 2 * AHEAD] >= 0:
            _prefetch(person_offsets, source[i + 2 * AHEAD])
        if i + AHEAD < n and source[i + AHEAD] >= 0:
            rows = person_offsets[source[i + AHEAD]]
            for row in range(rows, min(person_offsets[source[i + AHEAD] + 1], rows + 64), 4):
                _prefetch(person_log, row)
        me = source[i]
        if me < 0:
            continue
        stop = person_offsets[me + 1]
        first = _first_above(person_log[:, TIME_IN], person_offsets[me], stop, start[i] - longest)
        last = first
        while last < stop and person_log[last, TIME_IN] < end[i]:
            _prefetch(venue_log, person_log[last, ROW])
            _prefetch(offsets, person_log[last, VENUE])
            last += 1
        for own in range(first, last):
            a = max(np.int64(person_log[own, TIME_IN]), start[i]) - padding
            b = min(np.int64(person_log[own, TIME_OUT]), end[i]) + padding
            if b - a <= inside + 2 * padding:
                continue
            v, lo = person_log[own, VENUE], np.int64(person_log[own, ROW])
            hi = lo
            while lo > offsets[v] and venue_log[lo - 1, REACH] > a + min_seconds:
                lo -= 1
            while hi < offsets[v + 1] and venue_log[hi, TIME_IN] < b - min_seconds:
                hi += 1
            if found + hi - lo > size:
                size = max(2 * size, int(found + hi - lo))
                query, venue, key = _grown(query, size), _grown(venue, size), _grown(key, size)
                begin, finish = _grown(begin, size), _grown(finish, size)
            for j in range(lo, hi):  # every row is written, the count moves on if it overlaps
                person = venue_log[j, PERSON]
                query[found], venue[found], key[found] = i, v, (owner[i] << shift) | person
                begin[found] = max(np.int64(venue_log[j, TIME_IN]), a)
                finish[found] = min(np.int64(venue_log[j, TIME_OUT]), b)
                found += (finish[found] - begin[found] > min_seconds) & (person != me)
    return query[:found], venue[:found], key[:found], begin[:found], finish[:found]


@_kernel
def _radix_order(keys: Any) -> Any:
    """np.argsort(keys, kind="stable") for non-negative keys: least significant digit first,
    as few passes of at most 16 bits as the largest key needs."""
    n = len(keys)
    top = 0
    for i in range(n):
        top = max(top, keys[i])
    bits = 1
    while top >> bits:
        bits += 1
    passes = (bits + 15) // 16
    width = (bits + passes - 1) // passes
    mask = (1 << width) - 1
    order = np.empty(n, np.int64)
    spare = np.empty(n, np.int64)
    for i in range(n):
        order[i] = i
    count = np.empty(mask + 1, np.int64)
    for p in range(passes):
        shift = p * width
        count[:] = 0
        for i in range(n):
            count[(keys[i] >> shift) & mask] += 1
        total = 0
        for d in range(mask + 1):  # each digit's first place
            total, count[d] = total + count[d], total
        for i in range(n):
            d = (keys[order[i]] >> shift) & mask
            spare[count[d]] = order[i]
            count[d] += 1
        order, spare = spare, order
    return order


@_kernel
def _choose(key: Any, start: Any, end: Any, skip: Any, all_rows: bool) -> Any:
    """Group overlaps by key (a packed (owner, person), ≥ 0), leaving out the keys in `skip`.

    Returns the picked overlaps in key order — per group the longest (the earliest of equally
    long ones, then the first), or with `all_rows` every one, longest first — and for each
    pick its group's earliest overlap start.
    """
    n = len(key)
    minutes = np.empty(n, np.int64)
    for e in range(n):
        minutes[e] = (end[e] - start[e]) // 60
    order = _radix_order(key)  # stable: the evidence order stays inside a key
    skip = skip[_radix_order(skip)]
    pick = np.empty(n, np.int64)
    exposed = np.empty(n, np.int64)
    picked, skipped, i = 0, 0, 0
    while i < n:
        k = key[order[i]]
        j = i + 1
        while j < n and key[order[j]] == k:
            j += 1
        while skipped < len(skip) and skip[skipped] < k:
            skipped += 1
        if skipped < len(skip) and skip[skipped] == k:
            i = j
            continue
        best = order[i]
        earliest = start[best]
        for t in range(i + 1, j):
            e = order[t]
            if minutes[e] > minutes[best] or (
                minutes[e] == minutes[best] and start[e] < start[best]
            ):
                best = e
            earliest = min(earliest, start[e])
        if all_rows:
            for t in range(i, j):  # insertion sort, longest first: groups are small
                e = order[t]
                u = picked + t - i
                while u > picked and (
                    minutes[pick[u - 1]] < minutes[e]
                    or (minutes[pick[u - 1]] == minutes[e] and start[pick[u - 1]] > start[e])
                ):
                    pick[u] = pick[u - 1]
                    u -= 1
                pick[u] = e
            for t in range(picked, picked + j - i):
                exposed[t] = earliest
            picked += j - i
        else:
            pick[picked], exposed[picked] = best, earliest
            picked += 1
        i = j
    return pick[:picked], exposed[:picked]


def _person_ranks(index: CheckinIndex, persons: I64) -> I64:
    """Each person's rank in the index, −1 for people with no check-ins."""
    ids = index.person_ids
    if not len(ids):
        return np.full(len(persons), -1, dtype=np.int64)
    k = np.minimum(np.searchsorted(ids, persons), len(ids) - 1)
    return np.where(ids[k] == persons, k, -1)


Evidence = tuple[I64, I64, I64, I64, I64]  # per overlap: source number, venue, key, start, end


def _meetings(
    index: CheckinIndex,
    source: I64,
    owner: I64,
    shift: int,
    start: I64,
    end: I64,
    padding: int,
    min_seconds: int,
) -> Evidence:
    """Every overlap of the sources (person ranks) with others (see `_overlaps`).

    Many sources are split in two halves searched at once (the kernel releases the GIL)."""
    arrays = (index.offsets, index.venue_log, index.person_offsets, index.person_log)

    def search(part: slice) -> Evidence:
        sources = (source[part], owner[part], shift, start[part], end[part])
        result: Evidence = _overlaps(*arrays, index.longest_stay, *sources, padding, min_seconds)
        return result

    half = len(source) // 2
    if half < SPLIT_MIN_SOURCES:
        return search(slice(None))
    later = _helper().submit(search, slice(half, None))
    first, second = search(slice(None, half)), later.result()
    second[0][:] += half
    query, venue, key, begin, finish = (np.concatenate(p) for p in zip(first, second, strict=True))
    return query, venue, key, begin, finish


_helpers: dict[int, ThreadPoolExecutor] = {}
_helper_lock = threading.Lock()


def _helper() -> ThreadPoolExecutor:
    """This process's second search thread (a forked child starts its own)."""
    with _helper_lock:
        pid = os.getpid()
        if pid not in _helpers:
            _helpers[pid] = ThreadPoolExecutor(1, thread_name_prefix="finder")
        return _helpers[pid]


def _search(
    index: CheckinIndex,
    owner: I64,
    person: I64,
    start: I64,
    end: I64,
    padding_minutes: int,
    min_minutes: int,
    *,
    all_rows: bool,
    secondary: tuple[I64, I64] | None = None,
) -> Found:
    """Contacts of `person` at `start`..`end` (seconds from EPOCH) found for `owner` (a case):
    per (owner, contact) the longest overlap, or every overlap with `all_rows`.

    For `secondary` (the cases' ids and persons) the people searched from are an owner's
    close contacts, reported as `via_person_id`; they, and the case itself, are left out.
    """
    owners = np.unique(owner)
    owner_rank = np.searchsorted(owners, owner)
    rank = _person_ranks(index, person)
    shift = len(index.person_ids).bit_length()
    evidence = _meetings(
        index, rank, owner_rank, shift, start, end, padding_minutes * 60, min_minutes * 60
    )
    skip = owner[:0]
    if secondary is not None:
        case_owner = np.searchsorted(owners, secondary[0])
        mine = case_owner < len(owners)
        mine[mine] = owners[case_owner[mine]] == secondary[0][mine]
        case_rank = _person_ranks(index, secondary[1])
        mine &= case_rank >= 0
        known = rank >= 0
        skip = np.concatenate(
            [
                (owner_rank[known] << shift) | rank[known],
                (case_owner[mine] << shift) | case_rank[mine],
            ]
        )
    query, vrank, key, begin, finish = evidence
    pick, earliest = _choose(key, begin, finish, skip, all_rows)
    q = query[pick]
    return Found(
        case_id=owner[q],
        person_id=index.person_ids[key[pick] & ((1 << shift) - 1)],
        venue_id=index.venue_ids[vrank[pick]],
        overlap_start=begin[pick] + EPOCH,
        overlap_end=finish[pick] + EPOCH,
        overlap_minutes=(finish[pick] - begin[pick]) // 60,
        via_person_id=person[q] if secondary is not None else np.full(len(q), -1, np.int64),
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
    return _search(
        index, case_id, person, start, end, padding_minutes, min_minutes, all_rows=all_rows
    )


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
    return _search(
        index,
        close.case_id,
        close.person_id,
        close.exposed_from - EPOCH,
        end[pos],
        padding_minutes,
        min_minutes,
        all_rows=all_rows,
        secondary=(case_id, case_person),
    )
