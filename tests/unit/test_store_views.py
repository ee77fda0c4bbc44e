"""The light views of action items (summaries, notes, streaming) agree with full reads on every backend."""

from __future__ import annotations

import msgspec

from icm_tui.domain.models import ActionSummary, Event, EventKind
from icm_tui.store.base import Kind
from storetools import NOW, action


def _fill(store, count: int = 11) -> None:
    for n in range(1, count + 1):
        notes = tuple(Event(at=NOW, kind=EventKind.NOTE, note=f"note {n}.{k} 采购") for k in range(n % 3))
        store.insert(Kind.ACTIONS, lambda ref, notes=notes: action(ref, title=f"Item {ref}", history=notes))


def _summary(item) -> dict:
    data = msgspec.structs.asdict(item)
    data.pop("history", None)
    return data


def test_summaries_and_notes_match_full_records(store):
    _fill(store)
    full = store.actions()
    summaries = store.action_summaries()
    assert [_summary(s) for s in summaries] == [_summary(a) for a in full]
    assert all(isinstance(s, ActionSummary) for s in summaries)
    expected = {a.ref: "\n".join(e.note for e in a.history if e.note) for a in full}
    assert store.action_notes() == {ref: text for ref, text in expected.items() if text}
    assert [a.ref for a in store.iter_actions()] == [a.ref for a in full]


def test_views_follow_writes(store):
    _fill(store, 6)
    store.action_summaries(), store.action_notes()  # warm any caches
    store.update(
        Kind.ACTIONS, "A-2",
        lambda a: msgspec.structs.replace(a, title="Renamed", history=(*a.history, Event(at=NOW, kind=EventKind.NOTE, note="fresh"))),
    )
    store.insert(Kind.ACTIONS, lambda ref: action(ref, title="Newest"))
    titles = {s.ref: s.title for s in store.action_summaries()}
    assert titles["A-2"] == "Renamed" and titles["A-7"] == "Newest"
    assert store.action_notes()["A-2"].endswith("fresh")
    assert [a.title for a in store.iter_actions()][-1] == "Newest"


# TinyDB only: its shards and the few it keeps decoded.
def test_tinydb_keeps_few_full_shards_and_stays_correct(tmp_path, monkeypatch):
    from icm_tui.store import tinydb_store
    from icm_tui.store.tinydb_store import TinyDBStore

    monkeypatch.setattr(tinydb_store, "FULL_ACTION_SHARDS", 2)
    store = TinyDBStore(tmp_path / "data", shard_size=3)
    _fill(store, 20)  # 7 shards
    assert len(list(store.iter_actions())) == 20
    assert store.action("A-1").title == "Item A-1" and store.action("A-20").title == "Item A-20"
    held = [p for p in store._typed if p.parent.name == "actions"]
    assert len(held) <= 2
    store.update(Kind.ACTIONS, "A-1", lambda a: msgspec.structs.replace(a, title="Changed"))
    assert {s.ref: s.title for s in store.action_summaries()}["A-1"] == "Changed"
    store.close()
