"""The store through the `icm` command: corrupt files give exit 3 and stay as they are; db check/restore."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from storetools import action, snapshot

from icm_tui.cli import main
from icm_tui.store import Kind
from icm_tui.store.tinydb_store import TinyDBStore

CORRUPTIONS = {
    "truncated": lambda b: b[: len(b) - 7],
    "trailing garbage": lambda b: b + b"\nxx",
    "empty": lambda b: b"",
    "invalid utf-8": lambda b: b.replace(b"Laptops", b"Lap\xc3\x28tops", 1),
}


@pytest.fixture
def workspace(tmp_path):
    """A workspace whose store holds 6 action items in shards of 4, with two backups."""
    with TinyDBStore(tmp_path / "data", shard_size=4, backup_interval=0) as store:
        for _ in range(6):
            store.insert(Kind.ACTIONS, action)
    return tmp_path


def icm(workspace, *args: str):
    """Run `icm --workspace WORKSPACE ARGS...`."""
    return CliRunner().invoke(main, ["--workspace", str(workspace), *args])


@pytest.mark.parametrize("damage", CORRUPTIONS, ids=list(CORRUPTIONS))
@pytest.mark.parametrize("rel", ["actions/000000.json", "actions/000001.json", "icm.json"])
def test_a_corrupt_file_exits_3_and_is_left_byte_for_byte(workspace, damage, rel) -> None:
    path = workspace / "data" / rel
    path.write_bytes(CORRUPTIONS[damage](path.read_bytes()) if rel != "icm.json" or damage != "invalid utf-8"
                     else path.read_bytes().replace(b"schema", b"sch\xc3\x28ma"))
    before = snapshot(workspace / "data")
    commands = [["actions"], ["db", "check"], ["action", "show", "A-5" if rel == "actions/000001.json" else "A-2"]]
    if damage != "invalid utf-8" or rel != "actions/000000.json":
        commands.append(["action", "add", "More laptops", "--owner", "zhang-wei"])
    for args in commands:
        result = icm(workspace, *args)
        assert result.exit_code == 3, (args, result.output)
        assert "Traceback" not in result.output
    listed = icm(workspace, "actions")
    assert str(path) in listed.output
    assert "icm db restore" in listed.output
    assert snapshot(workspace / "data") == before


def test_an_add_does_not_parse_old_shards_but_never_touches_a_bad_one(workspace) -> None:
    # By design an add parses only the shard it appends to (plus a first/last-byte check of the
    # others): damage inside an older shard is refused by the next command that reads it.
    old = workspace / "data" / "actions" / "000000.json"
    bad = old.read_bytes().replace(b"Laptops", b"Lap\xc3\x28tops", 1)
    old.write_bytes(bad)
    assert icm(workspace, "action", "add", "More laptops", "--owner", "zhang-wei").output.strip() == "A-7"
    assert old.read_bytes() == bad
    assert icm(workspace, "actions").exit_code == 3
    assert icm(workspace, "db", "check").exit_code == 3


def test_db_check_lists_every_file_and_passes_on_a_good_store(workspace) -> None:
    result = icm(workspace, "db", "check")
    assert result.exit_code == 0, result.output
    assert "ok   " + str(workspace / "data" / "actions" / "000001.json") + "  3 records" in result.output
    assert "BAD" not in result.output
    assert "backups" in result.output


def test_db_restore_puts_the_newest_good_copy_back_and_keeps_the_bad_one(workspace) -> None:
    shard = workspace / "data" / "actions" / "000001.json"
    bad = shard.read_bytes()[:-3]
    shard.write_bytes(bad)
    result = icm(workspace, "db", "restore")
    assert result.exit_code == 0, result.output
    assert "restored actions/000001.json" in result.output
    kept = list((workspace / "data" / "corrupt").rglob("000001.json"))
    assert [p.read_bytes() for p in kept] == [bad]
    assert icm(workspace, "db", "check").exit_code == 0
    refs = icm(workspace, "actions", "--format", "json")
    assert refs.exit_code == 0, refs.output
    assert '"A-5"' in refs.output, "the newest backup holds A-5 (it was taken before A-6 was added)"


def test_db_restore_named_rolls_the_whole_store_back(workspace) -> None:
    store = TinyDBStore(workspace / "data")
    oldest = store.backups.generations()[-1]
    assert icm(workspace, "db", "restore", "no-such-backup").exit_code == 2
    result = icm(workspace, "db", "restore", oldest.name)
    assert result.exit_code == 0, result.output
    assert [a.ref for a in TinyDBStore(workspace / "data").actions()] == []
    assert list((workspace / "data" / "corrupt").rglob("*.json"))


def test_db_restore_with_nothing_bad_changes_nothing(workspace) -> None:
    before = snapshot(workspace / "data")
    result = icm(workspace, "db", "restore")
    assert result.exit_code == 0
    assert "nothing to restore" in result.output
    assert snapshot(workspace / "data") == before
