"""Hostile command lines: odd paths, odd values, odd stores. One line on stderr, the right exit, no change."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from icm_tui.cli import main
from storetools import Site

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def workspace(register, tmp_path) -> Site:
    """A copy of the sample agendas with one action item (A-1) in its register (TinyDB, PostgreSQL)."""
    site = Site(tmp_path / "ws", register)
    shutil.copytree(ROOT / "agendas", site.root / "agendas")
    result = site.icm("action", "add", "Laptops", "--owner", "zhang-wei")
    assert result.exit_code == 0, result.output
    return site


@pytest.fixture
def tinydb_workspace(tmp_path, monkeypatch) -> Path:
    """The same on TinyDB only: for tests of output files, of the command line itself, or of TinyDB's own files."""
    monkeypatch.delenv("ICM_STORE", raising=False)
    root = tmp_path / "ws"
    shutil.copytree(ROOT / "agendas", root / "agendas")
    assert run(root, "action", "add", "Laptops", "--owner", "zhang-wei").exit_code == 0
    return root


def run(workspace: Path | None, *args: str):
    """`icm [--workspace W] ARGS`, exceptions caught as the real CLI would show them."""
    prefix = ["--workspace", str(workspace)] if workspace is not None else []
    return CliRunner().invoke(main, [*prefix, *args])


def test_export_to_a_fifo_writes_into_it_and_leaves_it_a_fifo(tinydb_workspace, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = run(tinydb_workspace, "export", "actions", "--format", "csv", "-o", str(fifo))
    reader.join(5)
    assert result.exit_code == 0, result.output
    assert fifo.is_fifo()
    assert b"Laptops" in received[0]


def test_export_through_a_symlink_keeps_the_link(tinydb_workspace, tmp_path):
    real = tmp_path / "real.csv"
    real.write_text("old")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    assert run(tinydb_workspace, "export", "actions", "-o", str(link)).exit_code == 0
    assert link.is_symlink() and "Laptops" in real.read_text(encoding="utf-8-sig")


def test_export_under_a_file_says_so_in_one_line(tinydb_workspace):
    result = run(tinydb_workspace, "export", "actions", "--format", "ics", "-o", str(tinydb_workspace / "agendas" / "org.yaml" / "x.ics"))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "a file stands where a folder" in result.stderr


@pytest.mark.parametrize("fmt", ["table", "md", "json"])
def test_report_since_year_one_is_a_window_not_a_traceback(workspace, fmt):
    result = workspace.icm("report", "--since", "0001-01-01", "--format", fmt)
    assert result.exit_code == 0, (result.output, result.exception)
    assert "0001-01-01" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["actons"],
        ["--bogus"],
        ["action", "confirm", "A-1", "--score", "abc"],
        ["action", "show"],
        ["action", "show", "A-1", "extra"],
        ["action", "add", "x"],
        ["actions", "--format", "xml"],
        ["requests", "--status", "bogus"],
        ["report", "--format", "csv"],
        ["export", "minutes", "M-1", "--format", "pdf"],
    ],
)
def test_usage_errors_are_one_line_with_the_command_and_its_help(tinydb_workspace, args):
    result = run(tinydb_workspace, *args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert "--help`" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [["actions"], ["action", "add", "x", "--owner", "zhang-wei"], ["db", "check"]])
def test_a_missing_workspace_is_bad_input_and_is_not_created(tmp_path, args):
    missing = tmp_path / "typo"
    result = run(missing, *args)
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and "no such folder" in result.stderr
    assert not missing.exists()


def test_a_workspace_that_is_a_file_is_bad_input(tinydb_workspace):
    result = run(tinydb_workspace / "agendas" / "org.yaml", "actions")
    assert result.exit_code == 2 and "is a file, not a folder" in result.stderr


def test_icm_workspace_pointing_nowhere_is_bad_input(tmp_path, monkeypatch):
    monkeypatch.setenv("ICM_WORKSPACE", str(tmp_path / "nope"))
    result = run(None, "action", "add", "x", "--owner", "zhang-wei")
    assert result.exit_code == 2 and "no such folder" in result.stderr
    assert not (tmp_path / "nope").exists()


@pytest.mark.parametrize("url", ["bogus://x", "file:///tmp/x", "http://db.example/icm"])
def test_a_store_url_of_another_scheme_is_bad_input_not_a_folder(tinydb_workspace, tmp_path, monkeypatch, url):
    monkeypatch.chdir(tmp_path)
    result = run(tinydb_workspace, "--store", url, "actions")
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and "unsupported URL scheme" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ws"]


def test_control_characters_in_user_text_never_reach_the_terminal(workspace):
    title = "red\x1b[31mtitle\x07\x9b2J"
    refused = workspace.icm("action", "add", title, "--owner", "zhang-wei")
    assert refused.exit_code == 2 and "control characters" in refused.stderr
    # Such text can still arrive from elsewhere (an older store, another tool): put it in directly.
    from icm_tui.store.base import Kind
    from storetools import action

    with workspace.open() as store:
        store.put_many(Kind.ACTIONS, [action("A-2", title=title, due=datetime.date(2020, 1, 2))])
    assert workspace.icm("action", "note", "A-2", "see\x1b[2Jhere").exit_code == 0
    for args in (["actions"], ["action", "show", "A-2"], ["report", "--since", "2019-12-01"]):
        result = workspace.icm(*args)
        assert result.exit_code == 0, (args, result.output)
        assert not any(ch in result.stdout for ch in "\x1b\x07\x9b"), (args, result.stdout)
    assert "red\ufffd[31mtitle" in workspace.icm("action", "show", "A-2").stdout
    # Machine formats keep the data exactly as typed.
    assert json.loads(workspace.icm("actions", "--format", "json").stdout)[0]["title"] == title


# TinyDB only: data/ is its folder. PostgreSQL's store errors (server down, wrong password) are exit 3 in test_store_pg.py.
@pytest.mark.parametrize("args", [["actions"], ["action", "add", "x", "--owner", "zhang-wei"], ["db", "check"], ["db", "restore"]])
def test_data_as_a_file_is_a_store_error_that_says_so(tmp_path, args):
    root = tmp_path / "ws"
    shutil.copytree(ROOT / "agendas", root / "agendas")
    (root / "data").write_text("not a folder")
    result = run(root, *args)
    assert result.exit_code == 3, result.output
    assert result.stdout == "" and result.stderr.count("\n") == 1
    assert "is a file, not the store's folder" in result.stderr
    assert (root / "data").read_text() == "not a folder"


def _deny(*args, **kwargs):
    raise PermissionError(13, "Permission denied")


# TinyDB only, as are the next two: its lock file, its file backups, its folder per kind.
def test_db_restore_without_write_access_is_one_line_exit_3(tinydb_workspace, monkeypatch):
    from icm_tui.store import locking

    monkeypatch.setattr(locking.StoreLock, "acquire", _deny)
    result = run(tinydb_workspace, "db", "restore")
    assert result.exit_code == 3, (result.output, result.exception)
    assert result.stderr.count("\n") == 1 and "write access" in result.stderr


def test_db_restore_that_cannot_write_is_one_line_exit_3(tinydb_workspace, monkeypatch):
    import icm_tui.store.admin as admin

    backups = sorted((tinydb_workspace / "data" / "backups").iterdir())
    monkeypatch.setattr(admin, "_aside_folder", _deny)
    result = run(tinydb_workspace, "db", "restore", backups[-1].name)
    assert result.exit_code == 3, (result.output, result.exception)
    assert result.stderr.count("\n") == 1 and "cannot restore" in result.stderr


def test_a_new_kind_folder_that_cannot_be_made_is_one_line_exit_3(tinydb_workspace, monkeypatch):
    from pathlib import Path as _Path

    real_mkdir = _Path.mkdir

    def mkdir(self, *args, **kwargs):
        if self.name == "requests":
            _deny()
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(_Path, "mkdir", mkdir)
    result = run(tinydb_workspace, "request", "add", "x", "--from", "sales", "--to", "it")
    assert result.exit_code == 3, (result.output, result.exception)
    assert result.stderr.count("\n") == 1 and "write access" in result.stderr


def test_a_register_that_may_only_be_read_is_one_line_exit_3_on_writes(pg_server, tmp_path):
    # PostgreSQL's counterpart of the unwritable folder above: a role granted SELECT only.
    import pg
    from backends import Backend

    if not isinstance(pg_server, pg.Cluster):
        pytest.skip("creates a role: only on the throwaway cluster")
    url = pg_server.new_schema()
    schema = url.rsplit("%3D", 1)[1]  # ...?options=-csearch_path%3D<schema>
    owner = Site(tmp_path, Backend("postgresql", url))
    shutil.copytree(ROOT / "agendas", tmp_path / "agendas")
    assert owner.icm("action", "add", "Laptops", "--owner", "zhang-wei").exit_code == 0
    role = f"reader_{schema}"
    for statement in (f"CREATE ROLE {role} LOGIN", f"GRANT USAGE ON SCHEMA {schema} TO {role}",
                      f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role}"):
        pg_server.psql(statement, pg.DATABASE)
    reader = Site(tmp_path, Backend("postgresql", pg_server.url(schema, user=role)))
    before = owner.state()
    assert reader.icm("actions").exit_code == 0 and reader.icm("report").exit_code == 0
    for args in (["action", "add", "x", "--owner", "zhang-wei"], ["action", "start", "A-1"]):
        result = reader.icm(*args)
        assert result.exit_code == 3, (args, result.output, result.exception)
        assert result.stderr.count("\n") == 1 and "permission denied" in result.stderr
    assert owner.state() == before


@pytest.mark.parametrize("ref", ["A-¹", "A-①", "a-١", "A-𝟏", "A-0", "A-999999999999", "M-1", " A -1", ""])
@pytest.mark.parametrize("command", [["action", "show"], ["action", "start"], ["export", "minutes"], ["request", "accept"]])
def test_odd_refs_are_unknown_refs_not_tracebacks(workspace, ref, command):
    extra = ["--owner", "zhang-wei"] if command[0] == "request" else []
    result = workspace.icm(*command, ref, *extra)
    assert result.exit_code == 2, (result.output, result.exception)
    assert result.stderr.count("\n") == 1 and "no " in result.stderr


@pytest.mark.parametrize(
    ("option", "value", "hint"),
    [("--owner", "zhang-we", "zhang-wei"), ("--supplier", "itt", "'it'"), ("--requester", "sale", "sales"), ("--owner", "nobody", "org.yaml")],
)
def test_a_typo_in_an_actions_filter_is_said_not_an_empty_list(workspace, option, value, hint):
    result = workspace.icm("actions", option, value, "--format", "json")
    assert result.exit_code == 2, result.output
    assert result.stdout == "" and result.stderr.count("\n") == 1 and hint in result.stderr


def test_a_known_filter_with_nothing_to_show_is_still_an_empty_list(workspace):
    result = workspace.icm("actions", "--owner", "li-lei", "--format", "json")
    assert result.exit_code == 0 and result.stdout.strip() == "[]"


@pytest.mark.parametrize("name", ["", "  "])
def test_db_restore_with_an_empty_backup_name_rolls_nothing_back(workspace, name):
    before = workspace.state()
    result = workspace.icm("db", "restore", name)
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and "backup" in result.stderr  # 'the name of a backup' / 'folder or backup'
    assert workspace.state() == before
    assert not (workspace.root / "data" / "corrupt").exists()
