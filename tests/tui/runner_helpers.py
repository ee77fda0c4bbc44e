"""Shared by the pilot and snapshot tests: a workspace copy, a settable clock, seeded items, the store.

`workspace_store` and `quick_idle` are fixtures: import them into a test module to use them
(`quick_idle` is autouse, so importing it is enough).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from backends import Backend
from rich.console import Console

from icm_tui.domain.loader import load_workspace_org
from icm_tui.services import Services
from icm_tui.store.base import Store
from icm_tui.tui.app import IcmApp
from icm_tui.workspace import Workspace

AGENDAS = Path(__file__).resolve().parents[2] / "agendas"
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=timezone(timedelta(hours=8)))
"""A Monday morning in Shanghai; `fri` is 2026-12-04."""


@dataclass
class Clock:
    """A clock that only moves when told to."""

    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move time forward."""
        self.now += timedelta(**delta)


def make_workspace(root: Path) -> Workspace:
    """A fresh copy of the sample workspace's agendas under `root`."""
    shutil.copytree(AGENDAS, root / "agendas")
    return Workspace(root)


@pytest.fixture(autouse=True)
def quick_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the pilot see an idle app in 5 ms instead of 20 ms (the same CPU-to-wall ratio).

    Pilot.press waits for idle twice per key and Pilot.pause once, each wait at least one
    window: with 20 ms windows that floor was 11 of the 27 s of the whole meeting, and most of
    every pilot test's time. Store work is not found by idleness anyway: `settle` waits for it.
    """
    import textual._wait

    monkeypatch.setattr(textual._wait, "SLEEP_GRANULARITY", 1 / 200)
    monkeypatch.setattr(textual._wait, "SLEEP_IDLE", 1 / 200 / 20)


@pytest.fixture
def workspace_store(backend: Backend, tmp_path: Path) -> Iterator[Store]:
    """The register of the workspace at `tmp_path` on each backend (memory, TinyDB, PostgreSQL), closed after the test."""
    store = backend.open(tmp_path)
    yield store
    store.close()


def make_app(workspace: Workspace, store: Store, clock: Clock, agenda: str | None = None) -> IcmApp:
    """The app on this workspace and store, with the org, the clock, no polling."""
    org = load_workspace_org(workspace)
    services = Services(store, org, clock=clock, actor="tester")
    return IcmApp(workspace, store=store, org=org, services=services, clock=clock, agenda=agenda, poll=False)


def seed_older_items(store: Store, workspace: Workspace, series: str) -> None:
    """Three items of `series` from two weeks ago: two delivered (to confirm, to reopen), one open."""
    org = load_workspace_org(workspace)
    earlier = Clock(NOW - timedelta(days=14))
    services = Services(store, org, clock=earlier, actor="tester")
    first = services.add_action("Laptop stock report", owner="zhang-wei", requester="sales", due="fri", series=series)
    earlier.advance(minutes=1)
    second = services.add_action("Headcount sign-off [red]x", owner="anna-schmidt", requester="operations",
                                 due="+1w", series=series)
    earlier.advance(minutes=1)
    services.add_action("fix [/] parser", owner="tom-becker", requester="finance", due="+3d", series=series)
    earlier.advance(days=5)
    services.done(first.ref)
    services.done(second.ref)


def text_of(app: IcmApp, selector: str) -> str:
    """The plain text a Static shows."""
    widget = app.screen.query_one(selector)
    console = Console(width=200, color_system=None)
    with console.capture() as capture:
        console.print(widget.content)  # type: ignore[attr-defined]
    return capture.get()


async def settle(app: IcmApp, pilot, rounds: int = 3) -> None:
    """Let screens switch and store work finish, a few times over (callbacks queue more work)."""
    for _ in range(rounds):
        await pilot.pause()
        await app.settle()
    await pilot.pause()
