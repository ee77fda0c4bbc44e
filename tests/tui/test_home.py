"""The home screen: never blank, offers the next step, opens the other screens (on each store backend)."""

from __future__ import annotations

from datetime import date

from runner_helpers import Clock, make_app, make_workspace, settle, text_of
from runner_helpers import quick_idle, workspace_store  # noqa: F401 (fixtures)

from icm_tui.domain.agenda import Cadence
from icm_tui.tui.screens.attendance import AttendanceScreen
from icm_tui.tui.screens.home import HomeScreen, next_date
from icm_tui.tui.screens.picker import AgendaPickerScreen
from icm_tui.workspace import Workspace


def test_next_date_follows_the_cadence():
    assert next_date(date(2026, 11, 30), Cadence.WEEKLY) == date(2026, 12, 7)
    assert next_date(date(2026, 11, 30), Cadence.BIWEEKLY) == date(2026, 12, 14)
    assert next_date(date(2026, 1, 31), Cadence.MONTHLY) == date(2026, 2, 28)
    assert next_date(date(2026, 12, 15), Cadence.MONTHLY) == date(2027, 1, 15)
    assert next_date(date(2026, 12, 15), Cadence.ONCE) is None
    assert next_date(None, Cadence.WEEKLY) is None


async def test_empty_store_says_what_to_do_and_runs_the_sample(tmp_path, workspace_store):
    app = make_app(make_workspace(tmp_path), workspace_store, Clock())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        banner = text_of(app, "#home-banner")
        assert "No meeting has been run" in banner and "Press n" in banner
        assert "weekly-coordination" in banner
        await pilot.press("s")
        await settle(app, pilot)
        assert isinstance(app.screen, AttendanceScreen)
        assert app.screen.agenda.series == "weekly-coordination"


async def test_no_agendas_writes_a_sample_and_runs_it(tmp_path, workspace_store):
    workspace = Workspace(tmp_path)
    app = make_app(workspace, workspace_store, Clock())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert "no agendas" in text_of(app, "#home-banner")
        await pilot.press("s")
        await settle(app, pilot, rounds=5)
        assert (workspace.agendas_dir / "sample-weekly.yaml").exists()
        assert isinstance(app.screen, AttendanceScreen)


async def test_series_counts_and_keys_to_the_other_screens(tmp_path, workspace_store):
    workspace = make_workspace(tmp_path)
    app = make_app(workspace, workspace_store, Clock())
    app.services.add_action("Overdue [red]x", owner="zhang-wei", requester="sales", due="2026-11-01")
    app.services.add_action("Delivered", owner="zhang-wei", requester="sales")
    app.services.done("A-2")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        home = app.screen
        assert isinstance(home, HomeScreen)
        assert home.data.counts == {"open": 1, "overdue": 1, "awaiting": 1, "escalated": 1}
        counts = text_of(app, "#home-counts")
        assert "1 overdue" in counts and "1 awaiting confirmation" in counts
        assert [row.agenda.name for row in home.data.series] == [
            "monthly-service-review", "weekly-coordination", "weekly-zh",
        ]
        for key, name in (("a", "ActionsScreen"), ("r", "RequestsScreen"), ("R", "ReportsScreen")):
            await pilot.press(key)
            await settle(app, pilot)
            assert type(app.screen).__name__ == name
            app.pop_screen()
            await settle(app, pilot)
        await pilot.press("n")
        await settle(app, pilot)
        assert isinstance(app.screen, AgendaPickerScreen)
        await pilot.press("escape")
        await settle(app, pilot)
        # Enter on the highlighted series runs it.
        await pilot.press("down", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, AttendanceScreen)
        assert app.screen.agenda.series == "weekly-coordination"


async def test_export_from_home_minutes_and_owed_actions(tmp_path, workspace_store):
    import csv

    from icm_tui.domain.loader import load_agenda
    from icm_tui.services import Services

    workspace = make_workspace(tmp_path)
    app = make_app(workspace, workspace_store, Clock())
    services: Services = app.services
    agenda_path = workspace.agendas_dir / "weekly-coordination.yaml"
    meeting = services.start_meeting(load_agenda(agenda_path, app.org))
    services.capture_action(meeting.ref, 2, "Buffer of [red]5 laptops", owner="zhang-wei", due="fri")
    services.add_action("Closed one", owner="li-lei")
    services.done("A-2")
    services.confirm("A-2", 5)
    services.end_meeting(meeting.ref)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("x")  # on the series table: owed actions, csv by default
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        app.screen.query_one("#recent-table").focus()
        await pilot.press("x")
        await settle(app, pilot)
    files = sorted(p.name for p in workspace.minutes_dir.iterdir())
    exported = next(workspace.minutes_dir.glob("actions-*.csv"))
    rows = list(csv.DictReader(exported.read_text(encoding="utf-8-sig").splitlines()))
    assert [r["ref"] for r in rows] == ["A-1"] and rows[0]["title"] == "Buffer of [red]5 laptops"
    assert any(name.endswith("M-1.yaml") for name in files) and any(name.endswith("M-1.md") for name in files)


async def test_coming_back_reads_the_register_again_only_when_it_changed(tmp_path, workspace_store):
    workspace = make_workspace(tmp_path)
    app = make_app(workspace, workspace_store, Clock())
    app.services.add_action("First", owner="zhang-wei", requester="sales")
    store = app.services.store
    reads = []
    streamed = store.iter_action_summaries

    def counting(*args, **kwargs):
        reads.append(1)
        return streamed(*args, **kwargs)

    store.iter_action_summaries = counting  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        home = app.screen
        assert isinstance(home, HomeScreen) and home.data.actions == 1 and len(reads) == 1
        # Nothing changed: back from another screen, the counts are not read again, the agendas are.
        (workspace.agendas_dir / "weekly-zh.yaml").unlink()
        await pilot.press("R")
        await settle(app, pilot)
        app.pop_screen()
        await settle(app, pilot)
        assert home.loads == 2 and len(reads) == 1 and home.data.actions == 1
        assert "weekly-zh" not in [row.agenda.name for row in home.data.series]
        # The user's own write elsewhere: read again.
        await pilot.press("R")
        await settle(app, pilot)
        app.services.add_action("Second", owner="zhang-wei", requester="sales")
        app.pop_screen()
        await settle(app, pilot)
        assert len(reads) == 2 and home.data.actions == 2 and home.data.counts["open"] == 2
        # g reads it again whatever the version says.
        await pilot.press("g")
        await settle(app, pilot)
        assert len(reads) == 3
