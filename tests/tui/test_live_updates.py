"""A shared register pushes other processes' writes to the TUI at once, without waiting for the poll."""

from __future__ import annotations

import asyncio
import time

import pytest
from runner_helpers import Clock, make_workspace

import icm_tui.tui.app as app_module
from icm_tui.domain.loader import load_workspace_org
from icm_tui.services import Services
from icm_tui.tui.app import IcmApp
from icm_tui.tui.screens.home import HomeScreen


async def test_postgresql_changes_appear_at_once(tmp_path, pg_server, monkeypatch):
    pytest.importorskip("psycopg")
    from icm_tui.store.pg_store import PgStore

    monkeypatch.setattr(app_module, "POLL_SECONDS", 60.0)  # the poll cannot be what shows the change
    url = pg_server.new_schema()
    workspace = make_workspace(tmp_path)
    org = load_workspace_org(workspace)
    store = PgStore(url, spool_dir=tmp_path / "data")
    other = PgStore(url, spool_dir=tmp_path / "other")
    app = IcmApp(workspace, store=store, org=org, services=Services(store, org, clock=Clock()), poll=True)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            home = app.screen
            for _ in range(100):
                await pilot.pause(0.05)
                if isinstance(home, HomeScreen) and home.loads:
                    break
            before = home.loads
            Services(other, org).add_action("Pushed from another terminal", owner="zhang-wei", requester="sales")
            started = time.monotonic()
            while home.loads == before and time.monotonic() - started < 5:
                await asyncio.sleep(0.05)
            assert home.loads > before, "the change was not pushed"
            assert time.monotonic() - started < 3
            assert home.data is not None and home.data.counts.get("open") == 1
    finally:
        other.close()
        store.close()
