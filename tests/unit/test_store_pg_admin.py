"""`icm db check` and `icm db restore` on a PostgreSQL register: each problem one line and exit 3, a restore whole or not at all."""

from __future__ import annotations

import os
import shutil
import signal
import uuid
from datetime import datetime, timezone
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner
from storetools import REPO, action, meeting, run_python

from icm_tui.cli import main
from icm_tui.domain.models import Event, EventKind, Status
from icm_tui.errors import LifecycleError, StoreError
from icm_tui.store import Kind
from icm_tui.store.base import Attempt
from icm_tui.store.tinydb_store import TinyDBStore

psycopg = pytest.importorskip("psycopg")

from icm_tui.store.pg_admin import history_problems  # noqa: E402
from icm_tui.store.pg_store import SCHEMA, PgStore  # noqa: E402

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def url(pg_server) -> str:
    """A register of 6 action items and a meeting."""
    url = pg_server.new_schema()
    with PgStore(url) as store:
        for _ in range(6):
            store.insert(Kind.ACTIONS, action)
        store.insert(Kind.MEETINGS, meeting)
    return url


@pytest.fixture
def workspace(tmp_path, monkeypatch) -> Path:
    shutil.copytree(REPO / "agendas", tmp_path / "agendas")
    monkeypatch.delenv("ICM_STORE", raising=False)
    return tmp_path


def icm(workspace: Path, url: str, *args: str, code: int | None = None):
    result = CliRunner().invoke(main, ["--workspace", str(workspace), "--store", url, *args])
    if code is not None:
        assert result.exit_code == code, (args, result.output)
        assert "Traceback" not in result.output
    return result


def sql(url: str, *statements: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def raw(url: str) -> dict:
    """Every row of every table of the register."""
    with psycopg.connect(url) as conn:
        tables = [t for (t,) in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1")]
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in tables}


def bad_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("BAD")]


# ---------------------------------------------------------------- check


@pytest.mark.parametrize(
    "statements, expected",
    [
        (["UPDATE icm_actions SET doc = jsonb_set(doc::jsonb, '{title}', '5')::json WHERE num = 2"],
         "BAD  A-2        its document does not decode as ActionItem: unexpected content: Expected `str`, got `int` - at `$.title`"),
        (["UPDATE icm_actions SET doc = '[]' WHERE num = 2"],
         "BAD  A-2        its document does not decode as ActionItem: unexpected content: Expected `object`, got `array`"),
        (["UPDATE icm_counters SET last = 3 WHERE kind = 'actions'"],
         "BAD  counter actions  is at 3, below A-6: new actions would be given refs already taken"),
        (["DELETE FROM icm_counters WHERE kind = 'meetings'"],
         "BAD  counter meetings  is missing from icm_counters: the next add would fail"),
        (["UPDATE icm_actions SET doc = jsonb_set(doc::jsonb, '{ref}', '\"A-9\"')::json WHERE num = 2"],
         "BAD  A-2        its document says ref 'A-9': a record's ref must be its row's number"),
        (["UPDATE icm_actions SET uid = 'SOMEONE-ELSE' WHERE num = 3"],
         "BAD  A-3        its document says uid"),
        (["UPDATE icm_actions SET rev = 999 WHERE num = 4"],
         "BAD  A-4        its rev 999 is past the change counter 7: the counter went back"),
        (["UPDATE icm_actions SET status = 'closed' WHERE num = 1"],
         "BAD  A-1        column status says 'closed' but its document 'open': `icm actions --status` would list it wrongly"),
        (["UPDATE icm_migrations SET name = 'something else' WHERE version = 1"],
         "BAD  schema     migration 1 is 'something else' here but 'initial' in this icm"),
        (["UPDATE icm_ops SET outcome = 'refused', attempted = '{\"at\": 1}' WHERE ref = 'A-1'"],
         "a refused attempt that does not decode: unexpected content:"),
    ],
    ids=["broken-document", "not-an-object", "counter-behind", "counter-missing", "ref-not-its-row", "uid-not-its-row",
         "rev-past-counter", "filter-column-disagrees", "migration-renamed", "bad-attempt"],
)
def test_each_problem_is_one_bad_line_exit_3_and_the_register_is_left_as_it_is(url, workspace, statements, expected):
    sql(url, *statements)
    before = raw(url)
    result = icm(workspace, url, "db", "check", code=3)
    (line,) = bad_lines(result.stdout)
    assert line.startswith(expected) if expected.startswith("BAD") else expected in line, result.stdout
    assert result.stderr.startswith("icm: the register at postgresql://") and "has problems" in result.stderr
    assert raw(url) == before


def test_a_newer_schema_is_reported_and_nothing_else_is_read_or_migrated(url, workspace):
    sql(url, "INSERT INTO icm_migrations (version, name) VALUES (99, 'from the future')")
    before = raw(url)
    result = icm(workspace, url, "db", "check", code=3)
    assert bad_lines(result.stdout) == [
        f"BAD  schema     version 99 (from the future) is newer than this icm, which knows up to {SCHEMA}: upgrade icm (nothing else was checked)"
    ]
    assert "actions" not in result.stdout
    assert raw(url) == before


def test_an_empty_schema_is_nothing_to_check_and_stays_empty(pg_server, workspace):
    url = pg_server.new_schema()
    result = icm(workspace, url, "db", "check", code=0)
    assert "no icm register in schema" in result.stdout
    assert raw(url) == {}, "a check never creates or migrates"


def test_a_sound_register_lists_each_kind_attempts_and_the_spool(url, workspace):
    result = icm(workspace, url, "db", "check", code=0)
    assert result.stdout.splitlines() == [
        f"ok   schema     version {SCHEMA} ({SCHEMA} migration(s) applied; this icm writes {SCHEMA})",
        "ok   actions    6 records (A-1..A-6), ref counter at 6",
        "ok   meetings   1 records (M-1..M-1), ref counter at 1",
        "ok   requests   0 records, ref counter at 0",
        "ok   pulses     0 records, ref counter at 0",
        "ok   icm_ops    0 refused attempt(s) of lost races",
        f"ok   {workspace / 'data' / 'pg-spool.jsonl'}  no change saved offline waits to be sent",
    ]


def test_changes_waiting_in_the_spool_are_reported_but_not_a_problem(url, workspace):
    spooler = PgStore(url, spool_dir=workspace / "data")
    spooler._spool({"op_id": str(uuid.uuid4()), "op": "insert", "kind": "actions", "ref": "A-7",
                    "record": msgspec.to_builtins(action("A-7"))})
    spooler.close()
    result = icm(workspace, url, "db", "check", code=0)
    assert f"wait  {workspace / 'data' / 'pg-spool.jsonl'}  1 change(s) saved while the server was unreachable wait" in result.stdout


def test_a_broken_history_is_one_line_per_problem(url, workspace):
    at = NOW
    events = (
        Event(at=at, kind=EventKind.CREATED),
        Event(at=at, kind=EventKind.STATUS, old="open", new="done"),
        Event(at=at, kind=EventKind.REOPENED, old="closed", new="open", note="x"),
        Event(at=at, kind=EventKind.CONFIRMED, old="open", new="closed"),
    )
    with PgStore(url) as store:
        store.put_many(Kind.ACTIONS, [msgspec.structs.replace(store.action("A-2"), history=events, status=Status.DONE)])
    result = icm(workspace, url, "db", "check", code=3)
    assert bad_lines(result.stdout) == [
        "BAD  A-2        history event 3 (reopened closed -> open) starts from closed, but the event before left it done",
        "BAD  A-2        history event 3 (reopened closed -> open) is not a transition the lifecycle allows",
        "BAD  A-2        history event 4 (confirmed open -> closed) is not a transition the lifecycle allows",
        "BAD  A-2        history event 4 (confirmed open -> closed) is a confirmation without closing the item with a score 1-5",
        "BAD  A-2        its history ends in closed, but the item is done",
    ]


def test_history_rules():
    created = Event(at=NOW, kind=EventKind.CREATED)
    imported = action("A-1", status=Status.DONE, history=(created,))
    assert history_problems(imported) == [], "an imported item has no transitions to check"
    good = action("A-1", status=Status.CLOSED, history=(
        created, Event(at=NOW, kind=EventKind.STATUS, old="open", new="in_progress"),
        Event(at=NOW, kind=EventKind.STATUS, old="in_progress", new="done"),
        Event(at=NOW, kind=EventKind.CONFIRMED, old="done", new="closed", score=5),
    ))
    assert history_problems(good) == []
    odd = action("A-1", history=(created, Event(at=NOW, kind=EventKind.STATUS, old="open", new="finished")))
    assert history_problems(odd) == ["history event 2 (status open -> finished) names a status that does not exist"]


# ---------------------------------------------------------------- restore


@pytest.fixture
def copy(url, workspace) -> Path:
    """A TinyDB copy of the register (icm db copy), with a refused attempt in it."""
    folder = workspace / "copy"
    icm(workspace, url, "db", "copy", "--from", url, "--to", str(folder), code=0)
    with TinyDBStore(folder) as store:
        item = store.action("A-2")
        store.add_attempts([Attempt(at=NOW, kind="actions", ref="A-2", uid=item.uid, by="li-lei",
                                    reason="A-2: cannot reopen an item that is closed", first="wang-fang (confirmed done -> closed)",
                                    events=({"at": NOW.isoformat(), "kind": "reopened", "by": "li-lei", "old": "done", "new": "open", "note": "not yet"},))])
    return folder


def test_restore_into_a_register_that_holds_records_needs_replace(url, workspace, copy):
    before = raw(url)
    result = icm(workspace, url, "db", "restore", str(copy), code=2)
    assert result.stderr.count("\n") == 1 and "is not empty (6 actions, 1 meetings); `--replace` replaces them" in result.stderr
    assert raw(url) == before
    assert icm(workspace, url, "db", "restore", code=2).stderr.count("\n") == 1


def test_restore_into_an_empty_register_prints_counts_and_hashes_and_carries_attempts(pg_server, workspace, copy):
    empty = pg_server.new_schema()
    result = icm(workspace, empty, "db", "restore", str(copy), code=0)
    assert "actions          6 records  sha256 " in result.stdout and "(to)" in result.stdout
    assert f"restored 7 records from {copy} into postgresql://" in result.stdout
    assert "1 refused attempt(s) added to its op log" in result.stdout
    shown = icm(workspace, empty, "action", "show", "A-2", code=0).stdout
    assert 'refused reopened  done -> open  "not yet"  by li-lei' in shown
    assert icm(workspace, empty, "action", "add", "Next", "--owner", "zhang-wei", code=0).stdout == "A-7\n"
    assert icm(workspace, empty, "db", "check", code=0)


def test_replace_keeps_what_it_replaced_can_be_undone_and_never_hands_a_ref_out_twice(url, workspace, copy):
    icm(workspace, url, "action", "add", "After the copy", "--owner", "zhang-wei", code=0)
    with PgStore(url) as store:
        before = {kind: store.all(kind) for kind in Kind}
    result = icm(workspace, url, "db", "restore", str(copy), "--replace", code=0)
    aside = Path(result.stdout.split("are kept in ")[1].split(";")[0])
    assert aside.parent == workspace / "data" / "corrupt"
    with PgStore(url) as store:
        assert [a.ref for a in store.actions()] == [f"A-{n}" for n in range(1, 7)]
    assert icm(workspace, url, "action", "add", "Next", "--owner", "zhang-wei", code=0).stdout == "A-8\n", "A-7 was handed out before"
    icm(workspace, url, "db", "restore", str(aside), "--replace", code=0)
    with PgStore(url) as store:
        assert {kind: store.all(kind) for kind in Kind} == before


def test_a_restore_that_fails_midway_leaves_the_register_unchanged(url, workspace, copy, monkeypatch):
    import icm_tui.store.pg_admin as pg_admin

    icm(workspace, url, "action", "add", "After the copy", "--owner", "zhang-wei", code=0)
    before = raw(url)
    original = pg_admin.put_kind

    def put_then_fail(conn, kind, records, changes):
        original(conn, kind, records, changes)
        if kind is Kind.MEETINGS:  # actions and meetings are replaced by now
            raise StoreError("the disk filled up")

    monkeypatch.setattr(pg_admin, "put_kind", put_then_fail)
    result = icm(workspace, url, "db", "restore", str(copy), "--replace", code=3)
    assert "the disk filled up" in result.stderr
    assert raw(url) == before
    assert not list((workspace / "data" / "corrupt").glob("*")), "the copy kept for a replace that never happened is removed"


def test_a_restore_killed_midway_leaves_the_register_unchanged(url, workspace, copy):
    icm(workspace, url, "action", "add", "After the copy", "--owner", "zhang-wei", code=0)
    before = raw(url)
    killed = run_python(
        "import os, signal, sys\n"
        "import icm_tui.store.pg_admin as admin\n"
        "from icm_tui.cli import main\n"
        "original = admin.put_kind\n"
        "def put(conn, kind, records, changes):\n"
        "    original(conn, kind, records, changes)\n"
        "    if kind.value == 'requests': os.kill(os.getpid(), signal.SIGKILL)\n"
        "admin.put_kind = put\n"
        "main(sys.argv[1:])\n",
        "--workspace", str(workspace), "--store", url, "db", "restore", str(copy), "--replace",
    )
    assert killed.returncode == -signal.SIGKILL
    assert raw(url) == before


def test_restore_takes_a_backup_of_the_workspace_s_tinydb_store_by_name(pg_server, workspace):
    with TinyDBStore(workspace / "data", backup_interval=0) as store:
        for _ in range(3):
            store.insert(Kind.ACTIONS, action)
        name = store.backups.generations()[0].name  # taken before the third add
    empty = pg_server.new_schema()
    result = icm(workspace, empty, "db", "restore", name, code=0)
    assert "restored 2 records from " in result.stdout
    assert os.fspath(workspace / "data" / "backups" / name) in result.stdout


def test_an_attempt_copied_out_and_restored_is_kept_once(url, workspace):
    with PgStore(url) as store:
        seen = store.action("A-1")
        store.update(Kind.ACTIONS, "A-1", lambda a: msgspec.structs.replace(a, status=Status.DONE))

        def start(item):
            if item.status is not Status.OPEN:
                raise LifecycleError(f"{item.ref}: cannot start an item that is {item.status}")
            return msgspec.structs.replace(item, status=Status.IN_PROGRESS)

        with pytest.raises(LifecycleError, match="got there first"):
            store.update(Kind.ACTIONS, "A-1", start, seen=seen)
        kept = store.attempts()
    assert len(kept) == 1
    icm(workspace, url, "db", "copy", "--from", url, "--to", str(workspace / "copy"), code=0)
    with TinyDBStore(workspace / "copy") as copied:
        assert copied.attempts() == kept
    result = icm(workspace, url, "db", "restore", str(workspace / "copy"), "--replace", code=0)
    assert "0 refused attempt(s) added to its op log (1 were there already)" in result.stdout
    with PgStore(url) as store:
        assert store.attempts() == kept
