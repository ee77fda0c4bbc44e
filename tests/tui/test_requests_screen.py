"""The requests screen: accept into an action, decline, merge, raise, as a facilitator would.

Every answer is written to and read back from the store, on each backend (`workspace_store`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from rich.text import Text
from runner_helpers import quick_idle, workspace_store  # noqa: F401 (fixtures)
from textual.widgets import DataTable, Static

from icm_tui.domain.models import RequestStatus
from icm_tui.domain.org import Department, Org, Person, Service
from icm_tui.services import Services
from icm_tui.store import MemoryStore, Store
from icm_tui.tui.app import IcmApp
from icm_tui.tui.dialogs import PromptDialog
from icm_tui.tui.dialogs.capture import CaptureDialog
from icm_tui.tui.dialogs.request import RequestDialog
from icm_tui.tui.screens.requests import RequestsScreen
from icm_tui.workspace import Workspace

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=timezone(timedelta(hours=8)))

ORG = Org(
    organization="Example Co.",
    departments=(
        Department(id="it", name="IT", lead="zhang-wei"),
        Department(id="sales", name="销售部", lead="li-lei"),
        Department(id="hr", name="HR", lead="anna"),
    ),
    people=(
        Person(id="zhang-wei", name="Zhang Wei", department="it"),
        Person(id="tom-becker", name="Tom Becker", department="it"),
        Person(id="li-lei", name="Li Lei", department="sales"),
        Person(id="anna", name="Anna Schmidt", department="hr"),
    ),
    services=(Service(id="laptops", name="Laptop provisioning", provider="it", consumers=("sales",), target_days=3),),
    present=True,
)


def make_app(tmp_path, store: Store) -> tuple[IcmApp, Services]:
    services = Services(store, ORG, clock=lambda: NOW, actor="wang-fang")
    services.add_request("Monitors for the [red]sales[/] floor", requester="sales", supplier="it", details="fix [/] parser")
    services.add_request("Interview rooms", requester="sales", supplier="hr")
    services.add_action("Projector in room 4", owner="zhang-wei", requester="sales", due="2026-12-04")
    return IcmApp(Workspace(tmp_path), store=store, org=ORG, services=services, clock=lambda: NOW, poll=False), services


async def open_requests(app: IcmApp, pilot) -> RequestsScreen:
    await pilot.pause()
    app.push_screen(RequestsScreen())
    await pilot.pause()
    await app.settle()
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, RequestsScreen) and screen.loaded
    return screen


def panel_text(screen: RequestsScreen) -> str:
    rendered = screen.query_one("#requests-detail-text", Static).render()
    return rendered.plain if isinstance(rendered, Text) else str(rendered)


async def test_accept_a_request_into_an_action(tmp_path, workspace_store):
    app, services = make_app(tmp_path, workspace_store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_requests(app, pilot)
        table = screen.query_one(DataTable)
        assert table.row_count == 2
        # User text is literal: the markup-looking title is shown as typed.
        assert table.get_row_at(0)[3].plain == "Monitors for the [red]sales[/] floor"
        assert "fix [/] parser" in panel_text(screen)

        await pilot.press("a")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, CaptureDialog)  # the meeting triage's dialog, prefilled from the request
        assert dialog.query_one("#capture-owner").value == "zhang-wei"  # the supplier's lead is offered
        await pilot.press("tab", "ctrl+u", *"Tom", "enter")  # a unique prefix of a name resolves
        await pilot.press(*"+3d", "enter", "enter")  # due, then Enter on priority saves
        await app.settle()
        await pilot.pause()

        request = services.store.request("R-1")
        assert request.status is RequestStatus.ACCEPTED and request.action == "A-2"
        action = services.store.action("A-2")
        assert (action.owner, action.supplier, action.requester) == ("tom-becker", "it", "sales")
        assert action.due == date(2026, 12, 3)
        assert action.request == "R-1" and action.title == "Monitors for the [red]sales[/] floor"
        # The answered request stays in the list, and its history shows the outcome.
        assert screen.current is not None and screen.current.ref == "R-1"
        assert "accepted → A-2" in panel_text(screen)
        assert "accepted → A-2 by wang-fang" in panel_text(screen)


async def test_decline_with_a_reason_and_merge(tmp_path, workspace_store):
    app, services = make_app(tmp_path, workspace_store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_requests(app, pilot)
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("enter")  # a reason is required
        await pilot.pause()
        assert isinstance(app.screen, PromptDialog)
        await pilot.press(*"Buy them [yourself]", "enter")
        await app.settle()
        await pilot.pause()
        declined = services.store.request("R-1")
        assert declined.status is RequestStatus.DECLINED and declined.reason == "Buy them [yourself]"
        assert "declined by wang-fang: Buy them [yourself]" in panel_text(screen)

        await pilot.press("down")
        await pilot.pause()
        assert screen.current.ref == "R-2"
        await pilot.press("m")
        await app.settle()
        await pilot.pause()
        assert isinstance(app.screen, PromptDialog)
        await pilot.press(*"a-1", "enter")
        await app.settle()
        await pilot.pause()
        merged = services.store.request("R-2")
        assert merged.status is RequestStatus.MERGED and merged.action == "A-1"
        assert "R-2 from sales merged in" in services.store.action("A-1").history[-1].note

        # Neither can be answered twice: the keys are greyed out for answered requests.
        assert screen.check_action("accept", ()) is None


async def test_new_request_and_status_filter(tmp_path, workspace_store):
    app, services = make_app(tmp_path, workspace_store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_requests(app, pilot)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, RequestDialog)
        await pilot.press(*"Laptop for the intern", "enter", "ctrl+u", *"销售", "enter", *"IT", "enter")
        await pilot.press(*"laptops", "enter", "enter")
        await app.settle()
        await pilot.pause()
        made = services.store.request("R-3")
        assert (made.requester, made.supplier, made.service, made.status) == ("sales", "it", "laptops", RequestStatus.NEW)
        assert screen.current.ref == "R-3"

        await pilot.press("t")  # accepted: none yet
        await pilot.pause()
        assert screen.query_one(DataTable).row_count == 0
        for _ in range(3):  # declined, merged, all
            await pilot.press("t")
        await pilot.pause()
        assert screen.query_one(DataTable).row_count == 3


async def test_every_key_is_a_palette_command(tmp_path):
    app, _ = make_app(tmp_path, MemoryStore())  # the screen's bindings: the store plays no part
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_requests(app, pilot)
        titles = {command.title for command in app.get_system_commands(screen)}
        assert {"Accept", "Decline", "Merge", "New", "Status"} <= titles
