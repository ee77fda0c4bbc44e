"""The store contract for refused attempts, on every backend: only a lost race is kept, beside the record."""

from __future__ import annotations

from datetime import datetime, timezone

import msgspec
import pytest
from storetools import action

from icm_tui.domain.models import Event, EventKind, Status
from icm_tui.errors import BadInput, LifecycleError, StoreError
from icm_tui.store import Kind, Store
from icm_tui.store.base import Attempt

replace = msgspec.structs.replace
LATER = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def confirm(item):
    """Confirm a done item (the rule the services apply), refusing any other."""
    if item.status is not Status.DONE:
        raise LifecycleError(f"{item.ref}: cannot confirm an item that is {item.status.value}")
    event = Event(at=LATER, kind=EventKind.CONFIRMED, by="li-lei", old="done", new="closed", score=4, note="fine")
    return replace(item, status=Status.CLOSED, history=(*item.history, event))


def reopened_by_someone_else(item):
    event = Event(at=LATER, kind=EventKind.REOPENED, by="wang-fang", old="done", new="open", note="not yet")
    return replace(item, status=Status.OPEN, reopened=1, history=(*item.history, event))


@pytest.fixture
def done(store: Store):
    """A-1, done; the record as a user saw it."""
    store.insert(Kind.ACTIONS, lambda ref: action(ref, status=Status.DONE))
    return store.action("A-1")


def test_a_refusal_that_the_record_as_seen_would_have_passed_is_kept_as_a_lost_race(store: Store, done) -> None:
    store.update(Kind.ACTIONS, "A-1", reopened_by_someone_else)
    after = store.action("A-1")
    with pytest.raises(LifecycleError) as raised:
        store.update(Kind.ACTIONS, "a-1", confirm, seen=done)
    assert "cannot confirm an item that is open" in str(raised.value)
    assert "wang-fang (reopened done -> open) got there first" in str(raised.value)
    assert store.action("A-1") == after, "the record is not touched"
    (attempt,) = store.attempts(Kind.ACTIONS, "a-1")
    assert raised.value.attempt == attempt
    assert (attempt.ref, attempt.uid, attempt.by, attempt.kind) == ("A-1", done.uid, "li-lei", "actions")
    assert [msgspec.convert(e, Event).kind for e in attempt.events] == [EventKind.CONFIRMED]
    assert attempt.events[0]["note"] == "fine" and attempt.first == "wang-fang (reopened done -> open)"
    assert store.attempts(Kind.MEETINGS) == [] and store.attempts(ref="A-2") == []


def test_a_refusal_of_the_caller_s_own_writes_nothing(store: Store, done) -> None:
    store.update(Kind.ACTIONS, "A-1", reopened_by_someone_else)
    now = store.action("A-1")
    version = store.version()
    for seen in (None, now):  # nothing changed since it was seen: the user's own mistake
        with pytest.raises(LifecycleError) as raised:
            store.update(Kind.ACTIONS, "A-1", confirm, seen=seen)
        assert "got there first" not in str(raised.value)
    with pytest.raises(BadInput):  # refused on the record as seen too
        store.update(Kind.ACTIONS, "A-1", lambda a: (_ for _ in ()).throw(BadInput("no")), seen=done)
    assert store.attempts() == []
    assert store.version() == version


def test_a_store_error_inside_a_change_is_never_a_lost_race(store: Store, done) -> None:
    store.update(Kind.ACTIONS, "A-1", reopened_by_someone_else)

    def broken(item):
        raise StoreError("disk full")

    with pytest.raises(StoreError, match="^disk full$"):
        store.update(Kind.ACTIONS, "A-1", broken, seen=done)
    assert store.attempts() == []


def test_add_attempts_keeps_each_once_in_time_order(store: Store) -> None:
    first = Attempt(at=LATER, kind="actions", ref="A-3", uid="U3", by="li-lei", reason="A-3: cannot confirm", first="x (y)")
    second = replace(first, at=LATER.replace(hour=10), ref="R-1", kind="requests", uid="R1")
    assert store.add_attempts([second, first]) == 2
    assert store.add_attempts([first]) == 0
    assert store.attempts() == [first, second]
    assert store.attempts(Kind.REQUESTS) == [second] and store.attempts(ref="a-3") == [first]
