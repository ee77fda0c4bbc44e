"""Run whole meetings as a facilitator would, then check what the register and the minutes hold.

Every test runs on each store backend (`workspace_store`); the killed meeting only on those that
persist (`register`), since resuming means opening the register again from where it is kept.
"""

from __future__ import annotations

from datetime import date

import yaml

from icm_tui.domain.models import MeetingState, RequestStatus, Status
from icm_tui.services import Services
from icm_tui.tui.dialogs import ConfirmDialog, PromptDialog, ScoreDialog
from icm_tui.tui.dialogs.capture import CaptureDialog
from icm_tui.tui.screens.attendance import AttendanceScreen
from icm_tui.tui.screens.home import HomeScreen
from icm_tui.tui.screens.picker import AgendaPickerScreen
from icm_tui.tui.screens.runner import RunnerScreen
from icm_tui.tui.screens.summary import SummaryScreen

from runner_helpers import Clock, make_app, make_workspace, seed_older_items, settle, text_of
from runner_helpers import quick_idle, workspace_store  # noqa: F401 (fixtures)

SERIES = "monthly-service-review"


async def test_whole_meeting_from_the_sample_agenda(tmp_path, workspace_store):
    workspace = make_workspace(tmp_path)
    store = workspace_store
    seed_older_items(store, workspace, SERIES)
    clock = Clock()
    app = make_app(workspace, store, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, HomeScreen)
        # The picker lists the agendas; the monthly review is the first one.
        await pilot.press("n")
        await settle(app, pilot)
        assert isinstance(app.screen, AgendaPickerScreen)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, AttendanceScreen)
        # Procurement did not come (the sixth attendee).
        await pilot.press(*["down"] * 5, "space", "s")
        await settle(app, pilot)
        runner = app.screen
        assert isinstance(runner, RunnerScreen)

        # 1. Review: confirm the first delivered item with a score, reopen the second, carry the third.
        assert "Laptop stock report" in text_of(app, "#review-detail")
        await pilot.press("s")
        await settle(app, pilot)
        assert isinstance(app.screen, ScoreDialog)
        await pilot.press("4", "c", *"Works now", "enter")
        await settle(app, pilot)
        await pilot.press("o")
        await settle(app, pilot)
        assert isinstance(app.screen, PromptDialog)
        await pilot.press(*"Two approvals still missing", "enter")
        await settle(app, pilot)
        await pilot.press("k")
        await settle(app, pilot)
        clock.advance(minutes=16)  # over the review's 15-minute timebox

        # 2. Info, 3. discussion: notes, a decision, two actions.
        await pilot.press("n", "n")
        await settle(app, pilot)
        assert runner.index == 2
        await pilot.press("e", *"Ops waited 41 days [red]x", "escape")
        await settle(app, pilot)
        await pilot.press("d")
        await settle(app, pilot)
        await pilot.press(*"Run the hiring steps in parallel", "enter")
        await settle(app, pilot)
        await pilot.press("c")
        await settle(app, pilot)
        assert isinstance(app.screen, CaptureDialog)
        await pilot.press(*"Map the hiring steps", "enter", *"anna", "enter", "enter", *"fri", "enter", "h", "enter")
        await settle(app, pilot)
        await pilot.press("c")
        await settle(app, pilot)
        await pilot.press(*"Publish [/] PO ageing", "enter", *"james-wilson", "enter")
        await pilot.press(*["backspace"] * 12, *"it", "enter", *"+1w", "enter", "enter")
        await settle(app, pilot)
        assert "Map the hiring steps" in text_of(app, "#item-actions")
        assert "Publish [/] PO ageing" in text_of(app, "#item-actions")
        assert "Run the hiring steps in parallel" in text_of(app, "#item-decisions")
        clock.advance(minutes=10)

        # 6. Pulse: IT rates HR 4; HR rates IT 5 with a comment.
        await pilot.press("n", "n", "n")
        await settle(app, pilot)
        assert runner.index == 5
        await pilot.press("4")
        await settle(app, pilot)
        await pilot.press("down", "left", "m")
        await settle(app, pilot)
        assert isinstance(app.screen, ScoreDialog)
        await pilot.press("5", "c", *"Laptops on day one", "enter")
        await settle(app, pilot)
        clock.advance(minutes=3)

        # End: summary, minutes.
        await pilot.press("f")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(app, pilot, rounds=5)
        assert isinstance(app.screen, SummaryScreen)
        assert app.screen.minutes is not None
        minutes_path = app.screen.minutes

    meeting = store.meetings()[-1]
    assert meeting.state is MeetingState.ENDED
    assert meeting.attendees == ("it", "hr", "finance", "sales", "operations")
    assert meeting.absent == ("procurement",)
    assert meeting.items[0].spent == 16 * 60
    assert meeting.items[2].spent == 10 * 60
    assert meeting.items[5].spent == 3 * 60
    assert meeting.items[2].notes == "Ops waited 41 days [red]x"
    assert meeting.items[2].decisions == ("Run the hiring steps in parallel",)
    assert meeting.items[2].actions == ("A-4", "A-5")

    first, second = store.action("A-4"), store.action("A-5")
    assert (first.title, first.owner, first.supplier, first.requester) == ("Map the hiring steps", "anna-schmidt", "hr", "operations")
    assert first.due == date(2026, 12, 4) and first.priority.value == "high"
    assert (second.title, second.owner, second.supplier, second.requester) == ("Publish [/] PO ageing", "james-wilson", "procurement", "it")
    assert second.due == date(2026, 12, 7) and second.priority.value == "normal"
    assert first.meeting == second.meeting == meeting.ref

    confirmed, reopened, carried = store.action("A-1"), store.action("A-2"), store.action("A-3")
    assert confirmed.status is Status.CLOSED and confirmed.score == 4
    assert reopened.status is Status.OPEN and reopened.reopened == 1
    assert any(e.note == "Two approvals still missing" for e in reopened.history)
    assert carried.status is Status.OPEN and carried.carry == 1
    assert [(o.ref, o.old, o.new, o.score) for o in meeting.reviewed] == [
        ("A-1", "done", "closed", 4), ("A-2", "done", "open", None), ("A-3", "open", "open", None),
    ]

    pulses = sorted((p.rater, p.about, p.score, p.comment) for p in store.pulses())
    assert pulses == [("hr", "it", 5, "Laptops on day one"), ("it", "hr", 4, "")]

    assert minutes_path.parent == workspace.minutes_dir
    minutes = yaml.safe_load(minutes_path.read_text(encoding="utf-8"))
    assert minutes["meeting"]["ref"] == meeting.ref and minutes["meeting"]["absent"] == ["procurement"]
    item = minutes["items"][2]
    assert item["notes"].strip() == "Ops waited 41 days [red]x"
    assert item["decisions"] == ["Run the hiring steps in parallel"]
    assert item["actions"] == ["A-4", "A-5"]
    assert minutes["items"][0]["spent"] == 16.0
    assert [a["ref"] for a in minutes["actions"]] == ["A-4", "A-5"]
    assert {(r["ref"], r["to"], r.get("score")) for r in minutes["reviewed"]} >= {("A-1", "closed", 4), ("A-2", "open", None)}
    assert {(p["from"], p["about"], p["score"]) for p in minutes["pulse"]} == {("it", "hr", 4), ("hr", "it", 5)}


async def test_killed_meeting_resumes_with_everything_in_it(tmp_path, register):
    workspace = make_workspace(tmp_path)
    clock = Clock()
    store = register.open(tmp_path)
    app = make_app(workspace, store, clock, agenda="weekly-coordination")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, AttendanceScreen)
        await pilot.press("s")
        await settle(app, pilot)
        await pilot.press("n", "n")
        await settle(app, pilot)
        await pilot.press("e", *"Four of six laptops late", "escape", "d")
        await settle(app, pilot)
        await pilot.press(*"Keep 5 laptops in stock", "enter", "c")
        await settle(app, pilot)
        await pilot.press(*"Order 5 laptops", "enter", *"zhang", "enter", "enter", *"+3d", "enter", "enter")
        await settle(app, pilot)
        clock.advance(minutes=7)
        await pilot.press("n")  # booking the 7 minutes of item 3 on the way
        await settle(app, pilot)
        clock.advance(minutes=2)
        app.screen.flush_time()  # what the FLUSH_SECONDS timer does
        await settle(app, pilot)
        # Everything is already in the register before the "kill": nothing waits for a clean exit.
        with register.open(tmp_path) as elsewhere:
            saved = elsewhere.meetings()[-1]
        assert saved.items[2].notes == "Four of six laptops late"
        assert saved.items[2].spent == 7 * 60 and saved.current == 3
        assert saved.items[3].spent == 2 * 60
    store.close()

    # A new process on the same data: home offers to resume, the runner shows it all.
    again = register.open(tmp_path)
    app = make_app(workspace, again, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert "Press u to resume" in text_of(app, "#home-banner")
        await pilot.press("u")
        await settle(app, pilot)
        runner = app.screen
        assert isinstance(runner, RunnerScreen)
        assert runner.index == 3
        assert runner.live_spent()[3] == 2 * 60
        await pilot.press("p")
        await settle(app, pilot)
        assert runner.query_one("#notes").text == "Four of six laptops late"
        assert "Keep 5 laptops in stock" in text_of(app, "#item-decisions")
        assert "A-1 Order 5 laptops" in text_of(app, "#item-actions")
        assert runner.live_spent()[2] == 7 * 60
        assert "Zhang Wei" in text_of(app, "#item-actions")
    again.close()


async def test_triage_accepts_and_declines_requests(tmp_path, workspace_store):
    workspace = make_workspace(tmp_path)
    store = workspace_store
    clock = Clock()
    app = make_app(workspace, store, clock, agenda="weekly-coordination")
    services: Services = app.services
    services.add_request("Two more monitors", requester="sales", supplier="it")
    services.add_request("Team offsite budget", requester="sales", supplier="finance")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("s")
        await settle(app, pilot)
        await pilot.press("n")
        await settle(app, pilot)
        assert "Two more monitors" in text_of(app, "#triage-detail")
        await pilot.press("a")
        await settle(app, pilot)
        assert isinstance(app.screen, CaptureDialog)
        await pilot.press("ctrl+s")  # title, owner (IT's lead) and requester come from the request
        await settle(app, pilot)
        await pilot.press("down", "x")
        await settle(app, pilot)
        await pilot.press(*"No budget this quarter", "enter")
        await settle(app, pilot)
    first, second = store.requests()
    assert first.status is RequestStatus.ACCEPTED and first.action == "A-1"
    assert store.action("A-1").owner == "zhang-wei" and store.action("A-1").requester == "sales"
    assert second.status is RequestStatus.DECLINED and second.reason == "No budget this quarter"
    assert store.meetings()[0].items[1].actions == ("A-1",)


async def test_invalid_agenda_shows_its_problems_instead_of_starting(tmp_path, workspace_store):
    workspace = make_workspace(tmp_path)
    (workspace.agendas_dir / "broken.yaml").write_text("version: 1\nseries: broken\ntitle: B\nitems:\n  - title: x\n    timebox: ten\n")
    app = make_app(workspace, workspace_store, Clock(), agenda="broken")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, AgendaPickerScreen)
        detail = text_of(app, "#agenda-detail")
        assert "broken.yaml:6:" in detail
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, AgendaPickerScreen)
        assert not app.store.meetings()


async def test_mouse_clicks_an_agenda_item_and_a_footer_key(tmp_path, workspace_store):
    workspace = make_workspace(tmp_path)
    app = make_app(workspace, workspace_store, Clock(), agenda="weekly-coordination")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.click("#attendance-start")
        await settle(app, pilot)
        runner = app.screen
        assert isinstance(runner, RunnerScreen)
        # Each agenda item takes two lines under the list's top border: the fourth starts on line 7.
        await pilot.click("#agenda-list", offset=(5, 7))
        await settle(app, pilot)
        assert runner.index == 3
        assert app.store.meetings()[0].current == 3


async def test_a_running_meeting_of_the_series_is_offered_for_resuming(tmp_path, backend, workspace_store):
    workspace = make_workspace(tmp_path)
    store = workspace_store
    app = make_app(workspace, store, Clock(), agenda="weekly-coordination")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("s")
        await settle(app, pilot)
        await pilot.press("n")
        await settle(app, pilot)
    # `icm run` again: a new process opens the register anew (the same one, for memory).
    with backend.open(tmp_path) as again:
        app = make_app(workspace, again, Clock(), agenda="weekly-coordination")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            assert isinstance(app.screen, ConfirmDialog)
            await pilot.press("y")
            await settle(app, pilot)
            assert isinstance(app.screen, RunnerScreen) and app.screen.index == 1
        assert len(again.meetings()) == 1
