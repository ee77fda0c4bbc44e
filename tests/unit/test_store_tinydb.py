"""The TinyDB store's own promises: files on disk, corrupt files, backups, schema, locking."""

from __future__ import annotations

import json
import os

import msgspec
import pytest
from storetools import action, meeting, snapshot

from icm_tui.errors import StoreError
from icm_tui.store import Kind
from icm_tui.store import tinydb_store
from icm_tui.store.tinydb_store import TinyDBStore


@pytest.fixture
def data_dir(tmp_path):
    """A store of 10 action items in shards of 4 refs, with one backup generation."""
    path = tmp_path / "data"
    with TinyDBStore(path, shard_size=4) as store:
        for _ in range(10):
            store.insert(Kind.ACTIONS, action)
        store.insert(Kind.MEETINGS, meeting)
    return path


def test_layout_is_tinydb_files_keyed_by_ref_number(data_dir) -> None:
    assert sorted(p.name for p in (data_dir / "actions").iterdir()) == ["000000.json", "000001.json", "000002.json"]
    shard = json.loads((data_dir / "actions" / "000001.json").read_text())
    assert list(shard) == ["actions"]
    assert list(shard["actions"]) == ["4", "5", "6", "7"]
    assert shard["actions"]["5"]["ref"] == "A-5"
    meta = json.loads((data_dir / "icm.json").read_text())
    assert meta["_meta"]["1"]["schema"] == tinydb_store.SCHEMA


def test_another_instance_sees_writes_and_version_moves(data_dir) -> None:
    reader = TinyDBStore(data_dir)
    writer = TinyDBStore(data_dir)
    assert len(reader.actions()) == 10
    before = reader.version()
    assert not reader.refresh()
    writer.update(Kind.ACTIONS, "A-9", lambda a: msgspec.structs.replace(a, title="from elsewhere"))
    assert reader.version() != before
    assert reader.refresh()
    assert reader.action("a-9").title == "from elsewhere"
    assert writer.insert(Kind.ACTIONS, action).ref == "A-11"
    assert reader.insert(Kind.ACTIONS, action).ref == "A-12", "the next ref comes from the file, not memory"


def test_open_is_lazy(data_dir) -> None:
    store = TinyDBStore(data_dir)
    assert store._typed == {}
    store.insert(Kind.MEETINGS, meeting)
    assert not any("actions" in str(path) for path in store._typed), "a meeting write parses no action shard"


CORRUPTIONS = {
    "truncated": lambda b: b[: len(b) // 2],
    "trailing garbage": lambda b: b + b"garbage",
    "trailing brace garbage": lambda b: b + b"{}",
    "empty": lambda b: b"",
    "invalid utf-8": lambda b: b.replace(b"Laptops", b"Lap\xff\xfeops", 1),
    "wrong shape": lambda b: b'{"actions": [1, 2, 3]}',
    "not json": lambda b: b"\x00\x01binary",
}


@pytest.mark.parametrize("damage", CORRUPTIONS, ids=list(CORRUPTIONS))
@pytest.mark.parametrize("rel", ["actions/000001.json", "icm.json"])
def test_a_corrupt_file_is_refused_named_and_left_untouched(data_dir, damage, rel) -> None:
    path = data_dir / rel
    if rel == "icm.json" and damage == "invalid utf-8":
        bad = path.read_bytes().replace(b"schema", b"sch\xffma")
    else:
        bad = CORRUPTIONS[damage](path.read_bytes())
    path.write_bytes(bad)
    before = snapshot(data_dir)
    with pytest.raises(StoreError) as caught:
        store = TinyDBStore(data_dir)
        store.actions()
        store.insert(Kind.ACTIONS, action)
    message = str(caught.value)
    assert str(path) in message
    assert "backup" in message
    assert snapshot(data_dir) == before
    assert path.read_bytes() == bad


def test_the_error_names_the_newest_good_backup(data_dir) -> None:
    store = TinyDBStore(data_dir, backup_interval=0)
    store.insert(Kind.ACTIONS, action)  # a generation holding A-1..A-10
    newest = store.newest_backup()
    (data_dir / "actions" / "000000.json").write_bytes(b'{"actions": {"1": ')
    with pytest.raises(StoreError) as caught:
        TinyDBStore(data_dir)
    assert f"icm db restore {newest.name}" in str(caught.value)


def test_a_store_of_a_newer_schema_is_refused(data_dir) -> None:
    path = data_dir / "icm.json"
    meta = json.loads(path.read_text())
    meta["_meta"]["1"]["schema"] = tinydb_store.SCHEMA + 1
    path.write_text(json.dumps(meta))
    with pytest.raises(StoreError, match="upgrade icm"):
        TinyDBStore(data_dir)


def test_an_older_schema_is_migrated_forward_after_a_backup(data_dir, monkeypatch) -> None:
    def shout(store: TinyDBStore) -> None:
        store.map_documents(Kind.ACTIONS, lambda doc: {**doc, "title": doc["title"].upper()})

    monkeypatch.setattr(tinydb_store, "SCHEMA", tinydb_store.SCHEMA + 1)
    monkeypatch.setitem(tinydb_store.MIGRATIONS, tinydb_store.SCHEMA - 1, shout)
    backups_before = len(os.listdir(data_dir / "backups"))
    store = TinyDBStore(data_dir)
    assert store.meta.schema == tinydb_store.SCHEMA
    assert {a.title for a in store.actions()} == {"LAPTOPS FOR NEW HIRES"}
    assert len(os.listdir(data_dir / "backups")) == backups_before + 1
    assert json.loads((data_dir / "icm.json").read_text())["_meta"]["1"]["schema"] == tinydb_store.SCHEMA
    assert TinyDBStore(data_dir).action("A-3").title == "LAPTOPS FOR NEW HIRES"


def test_leftover_temp_files_are_removed_at_start(data_dir) -> None:
    leftovers = [data_dir / ".icm.json.999.tmp", data_dir / "actions" / ".000002.json.4242.tmp"]
    for path in leftovers:
        path.write_bytes(b'{"half')
    (data_dir / "backups" / ".tmp-20260101-000000-77").mkdir()
    TinyDBStore(data_dir)
    assert not any(path.exists() for path in leftovers)
    assert not (data_dir / "backups" / ".tmp-20260101-000000-77").exists()


def test_a_write_waits_for_the_lock_then_gives_up(data_dir) -> None:
    from filelock import FileLock

    holder = FileLock(str(data_dir / "icm.lock"))
    holder.acquire()
    try:
        store = TinyDBStore(data_dir, lock_timeout=0.2)
        assert len(store.actions()) == 10, "reads need no lock"
        with pytest.raises(StoreError, match="locked by another process"):
            store.insert(Kind.ACTIONS, action)
    finally:
        holder.release()
    assert store.insert(Kind.ACTIONS, action).ref == "A-11"


def test_backups_rotate_share_unchanged_files_and_parse(tmp_path) -> None:
    store = TinyDBStore(tmp_path / "data", shard_size=4, backup_interval=0, backup_keep=3)
    for _ in range(9):
        store.insert(Kind.ACTIONS, action)
    gens = store.backups.generations()
    assert len(gens) == 3
    newest, older = gens[0], gens[1]
    first_shard = "actions/000000.json"
    assert os.stat(newest.file(first_shard)).st_ino == os.stat(older.file(first_shard)).st_ino
    assert os.stat(newest.file(first_shard)).st_ino != os.stat(tmp_path / "data" / first_shard).st_ino
    for rel, entry in newest.manifest.files.items():
        assert store.verify(rel, newest.file(rel).read_bytes()) == entry.records


def test_no_backup_is_taken_of_a_file_that_does_not_parse(data_dir) -> None:
    shard = data_dir / "actions" / "000000.json"
    shard.write_bytes(shard.read_bytes().replace(b"Laptops", b"Lap\xfftops", 1))  # passes the quick check
    before = snapshot(data_dir)
    store = TinyDBStore(data_dir, backup_interval=0)
    names = [g.name for g in store.backups.generations()]
    with pytest.raises(StoreError, match="000000.json"):
        store.insert(Kind.ACTIONS, action)
    assert [g.name for g in store.backups.generations()] == names
    assert snapshot(data_dir) == before, "the write is refused, nothing changes"
