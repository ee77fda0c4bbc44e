"""The reports screen: figures computed off the event loop, the department wall as a heat map.

The figures are read from the store, so they are checked on each backend (`workspace_store`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from rich.text import Text
from runner_helpers import quick_idle, workspace_store  # noqa: F401 (fixtures)
from textual.widgets import DataTable, Sparkline, Static, TabbedContent

from icm_tui.domain.models import ActionItem
from icm_tui.domain.org import Department, Org, Person
from icm_tui.services import Services
from icm_tui.store import MemoryStore, Store
from icm_tui.store.base import Kind
from icm_tui.tui.app import IcmApp
from icm_tui.tui.dialogs import PromptDialog
from icm_tui.tui.screens.reports import ReportsScreen, TrendRow, filled, heat
from icm_tui.workspace import Workspace

TZ = timezone(timedelta(hours=8))


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 1, 9, tzinfo=TZ)

    def __call__(self) -> datetime:
        return self.now


ORG = Org(
    organization="Example Co.",
    departments=(
        Department(id="it", name="IT"),
        Department(id="sales", name="销售部"),
        Department(id="hr", name="HR"),
    ),
    people=(
        Person(id="zhang", name="Zhang Wei", department="it"),
        Person(id="anna", name="Anna Schmidt", department="hr"),
    ),
    present=True,
)


def make_app(tmp_path, store: Store) -> tuple[IcmApp, Services]:
    """Sales waits on an overdue HR item and rated HR 1: the highest wall. IT serves HR well."""
    clock = Clock()
    services = Services(store, ORG, clock=clock, actor="test")
    clock.now = datetime(2026, 11, 2, 9, tzinfo=TZ)
    services.add_action("Laptops", owner="zhang", requester="sales", due="2026-12-20")
    clock.now = datetime(2026, 11, 10, 9, tzinfo=TZ)
    services.add_action("Hiring plan", owner="anna", requester="sales", due="2026-11-20")
    services.add_action("VPN for HR", owner="zhang", requester="hr", due="2026-11-15")
    clock.now = datetime(2026, 11, 12, 9, tzinfo=TZ)
    services.transition("A-3", "done")
    clock.now = datetime(2026, 11, 13, 9, tzinfo=TZ)
    services.transition("A-3", "confirm", score=4)
    services.record_pulse("sales", "hr", 1)
    clock.now = datetime(2026, 11, 30, 12, tzinfo=TZ)
    created = datetime(2026, 11, 20, 9, tzinfo=TZ)
    services.store.put_many(Kind.ACTIONS, [
        ActionItem(uid="U-carried", ref="A-4", title="[red]x fix [/] parser", owner="zhang", supplier="it",
                   requester="sales", carry=2, created=created, updated=created),
    ])
    app = IcmApp(Workspace(tmp_path), store=services.store, org=ORG, services=services, clock=clock, poll=False)
    return app, services


async def open_reports(app: IcmApp, pilot) -> ReportsScreen:
    await pilot.pause()
    app.push_screen(ReportsScreen())
    await pilot.pause()
    await app.settle()
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, ReportsScreen) and screen.report is not None and not screen.computing
    assert not screen.query_one("#reports-loading").display
    return screen


def plain(widget: Static) -> str:
    rendered = widget.render()
    return rendered.plain if isinstance(rendered, Text) else str(rendered)


async def test_the_worst_pair_is_found_in_the_matrix(tmp_path, workspace_store):
    app, _ = make_app(tmp_path, workspace_store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_reports(app, pilot)
        await pilot.press("3")
        await pilot.pause()
        assert screen.query_one(TabbedContent).active == "wall"
        assert plain(screen.query_one("#wall-worst", Static)).startswith("Highest wall: 销售部 → HR (strain 1.00)")

        table = screen.query_one("#wall-table", DataTable)
        assert table.has_focus
        # The cursor sits on the worst cell: row sales, column HR, drawn in the reddest colour.
        row_key, column_key = table.coordinate_to_cell_key(table.cursor_coordinate)
        assert (row_key.value, column_key.value) == ("sales", "hr")
        cell = table.get_cell_at(table.cursor_coordinate)
        assert cell.plain == "1/1 ★1.0 ▲"
        red = cell.style.bgcolor.triplet
        assert red.red > 150 and red.green < 80
        # HR asking IT: served on time and rated 4, so a green cell.
        fine = table.get_cell("hr", "it")
        assert fine.plain == "1/0 ★4.0" and fine.style.bgcolor.triplet.green > fine.style.bgcolor.triplet.red
        # Nobody asked HR of HR: an empty cell.
        assert table.get_cell("hr", "hr").plain == "·"


async def test_suppliers_with_sparklines_and_literal_titles_at_risk(tmp_path, workspace_store):
    app, _ = make_app(tmp_path, workspace_store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_reports(app, pilot)
        suppliers = screen.query_one("#suppliers-table", DataTable)
        it = suppliers.get_row("it")
        assert [c.plain for c in it[:5]] == ["IT", "2", "0", "0", "1"]
        assert it[5].plain == "100% (1/1)"
        trends = list(screen.query(TrendRow))
        assert [t.dept_name for t in trends] == ["IT", "销售部", "HR"]
        it_spark = trends[0].query_one(Sparkline)
        assert it_spark.display and list(it_spark.data) == [4.0] * 6  # rated in the last period only
        assert not trends[1].query_one(Sparkline).display  # nobody rated sales

        await pilot.press("5")
        await pilot.pause()
        risk = screen.query_one("#risk-table", DataTable)
        row = risk.get_row("A-4")
        assert row[1].plain == "[red]x fix [/] parser"
        assert row[5].plain == "carried 2 times"


async def test_window_change_recomputes(tmp_path, workspace_store):
    app, _ = make_app(tmp_path, workspace_store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_reports(app, pilot)
        assert screen.report.since == date(2026, 6, 16)
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, PromptDialog)
        await pilot.press(*"-1w", "enter")
        await app.settle()
        await pilot.pause()
        assert screen.report.since == date(2026, 11, 23)
        assert "2026-11-23 to 2026-11-30 (8 days)" in plain(screen.query_one("#reports-bar", Static))
        # The rating and delivery were before the window: no satisfaction now.
        assert screen.query_one("#suppliers-table", DataTable).get_row("it")[8].plain == "–"


async def test_every_key_is_a_palette_command(tmp_path):
    app, _ = make_app(tmp_path, MemoryStore())  # the screen's bindings: the store plays no part
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_reports(app, pilot)
        titles = {command.title for command in app.get_system_commands(screen)}
        assert {"Window", "Series", "Recompute", "Suppliers", "Customers", "Wall", "Meetings", "At risk"} <= titles


def test_heat_runs_green_to_red():
    assert heat(0.0).bgcolor.triplet == (46, 125, 50)
    assert heat(1.0).bgcolor.triplet == (198, 40, 40)


def test_filled_repeats_the_last_known_period():
    assert filled((None, 3.0, None, 5.0)) == [3.0, 3.0, 3.0, 5.0]
    assert filled((None, None)) == []
