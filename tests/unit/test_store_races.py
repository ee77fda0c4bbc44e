"""Two facilitators confirm and reopen the same item at once: one outcome, and its history shows both attempts.

The race is real: two `icm` processes, started while the test holds the register's lock (the
TinyDB file lock, or the PostgreSQL row lock), both read the done item and wait; when the lock
is released one wins, the other's transition is refused on the record it then finds. The
loser's attempt is kept beside the record and shown by `icm action show`. A forbidden
transition typed by one user alone is refused and writes nothing at all.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import msgspec
import pytest
from backends import Backend
from storetools import REPO

from icm_tui.domain.models import EventKind, Status
from icm_tui.errors import LifecycleError
from icm_tui.services import Services
from icm_tui.store import Kind


@pytest.fixture
def workspace(tmp_path, register: Backend) -> Path:
    """The sample workspace with A-1 done, awaiting its requester's confirmation."""
    shutil.copytree(REPO / "agendas", tmp_path / "agendas")
    for args in (["action", "add", "VPN for sales", "--owner", "zhang-wei", "--requester", "sales"], ["action", "done", "A-1"]):
        assert icm(tmp_path, register, *args).returncode == 0
    return tmp_path


def icm(workspace: Path, register: Backend, *args: str, user: str = "setup", url: str = "") -> subprocess.CompletedProcess:
    """`icm ARGS` in a subprocess on the test's register, as `user`."""
    command, env = _command(workspace, register, args, user, url)
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


def _command(workspace: Path, register: Backend, args, user: str, url: str = "") -> tuple[list[str], dict[str, str]]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "ICM_USER": user}
    env.pop("ICM_STORE", None)
    if register.url:
        env["ICM_STORE"] = url or register.url
    return [sys.executable, "-m", "icm_tui", "--workspace", str(workspace), *args], env


def spawn(workspace: Path, register: Backend, *args: str, user: str, url: str = "") -> subprocess.Popen:
    """`icm ARGS` started in the background."""
    command, env = _command(workspace, register, args, user, url)
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@contextmanager
def lock_held(workspace: Path, register: Backend):
    """Hold what a write of A-1 waits for; yields a function that says whether `procs` all wait for it."""
    if register.name == "postgresql":
        import psycopg

        tag = f"race-{uuid.uuid4().hex[:8]}"
        with psycopg.connect(register.url) as conn:
            conn.execute("SELECT 1 FROM icm_actions WHERE num = 1 FOR UPDATE")

            def waiting(procs) -> bool:
                with psycopg.connect(register.url, autocommit=True) as probe:
                    (count,) = probe.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND wait_event_type = 'Lock'",
                        (tag,),
                    ).fetchone()
                return count == len(procs)

            yield waiting, register.url + f"&application_name={tag}"
            conn.rollback()
    else:
        from icm_tui.store.locking import StoreLock

        lock = StoreLock(workspace / "data" / "icm.lock", 10)
        lock.acquire()
        seen: dict[int, int] = {}

        def waiting(procs) -> bool:
            # A writer that found the lock taken has read the record and keeps the lock file open
            # while it waits; the first try opens it for microseconds only, so ask twice in a row.
            for proc in procs:
                held = any(Path(f"/proc/{proc.pid}/fd/{fd}").resolve() == Path(lock.path).resolve()
                           for fd in _fds(proc.pid))
                seen[proc.pid] = seen.get(proc.pid, 0) + 1 if held else 0
            return all(seen.get(proc.pid, 0) >= 3 for proc in procs)

        try:
            yield waiting, ""
        finally:
            lock.release()


def _fds(pid: int) -> list[str]:
    try:
        return os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return []


def wait_until(condition, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.02)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="watches the writers through /proc")
def test_confirm_and_reopen_at_once_one_outcome_and_both_attempts_in_the_history(workspace, register):
    with lock_held(workspace, register) as (waiting, url):
        procs = {
            "confirm": spawn(workspace, register, "action", "confirm", "A-1", "--score", "5", "--note", "works now", user="wang-fang", url=url),
            "reopen": spawn(workspace, register, "action", "reopen", "A-1", "--note", "two laptops still missing", user="li-lei", url=url),
        }
        wait_until(lambda: waiting(list(procs.values())), "both writers wait for the lock")
    results = {verb: (proc.wait(60), *proc.communicate()) for verb, proc in procs.items()}
    winners = [verb for verb, (code, _, _) in results.items() if code == 0]
    assert len(winners) == 1, results
    winner = winners[0]
    loser = "reopen" if winner == "confirm" else "confirm"
    code, out, err = results[loser]
    assert code == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err, err
    assert f"cannot {loser} an item that is {'closed' if winner == 'confirm' else 'open'}" in err
    assert "got there first while yours waited; your attempt is recorded in its history (icm action show A-1)" in err

    with register.open(workspace) as store:
        item = store.action("A-1")
        attempts = store.attempts(Kind.ACTIONS, "a-1")
    assert item.status is (Status.CLOSED if winner == "confirm" else Status.OPEN)
    assert [e.kind for e in item.history][-1] is (EventKind.CONFIRMED if winner == "confirm" else EventKind.REOPENED)
    assert len(item.history) == 3, "the loser added nothing to the record"
    (attempt,) = attempts
    assert attempt.uid == item.uid and attempt.by == ("li-lei" if loser == "reopen" else "wang-fang")
    assert attempt.first.startswith("wang-fang (confirmed" if winner == "confirm" else "li-lei (reopened")
    assert [e["kind"] for e in attempt.events] == ["reopened" if loser == "reopen" else "confirmed"]

    shown = icm(workspace, register, "action", "show", "A-1")
    assert shown.returncode == 0, shown.stderr
    history = shown.stdout.split("  history", 1)[1].splitlines()
    assert "1 refused attempt" in history[0]
    lost_note = "two laptops still missing" if loser == "reopen" else "works now"
    won_note = "works now" if winner == "confirm" else "two laptops still missing"
    won = next(i for i, line in enumerate(history) if won_note in line)
    refused = next(i for i, line in enumerate(history) if lost_note in line)
    assert refused > won, "the refused attempt comes after the change that beat it"
    assert f"refused {'reopened' if loser == 'reopen' else 'confirmed'}  done -> " in history[refused]
    assert "refused: " in history[refused + 1] and "got there first" in history[refused + 1]
    as_json = json.loads(icm(workspace, register, "action", "show", "A-1", "--format", "json").stdout)
    assert [a["by"] for a in as_json["attempts"]] == [attempt.by]


def test_a_forbidden_transition_typed_alone_writes_nothing_not_even_an_attempt(workspace, register):
    before = register.records(workspace)
    files = _files(workspace)
    refused = icm(workspace, register, "action", "start", "A-1", user="li-lei")
    assert refused.returncode == 2 and "cannot start an item that is done" in refused.stderr
    assert "got there first" not in refused.stderr
    assert register.records(workspace) == before and _files(workspace) == files
    with register.open(workspace) as store:
        assert store.attempts() == []
        if register.name == "postgresql":
            assert [o for o in store.ops() if o["outcome"] == "refused"] == []


def _files(workspace: Path) -> dict[str, bytes]:
    data = workspace / "data"
    return {
        p.relative_to(data).as_posix(): p.read_bytes()
        for p in sorted(data.rglob("*")) if p.is_file() and "backups" not in p.parts and p.name != "icm.lock"
    } if data.is_dir() else {}


def test_threads_racing_on_one_item_through_the_services(workspace, register):
    """Many facilitators at once (threads, a store each): one outcome, every loser's attempt kept."""
    import threading

    stores = [register.open(workspace) for _ in range(6)]
    barrier = threading.Barrier(len(stores))
    outcomes: list[tuple[str, str]] = []

    def act(n: int) -> None:
        services = Services(stores[n], actor=f"facilitator-{n}")
        barrier.wait()
        try:
            if n % 2:
                services.reopen("A-1", f"not served ({n})")
            else:
                services.confirm("A-1", 4, f"served ({n})")
            outcomes.append(("ok", services.actor))
        except LifecycleError as error:
            outcomes.append(("lost" if getattr(error, "attempt", None) else "plain", services.actor))

    threads = [threading.Thread(target=act, args=(n,)) for n in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for store in stores:
        store.close()
    assert sorted(o for o, _ in outcomes).count("ok") == 1, outcomes
    with register.open(workspace) as store:
        item = store.action("A-1")
        attempts = store.attempts(Kind.ACTIONS, "A-1")
    assert len(item.history) == 3
    # Every loser either waited for the winner (its attempt is kept) or came after it (its own mistake).
    assert sorted(a.by for a in attempts) == sorted(who for o, who in outcomes if o == "lost")
    assert all(msgspec.json.encode(a) for a in attempts)
