"""4 processes x 250 CLI operations on the same items of one PostgreSQL register: nothing lost, refs unique.

Each worker is a separate Python process running `icm --store URL action ...` through the CLI's
entry point 250 times (a fresh Context, store and connection per command, as a shell loop would
have), so the test takes seconds rather than the minutes 1,000 interpreter start-ups would.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from storetools import REPO

from icm_tui.domain.models import EventKind, Status
from icm_tui.store import Kind

pytest.importorskip("psycopg")

WORKERS = 4
OPS = 250
HOT = 4
RACES = 20

WORKER = r"""
import json, random, sys
from click.testing import CliRunner
from icm_tui.cli import main

url, workspace, worker, ops, hot, races = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
rng = random.Random(1000 + worker)
runner = CliRunner()
results = []
race = 0
for i in range(ops):
    tag = f"w{worker}-{i}"
    if i % 12 == 5 and race < races:
        # Every worker goes for every race item: odd ones reopen it, even ones confirm it.
        ref = f"A-{hot + 1 + race}"
        race += 1
        args = ["action", "reopen", ref, "--note", tag] if worker % 2 else ["action", "confirm", ref, "--score", "4", "--note", tag]
    else:
        pick = rng.random()
        ref = f"A-{rng.randint(1, hot)}"
        if pick < 0.15:
            args, ref = ["action", "add", tag, "--owner", "zhang-wei", "--requester", "sales"], ""
        elif pick < 0.45:
            args = ["action", "note", ref, tag]
        else:
            verb = rng.choice(["start", "done", "block", "reopen"])
            args = ["action", verb, ref] + (["--note", tag] if verb in ("block", "reopen") else [])
    result = runner.invoke(main, ["--workspace", workspace, "--store", url, *args])
    results.append({"args": args, "ref": ref, "tag": tag, "code": result.exit_code,
                    "out": result.stdout.strip(), "err": result.stderr.strip()})
print(json.dumps(results))
"""


@pytest.fixture
def register(pg_server, tmp_path):
    """A workspace with the sample org and a fresh PostgreSQL register: HOT open items, RACES done ones."""
    shutil.copytree(REPO / "agendas", tmp_path / "agendas")
    url = pg_server.new_schema()
    from icm_tui.services import Services
    from icm_tui.domain.loader import load_workspace_org
    from icm_tui.store.pg_store import PgStore
    from icm_tui.workspace import Workspace

    with PgStore(url) as store:
        services = Services(store, load_workspace_org(Workspace(tmp_path)), actor="setup")
        for n in range(HOT):
            services.add_action(f"hot {n}", owner="zhang-wei", requester="sales")
        for n in range(RACES):
            services.add_action(f"race {n}", owner="zhang-wei", requester="sales")
            services.done(f"A-{HOT + 1 + n}")
    return url, tmp_path


def test_four_processes_of_cli_operations_lose_nothing(register):
    url, workspace = register
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, url, str(workspace), str(w), str(OPS), str(HOT), str(RACES)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
        )
        for w in range(WORKERS)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err[-2000:]
        results += json.loads(out)
    assert len(results) == WORKERS * OPS

    # Every command either succeeded or was refused by the lifecycle: no store error, no crash.
    refused = [r for r in results if r["code"] == 2]
    assert all(r["code"] in (0, 2) for r in results), [r for r in results if r["code"] not in (0, 2)][:3]
    assert all("cannot" in r["err"] for r in refused), refused[:3]

    from icm_tui.store.pg_store import PgStore

    with PgStore(url) as store:
        items = {a.ref: a for a in store.actions()}
        ops = store.ops(Kind.ACTIONS)

    # Refs are unique and every add got its own item.
    adds = [r for r in results if r["args"][1] == "add"]
    assert len({r["out"] for r in adds}) == len(adds)
    assert len(items) == HOT + RACES + len(adds)
    assert all(items[r["out"]].title == r["tag"] for r in adds)
    assert sorted(items, key=lambda ref: int(ref[2:])) == [f"A-{n}" for n in range(1, len(items) + 1)]

    # Every successful operation left exactly one event, with its tag; none was lost or doubled.
    ok = [r for r in results if r["code"] == 0 and r["ref"]]
    per_item = Counter(r["ref"] for r in ok)
    for ref, count in per_item.items():
        history = items[ref].history
        setup_events = 1 if int(ref[2:]) <= HOT else 2
        assert len(history) - setup_events == count, ref
    notes = Counter(e.note for item in items.values() for e in item.history if e.note)
    for r in results:
        if r["ref"] and r["tag"] in r["args"]:
            assert notes[r["tag"]] == (1 if r["code"] == 0 else 0), r

    # Each history is a valid chain of transitions ending in the item's status.
    for item in items.values():
        status = Status.OPEN
        for event in item.history:
            if event.kind in (EventKind.STATUS, EventKind.CONFIRMED, EventKind.REOPENED):
                assert event.old == status.value, (item.ref, event)
                status = Status(event.new)
        assert status is item.status, item.ref

    # The confirm/reopen races: exactly one winner each. A loser that waited for the winner's row
    # lock lost a race: its attempt is kept (its tag in the item's attempts) and it was told so.
    # A loser that came after the winner had committed made a plain mistake: nothing was kept.
    with PgStore(url) as store:
        attempts = store.attempts(Kind.ACTIONS)
    kept = Counter(e["note"] for a in attempts for e in a.events if e.get("note"))
    lost = [r for r in refused if "got there first" in r["err"]]
    for n in range(RACES):
        ref = f"A-{HOT + 1 + n}"
        tries = [r for r in results if r["ref"] == ref]
        assert len(tries) == WORKERS
        assert sum(r["code"] == 0 for r in tries) == 1, ref
        outcome = items[ref].history[-1]
        assert outcome.kind in (EventKind.CONFIRMED, EventKind.REOPENED) and len(items[ref].history) == 3
        logged = [o for o in ops if o["ref"] == ref and o["op"] == "update"]
        losers = [r for r in lost if r["ref"] == ref]
        assert Counter(o["outcome"] for o in logged) == {"ok": 2, **({"refused": len(losers)} if losers else {})}
        assert all(a.uid == items[ref].uid for a in attempts if a.ref == ref)

    # Every refusal that says it lost a race is kept, with its tag and why; no other refusal wrote anything.
    assert kept == Counter(r["tag"] for r in lost if r["tag"] in r["args"])
    assert Counter(a.ref for a in attempts) == Counter(r["ref"] for r in lost)
    assert all("cannot" in a.reason and a.first for a in attempts)
    assert sum(1 for o in ops if o["outcome"] == "refused") == len(lost)
    assert sum(1 for o in ops if o["outcome"] == "ok") == HOT + 2 * RACES + len(ok) + len(adds)
