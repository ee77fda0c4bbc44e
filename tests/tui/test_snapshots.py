"""Snapshots of the home screen, the runner and a review at 120x40, on fixed data and a frozen clock.

Each runs on every store backend (`workspace_store`): the same records must draw the same
screen, so the three snapshots of a test are identical files.

Update after an intended change with `pytest tests/tui/test_snapshots.py --snapshot-update`, and
look at the report before committing.
"""

from __future__ import annotations

from datetime import timedelta

from runner_helpers import NOW, Clock, make_app, make_workspace, settle
from runner_helpers import quick_idle, workspace_store  # noqa: F401 (fixtures)

from icm_tui.domain.loader import load_agenda, load_workspace_org
from icm_tui.services import Services
from icm_tui.store import Store
from icm_tui.tui.screens.runner import RunnerScreen

SIZE = (120, 40)


def seeded(tmp_path, store: Store):
    """A workspace with one ended weekly meeting, its follow-ups, and a second meeting still running."""
    workspace = make_workspace(tmp_path)
    org = load_workspace_org(workspace)
    agenda = load_agenda(workspace.agendas_dir / "weekly-coordination.yaml", org)
    last_week = Clock(NOW - timedelta(days=7))
    earlier = Services(store, org, clock=last_week, actor="tester")
    first = earlier.start_meeting(agenda, absent=())
    earlier.go_to(first.ref, 2, spent_on_current=9 * 60)
    earlier.set_notes(first.ref, 2, "Four of six laptops late.")
    earlier.add_decision(first.ref, 2, "IT keeps a buffer of 5 laptops")
    earlier.capture_action(first.ref, 2, "Order 5 laptops [red]x", owner="zhang-wei", due="fri", priority="high")
    earlier.capture_action(first.ref, 2, "fix [/] parser in the asset list", owner="tom-becker", due="+3d")
    earlier.capture_action(first.ref, 3, "Approve invoices within 7 days", owner="david-miller", due="+2w")
    earlier.end_meeting(first.ref, spent_on_current=17 * 60)
    earlier.done("A-1")
    earlier.add_request("Two more monitors", requester="sales", supplier="it")

    now = Clock(NOW)
    current = Services(store, org, clock=now, actor="tester")
    running = current.start_meeting(agenda, attendees=["it", "sales", "hr", "finance", "operations"], absent=["procurement"])
    current.go_to(running.ref, 2, spent_on_current=12 * 60)
    current.set_notes(running.ref, 2, "Laptops now ready on day one for 5 of 6 hires.\n[bold]not markup[/]")
    current.add_decision(running.ref, 2, "Keep the buffer at 5 until March")
    current.capture_action(running.ref, 2, "Report laptop lead times monthly", owner="priya-nair", due="eom")
    return workspace, store, now, running.ref


def test_home(snap_compare, tmp_path, workspace_store):
    workspace, store, clock, _ = seeded(tmp_path, workspace_store)
    app = make_app(workspace, store, clock)

    async def ready(pilot):
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


def test_runner_discussion(snap_compare, tmp_path, workspace_store):
    workspace, store, clock, ref = seeded(tmp_path, workspace_store)
    app = make_app(workspace, store, clock)

    async def ready(pilot):
        await settle(app, pilot)
        app.push_screen(RunnerScreen(ref))
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


def test_runner_review(snap_compare, tmp_path, workspace_store):
    workspace, store, clock, ref = seeded(tmp_path, workspace_store)
    app = make_app(workspace, store, clock)

    async def ready(pilot):
        await settle(app, pilot)
        app.push_screen(RunnerScreen(ref))
        await settle(app, pilot)
        await pilot.press("p", "p")
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)
