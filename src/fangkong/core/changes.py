"""One channel through which sources announce that rows changed, and derived state hears it.

A source app (epi, lab, quarantine, policy, …) writes its rows, then announces the change by
subject and ids; derived apps (the tally, the health-code engine) subscribe in their
`AppConfig.ready()`. The source imports this module only, never the derived app.

Three ways to announce, by what a listener needs to see:

- ``changing(subject, ids)`` … ``.done()`` (or ``with track(subject, ids):``): existing rows
  are about to change. Listeners' ``before`` hooks run at once (the tally reads and locks the
  rows' old state), their ``after`` hooks at ``.done()``.
- ``added(subject, ids)``: new rows (nothing to see before them); ``after`` hooks only.
- ``changed(subject, ids)``: rows changed and only their new state matters (subject
  ``"person"``: a person's health-code facts; ``"policy"``: a profile was activated);
  ``after`` hooks only. Inside ``deferred()`` these are collected and announced once at the
  end of the block.

Listeners are called in the order they subscribed, ``before`` hooks and ``after`` hooks alike.
A subject nobody listens to costs nothing: the ids are not even read. The channel passes id
lists, never per-row work; a listener that wants the rows loads them in bulk.
"""

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal

from django.db import transaction

Kind = Literal["changing", "added", "changed"]


@dataclass(frozen=True, slots=True)
class Change:
    """What changed: rows `ids` (sorted, distinct) of `subject`, announced as `kind`.

    `actor` is who changed them, when the source knows; `objects` the changed rows themselves
    when the source has them at hand (e.g. the activated profile), so a listener need not
    load them again.
    """

    subject: str
    ids: tuple[int, ...]
    kind: Kind
    actor: Any = None
    objects: tuple[Any, ...] = ()


class Listener:
    """A subscriber with both hooks; subclass and override what you need."""

    def before(self, change: Change) -> Any:
        """Called by `changing()` before the rows change; what it returns goes to `after`."""
        return None

    def after(self, change: Change, before: Any) -> None:
        """Called once the rows changed: at `.done()` (with what `before` returned), or by
        `added()` / `changed()` (with None)."""


class _AfterOnly(Listener):
    """A plain function as a listener: called after every change of its subject."""

    def __init__(self, function: Callable[[Change], None]) -> None:
        self.function = function

    def after(self, change: Change, before: Any) -> None:
        self.function(change)


_listeners: dict[str, list[Listener]] = {}


def subscribe(subject: str, listener: Listener | Callable[[Change], None]) -> None:
    """Hear the changes of `subject` (call from `AppConfig.ready()`). A plain function is
    called after each change with the `Change`; a `Listener` gets its `before` hook too.
    Subscribing the same listener twice has no effect."""
    mine = _listeners.setdefault(subject, [])
    if not any(_same(known, listener) for known in mine):
        mine.append(listener if isinstance(listener, Listener) else _AfterOnly(listener))


def _same(known: Listener, listener: Listener | Callable[[Change], None]) -> bool:
    # == rather than `is`: each `obj.method` is a new bound method, equal to the others
    return known is listener or (isinstance(known, _AfterOnly) and known.function == listener)


def unsubscribe(subject: str, listener: Listener | Callable[[Change], None]) -> None:
    """Stop hearing `subject` (tests)."""
    _listeners[subject] = [
        known
        for known in _listeners.get(subject, [])
        if not (known is listener or (isinstance(known, _AfterOnly) and known.function is listener))
    ]


def _distinct(ids: Iterable[int]) -> tuple[int, ...]:
    return tuple(sorted(set(ids)))


class Pending:
    """A `changing()` announcement whose `before` hooks ran: call `.done()` after the change."""

    def __init__(self, change: Change, listeners: list[Listener]) -> None:
        self.change = change
        self._states = [(listener, listener.before(change)) for listener in listeners]

    def done(self) -> None:
        for listener, state in self._states:
            listener.after(self.change, state)
        self._states = []


def changing(subject: str, ids: Iterable[int], *, actor: Any = None) -> Pending:
    """Rows `ids` of `subject` are about to change: the `before` hooks run now, in the
    writer's transaction; call `.done()` on the result once the rows changed."""
    listeners = list(_listeners.get(subject, ()))
    if not listeners:
        return Pending(Change(subject, (), "changing", actor), [])
    return Pending(Change(subject, _distinct(ids), "changing", actor), listeners)


@contextmanager
def track(subject: str, ids: Iterable[int], *, actor: Any = None) -> Iterator[None]:
    """`changing` … `done` around a block, in one transaction (a failed block tells no one)."""
    with transaction.atomic(savepoint=False):
        pending = changing(subject, ids, actor=actor)
        yield
        pending.done()


def added(subject: str, ids: Iterable[int], *, actor: Any = None) -> None:
    """New rows `ids` of `subject`."""
    _announce(subject, ids, "added", actor, ())


@dataclass(slots=True)
class _Deferred:
    ids: set[int]
    objects: list[Any]


_deferred: ContextVar[dict[tuple[str, Any], _Deferred] | None] = ContextVar(
    "changes_deferred", default=None
)


def changed(
    subject: str, ids: Iterable[int], *, actor: Any = None, objects: Iterable[Any] = ()
) -> None:
    """Rows `ids` of `subject` changed (at once, or at the end of the enclosing `deferred()`
    block: there the changes of one subject by one actor are joined into one)."""
    if subject not in _listeners:
        return
    pending = _deferred.get()
    if pending is None:
        _announce(subject, ids, "changed", actor, tuple(objects))
        return
    entry = pending.setdefault((subject, actor), _Deferred(set(), []))
    entry.ids.update(ids)
    entry.objects.extend(objects)


def _announce(
    subject: str, ids: Iterable[int], kind: Kind, actor: Any, objects: tuple[Any, ...]
) -> None:
    listeners = list(_listeners.get(subject, ()))
    if not listeners:
        return
    distinct = _distinct(ids)
    if not distinct:
        return
    change = Change(subject, distinct, kind, actor, objects)
    for listener in listeners:
        listener.after(change, None)


@contextmanager
def deferred() -> Iterator[None]:
    """Collect the `changed()` announcements of the block and make them once at its end.

    A bulk step that opens many cases (a results upload) would otherwise recompute each
    person's health code as each case opens. Nothing is announced when the block raises;
    nested blocks join the outermost one. `changing()` and `added()` are not deferred: their
    listeners must see the rows as they are at that moment.
    """
    if _deferred.get() is not None:
        yield
        return
    pending: dict[tuple[str, Any], _Deferred] = {}
    token = _deferred.set(pending)
    try:
        yield
    finally:
        _deferred.reset(token)
    for (subject, actor), entry in pending.items():
        _announce(subject, entry.ids, "changed", actor, tuple(entry.objects))
