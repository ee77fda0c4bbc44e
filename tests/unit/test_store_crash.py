"""Crashes and concurrency: a writer killed at every step of a write, SIGKILL loops, two writers at once.

Killed at each step of a write: per backend, as the steps differ. TinyDB's are its file writer's
(temp file, fsync, rename, backups), PostgreSQL's the statements of its one transaction. The kill
loops and the two writers run on both registers (the `register` fixture): every ref a killed
process printed is there, refs and uids are unique, and nothing is half written.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from backends import Backend
from storetools import REPO, action, run_python, snapshot

from icm_tui.store import Kind
from icm_tui.store.base import ref_number
from icm_tui.store.tinydb_store import TinyDBStore

UNIT = Path(__file__).resolve().parent
ENV = {"PYTHONPATH": f"{REPO}{os.pathsep}{UNIT}"}
STEPS = ["before_temp", "mid_write", "before_fsync", "before_replace", "before_dir_fsync"]

CRASHING_WRITER = """
import os, sys
import msgspec
from icm_tui.store import Kind, storage
from icm_tui.store.tinydb_store import TinyDBStore
from storetools import action

step, data_dir, op, interval = sys.argv[1:5]

def crash(name):
    if name == step:
        os._exit(42)

storage.checkpoint = crash
store = TinyDBStore(data_dir, backup_interval=float(interval))
if op == "insert":
    store.insert(Kind.ACTIONS, action)
elif op == "update":
    store.update(Kind.ACTIONS, "A-6", lambda a: msgspec.structs.replace(a, title="changed"))
else:
    store.put_many(Kind.ACTIONS, [action("A-7"), action("A-30")])
print("finished")
"""


@pytest.fixture
def data_dir(tmp_path) -> Path:
    """Six action items in shards of 4, with a fresh backup generation."""
    path = tmp_path / "data"
    with TinyDBStore(path, shard_size=4, backup_interval=0) as store:
        for _ in range(6):
            store.insert(Kind.ACTIONS, action)
    return path


def environment(register: Backend) -> dict[str, str]:
    """The environment of an `icm` process on `register` (repo and tests importable)."""
    env = {**os.environ, **ENV, **register.env()}
    return {name: value for name, value in env.items() if value is not None}


def temp_files(data_dir: Path) -> list[Path]:
    """Leftovers of interrupted writes."""
    return [p for p in data_dir.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".tmp-")]


# TinyDB only: these steps are those of its file writer (storage.checkpoint); PostgreSQL's write
# is one transaction, killed after each of its statements below.
@pytest.mark.parametrize("op", ["insert", "update", "put_many"])
@pytest.mark.parametrize("step", STEPS)
def test_a_writer_killed_at_any_step_leaves_the_old_or_the_new_state(data_dir, step, op) -> None:
    before = snapshot(data_dir)
    old_titles = {a.ref: a.title for a in TinyDBStore(data_dir).actions()}
    result = run_python(CRASHING_WRITER, step, str(data_dir), op, "600", env=ENV)
    assert result.returncode == 42, result.stderr
    if step not in ("before_temp", "before_dir_fsync"):
        assert temp_files(data_dir), "the crash left its temp file behind"

    store = TinyDBStore(data_dir)  # must open: a crash never leaves a file that does not parse
    assert not temp_files(data_dir), "leftover temp files are cleaned at start"
    titles = {a.ref: a.title for a in store.actions()}
    if step == "before_dir_fsync":  # the rename happened: the new state (durable once the dir is synced)
        assert titles != old_titles
        if op == "insert":
            assert titles == {**old_titles, "A-7": "Laptops for new hires"}
        elif op == "update":
            assert titles == {**old_titles, "A-6": "changed"}
    else:
        assert titles == old_titles
        assert snapshot(data_dir) == before
    assert store.insert(Kind.ACTIONS, action).ref == f"A-{max(int(r[2:]) for r in titles) + 1}"


@pytest.mark.parametrize("step", ["mid_write", "before_replace"])
def test_a_writer_killed_while_taking_a_backup_changes_nothing(data_dir, step) -> None:  # TinyDB's backups
    before = snapshot(data_dir)
    generations = [g.name for g in TinyDBStore(data_dir).backups.generations()]
    result = run_python(CRASHING_WRITER, step, str(data_dir), "insert", "0", env=ENV)
    assert result.returncode == 42, result.stderr  # the manifest is the first file a due backup writes
    assert temp_files(data_dir)
    store = TinyDBStore(data_dir)
    assert not temp_files(data_dir)
    assert [g.name for g in store.backups.generations()] == generations
    assert snapshot(data_dir) == before


# After which statement of its transaction a PostgreSQL writer is killed (SIGKILL, mid-transaction).
PG_STEPS = {
    "insert": ["UPDATE icm_counters", "UPDATE icm_state", 'INSERT INTO "icm_actions"', "INSERT INTO icm_ops", "pg_notify"],
    "update": ["FOR UPDATE", "UPDATE icm_state", 'UPDATE "icm_actions"', "INSERT INTO icm_ops", "pg_notify"],
}

PG_KILLED_WRITER = """
import json, os, signal, sys
import msgspec, psycopg
from icm_tui.store import Kind
from icm_tui.store.pg_store import PgStore
from storetools import action

execute = psycopg.Connection.execute
for url, op, step in json.loads(sys.argv[1]):
    pid = os.fork()  # one interpreter start for every case: each is a child killed mid-write
    if pid == 0:
        store = PgStore(url)

        def execute_then_die(conn, query, *args, **kwargs):
            result = execute(conn, query, *args, **kwargs)
            if step in (query if isinstance(query, str) else query.as_string(conn)):
                os.kill(os.getpid(), signal.SIGKILL)
            return result

        psycopg.Connection.execute = execute_then_die
        if op == "insert":
            store.insert(Kind.ACTIONS, action)
        else:
            store.update(Kind.ACTIONS, "A-6", lambda a: msgspec.structs.replace(a, title="changed"))
        os._exit(0)  # not killed: the step was never reached
    print(op, step, os.waitpid(pid, 0)[1] == signal.SIGKILL, flush=True)
"""


def test_a_postgresql_writer_killed_mid_transaction_leaves_nothing_of_it(pg_server) -> None:
    pytest.importorskip("psycopg")
    from icm_tui.store.pg_store import PgStore

    cases = [(pg_server.new_schema(), op, step) for op, steps in PG_STEPS.items() for step in steps]
    before = {}
    for url, _, _ in cases:
        with PgStore(url) as store:
            for _ in range(6):
                store.insert(Kind.ACTIONS, action)
            before[url] = (store.actions(), store.ops())
    result = run_python(PG_KILLED_WRITER, json.dumps(cases), env=ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"{op} {step} True" for _, op, step in cases], "each was killed mid-write"
    for url, op, step in cases:
        with PgStore(url, lock_timeout=5) as store:
            assert (store.actions(), store.ops()) == before[url], f"{op} killed after {step!r} left a trace"
            # Its locks went with it and its counter bump too: the next insert takes A-7 at once.
            assert store.insert(Kind.ACTIONS, action).ref == "A-7"


CLI_LOOP = """
import sys
from icm_tui.cli import main

workspace = sys.argv[1]
n = 0
while True:
    n += 1
    try:
        main(["--workspace", workspace, "action", "add", f"Item {n} 销售部", "--owner", "zhang-wei"],
             standalone_mode=False)
    except SystemExit as exit:
        if exit.code:
            sys.exit(exit.code)
    sys.stdout.flush()
"""


def _check_printed_refs_present(register: Backend, root: Path, printed: list[str]) -> set[str]:
    store = register.open(root)  # opens after every kill
    try:
        actions = store.actions()
        refs = {a.ref for a in actions}
        assert len(refs) == len(actions), "refs are unique"
        assert len({a.uid for a in actions}) == len(actions), "uids are unique"
        missing = [ref for ref in printed if ref not in refs]
        assert not missing, f"acknowledged adds lost: {missing}"
        if register.name == "postgresql":
            # A process killed mid-transaction leaves nothing of it: no gap in the refs (its counter
            # bump went too), and every record has the one op-log line its transaction wrote.
            assert sorted(ref_number(r) for r in refs) == list(range(1, len(refs) + 1)), "no ref skipped"
            logged = sorted(o["ref"] for o in store.ops(Kind.ACTIONS) if o["op"] == "insert")
            assert logged == sorted(refs), "each record with its op-log line, once"
    finally:
        store.close()
    return refs


# Each backend's share of the kill loops: a PostgreSQL process connects on every command, so
# it completes fewer adds between kills; a few kills still land inside its transactions.
KILLS = {"tinydb": ("ICM_KILLS", "100"), "postgresql": ("ICM_PG_KILLS", "6")}
CLI_KILLS = {"tinydb": ("ICM_CLI_KILLS", "20"), "postgresql": ("ICM_PG_CLI_KILLS", "4")}


@pytest.mark.slow
def test_sigkill_loop_through_the_cli_code_path_loses_no_acknowledged_add(tmp_path, register) -> None:
    kills = int(os.environ.get(*KILLS[register.name]))
    rng = random.Random(20261130)
    printed: list[str] = []
    for _ in range(kills):
        child = subprocess.Popen(
            [sys.executable, "-c", CLI_LOOP, str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=environment(register), text=True,
        )
        first = child.stdout.readline().strip()  # wait until it is writing
        assert first, child.stderr.read()
        printed.append(first)
        time.sleep(rng.uniform(0, 0.03))
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate()
        printed += out.split()
        assert child.returncode == -signal.SIGKILL
        _check_printed_refs_present(register, tmp_path, printed)
    assert len(printed) >= kills


@pytest.mark.slow
def test_sigkill_loop_of_real_icm_processes_loses_no_acknowledged_add(tmp_path, register) -> None:
    kills = int(os.environ.get(*CLI_KILLS[register.name]))
    icm = Path(sys.executable).with_name("icm")
    command = [str(icm)] if icm.exists() else [sys.executable, "-m", "icm_tui"]
    loop = 'while true; do "$@" --workspace "$WS" action add "Laptop for 李雷" --owner li-lei || exit 9; done'
    rng = random.Random(7)
    printed: list[str] = []
    for _ in range(kills):
        shell = subprocess.Popen(
            ["bash", "-c", loop, "loop", *command], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env={**environment(register), "WS": str(tmp_path)}, text=True, start_new_session=True,
        )
        # After the loop's first add (however loaded the machine, each kill follows acknowledged
        # adds), at a random point of the next ones: starting, connecting, writing.
        first = shell.stdout.readline().strip()
        assert first, shell.stderr.read()
        printed.append(first)
        time.sleep(rng.uniform(0, 0.6))
        os.killpg(shell.pid, signal.SIGKILL)
        out, err = shell.communicate()
        assert shell.returncode == -signal.SIGKILL, err
        printed += out.split()
        _check_printed_refs_present(register, tmp_path, printed)
    assert len(printed) >= kills


WRITER = """
import sys
from icm_tui.cli import main

workspace, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
for n in range(count):
    main(["--workspace", workspace, "action", "add", f"{name} {n}", "--owner", "zhang-wei"], standalone_mode=False)
    sys.stdout.flush()
"""


def test_two_processes_adding_200_items_each_get_400_distinct_refs(tmp_path) -> None:
    # TinyDB only: on PostgreSQL, test_store_pg_concurrency.py runs 4 processes x 250 CLI operations.
    TinyDBStore(tmp_path / "data").close()
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), name, "200"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env={**os.environ, **ENV}, text=True)
        for name in ("first", "second")
    ]
    outputs = [w.communicate(timeout=240) for w in writers]
    for writer, (_, err) in zip(writers, outputs):
        assert writer.returncode == 0, err
    refs = [ref for out, _ in outputs for ref in out.split()]
    assert len(refs) == 400
    assert len(set(refs)) == 400
    stored = TinyDBStore(tmp_path / "data").actions()
    assert sorted(a.ref for a in stored) == sorted(refs) == sorted(f"A-{n}" for n in range(1, 401))
    titles = {a.title for a in stored}
    assert {f"first {n}" for n in range(200)} | {f"second {n}" for n in range(200)} == titles
