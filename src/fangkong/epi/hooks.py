"""Hooks the case and contact services call after facts about people change."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_deferred: ContextVar[set[int] | None] = ContextVar("facts_deferred", default=None)


def facts_changed(person_ids: list[int]) -> None:
    """Tell the health-code status engine that these people's facts changed (at once, or at
    the end of the enclosing `facts_deferred` block)."""
    if not person_ids:
        return
    pending = _deferred.get()
    if pending is not None:
        pending.update(person_ids)
        return
    from fangkong.epi.status import recompute  # the engine imports the services' models

    recompute(person_ids=sorted(set(person_ids)))


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
