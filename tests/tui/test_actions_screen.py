"""The actions screen, driven as a facilitator would: filter, open, note, done, confirm, reopen.

The tests run on each store backend (`workspace_store`), since the screen reads and filters
through the store (PostgreSQL answers indexed filters in SQL); the layout and search-text tests,
which are about the widgets alone, on memory.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from rich.console import Console
from runner_helpers import quick_idle, workspace_store  # noqa: F401 (fixtures)

from icm_tui.domain.models import EventKind, Status
from icm_tui.domain.org import Department, Org, Person
from icm_tui.services import Services
from icm_tui.store import MemoryStore, Store
from icm_tui.tui.app import IcmApp
from icm_tui.tui.dialogs import PromptDialog, ScoreDialog
from icm_tui.tui.messages import StoreChanged
from icm_tui.tui.screens.actions import ActionsScreen
from icm_tui.tui.widgets.action_detail import ActionDetail
from icm_tui.tui.widgets.action_table import ActionTable
from icm_tui.workspace import Workspace

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=timezone(timedelta(hours=8)))
TODAY = NOW.date()

ORG = Org(
    departments=(
        Department(id="it", name="IT"),
        Department(id="sales", name="Sales"),
        Department(id="hr", name="HR"),
    ),
    people=(
        Person(id="zhang-wei", name="Zhang Wei", department="it"),
        Person(id="anna", name="Anna Schmidt", department="hr"),
        Person(id="li-lei", name="Li Lei", department="sales"),
    ),
    present=True,
)


def clock() -> datetime:
    return NOW


def seed(store: Store) -> Services:
    """Five items: two of Zhang Wei's (one overdue), Anna's overdue one, a markup title, a done one."""
    services = Services(store, ORG, clock=clock, actor="wang-fang")
    services.add_action("Laptops for new hires", owner="zhang-wei", requester="sales", due=date(2026, 11, 20))
    services.add_action("VPN access for auditors", owner="zhang-wei", requester="hr", due=date(2026, 12, 10))
    services.add_action("Hiring plan for Q1", owner="anna", requester="it", due=date(2026, 11, 25))
    services.add_action("fix [/] parser [red]x", owner="li-lei", requester="it", due=date(2026, 12, 2))
    services.add_action("Printer on floor 3", owner="zhang-wei", requester="sales", due=date(2026, 12, 3))
    services.done("A-5", note="new toner")
    return services


def make_app(tmp_path: Path, store: Store, poll: bool = False) -> IcmApp:
    """The app on `store`, seeded unless the test did."""
    if not store.actions():
        seed(store)
    return IcmApp(Workspace(tmp_path), store=store, org=ORG, clock=clock, poll=poll)


async def open_screen(app: IcmApp, pilot) -> ActionsScreen:
    await pilot.pause()
    screen = ActionsScreen()
    await app.push_screen(screen)
    await app.settle()
    await pilot.pause()
    return screen


def refs(screen: ActionsScreen) -> list[str]:
    return [row.ref for row in screen.query_one(ActionTable).rows]


def table_text(screen: ActionsScreen) -> str:
    table = screen.query_one(ActionTable)
    return "\n".join(table.render_line(y).text for y in range(table.size.height))


def detail_text(screen: ActionsScreen) -> str:
    detail = screen.query_one(ActionDetail)
    console = Console(width=110, record=True, file=open("/dev/null", "w"))
    console.print(detail.render_item(detail.item))
    return console.export_text()


async def type_answer(pilot, text: str) -> None:
    await pilot.pause()
    await pilot.press(*[("space" if ch == " " else ch) for ch in text])
    await pilot.press("enter")


async def test_owner_overdue_note_done_confirm(tmp_path, workspace_store):
    app = make_app(tmp_path, workspace_store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_screen(app, pilot)
        assert refs(screen) == ["A-1", "A-3", "A-4", "A-5", "A-2"]

        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, PromptDialog)
        await type_answer(pilot, "Zhang Wei")  # a name works as well as the id
        await pilot.pause()
        assert screen.wanted.owner == "zhang-wei"
        assert refs(screen) == ["A-1", "A-5", "A-2"]
        await pilot.press("O")
        await pilot.pause()
        assert refs(screen) == ["A-1"]
        bar = str(screen.query_one("#actions-bar").render())
        assert "Showing 1 of 5" in bar and "owner: Zhang Wei" in bar and "overdue" in bar

        await pilot.press("enter")  # open it
        await pilot.pause()
        assert isinstance(app.screen.focused, ActionDetail)
        assert screen.query_one(ActionDetail).item.ref == "A-1"
        assert "Laptops for new hires" in detail_text(screen)

        await pilot.press("n")
        await type_answer(pilot, "Supplier promised Friday")
        await app.settle()
        await pilot.pause()
        notes = [e.note for e in app.store.action("A-1").history if e.kind is EventKind.NOTE]
        assert notes == ["Supplier promised Friday"]
        assert "Supplier promised Friday" in detail_text(screen)

        await pilot.press("d")
        await app.settle()
        await pilot.pause()
        assert app.store.action("A-1").status is Status.DONE
        # No longer overdue, but the item just changed stays under the cursor so it can be confirmed.
        assert refs(screen) == ["A-1"]
        assert "awaiting confirmation" in detail_text(screen)

        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ScoreDialog)
        await pilot.press("4", "c")
        await type_answer(pilot, "Works, a day late")
        await app.settle()
        await pilot.pause()

    item = app.store.action("A-1")
    assert item.status is Status.CLOSED and item.score == 4
    confirmed = item.history[-1]
    assert confirmed.kind is EventKind.CONFIRMED and confirmed.score == 4 and confirmed.note == "Works, a day late"
    assert confirmed.by == app.services.actor and confirmed.at == NOW
    pulses = [p for p in app.services.all_pulses() if p.action == "A-1"]
    assert [(p.rater, p.about, p.score) for p in pulses] == [("sales", "it", 4)]


async def test_reopen_with_reason_shows_count_and_history(tmp_path, workspace_store):
    app = make_app(tmp_path, workspace_store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_screen(app, pilot)
        await pilot.press("slash")
        await pilot.press(*"printer")
        await pilot.press("enter")
        await pilot.pause()
        assert refs(screen) == ["A-5"]
        assert screen.focused is screen.query_one(ActionTable)

        await pilot.press("o")
        await type_answer(pilot, "Still jams every morning")
        await app.settle()
        await pilot.pause()
        item = app.store.action("A-5")
        assert item.status is Status.OPEN and item.reopened == 1
        assert item.history[-1].kind is EventKind.REOPENED and item.history[-1].note == "Still jams every morning"

        text = detail_text(screen)
        assert "Reopened 1" in text
        assert "reopened — Still jams every morning" in text
        assert "done → open" not in text  # the reopen event says it in words
        # Every event with time, who and meeting: created, done, reopened.
        assert "2026-12-01 10:00" in text and "wang-fang" in text
        assert text.index("reopened") < text.index("created")  # newest first
        # The table marks it open again (no longer awaiting confirmation).
        assert "A-5" in table_text(screen) and "open" in table_text(screen)


async def test_markup_in_titles_is_literal(tmp_path, workspace_store):
    app = make_app(tmp_path, workspace_store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_screen(app, pilot)
        assert "fix [/] parser [red]x" in table_text(screen)
        await pilot.press("slash")
        await pilot.press(*"[red")
        await pilot.press("enter")
        await pilot.pause()
        assert refs(screen) == ["A-4"]
        assert "fix [/] parser [red]x" in detail_text(screen)
        await pilot.press("n")
        await type_answer(pilot, "[/] [bold]closing tag first")
        await app.settle()
        await pilot.pause()
        assert "[/] [bold]closing tag first" in detail_text(screen)
        app.save_screenshot(str(tmp_path / "markup.svg"))  # a full render: must not raise


async def test_forbidden_transitions_are_disabled_and_explained(tmp_path, workspace_store):
    app = make_app(tmp_path, workspace_store)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await open_screen(app, pilot)
        assert screen.query_one(ActionTable).current.ref == "A-1"  # open
        assert screen.check_action("confirm", ()) is None
        assert screen.check_action("reopen", ()) is None
        assert screen.check_action("start", ()) is True
        keys = str(screen.query_one("#actions-keys").render())
        assert "Start" in keys and "Confirm" not in keys

        await pilot.press("c")
        await pilot.pause()
        assert not isinstance(app.screen, ScoreDialog)
        messages = [n.message for n in app._notifications]
        assert any("cannot confirm an item that is open" in m and "only a done item" in m for m in messages)
        assert app.store.action("A-1").status is Status.OPEN

        await pilot.press("s")
        await app.settle()
        await pilot.pause()
        assert app.store.action("A-1").status is Status.IN_PROGRESS
        assert screen.check_action("start", ()) is None


async def test_push_due_checks_the_date_and_reassign_completes(tmp_path, workspace_store):
    app = make_app(tmp_path, workspace_store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_screen(app, pilot)
        await pilot.press("u")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, PromptDialog)
        await pilot.press("ctrl+a", "ctrl+k")  # clear the prefilled date
        await type_answer(pilot, "someday")
        await pilot.pause()
        assert app.screen is dialog  # refused: not a date
        assert "not a date" in str(dialog.query_one("#prompt-error").render())
        await pilot.press("ctrl+a", "ctrl+k")
        await type_answer(pilot, "+1w")
        await app.settle()
        await pilot.pause()
        assert app.store.action("A-1").due == TODAY + timedelta(weeks=1)

        await pilot.press("w")
        await pilot.pause()
        await pilot.press("ctrl+a", "ctrl+k")
        await type_answer(pilot, "anna")
        await app.settle()
        await pilot.pause()
        item = app.store.action("A-1")
        assert item.owner == "anna" and item.supplier == "hr"
        assert "reassigned Zhang Wei → Anna Schmidt" in detail_text(screen)


async def test_reload_keeps_cursor_and_filter(tmp_path, workspace_store):
    services = seed(workspace_store)
    app = make_app(tmp_path, workspace_store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_screen(app, pilot)
        await pilot.press("slash", *"zhang", "enter")
        await pilot.pause()
        assert refs(screen) == ["A-1", "A-5", "A-2"]
        await pilot.press("down")
        await pilot.pause()
        assert screen.query_one(ActionTable).current.ref == "A-5"

        # Someone else adds an earlier item for Zhang Wei and notes on A-5.
        services.add_action("Badge reader at the door", owner="zhang-wei", requester="hr", due=date(2026, 11, 1))
        services.note("A-5", "seen by the other terminal")
        screen.post_message(StoreChanged(external=True))
        for _ in range(50):  # the reload is store-thread work and then a rebuild: wait for it, boundedly
            await app.settle()
            await pilot.pause(0.05)
            if refs(screen) == ["A-6", "A-1", "A-5", "A-2"] and "seen by the other terminal" in detail_text(screen):
                break
        assert refs(screen) == ["A-6", "A-1", "A-5", "A-2"]
        assert screen.query_one(ActionTable).current.ref == "A-5"  # same item, though it moved down
        assert screen.query_one("#actions-filter").value == "zhang"
        assert "seen by the other terminal" in detail_text(screen)


async def test_status_sort_and_escape(tmp_path, workspace_store):
    app = make_app(tmp_path, workspace_store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_screen(app, pilot)
        await pilot.press("A")  # awaiting confirmation
        await pilot.pause()
        assert refs(screen) == ["A-5"]
        await pilot.press("A", "t", "t")  # not closed -> all -> active
        await pilot.pause()
        assert "status: active" in str(screen.query_one("#actions-bar").render())
        assert refs(screen) == ["A-1", "A-3", "A-4", "A-2"]
        await pilot.press("S", "S")  # due -> age -> carry
        await pilot.pause()
        assert "most carried" in str(screen.query_one("#actions-bar").render())
        await pilot.press("escape")  # clears the filters
        await pilot.pause()
        assert len(refs(screen)) == 5
        await pilot.press("escape")  # nothing left to clear: back
        await pilot.pause()
        assert not isinstance(app.screen, ActionsScreen)


@pytest.mark.parametrize("size", [(80, 24), (60, 20), (200, 50)])
async def test_layouts(tmp_path, size):
    app = make_app(tmp_path, MemoryStore())  # where the panels go: the store plays no part
    async with app.run_test(size=size) as pilot:
        screen = await open_screen(app, pilot)
        table = screen.query_one(ActionTable)
        assert table.size.height >= 6
        text = table_text(screen)
        assert "A-1" in text and "Laptops" in text
        detail = screen.query_one(ActionDetail)
        assert detail.display and detail.size.height >= 4
        if size[0] >= 170:
            assert detail.region.x > table.region.x  # beside the list
        else:
            assert detail.region.y > table.region.y  # below it
        await pilot.press("v")
        await pilot.pause()
        assert not detail.display


def test_row_search_text_is_query_search_text():
    """The table's fast search text is the CLI's `--search` text, so both find the same items."""
    from icm_tui.domain.query import search_text
    from icm_tui.tui.widgets.action_table import Names, row_search_text

    store = MemoryStore()
    services = seed(store)
    services.note("A-2", "Käse [b]ÄÖ")
    services.add_action("Unknown department", owner="li-lei", requester="")
    names = Names(ORG)
    for item in store.actions():
        assert row_search_text(item, names) == search_text(item, ORG)


OTHER_PROCESS = """
import sys
from icm_tui.services import Services
from icm_tui.store import open_store

store = open_store(sys.argv[1])  # $ICM_STORE names a PostgreSQL register
services = Services(store, actor="other-terminal")
services.add_action("Added in the other terminal", owner="anna", requester="sales", due="2026-12-24")
services.start("A-2")
services.note("A-2", "started from the command line")
store.close()
"""


async def test_changes_by_another_process_appear(tmp_path, register):
    """TinyDB's changes are found by the poll, PostgreSQL's pushed by LISTEN/NOTIFY."""
    import asyncio
    import os
    import subprocess
    import sys

    store = register.open(tmp_path)
    seed(store)
    env = {k: v for k, v in {**os.environ, **register.env()}.items() if v is not None}
    app = make_app(tmp_path, store, poll=True)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_screen(app, pilot)
            await pilot.press("end")  # A-2, the last by due date
            await pilot.pause()
            assert screen.query_one(ActionTable).current.ref == "A-2"
            assert "A-6" not in refs(screen)

            done = await asyncio.to_thread(
                subprocess.run, [sys.executable, "-c", OTHER_PROCESS, str(tmp_path / "data")],
                capture_output=True, text=True, timeout=60, env=env,
            )
            assert done.returncode == 0, done.stderr
            for _ in range(150):  # the app polls every second; allow up to 15 s on a loaded machine
                await pilot.pause(0.1)
                current = screen.query_one(ActionTable).current
                if ("A-6" in refs(screen) and current is not None and current.item.status is Status.IN_PROGRESS
                        and "started from the command line" in detail_text(screen)):
                    break
            assert "A-6" in refs(screen)
            current = screen.query_one(ActionTable).current
            assert current.ref == "A-2" and current.item.status is Status.IN_PROGRESS  # cursor kept
            assert "started from the command line" in detail_text(screen)
            assert "Added in the other terminal" in table_text(screen)
    finally:
        store.close()


async def test_export_writes_the_filtered_list(tmp_path, workspace_store):
    import csv

    app = make_app(tmp_path, workspace_store)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await open_screen(app, pilot)
        await pilot.press("slash", *"zhang", "enter", "x")
        await app.settle()
        await pilot.pause()
        files = list((tmp_path / "minutes").glob("actions-*.csv"))
        assert len(files) == 1
        assert any(str(files[0]) in n.message for n in app._notifications)
        shown = refs(screen)
    with files[0].open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert [row[0] for row in rows[1:]] == shown == ["A-1", "A-5", "A-2"]
