"""The channel sources announce changes through (`fangkong.core.changes`)."""

from collections.abc import Iterator
from typing import Any

import pytest

from fangkong.core import changes
from fangkong.core.changes import Change


class Recorder(changes.Listener):
    """Writes down each hook call as (name, hook, subject, ids, kind)."""

    def __init__(self, name: str, log: list[tuple[Any, ...]]) -> None:
        self.name, self.log = name, log

    def before(self, change: Change) -> str:
        self.log.append((self.name, "before", change.subject, change.ids, change.kind))
        return f"{self.name}-state"

    def after(self, change: Change, before: Any) -> None:
        self.log.append((self.name, "after", change.subject, change.ids, change.kind, before))


@pytest.fixture
def log() -> Iterator[list[tuple[Any, ...]]]:
    entries: list[tuple[Any, ...]] = []
    a, b = Recorder("a", entries), Recorder("b", entries)
    changes.subscribe("thing", a)
    changes.subscribe("thing", b)
    yield entries
    changes.unsubscribe("thing", a)
    changes.unsubscribe("thing", b)


def test_changing_runs_before_hooks_at_once_and_after_hooks_at_done_in_order(log):
    pending = changes.changing("thing", [3, 1, 3])
    assert log == [
        ("a", "before", "thing", (1, 3), "changing"),
        ("b", "before", "thing", (1, 3), "changing"),
    ]
    pending.done()
    assert log[2:] == [
        ("a", "after", "thing", (1, 3), "changing", "a-state"),
        ("b", "after", "thing", (1, 3), "changing", "b-state"),
    ]


def test_track_wraps_a_block(log, db):
    with changes.track("thing", [2]):
        assert [e[1] for e in log] == ["before", "before"]
    assert [e[1] for e in log] == ["before", "before", "after", "after"]


def test_track_tells_no_after_hook_when_the_block_raises(log, db):
    with pytest.raises(RuntimeError), changes.track("thing", [2]):
        raise RuntimeError
    assert [e[1] for e in log] == ["before", "before"]


def test_added_and_changed_run_after_hooks_only(log):
    changes.added("thing", [5, 4])
    changes.changed("thing", [6])
    assert log == [
        ("a", "after", "thing", (4, 5), "added", None),
        ("b", "after", "thing", (4, 5), "added", None),
        ("a", "after", "thing", (6,), "changed", None),
        ("b", "after", "thing", (6,), "changed", None),
    ]


def test_no_ids_tells_no_one(log):
    changes.added("thing", [])
    changes.changed("thing", [])
    assert log == []


def test_a_plain_function_hears_after_with_actor_and_objects():
    heard: list[Change] = []
    changes.subscribe("fn", heard.append)
    changes.subscribe("fn", heard.append)  # once only
    try:
        changes.changed("fn", [1], actor="someone", objects=["row"])
        changes.changing("fn", [2]).done()
    finally:
        changes.unsubscribe("fn", heard.append)
    assert heard == [
        Change("fn", (1,), "changed", "someone", ("row",)),
        Change("fn", (2,), "changing", None, ()),
    ]


def test_no_listener_is_a_no_op_that_does_not_read_the_ids():
    def never() -> Iterator[int]:
        raise AssertionError("read")
        yield 0

    changes.changed("nobody", never())
    changes.added("nobody", never())
    changes.changing("nobody", never()).done()
    with changes.deferred():
        changes.changed("nobody", never())


def test_deferred_joins_changes_and_tells_once_at_the_end(log):
    with changes.deferred():
        changes.changed("thing", [2, 1])
        changes.changed("thing", [3, 2])
        assert log == []
    assert log == [
        ("a", "after", "thing", (1, 2, 3), "changed", None),
        ("b", "after", "thing", (1, 2, 3), "changed", None),
    ]


def test_deferred_leaves_changing_and_added_at_once(log):
    with changes.deferred():
        changes.added("thing", [1])
        changes.changing("thing", [2]).done()
        assert [e[1:3] for e in log] == [("after", "thing")] * 2 + [("before", "thing")] * 2 + [
            ("after", "thing")
        ] * 2


def test_nested_deferred_blocks_join_the_outer_one(log):
    with changes.deferred():
        with changes.deferred():
            changes.changed("thing", [1])
        assert log == []
        changes.changed("thing", [2])
    assert [e[3] for e in log] == [(1, 2), (1, 2)]


def test_deferred_tells_no_one_when_the_block_raises(log):
    with pytest.raises(RuntimeError), changes.deferred():
        changes.changed("thing", [1])
        raise RuntimeError
    assert log == []
    changes.changed("thing", [7])  # and the next change is told at once again
    assert [e[3] for e in log] == [(7,), (7,)]


def test_deferred_keeps_actors_apart(log):
    with changes.deferred():
        changes.changed("thing", [1], actor="x")
        changes.changed("thing", [2], actor="y")
    assert [e[3] for e in log] == [(1,), (1,), (2,), (2,)]
