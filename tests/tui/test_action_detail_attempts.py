"""The action detail panel shows an item's refused attempts (lost races) among its history events."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from rich.console import Console

from icm_tui.domain.org import Department, Org, Person
from icm_tui.errors import LifecycleError
from icm_tui.services import Services
from icm_tui.store import Kind, MemoryStore
from icm_tui.tui.app import IcmApp
from icm_tui.tui.screens.actions import ActionsScreen
from icm_tui.tui.widgets.action_detail import ActionDetail
from icm_tui.workspace import Workspace

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=timezone(timedelta(hours=8)))
ORG = Org(
    departments=(Department(id="it", name="IT"), Department(id="sales", name="Sales")),
    people=(Person(id="zhang-wei", name="Zhang Wei", department="it"), Person(id="li-lei", name="Li Lei", department="sales")),
    present=True,
)


def lost_race(store: MemoryStore) -> None:
    """A-1 done; Wang Fang reopens it while Li Lei, who saw it done, confirms it: Li Lei's confirm loses."""
    ticks = iter(NOW + timedelta(minutes=n) for n in range(100))
    services = Services(store, ORG, clock=lambda: next(ticks), actor="wang-fang")
    services.add_action("Laptops for new hires", owner="zhang-wei", requester="sales")
    services.done("A-1")
    seen = store.action("A-1")
    services.reopen("A-1", "two laptops still missing")
    original = store.update
    # The confirm as the services build it, checked against the record Li Lei saw (as a TUI would pass it).
    store.update = lambda kind, key, change, **_: original(kind, key, change, seen=seen)  # type: ignore[method-assign]
    try:
        Services(store, ORG, clock=lambda: next(ticks), actor="li-lei").confirm("A-1", 5, "works for us")
    except LifecycleError as error:
        assert "got there first" in str(error)
    finally:
        del store.update
    assert len(store.attempts(Kind.ACTIONS, "A-1")) == 1


def text(detail: ActionDetail) -> str:
    console = Console(width=110, record=True, file=open("/dev/null", "w"))
    console.print(detail.render_item(detail.item))
    return console.export_text()


async def test_the_history_panel_shows_the_refused_confirm_after_the_reopen_that_beat_it(tmp_path):
    store = MemoryStore()
    lost_race(store)
    app = IcmApp(Workspace(tmp_path), store=store, org=ORG, clock=lambda: NOW, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = ActionsScreen()
        await app.push_screen(screen)
        await app.settle()
        await pilot.pause()
        await pilot.press("enter")
        await app.settle()
        await pilot.pause()
        detail = screen.query_one(ActionDetail)
        assert detail.item.ref == "A-1" and len(detail.attempts) == 1
        shown = text(detail)
        assert "History: 3 events, 1 refused attempt, newest first" in shown
        lines = shown.splitlines()
        refused = next(i for i, line in enumerate(lines) if "refused confirmed ★★★★★" in line)
        reopened = next(i for i, line in enumerate(lines) if "reopened — two laptops still missing" in line)
        assert refused < reopened, "newest first: the refused confirm above the reopen that beat it"
        flat = " ".join(shown.split())  # the what column wraps
        assert "works for us — wang-fang (reopened done -> open) got there first: cannot confirm an item that is open" in flat
