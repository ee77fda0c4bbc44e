"""A network cut between icm and PostgreSQL (tests/netproxy.py): one clear line, a bounded wait, nothing twice.

The session's server is reached through a proxy that cuts the way networks do: `cut()` drops
the live connections and black-holes new ones (connects hang until icm's connect_timeout),
`refuse()` refuses them, `cut_on(pattern)` cuts right after forwarding the client's next chunk
holding `pattern`, i.e. in the middle of a write transaction.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import msgspec
import pytest
from storetools import REPO, action

from icm_tui.domain.models import Event, EventKind
from icm_tui.errors import StoreError
from icm_tui.store import Kind

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from netproxy import NetProxy  # noqa: E402

pytest.importorskip("psycopg")

from icm_tui.store.pg_store import PgStore  # noqa: E402

CLI_LIMIT = 15.0
"""The longest a CLI command may take to fail while the network is cut (connect_timeout is 5 s)."""
NOTE_AT = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def cluster(pg_server):
    if not hasattr(pg_server, "port"):
        pytest.skip("needs the throwaway cluster")
    return pg_server


@pytest.fixture
def proxy(cluster):
    with NetProxy(cluster.port) as relay:
        yield relay


def through(url: str, cluster, proxy: NetProxy) -> str:
    """The same register's URL, through the proxy."""
    return url.replace(f":{cluster.port}/", f":{proxy.port}/")


def icm(workspace: Path, url: str, *args: str) -> subprocess.Popen:
    """The real `icm` command on `url`, started (not waited for)."""
    return subprocess.Popen(
        [sys.executable, "-m", "icm_tui", "--workspace", str(workspace), "--store", url, *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), "ICM_STORE": ""},
    )


def test_the_cli_under_a_cut_network_fails_in_one_line_within_seconds(cluster, proxy, tmp_path):
    shutil.copytree(REPO / "agendas", tmp_path / "agendas")
    url = cluster.new_schema()
    with PgStore(url) as store:
        store.insert(Kind.ACTIONS, action)
    with NetProxy(cluster.port) as refusing:
        proxy.cut()
        refusing.refuse()
        started = time.monotonic()
        runs = {
            "add, cut": icm(tmp_path, through(url, cluster, proxy), "action", "add", "Laptops", "--owner", "zhang-wei"),
            "list, cut": icm(tmp_path, through(url, cluster, proxy), "actions"),
            "add, refused": icm(tmp_path, through(url, cluster, refusing), "action", "add", "Laptops", "--owner", "zhang-wei"),
        }
        took = {}
        while len(took) < len(runs) and time.monotonic() - started < 60:
            took.update({name: time.monotonic() - started for name, run in runs.items() if name not in took and run.poll() is not None})
            time.sleep(0.05)
        outcomes = {name: (*run.communicate(timeout=10), took.get(name, 60.0)) for name, run in runs.items()}
        assert proxy.accepted >= 2, "the cut network let the commands connect and hang, it did not refuse them"
    for name, (out, err, took) in outcomes.items():
        print(f"{name}: exit {runs[name].returncode} after {took:.1f} s: {err.strip()}")
        assert runs[name].returncode == 3, (name, out, err)
        assert err.startswith("icm: cannot reach PostgreSQL at icm@127.0.0.1:") and err.count("\n") == 1, err
        assert "Traceback" not in err and "icm-test" not in err and out == ""
        assert took < CLI_LIMIT, f"{name} took {took:.1f} s"
    assert "no answer within 5 s (network cut, VPN down or server stuck?)" in outcomes["add, cut"][1]
    assert "connection refused" in outcomes["add, refused"][1]
    with PgStore(url) as store:
        assert [a.ref for a in store.actions()] == ["A-1"]


def _noted(item, text: str):
    """The item with one more note in its history."""
    return msgspec.structs.replace(item, history=(*item.history, Event(at=NOTE_AT, kind=EventKind.NOTE, by="li-lei", note=text)))


# Where in a write transaction the network goes: its first statement, its last before COMMIT,
# the COMMIT itself (forwarded: the server commits, the answer is lost).
CUT_POINTS = {
    "insert": {"first": b"UPDATE icm_counters", "last": b"pg_notify", "commit": b"COMMIT"},
    "update": {"first": b"FOR UPDATE", "last": b"pg_notify", "commit": b"COMMIT"},
}


@pytest.mark.parametrize("point", ["first", "last", "commit"])
@pytest.mark.parametrize("op", ["insert", "update"])
def test_a_write_cut_mid_transaction_gets_in_once(cluster, proxy, tmp_path, op, point):
    url = cluster.new_schema()
    store = PgStore(through(url, cluster, proxy), spool_dir=tmp_path, offline=True, retry_interval=0)
    try:
        store.insert(Kind.ACTIONS, lambda ref: action(ref, "VPN for sales"))
        for kind in Kind:  # what the meeting runner holds
            store.all(kind)
        store.notices()
        proxy.cut_on(CUT_POINTS[op][point])
        if op == "insert":
            written = store.insert(Kind.ACTIONS, lambda ref: action(ref, "Laptops"))
            assert written.ref == "A-2"
        else:
            written = store.update(Kind.ACTIONS, "A-1", lambda a: _noted(a, "licences renewed"))
        assert proxy.cuts == 1, "the cut came in the middle of this write"
        assert store.pending() == 1, "kept on this machine"
        assert any("on this machine only" in line for line in store.notices())
        assert store.action(written.ref) == written, "the runner reads back what it wrote"

        proxy.restore()
        deadline = time.monotonic() + 20
        while store.pending() and time.monotonic() < deadline:
            store.version()
            time.sleep(0.05)
        assert store.pending() == 0
        assert store.action(written.ref).uid == written.uid
    finally:
        store.close()

    with PgStore(url) as server:
        actions = server.actions()
        assert len({a.ref for a in actions}) == len({a.uid for a in actions}) == len(actions)
        assert sorted(a.title for a in actions) == (["Laptops", "VPN for sales"] if op == "insert" else ["VPN for sales"])
        notes = [e.note for e in server.action("A-1").history if e.kind is EventKind.NOTE]
        assert notes == (["licences renewed"] if op == "update" else []), "history not doubled"
        logged = [o for o in server.ops(Kind.ACTIONS) if o["op"] == op]
        assert len(logged) == (1 if op == "update" else 2) and all(o["outcome"] == "ok" for o in logged)
        replayed = "sent after being saved offline" in logged[-1]["message"]
        assert replayed is (point != "commit"), "committed before the cut: in once, not replayed; else replayed once"


def test_a_writer_frozen_mid_transaction_does_not_lock_the_others_out(cluster, proxy):
    url = cluster.new_schema()
    other = PgStore(url)  # lock_timeout 10 s
    frozen = PgStore(through(url, cluster, proxy), lock_timeout=2)  # sessions idle in a transaction 1 s are dropped
    errors: list[StoreError] = []

    def write() -> None:
        try:
            frozen.insert(Kind.ACTIONS, action)
        except StoreError as error:
            errors.append(error)

    # Behind a dead tunnel neither side hears of the cut: the server waits for the rest of the
    # transaction, holding the lock of the counter every insert takes.
    proxy.cut_on(b"UPDATE icm_counters", freeze=True)
    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        deadline = time.monotonic() + 10
        while proxy.armed and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not proxy.armed, "the frozen writer reached its first statement"
        started = time.monotonic()
        assert other.insert(Kind.ACTIONS, action).ref == "A-1", "the frozen insert was rolled back"
        assert time.monotonic() - started < 8, "the frozen session was dropped before the other writer gave up"
    finally:
        proxy.restore()  # the frozen client's connection is reset: its insert fails
        writer.join(20)
        other.close()
        frozen.close()
    assert not writer.is_alive()
    assert len(errors) == 1 and str(errors[0]).startswith("lost the connection to PostgreSQL at ")
    assert "may have been saved" in str(errors[0]), "a write cut short may have committed: the user is told"


def test_a_commit_that_arrives_after_the_writer_gave_up_is_not_replayed_twice(cluster, proxy, tmp_path):
    import psycopg

    url = cluster.new_schema()
    store = PgStore(through(url, cluster, proxy), spool_dir=tmp_path, offline=True, retry_interval=0)
    written: list = []
    try:
        store.insert(Kind.ACTIONS, lambda ref: action(ref, "VPN for sales"))
        store.all(Kind.ACTIONS)
        # The COMMIT is held back and the connection frozen: the server keeps the transaction open.
        proxy.cut_on(b"COMMIT", forward=False, freeze=True)
        writer = threading.Thread(target=lambda: written.append(store.insert(Kind.ACTIONS, lambda ref: action(ref, "Laptops"))))
        writer.start()
        wait_until(lambda: not proxy.armed, "the writer sent its COMMIT")
        proxy.restore()  # the writer's end is reset: it keeps the insert on this machine
        writer.join(10)
        assert [r.ref for r in written] == ["A-2"] and store.pending() == 1

        replaying = threading.Thread(target=store.version, daemon=True)  # reconnects and replays the spool
        replaying.start()
        with psycopg.connect(url, autocommit=True) as watcher:
            waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE %s"
            wait_until(lambda: watcher.execute(waiting, ("%icm_counters%",)).fetchone()[0] > 0,
                       "the replay waiting for the interrupted transaction's lock")
        proxy.deliver()  # the client's kernel sends the COMMIT after all: that transaction commits
        replaying.join(10)
        assert store.pending() == 0
    except BaseException:
        import traceback; traceback.print_exc()
        raise
    finally:
        store.close()
    with PgStore(url) as server:
        assert sorted(a.title for a in server.actions()) == ["Laptops", "VPN for sales"], "in once"
        inserts = [o for o in server.ops(Kind.ACTIONS) if o["op"] == "insert"]
        assert len(inserts) == 2 and "offline" not in inserts[-1]["message"], "committed, so not replayed"


def wait_until(condition, what: str, limit: float = 10) -> None:
    """Poll `condition()` every 20 ms; fail after `limit` seconds."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {limit:g} s"
        time.sleep(0.02)
