"""The register through the `icm` command, on TinyDB and PostgreSQL: damage gives exit 3 and stays as it is; db check/restore.

`icm db check` and `icm db restore` exist on both backends with the meaning each can give them
(see `icm db restore --help`): the tests that hold for both are parametrised with `register`;
TinyDB's file-level repairs have tests of their own below, PostgreSQL's checks in
test_store_pg_admin.py.
"""

from __future__ import annotations

import pytest
from pathlib import Path

from backends import Backend
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
def workspace(tmp_path, register: Backend):
    """A workspace whose register holds 6 action items (TinyDB: shards of 4, a backup after each write)."""
    if register.name == "tinydb":
        with TinyDBStore(tmp_path / "data", shard_size=4, backup_interval=0) as store:
            for _ in range(6):
                store.insert(Kind.ACTIONS, action)
    else:
        with register.open(tmp_path) as store:
            for _ in range(6):
                store.insert(Kind.ACTIONS, action)
    return tmp_path


def icm(workspace, register: Backend, *args: str):
    """Run `icm --workspace WORKSPACE ARGS...` on the test's register."""
    return CliRunner().invoke(main, ["--workspace", str(workspace), *args], env=register.env())


def raw(workspace, register: Backend) -> object:
    """Everything the register holds, as stored: file bytes (TinyDB), every row of every icm table (PostgreSQL)."""
    if register.name == "tinydb":
        return snapshot(workspace / "data")
    import psycopg

    with psycopg.connect(register.url) as conn:
        tables = [t for (t,) in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1")]
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in tables}


def damage(workspace, register: Backend) -> str:
    """Break A-5 where it is kept (a shard cut short, a row whose document is not an action item); what names it."""
    if register.name == "tinydb":
        path = workspace / "data" / "actions" / "000001.json"
        path.write_bytes(path.read_bytes()[:-7])
        return str(path)
    import psycopg

    with psycopg.connect(register.url, autocommit=True) as conn:
        conn.execute("""UPDATE icm_actions SET doc = jsonb_set(doc::jsonb, '{title}', '5')::json WHERE num = 5""")
    return "A-5"


def backup(workspace, register: Backend) -> tuple[str, Path]:
    """A backup of the register, by the name `icm db restore` takes, and its folder.

    TinyDB: the newest generation in data/backups/ (taken before the last write); PostgreSQL: a
    TinyDB copy made by `icm db copy`, the way a team backs up a shared register.
    """
    if register.name == "tinydb":
        with TinyDBStore(workspace / "data") as store:
            newest = store.backups.generations()[0]
        return newest.name, newest.path
    out = icm(workspace, register, "db", "copy", "--from", register.url, "--to", str(workspace / "copy"))
    assert out.exit_code == 0, out.output
    return str(workspace / "copy"), workspace / "copy"


def refs(workspace, register: Backend) -> list[str]:
    with register.open(workspace) as store:
        return [a.ref for a in store.actions()]


def test_db_check_passes_on_a_sound_register_and_changes_nothing(workspace, register) -> None:
    before = raw(workspace, register)
    result = icm(workspace, register, "db", "check")
    assert result.exit_code == 0, result.output
    assert "BAD" not in result.output
    if register.name == "tinydb":
        assert "ok   " + str(workspace / "data" / "actions" / "000001.json") + "  3 records" in result.output
        assert "backups" in result.output
    else:
        from icm_tui.store.pg_store import SCHEMA

        assert "ok   actions    6 records (A-1..A-6), ref counter at 6" in result.output
        assert f"ok   schema     version {SCHEMA}" in result.output
    assert raw(workspace, register) == before


def test_a_damaged_record_exits_3_names_it_and_is_left_as_it_is(workspace, register) -> None:
    where = damage(workspace, register)
    before = raw(workspace, register)
    for args in (["actions"], ["db", "check"], ["action", "show", "A-5"], ["action", "done", "A-5"]):
        result = icm(workspace, register, *args)
        assert result.exit_code == 3, (args, result.output)
        assert "Traceback" not in result.output and where in result.output, (args, result.output)
    listed = icm(workspace, register, "actions")
    assert len(listed.stderr.strip().splitlines()) <= 4 and "icm db restore" in listed.stderr
    assert raw(workspace, register) == before


def test_db_restore_brings_a_backup_back_and_keeps_what_it_replaced(workspace, register) -> None:
    from icm_tui.store.admin import read_register

    name, folder = backup(workspace, register)
    expected = read_register(folder).records
    assert icm(workspace, register, "action", "add", "After the backup", "--owner", "zhang-wei").exit_code == 0
    result = icm(workspace, register, "db", "restore", name, "--replace")
    assert result.exit_code == 0, result.output
    with register.open(workspace) as store:
        assert {kind: store.all(kind) for kind in Kind} == expected
    assert any("After the backup" in p.read_text() for p in (workspace / "data" / "corrupt").rglob("*.json")), \
        "what the restore replaced is kept"
    assert icm(workspace, register, "db", "check").exit_code == 0


def test_db_restore_of_an_unknown_backup_is_bad_input_and_changes_nothing(workspace, register) -> None:
    before = raw(workspace, register)
    for name in ("no-such-backup", " "):
        result = icm(workspace, register, "db", "restore", name, "--replace")
        assert result.exit_code == 2, result.output
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert raw(workspace, register) == before


def test_db_restore_from_a_damaged_backup_exits_3_and_changes_nothing(workspace, register) -> None:
    name, folder = backup(workspace, register)
    shard = folder / "actions" / "000000.json"
    shard.write_bytes(shard.read_bytes()[:-3])
    assert icm(workspace, register, "action", "add", "After the backup", "--owner", "zhang-wei").exit_code == 0
    before = raw(workspace, register)
    result = icm(workspace, register, "db", "restore", name, "--replace")
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output and "actions/000000.json" in result.stderr
    assert raw(workspace, register) == before


# ---------------------------------------------------------------- TinyDB: file-level damage and repair


@pytest.fixture
def files(tmp_path, monkeypatch):
    """A TinyDB workspace whose store holds 6 action items in shards of 4, with a backup after each write."""
    monkeypatch.delenv("ICM_STORE", raising=False)
    with TinyDBStore(tmp_path / "data", shard_size=4, backup_interval=0) as store:
        for _ in range(6):
            store.insert(Kind.ACTIONS, action)
    return tmp_path


def run(workspace, *args: str):
    return CliRunner().invoke(main, ["--workspace", str(workspace), *args])


@pytest.mark.parametrize("damage", CORRUPTIONS, ids=list(CORRUPTIONS))
@pytest.mark.parametrize("rel", ["actions/000000.json", "actions/000001.json", "icm.json"])
def test_a_corrupt_file_exits_3_and_is_left_byte_for_byte(files, damage, rel) -> None:
    path = files / "data" / rel
    path.write_bytes(CORRUPTIONS[damage](path.read_bytes()) if rel != "icm.json" or damage != "invalid utf-8"
                     else path.read_bytes().replace(b"schema", b"sch\xc3\x28ma"))
    before = snapshot(files / "data")
    commands = [["actions"], ["db", "check"], ["action", "show", "A-5" if rel == "actions/000001.json" else "A-2"]]
    if damage != "invalid utf-8" or rel != "actions/000000.json":
        commands.append(["action", "add", "More laptops", "--owner", "zhang-wei"])
    for args in commands:
        result = run(files, *args)
        assert result.exit_code == 3, (args, result.output)
        assert "Traceback" not in result.output
    listed = run(files, "actions")
    assert str(path) in listed.output
    assert "icm db restore" in listed.output
    assert snapshot(files / "data") == before


def test_an_add_does_not_parse_old_shards_but_never_touches_a_bad_one(files) -> None:
    # By design an add parses only the shard it appends to (plus a first/last-byte check of the
    # others): damage inside an older shard is refused by the next command that reads it.
    old = files / "data" / "actions" / "000000.json"
    bad = old.read_bytes().replace(b"Laptops", b"Lap\xc3\x28tops", 1)
    old.write_bytes(bad)
    assert run(files, "action", "add", "More laptops", "--owner", "zhang-wei").output.strip() == "A-7"
    assert old.read_bytes() == bad
    assert run(files, "actions").exit_code == 3
    assert run(files, "db", "check").exit_code == 3


def test_db_restore_puts_the_newest_good_copy_back_and_keeps_the_bad_one(files) -> None:
    shard = files / "data" / "actions" / "000001.json"
    bad = shard.read_bytes()[:-3]
    shard.write_bytes(bad)
    result = run(files, "db", "restore")
    assert result.exit_code == 0, result.output
    assert "restored actions/000001.json" in result.output
    kept = list((files / "data" / "corrupt").rglob("000001.json"))
    assert [p.read_bytes() for p in kept] == [bad]
    assert run(files, "db", "check").exit_code == 0
    refs = run(files, "actions", "--format", "json")
    assert refs.exit_code == 0, refs.output
    assert '"A-5"' in refs.output, "the newest backup holds A-5 (it was taken before A-6 was added)"


def test_db_restore_named_rolls_the_whole_store_back(files) -> None:
    store = TinyDBStore(files / "data")
    oldest = store.backups.generations()[-1]
    assert run(files, "db", "restore", "no-such-backup").exit_code == 2
    result = run(files, "db", "restore", str(oldest.path))  # by its folder, too
    assert result.exit_code == 0, result.output
    assert [a.ref for a in TinyDBStore(files / "data").actions()] == []
    assert list((files / "data" / "corrupt").rglob("*.json"))


def test_db_restore_with_nothing_bad_changes_nothing(files) -> None:
    before = snapshot(files / "data")
    result = run(files, "db", "restore")
    assert result.exit_code == 0
    assert "nothing to restore" in result.output
    assert snapshot(files / "data") == before


def test_db_check_reports_the_attempts_log(files) -> None:
    from datetime import datetime, timezone

    from icm_tui.store.base import Attempt

    with TinyDBStore(files / "data") as store:
        store.add_attempts([Attempt(at=datetime.now(timezone.utc), kind="actions", ref="A-1", uid="U", reason="r")])
    with open(files / "data" / "attempts.jsonl", "ab") as log:
        log.write(b'{"at": "2026-')  # cut short by a crash
    result = run(files, "db", "check")
    assert result.exit_code == 0, result.output
    assert "attempts.jsonl  1 refused attempt(s) of lost races; 1 line(s) cut short by a crash are skipped" in result.output


def test_db_check_on_tinydb_needs_no_postgresql_driver(files) -> None:
    # psycopg is an optional dependency: a TinyDB user's `icm db check` must not import it.
    from storetools import run_python

    out = run_python(
        "import sys\n"
        "from icm_tui.cli import main\n"
        "try:\n"
        "    main(['--workspace', sys.argv[1], 'db', 'check'])\n"
        "except SystemExit as done:\n"
        "    assert done.code in (0, None), done.code\n"
        "assert 'psycopg' not in sys.modules, 'psycopg imported'\n",
        str(files), env={"ICM_STORE": ""},
    )
    assert out.returncode == 0, out.stderr
