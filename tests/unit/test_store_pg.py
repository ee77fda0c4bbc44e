"""What only the PostgreSQL store has: the CLI on a URL, connection errors, migrations, races, NOTIFY."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time

import msgspec
import pytest
from storetools import REPO, action

from icm_tui.domain.models import EventKind, Status
from icm_tui.domain.query import ActionFilter
from icm_tui.errors import LifecycleError, StoreError
from icm_tui.services import Services
from icm_tui.store import Kind, open_store

psycopg = pytest.importorskip("psycopg")

from icm_tui.store.pg_store import SCHEMA, PgStore  # noqa: E402


@pytest.fixture
def url(pg_server) -> str:
    return pg_server.new_schema()


@pytest.fixture
def workspace(tmp_path):
    shutil.copytree(REPO / "agendas", tmp_path / "agendas")
    return tmp_path


def icm(workspace, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """The real `icm` command in a subprocess."""
    import os

    return subprocess.run(
        [sys.executable, "-m", "icm_tui", "--workspace", str(workspace), *args], capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})}, timeout=60,
    )


def test_the_cli_runs_on_a_url_from_the_option_or_the_environment(url, workspace):
    out = icm(workspace, "--store", url, "db", "init")
    assert out.returncode == 0 and f"icm schema version {SCHEMA}" in out.stdout and "icm-test" not in out.stdout
    assert icm(workspace, "--store", url, "action", "add", "Laptops", "--owner", "zhang-wei", "--requester", "sales").stdout == "A-1\n"
    env = {"ICM_STORE": url}
    assert icm(workspace, "action", "add", "采购流程", "--owner", "liu-yang", "--requester", "it", env=env).stdout == "A-2\n"
    assert icm(workspace, "action", "done", "a-1", env=env).returncode == 0
    listed = icm(workspace, "actions", "--status", "done", "--supplier", "it", "--format", "json", env=env)
    assert [row["ref"] for row in msgspec.json.decode(listed.stdout)] == ["A-1"]
    refused = icm(workspace, "action", "start", "A-1", env=env)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    assert not (workspace / "data").exists(), "a PostgreSQL workspace writes no TinyDB files"


@pytest.mark.parametrize(
    "make_url, expected",
    [
        (lambda s: s.url(port=1), "connection refused (is the server running?)"),
        (lambda s: s.url(user="icm_pw", password="wrong"), 'password authentication failed for user "icm_pw"'),
        (lambda s: s.url().rsplit("/", 1)[0] + "/nosuchdb", 'database "nosuchdb" does not exist'),
    ],
    ids=["server-down", "wrong-password", "no-database"],
)
def test_connection_problems_are_one_line_and_exit_3(pg_server, workspace, make_url, expected):
    if not hasattr(pg_server, "url"):
        pytest.skip("needs the throwaway cluster")
    out = icm(workspace, "--store", make_url(pg_server), "actions")
    assert out.returncode == 3
    assert out.stderr.startswith("icm: cannot reach PostgreSQL at ") and out.stderr.count("\n") == 1, out.stderr
    assert expected in out.stderr and "wrong" not in out.stderr and "Traceback" not in out.stderr


def test_the_right_password_gets_in(pg_server, workspace):
    if not hasattr(pg_server, "url"):
        pytest.skip("needs the throwaway cluster")
    with PgStore(pg_server.new_schema().replace("icm:icm-test@", "icm_pw:icm-test@")) as store:
        assert store.insert(Kind.ACTIONS, action).ref == "A-1"


def test_migrations_run_once_and_a_newer_database_is_refused(url):
    with PgStore(url) as store:
        assert store.init() == SCHEMA
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute("SELECT version, name FROM icm_migrations").fetchall()
        assert rows == [(1, "initial"), (2, "plain_filter_columns")]
        conn.execute("INSERT INTO icm_migrations (version, name) VALUES (99, 'from the future')")
    with pytest.raises(StoreError, match=f"schema version 99, this icm knows up to {SCHEMA}: upgrade icm"):
        PgStore(url)


def test_a_schema_1_register_migrates_keeping_its_filters_and_then_takes_a_nul(url):
    # Schema 1 generated the filter columns from the document, so PostgreSQL's JSON functions refused a
    # U+0000 anywhere in an action; schema 2 writes them with the document.
    from icm_tui.store.pg_store import migrations

    (version, name, initial), *_ = migrations()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE icm_migrations (version integer PRIMARY KEY, name text NOT NULL,"
                     " applied timestamptz NOT NULL DEFAULT now())")
        conn.execute(initial)
        conn.execute("INSERT INTO icm_migrations (version, name) VALUES (%s, %s)", (version, name))
        conn.execute("INSERT INTO icm_actions (num, uid, rev, doc) VALUES (1, %s, 1, %s::json)",
                     (action("A-1").uid, msgspec.json.encode(action("A-1", status=Status.DONE)).decode()))
        conn.execute("UPDATE icm_counters SET last = 1 WHERE kind = 'actions'")
        with pytest.raises(psycopg.errors.UntranslatableCharacter):
            conn.execute("UPDATE icm_actions SET doc = %s::json", ('{"title": "a\\u0000b"}',))
    with PgStore(url) as store:
        assert store.init() == SCHEMA
        assert [a.ref for a in store.action_candidates(ActionFilter(status=frozenset({Status.DONE})))] == ["A-1"]
        nul = store.insert(Kind.ACTIONS, lambda ref: action(ref, title="a\x00b", owner="li-lei"))
    with PgStore(url) as again:
        assert again.action(nul.ref).title == "a\x00b"
        assert [a.ref for a in again.action_candidates(ActionFilter(owner="li-lei"))] == [nul.ref]


def test_confirm_and_reopen_at_once_end_in_one_outcome_and_both_attempts_are_recorded(url):
    with PgStore(url) as first, PgStore(url) as second:
        one, two = Services(first, actor="wang-fang"), Services(second, actor="li-lei")
        one.add_action("VPN for sales", owner="zhang-wei", requester="sales")
        one.done("A-1")
        holding, release = threading.Event(), threading.Event()
        original = first.update

        def slow_update(kind, key, change, **options):
            def held(current):
                holding.set()
                release.wait(10)
                return change(current)

            return original(kind, key, held, **options)

        first.update = slow_update  # type: ignore[method-assign]
        confirmed = []
        confirming = threading.Thread(target=lambda: confirmed.append(one.confirm("A-1", 5, "works")))
        confirming.start()
        assert holding.wait(10)
        errors = []

        def reopen():
            try:
                two.reopen("A-1", "still broken for two people")
            except LifecycleError as error:
                errors.append(error)

        reopening = threading.Thread(target=reopen)
        reopening.start()
        time.sleep(0.3)
        assert reopening.is_alive(), "the reopen must wait for the confirm's row lock"
        release.set()
        confirming.join(10)
        reopening.join(10)
        assert confirmed and confirmed[0].status is Status.CLOSED
        assert len(errors) == 1 and "cannot reopen an item that is closed" in str(errors[0])
        item = second.action("A-1")
        assert [e.kind for e in item.history] == [EventKind.CREATED, EventKind.STATUS, EventKind.CONFIRMED]
        attempts = [(o["outcome"], o["op"]) for o in second.ops(Kind.ACTIONS, "a-1")]
        assert attempts == [("ok", "insert"), ("ok", "update"), ("ok", "update"), ("refused", "update")]
        refused = second.ops(Kind.ACTIONS, "A-1")[-1]
        assert "cannot reopen" in refused["message"] and str(refused["actor"]).count("@") == 1
        assert "wang-fang (confirmed done -> closed) got there first" in str(errors[0])
        (attempt,) = first.attempts(Kind.ACTIONS, "A-1")
        assert attempt.by == "li-lei" and attempt.events[0]["note"] == "still broken for two people"


def test_another_process_s_change_is_announced_at_once(url):
    with PgStore(url) as watcher, PgStore(url) as writer:
        assert watcher.actions() == []
        before = watcher.version()
        assert watcher.version() == before
        threading.Timer(0.2, lambda: writer.insert(Kind.ACTIONS, action)).start()
        began = time.monotonic()
        assert watcher.wait_for_change(5)
        assert time.monotonic() - began < 2
        assert watcher.version() != before and watcher.refresh()
        assert [a.ref for a in watcher.actions()] == ["A-1"]
        writer.update(Kind.ACTIONS, "A-1", lambda a: msgspec.structs.replace(a, title="changed elsewhere"))
        deadline = time.monotonic() + 5
        seen = watcher.version()
        while watcher.version() == seen and time.monotonic() < deadline:
            time.sleep(0.02)
        assert watcher.actions()[0].title == "changed elsewhere", "all() fetches what changed since it last looked"


def test_put_many_moving_a_record_to_another_ref_reloads_readers(url):
    with PgStore(url) as reader, PgStore(url) as writer:
        first = writer.insert(Kind.ACTIONS, action)
        assert [a.ref for a in reader.actions()] == ["A-1"]
        writer.put_many(Kind.ACTIONS, [msgspec.structs.replace(first, ref="A-5", title="moved")])
        assert [(a.ref, a.title) for a in reader.actions()] == [("A-5", "moved")]
        assert writer.insert(Kind.ACTIONS, action).ref == "A-6"
        with pytest.raises(ValueError, match="already belongs to another record"):
            writer.put_many(Kind.ACTIONS, [action("A-6")])


def test_open_store_picks_the_backend_from_the_url(url, tmp_path, monkeypatch):
    monkeypatch.delenv("ICM_STORE", raising=False)
    store = open_store(tmp_path / "data", url=url)
    assert isinstance(store, PgStore) and store.offline
    store.close()
    monkeypatch.setenv("ICM_STORE", url)
    store = open_store(tmp_path / "data")
    assert isinstance(store, PgStore)
    store.close()
    monkeypatch.setenv("ICM_STORE", "")
    from icm_tui.store.tinydb_store import TinyDBStore

    store = open_store(tmp_path / "data")
    assert isinstance(store, TinyDBStore)
    store.close()


def test_actions_where_answers_the_indexed_filters_on_the_server(url):
    from icm_tui.domain.query import ActionFilter

    with PgStore(url) as store:
        store.put_many(Kind.ACTIONS, [
            action("A-1"), action("A-2", supplier="hr"), action("A-3", status=Status.DONE),
            action("A-4", owner="li-lei", requester="it"),
        ])
        def refs(**wanted):
            return [a.ref for a in store.actions_where(ActionFilter(**wanted))]

        assert refs(status=frozenset({Status.OPEN}), supplier="it") == ["A-1", "A-4"]
        assert refs(status=frozenset({Status.DONE, Status.BLOCKED})) == ["A-3"]
        assert refs(owner="li-lei") == ["A-4"] and refs(requester="it") == ["A-4"]
        assert refs(department="hr") == ["A-2"] and refs(search="x") == ["A-1", "A-2", "A-3", "A-4"]
        with psycopg.connect(url) as conn:
            conn.execute("SET enable_seqscan = off")
            plan = " ".join(r[0] for r in conn.execute(
                "EXPLAIN SELECT doc FROM icm_actions WHERE status = ANY(%s) AND supplier = %s", (["open"], "it")))
        assert "icm_actions_status_supplier" in plan


def test_action_summaries_are_the_items_without_histories(url):
    with PgStore(url) as writer:
        writer.put_many(Kind.ACTIONS, [action("A-2", title="second"), action("A-1")])
    with PgStore(url) as cli:
        summaries = cli.action_summaries()
        assert [(s.ref, s.title) for s in summaries] == [("A-1", "Laptops for new hires"), ("A-2", "second")]
        assert not hasattr(summaries[0], "history") or not summaries[0].history
