"""The network to the shared register is cut mid-meeting: the facilitator keeps capturing, is told, loses nothing.

The app runs on a PostgreSQL store reached through tests/netproxy.py. `cut()` is the nasty cut: the
live connections drop and new ones are accepted but never answered, so every reconnect hangs
until its connect_timeout (5 s). While it lasts the facilitator captures action items, a decision
and notes; the test measures how long the event loop stops and how long a capture waits to be
saved, then restores the network and checks that the register holds everything captured, once.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import pytest
from runner_helpers import Clock, make_workspace, settle, text_of

from icm_tui.domain.loader import load_workspace_org
from icm_tui.domain.models import EventKind
from icm_tui.services import Services
from icm_tui.store import Kind
from icm_tui.tui.app import IcmApp
from icm_tui.tui.dialogs.capture import CaptureDialog
from icm_tui.tui.screens.runner import RunnerScreen

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from netproxy import NetProxy  # noqa: E402

pytest.importorskip("psycopg")

from icm_tui.store.pg_store import PgStore  # noqa: E402

STALL_LIMIT = 1.5
"""The longest the event loop may stop during the cut: it does no network work at all (typically < 0.3 s)."""
SAVE_LIMIT = 3.0
"""The longest a capture may wait to be saved during the cut: less than the 5 s a reconnect hangs."""


class LoopWatch:
    """The longest time the event loop took to come back to a 20 ms sleep, while running."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._task: asyncio.Task | None = None

    async def _run(self) -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(0.02)
            self.longest = max(self.longest, time.monotonic() - before - 0.02)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> float:
        if self._task is not None:
            self._task.cancel()
        return self.longest


async def wait_for(pilot, condition, limit: float, what: str) -> None:
    """Let the app run until `condition()` holds; fail after `limit` seconds."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > limit:
            raise AssertionError(f"{what}: not within {limit:g} s")
        await pilot.pause(0.02)


async def capture(app: IcmApp, pilot, title: str, owner: str) -> float:
    """Capture an action item under the current agenda item; seconds from Save to the runner showing it."""
    runner = app.screen
    await pilot.press("c")
    await wait_for(pilot, lambda: isinstance(app.screen, CaptureDialog), 10, "the capture dialog")
    await pilot.press(*title, "enter", *owner)
    started = time.monotonic()
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: app.screen is runner and title in text_of(app, "#item-actions"), 20, f"{title!r} shown")
    return time.monotonic() - started


@pytest.fixture
def proxy(pg_server):
    """A cuttable network between the test and the session's server."""
    if not hasattr(pg_server, "port"):
        pytest.skip("needs the throwaway cluster")
    with NetProxy(pg_server.port) as relay:
        yield relay


async def test_a_cut_mid_meeting_keeps_the_runner_going_and_loses_nothing(tmp_path, pg_server, proxy):
    direct = pg_server.new_schema()
    url = direct.replace(f":{pg_server.port}/", f":{proxy.port}/")
    workspace = make_workspace(tmp_path)
    org = load_workspace_org(workspace)
    # What `icm` opens for the runner (open_store), retrying every half second to keep the test short.
    store = PgStore(url, spool_dir=workspace.data_dir, offline=True, retry_interval=0.5)
    app = IcmApp(workspace, store=store, org=org, services=Services(store, org, clock=Clock(), actor="tester"),
                 agenda="weekly-coordination", poll=True)
    told: list[str] = []  # every notification, errors marked: the app's own list drops them after their timeout
    notify = app.notify

    def remember(message, *args, **kwargs):
        told.append(("ERROR: " if kwargs.get("severity") == "error" else "") + str(message))
        return notify(message, *args, **kwargs)

    app.notify = remember
    watch = LoopWatch()
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            await pilot.press("s")
            await wait_for(pilot, lambda: isinstance(app.screen, RunnerScreen), 10, "the runner")
            runner = app.screen
            await settle(app, pilot)
            await pilot.press("n", "n")
            await settle(app, pilot)
            assert runner.index == 2
            await capture(app, pilot, "Order", "zhang")

            proxy.cut()
            watch.start()
            waits = [await capture(app, pilot, "Spares", "zhang")]
            await pilot.press("d", *"Monthly", "enter")
            await wait_for(pilot, lambda: "Monthly" in text_of(app, "#item-decisions"), 10, "the decision shown")
            await pilot.press("e", *"Late", "escape")
            # Capture while a reconnect hangs in the black hole: the save must not wait for it.
            await wait_for(pilot, lambda: proxy.held > 0, 10, "a reconnect hanging")
            waits.append(await capture(app, pilot, "Budget", "liu"))
            await wait_for(pilot, lambda: any("on this machine only" in t for t in told), 10, "the offline notice")
            stall = watch.stop()
            print(f"during the cut: longest event-loop stall {stall:.2f} s, saves took {[round(w, 2) for w in waits]} s")
            assert stall < STALL_LIMIT, f"the event loop stopped for {stall:.2f} s"
            assert max(waits) < SAVE_LIMIT, f"captures waited {waits} s to be saved"
            assert store.pending() >= 5, "two inserts, their two meeting updates, the decision, the notes"
            offline = [t for t in told if "on this machine only" in t]
            assert len(offline) == 1, f"told once, not at every save: {offline}"
            assert not any(t.startswith("ERROR") for t in told), told
            await wait_for(pilot, lambda: "offline:" in app.title, 10, "the offline count in the header")
            assert "change(s) kept on this machine" in app.screen.query_one("Header").screen_title

            proxy.restore()
            await wait_for(pilot, lambda: store.pending() == 0, 20, "the spool sent")
            await wait_for(pilot, lambda: any(t.startswith("sent ") for t in told), 10, "the sent notice")
            await wait_for(pilot, lambda: app.title == "icm", 10, "the offline count gone from the header")
    finally:
        watch.stop()
        store.close()

    with PgStore(direct) as server:
        titles = {a.ref: a.title for a in server.actions()}
        assert sorted(titles.values()) == ["Budget", "Order", "Spares"], "each capture once"
        item = server.meetings()[-1].items[2]
        assert sorted(titles[ref] for ref in item.actions) == ["Budget", "Order", "Spares"]
        assert item.decisions == ("Monthly",) and item.notes == "Late"
        for ref in titles:
            assert [e.kind for e in server.action(ref).history].count(EventKind.CREATED) == 1
        inserts = [o for o in server.ops(Kind.ACTIONS) if o["op"] == "insert"]
        assert len(inserts) == len({o["op_id"] for o in inserts}) == 3
