"""Keeping the tally right: every writer of cases, contacts, stays and measures announces
`core.changes.changing(subject, ids)` before it changes existing rows and `.done()` after (or
wraps the change in `changes.track`), and `changes.added` for new rows, in its own
transaction; `Counting`, subscribed to each subject in `TallyConfig.ready()`, turns those into
a `Change` … `.done()` and `add` here. `rebuild` computes the whole tally again from the rows
and their audit events (after a bulk load, or to recover).

A `Change` reads the units' deltas before the change (locking the rows, so two writers of one
row take turns) and after it, and adds the difference: whatever the change was — a status,
a backdated time, a new event, a moved stay — the tally afterwards is the sum over the rows as
they are, the same sum `rebuild` makes.
"""

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction

from fangkong.core import changes
from fangkong.core.bulk import analyze
from fangkong.tally import store
from fangkong.tally.models import Tally
from fangkong.tally.store import Deltas
from fangkong.tally.subjects import SUBJECTS, unit_deltas

FLUSH_DELTAS = 100_000


class Change:
    """A change to the rows (for stays: the rooms) `ids` of `subject`: made between `change()`
    and `.done()`, in the writer's transaction (a failed change writes nothing)."""

    def __init__(self, subject: str, ids: Iterable[int]) -> None:
        self.subject = subject
        self.ids = sorted(set(ids))
        s = SUBJECTS[subject]
        self.deltas: Deltas = unit_deltas(s, s.load(self.ids, lock=True), {}, sign=-1)

    def done(self) -> None:
        s = SUBJECTS[self.subject]
        unit_deltas(s, s.load(self.ids), self.deltas)
        store.write(self.subject, self.deltas)


def add(subject: str, ids: Iterable[int]) -> None:
    """New rows (for stays: rooms whose stays were added) of `subject`."""
    s = SUBJECTS[subject]
    wanted = sorted(set(ids))
    if wanted:
        store.write(subject, unit_deltas(s, s.load(wanted), {}))


class Counting(changes.Listener):
    """The tally's listener on the channel: a subject's rows read before a change (locked)
    and after it, new rows after they are added."""

    def before(self, change: changes.Change) -> Change:
        return Change(change.subject, change.ids)

    def after(self, change: changes.Change, before: Change | None) -> None:
        if before is not None:
            before.done()
        elif change.kind == "added":
            add(change.subject, change.ids)
        else:
            raise ValueError(
                f"{change.subject!r} rows are counted by the tally: announce a change of them"
                " with changes.changing() or changes.track(), not changes.changed()"
            )


COUNTING = Counting()


def subscribe() -> None:
    """Hear every subject's changes (from `TallyConfig.ready()`)."""
    for name in SUBJECTS:
        changes.subscribe(name, COUNTING)


def clear(subjects: Iterable[str] | None = None) -> None:
    names = list(subjects or SUBJECTS)
    if set(names) == set(SUBJECTS) and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {connection.ops.quote_name(Tally._meta.db_table)}")
    else:
        Tally.objects.filter(subject__in=names).delete()


@dataclass
class Rebuilt:
    units: dict[str, int] = field(default_factory=dict)
    rows: int = 0
    seconds: float = 0.0


def rebuild(subjects: Iterable[str] | None = None) -> Rebuilt:
    """The tally of `subjects` (default all) from scratch, in one transaction; idempotent."""
    started = time.perf_counter()
    names = list(subjects or SUBJECTS)
    result = Rebuilt()
    with transaction.atomic():
        if connection.vendor == "postgresql":  # writers wait (they would count twice)
            table = connection.ops.quote_name(Tally._meta.db_table)
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        clear(names)
        loader = store.Loader(empty=set(names) == set(SUBJECTS))
        for name in names:
            s = SUBJECTS[name]
            deltas: Deltas = {}
            count = 0
            for units in s.chunks():
                unit_deltas(s, units, deltas)
                count += len(units)
                if len(deltas) >= FLUSH_DELTAS:
                    loader.add(name, deltas)
                    deltas = {}
            loader.add(name, deltas)
            result.units[name] = count
        result.rows = loader.finish()
        analyze(Tally)
    result.seconds = time.perf_counter() - started
    return result
