"""Hooks the case and contact services call after facts about people change.

The health code sits above this app and must not be imported from here: it subscribes to
`facts_changed` in its `AppConfig.ready()` (`subscribe(recompute)`).
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

Subscriber = Callable[..., None]  # called as fn(person_ids=[…])

_deferred: ContextVar[set[int] | None] = ContextVar("facts_deferred", default=None)
_subscribers: list[Subscriber] = []


def subscribe(fn: Subscriber) -> None:
    """Call `fn(person_ids=[…])` whenever people's facts change (once per function)."""
    if fn not in _subscribers:
        _subscribers.append(fn)


def facts_changed(person_ids: list[int]) -> None:
    """Tell the subscribers (the health-code status engine) that these people's facts changed
    (at once, or at the end of the enclosing `facts_deferred` block)."""
    if not person_ids:
        return
    pending = _deferred.get()
    if pending is not None:
        pending.update(person_ids)
        return
    for fn in _subscribers:
        fn(person_ids=sorted(set(person_ids)))


@contextmanager
def facts_deferred() -> Iterator[None]:
    """Collect the people whose facts change in the block and recompute them once at its end.

    A bulk step that opens many cases (a results upload) would otherwise recompute each
    person as each case opens. Nothing is recomputed when the block raises; nested blocks
    join the outermost one.
    """
    if _deferred.get() is not None:
        yield
        return
    pending: set[int] = set()
    token = _deferred.set(pending)
    try:
        yield
    finally:
        _deferred.reset(token)
    facts_changed(sorted(pending))
