"""Hours, buckets and views of the tally, and the two ways to touch it: add deltas, read sums.

Time is counted in hours since 1970 UTC, rounded up: a fact at 07:20 belongs to hour 08:00,
one at 08:00 sharp to hour 08:00 too, so "everything up to 08:00" is whole hours and a
report cut off on the hour needs nothing but the tally. A delta at hour h goes to one bucket
of each span (1, 24, 96, 384 and 1,536 hours: the bucket of that span holding h). The sum up
to hour E takes the 1,536-hour buckets that end by E, then the 384-hour ones after them up to
E, and so on down to single hours: at most three buckets of each span in between and 23
single hours, while each 1,536-hour bucket (64 days) holds a place's figure in one row however
many rows and changes it stands for.

A view is a pair of key lengths (depth, width): a node of key length `depth` reads the rows
whose `parent` is its key and finds its children's figures under `area`. The case map needs
communities below the city and a district, so those two views hold the case counts per
community as well.
"""

import datetime as dt
import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connection

from fangkong.places.models import KEY_LENGTH, Level
from fangkong.tally.models import Tally

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
SPANS = (1, 24, 96, 384, 1536)  # each divides the next
_LEVELS = [KEY_LENGTH[lv] for lv in (Level.CITY, Level.DISTRICT, Level.STREET, Level.COMMUNITY)]
MAP_WIDTH = KEY_LENGTH[Level.COMMUNITY]
MAP_FIGURES = frozenset({"cases", "cases_new"})
# (depth, width, only these figures)
VIEWS: tuple[tuple[int, int, frozenset[str] | None], ...] = (
    *((d, w, None) for d, w in itertools.pairwise(_LEVELS)),
    *((d, MAP_WIDTH, MAP_FIGURES) for d in _LEVELS[:-2]),
)
WIDTHS = tuple(sorted({w for _d, w, _f in VIEWS}))
KEY_WIDTH = max(WIDTHS)  # keys are kept no longer than this

# A delta before it is spread over views and buckets:
# (hour, width, key, figure) → n; width 0: any view (the key is cut to each view's width),
# else only views of that width (a figure counted per area of that width, e.g. rooms in use).
Deltas = dict[tuple[int, int, str, str], int]


def hour_of(at: dt.datetime) -> int:
    """The hour a fact at `at` is counted in (rounded up). Exact to the microsecond: a float
    timestamp resolves 0.3 µs at these dates, and an hour sharp divides exactly."""
    return math.ceil(at.timestamp() / 3600)


def whole_hours(at: dt.datetime) -> int:
    """The last hour that has ended by `at` (rounded down)."""
    return math.floor(at.timestamp() / 3600)


def moment(hour: int) -> dt.datetime:
    return EPOCH + dt.timedelta(hours=hour)


def view_for(depth: int, width: int) -> bool:
    return any(d == depth and w == width for d, w, _f in VIEWS)


def cells(subject: str, deltas: Deltas) -> dict[tuple[Any, ...], int]:
    """Deltas spread over views and buckets: (depth, parent, span, upto, width, subject,
    figure, area) → n."""
    by_span: dict[tuple[int, int, int, str, str], int] = defaultdict(int)
    for (hour, width, key, figure), n in deltas.items():
        if n:
            for span in SPANS:
                by_span[(span, -(-hour // span) * span, width, key, figure)] += n
    out: dict[tuple[Any, ...], int] = defaultdict(int)
    for (span, upto, width, key, figure), n in by_span.items():
        if not n:
            continue
        for depth, view_width, only in VIEWS:
            if (width and width != view_width) or (only is not None and figure not in only):
                continue
            cell = (depth, key[:depth], span, upto, view_width, subject, figure, key[:view_width])
            out[cell] += n
    return out


UNIQUE = Tally._meta.constraints[0]  # the cell: every column but `n`
COLUMNS: tuple[str, ...] = tuple(UNIQUE.fields)  # type: ignore[attr-defined]


def _table() -> str:
    return connection.ops.quote_name(Tally._meta.db_table)


UPSERT_ROWS = 500  # cells per statement (9 parameters each: within SQLite's limit)


def upsert(rows: Mapping[tuple[Any, ...], int]) -> int:
    """Add `n` to each cell: multi-row statements, each cell once (the keys are unique), in
    key order, so two writers lock alike."""
    values = [(*key, n) for key, n in sorted(rows.items()) if n]
    if not values:
        return 0
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in (*COLUMNS, "n"))
    conflict = ", ".join(quote(c) for c in COLUMNS)
    row = f"({', '.join('%s' for _ in range(len(COLUMNS) + 1))})"
    with connection.cursor() as cursor:
        for start in range(0, len(values), UPSERT_ROWS):
            chunk = values[start : start + UPSERT_ROWS]
            cursor.execute(
                f"INSERT INTO {_table()} ({names}) VALUES {', '.join([row] * len(chunk))} "
                f"ON CONFLICT ({conflict}) DO UPDATE SET "
                f"{quote('n')} = {_table()}.{quote('n')} + EXCLUDED.{quote('n')}",
                [v for cell in chunk for v in cell],
            )
    return len(values)


def write(subject: str, deltas: Deltas) -> int:
    return upsert(cells(subject, deltas))


class Loader:
    """Many cells at once (a rebuild): on PostgreSQL, COPY into a temporary table and one
    grouped insert at the end (into an empty table: without its unique index, built again
    after, which is several times faster); elsewhere, upserts as they come."""

    def __init__(self, *, empty: bool = False) -> None:
        self.staged = connection.vendor == "postgresql"
        self.empty = empty
        self.rows = 0
        if self.staged:
            with connection.cursor() as cursor:
                cursor.execute("DROP TABLE IF EXISTS tally_load")
                cursor.execute(
                    "CREATE TEMPORARY TABLE tally_load (depth smallint, parent varchar(24), "
                    "span smallint, upto integer, width smallint, subject varchar(12), "
                    "figure varchar(200), area varchar(24), n bigint)"
                )

    def add(self, subject: str, deltas: Deltas) -> None:
        found = cells(subject, deltas)
        if not self.staged:
            self.rows += upsert(found)
            return
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy("COPY tally_load FROM STDIN") as copy,
        ):
            for key, n in found.items():
                if n:
                    copy.write_row((*key, n))

    def finish(self) -> int:
        if not self.staged:
            return self.rows
        names = ", ".join(COLUMNS)
        insert = (
            f"INSERT INTO {_table()} ({names}, n) SELECT {names}, SUM(n) FROM tally_load "
            f"GROUP BY {names} HAVING SUM(n) <> 0"
        )
        with connection.cursor() as cursor:
            if self.empty:  # rows in the index's order: a read finds its buckets side by side
                cursor.execute(f"ALTER TABLE {_table()} DROP CONSTRAINT {UNIQUE.name}")
                cursor.execute(f"{insert} ORDER BY {names}")
                self.rows = cursor.rowcount
                cursor.execute(
                    f"ALTER TABLE {_table()} ADD CONSTRAINT {UNIQUE.name} UNIQUE ({names})"
                )
            else:
                cursor.execute(
                    f"{insert} ON CONFLICT ({names}) DO UPDATE SET n = {_table()}.n + EXCLUDED.n"
                )
                self.rows = cursor.rowcount
            cursor.execute("DROP TABLE tally_load")
        return self.rows


def add_deltas(into: Deltas, more: Iterable[tuple[tuple[int, int, str, str], int]]) -> None:
    for key, n in more:
        into[key] = into.get(key, 0) + n


def up_to(hour: int) -> tuple[str, list[int | str]]:
    """SQL for the buckets that together hold every hour up to `hour`: the longest span's
    buckets that end by it, then each shorter span's after those; and its parameters."""
    ends = [hour // span * span for span in SPANS]  # the last hour each span covers whole
    parts = ["(span = %s AND upto <= %s)"]
    params: list[int | str] = [SPANS[-1], ends[-1]]
    for i in range(len(SPANS) - 1):
        parts.append("(span = %s AND upto > %s AND upto <= %s)")
        params += [SPANS[i], ends[i + 1], ends[i]]
    return f"({' OR '.join(parts)})", params


def read(
    prefix: str,
    hour: int,
    subjects: Iterable[str],
    *,
    before: tuple[int, Iterable[str]] | None = None,
) -> list[tuple[int, str, str, int, int]]:
    """Sums of the figures of the node `prefix` (a view's depth) up to `hour`: rows of
    (width, area, figure, sum, sum before) where "before" sums up to an earlier hour for the
    subjects asked for then (`before`). One query over a few buckets of each span."""
    now_sql, now_params = up_to(hour)
    wanted = list(subjects)
    now_sql = f"({now_sql} AND subject IN ({', '.join('%s' for _ in wanted)}))"
    now_params += wanted
    then_sql, then_params = "(1 = 0)", list[int | str]()
    if before is not None and list(before[1]):
        earlier = list(before[1])
        then_sql, then_params = up_to(before[0])
        then_sql = f"({then_sql} AND subject IN ({', '.join('%s' for _ in earlier)}))"
        then_params += earlier
    sql = (
        f"SELECT width, area, figure, SUM(CASE WHEN {now_sql} THEN n ELSE 0 END), "
        f"SUM(CASE WHEN {then_sql} THEN n ELSE 0 END) FROM {_table()} "
        f"WHERE depth = %s AND parent = %s AND ({now_sql} OR {then_sql}) "
        "GROUP BY width, area, figure"
    )
    params = [*now_params, *then_params, len(prefix), prefix, *now_params, *then_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(w, a, f, int(n), int(b)) for w, a, f, n, b in cursor.fetchall()]
