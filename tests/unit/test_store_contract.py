"""The Store contract, run against every backend (MemoryStore and TinyDBStore)."""

from __future__ import annotations

import msgspec
import pytest
from storetools import action, meeting, pulse, request

from icm_tui.domain.models import Status
from icm_tui.errors import LifecycleError, UnknownRef
from icm_tui.store import Kind, Store


def test_insert_allocates_consecutive_refs_per_kind(store: Store) -> None:
    refs = [store.insert(Kind.ACTIONS, action).ref for _ in range(10)]
    assert refs == [f"A-{n}" for n in range(1, 11)]
    assert store.insert(Kind.MEETINGS, meeting).ref == "M-1"
    assert store.insert(Kind.REQUESTS, request).ref == "R-1"
    assert store.insert(Kind.PULSES, pulse).ref == "P-1"
    assert [a.ref for a in store.all(Kind.ACTIONS)] == refs


def test_get_by_ref_in_any_case_or_by_uid(store: Store) -> None:
    store.insert(Kind.ACTIONS, action)
    item = store.insert(Kind.ACTIONS, lambda ref: action(ref, "销售部 needs VPN"))
    assert store.get(Kind.ACTIONS, "a-2") == item
    assert store.get(Kind.ACTIONS, " A-2 ") == item
    assert store.get(Kind.ACTIONS, item.uid) == item
    assert store.action("A-2").title == "销售部 needs VPN"


@pytest.mark.parametrize("key", ["A-3", "A-0", "M-1", "nonsense", "", "A-", "01ZZZZZZZZZZZZZZZZZZZZZZZZ"])
def test_unknown_keys_raise_unknown_ref(store: Store, key: str) -> None:
    store.insert(Kind.ACTIONS, action)
    store.insert(Kind.ACTIONS, action)
    with pytest.raises(UnknownRef):
        store.get(Kind.ACTIONS, key)
    with pytest.raises(UnknownRef):
        store.update(Kind.ACTIONS, key, lambda a: a)


def test_update_replaces_the_whole_record(store: Store) -> None:
    item = store.insert(Kind.ACTIONS, action)
    assert item.due is not None
    changed = store.update(
        Kind.ACTIONS, "a-1", lambda a: msgspec.structs.replace(a, due=None, status=Status.DONE, carry=2)
    )
    assert changed.status is Status.DONE
    again = store.get(Kind.ACTIONS, item.uid)
    assert again == changed
    assert again.due is None, "a field reset to its default must not survive from the old record"


def test_a_refused_update_writes_nothing(store: Store) -> None:
    store.insert(Kind.ACTIONS, action)
    before = store.version()

    def refuse(item):
        raise LifecycleError("closed items cannot be started")

    with pytest.raises(LifecycleError):
        store.update(Kind.ACTIONS, "A-1", refuse)
    assert store.action("A-1").status is Status.OPEN
    assert store.version() == before


def test_update_sees_the_current_record(store: Store) -> None:
    store.insert(Kind.ACTIONS, action)
    for _ in range(5):
        store.update(Kind.ACTIONS, "A-1", lambda a: msgspec.structs.replace(a, carry=a.carry + 1))
    assert store.action("A-1").carry == 5


def test_put_many_keeps_refs_and_later_inserts_never_reuse_them(store: Store) -> None:
    records = [action("A-7"), action("A-3"), action("A-12")]
    assert store.put_many(Kind.ACTIONS, records) == 3
    assert [a.ref for a in store.actions()] == ["A-3", "A-7", "A-12"]
    assert store.insert(Kind.ACTIONS, action).ref == "A-13"


def test_put_many_replaces_by_uid(store: Store) -> None:
    first = store.insert(Kind.ACTIONS, action)
    store.put_many(Kind.ACTIONS, [msgspec.structs.replace(first, title="imported again")])
    assert [a.title for a in store.actions()] == ["imported again"]
    assert store.put_many(Kind.ACTIONS, []) == 0


def test_version_changes_on_every_write_and_only_then(store: Store) -> None:
    seen = {store.version()}
    assert store.version() in seen
    store.insert(Kind.ACTIONS, action)
    seen.add(store.version())
    store.update(Kind.ACTIONS, "A-1", lambda a: msgspec.structs.replace(a, carry=1))
    seen.add(store.version())
    store.put_many(Kind.MEETINGS, [meeting("M-4")])
    seen.add(store.version())
    assert len(seen) == 4
    assert store.version() == store.version()


def test_records_survive_a_round_trip_with_every_field(store: Store) -> None:
    m = store.insert(Kind.MEETINGS, meeting)
    p = store.insert(Kind.PULSES, pulse)
    r = store.insert(Kind.REQUESTS, request)
    assert store.meeting("m-1") == m
    assert store.pulses() == [p]
    assert store.request("R-1") == r
    assert store.pulses()[0].rater == "sales"


def test_many_items_across_shards(store: Store) -> None:
    for _ in range(23):
        store.insert(Kind.ACTIONS, action)
    store.update(Kind.ACTIONS, "A-17", lambda a: msgspec.structs.replace(a, title="seventeen"))
    assert [a.ref for a in store.actions()] == [f"A-{n}" for n in range(1, 24)]
    assert store.action("a-17").title == "seventeen"
    assert len({a.uid for a in store.actions()}) == 23
