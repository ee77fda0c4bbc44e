"""Problems found by using the TUI as a new facilitator would, each pinned by a test.

Those whose outcome goes through the store run on each backend (`workspace_store`); those about
a dialog or the layout alone on memory.
"""

from __future__ import annotations

from datetime import date

from textual import events
from textual.widgets import DataTable, Label
from textual.widgets._footer import FooterKey

from icm_tui.store import MemoryStore
from icm_tui.tui.dialogs import ConfirmDialog, ScoreDialog
from icm_tui.tui.dialogs.capture import Captured, CaptureDialog
from icm_tui.tui.screens.runner import RunnerScreen
from icm_tui.tui.screens.summary import SummaryScreen

from runner_helpers import NOW, Clock, make_app, make_workspace, seed_older_items, settle, text_of
from runner_helpers import quick_idle, workspace_store  # noqa: F401 (fixtures)


def burst(app, text: str) -> None:
    """Post every key of `text` at once, as a fast typist or a paste does (`\\r` is Enter)."""
    for char in text:
        if char == "\r":
            app.post_message(events.Key("enter", "\r"))
        elif char == " ":
            app.post_message(events.Key("space", " "))
        else:
            app.post_message(events.Key(char, char))


async def test_capture_enter_moves_to_the_next_field_even_when_typing_fast(tmp_path):
    """Typed straight after Enter, the owner lands in Owner, not in Title."""
    workspace = make_workspace(tmp_path)
    app = make_app(workspace, MemoryStore(), Clock())
    answers: list[Captured | None] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.push_screen(CaptureDialog(app.org, NOW.date()), answers.append)
        await settle(app, pilot)
        burst(app, "Buy laptops\rtom-becker\rsales\rfri\rhigh\r")
        await settle(app, pilot)
    assert answers == [
        Captured(title="Buy laptops", owner="tom-becker", requester="sales", due=date(2026, 12, 4), priority="high")
    ]


async def start_meeting(app, pilot) -> RunnerScreen:
    """From `icm run AGENDA`: everyone present, start, the runner."""
    await settle(app, pilot)
    await pilot.press("s")
    await settle(app, pilot)
    assert isinstance(app.screen, RunnerScreen)
    return app.screen


async def test_a_pulse_rating_shows_all_five_stars_under_a_short_department_name(tmp_path, workspace_store):
    """IT and HR are two cells wide; a rating given in the meeting must not be cut to ★★."""
    workspace = make_workspace(tmp_path)
    app = make_app(workspace, workspace_store, Clock(), agenda="monthly-service-review")
    async with app.run_test(size=(120, 40)) as pilot:
        runner = await start_meeting(app, pilot)
        runner.go_to(5)
        await settle(app, pilot)
        table = app.screen.query_one("#pulse-table", DataTable)
        await pilot.press("4")  # the cursor starts on IT rates HR
        await settle(app, pilot)
        assert table.get_cell("it", "hr").plain == "★★★★☆"
        strip = table.render_line(1 + 0)  # the header is line 0, IT's row line 1
        assert "★★★★☆" in "".join(segment.text for segment in strip)


async def test_ending_counts_only_items_never_visited_as_not_reached(tmp_path, workspace_store):
    """Gone through items 2 and 3 and back to 1: only items 4 to 6 were not reached."""
    workspace = make_workspace(tmp_path)
    clock = Clock()
    app = make_app(workspace, workspace_store, clock, agenda="weekly-coordination")
    async with app.run_test(size=(120, 40)) as pilot:
        await start_meeting(app, pilot)
        for key in ("n", "n", "p", "p"):
            clock.advance(seconds=20)
            await pilot.press(key)
            await settle(app, pilot)
        await pilot.press("f")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert "3 item(s) not reached yet" in app.screen.question


async def test_at_80x24_the_action_just_captured_is_in_sight(tmp_path):
    """Under a decision and an earlier action, the newest action is scrolled into the small outcomes box."""
    workspace = make_workspace(tmp_path)
    # Memory only: about the scrolling of the box; capturing on each backend is the runner flow's test.
    app = make_app(workspace, MemoryStore(), Clock(), agenda="weekly-coordination")
    async with app.run_test(size=(80, 24)) as pilot:
        runner = await start_meeting(app, pilot)
        runner.go_to(2)
        await settle(app, pilot)
        await pilot.press("d", *"Keep a buffer of laptops", "enter")
        await settle(app, pilot)
        for title in ("Order laptops", "Second action [/] here"):
            await pilot.press("c")
            await settle(app, pilot)
            await pilot.press(*title, "enter", *"tom-becker", "ctrl+s")
            await settle(app, pilot)
        await pilot.pause()
        outcomes = app.screen.query_one("#item-outcomes")
        assert not text_of(app, "#item-decisions").rstrip(" ").endswith("\n\n")
        assert outcomes.max_scroll_y > 0  # it does not all fit: the test means something
        assert outcomes.scroll_y == outcomes.max_scroll_y


async def test_every_screen_shows_the_palette_key_once_and_help_fits_at_80_columns(tmp_path):
    """Actions, requests and reports drew a second "^p Commands" over their own keys at 80 columns."""
    workspace = make_workspace(tmp_path)
    app = make_app(workspace, MemoryStore(), Clock())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        for key in ("a", "r", "R"):
            await pilot.press(key)
            await settle(app, pilot)
            palette_keys = [k for k in app.screen.query(FooterKey) if k.key == "ctrl+p"]
            assert len(palette_keys) == 1, app.screen
            if key != "a":  # the actions screen has more keys than 80 columns; its ? is in the palette
                help_key = next(k for k in app.screen.query(FooterKey) if k.key == "question_mark")
                assert help_key.region.right <= 80, app.screen
            await pilot.press("escape")
            await settle(app, pilot)


async def test_the_score_dialog_hint_is_not_cut_off(tmp_path):
    """The hint ended "Esc to cance" in a 70-column dialog: it wraps now."""
    app = make_app(make_workspace(tmp_path), MemoryStore(), Clock())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.push_screen(ScoreDialog("Sales confirms A-2: Approve Q1 sales requisitions"))
        await settle(app, pilot)
        hint = app.screen.query_one(".score-hint", Label)
        assert hint.size.height >= 2
        assert hint.size.width <= hint.parent.content_size.width


async def test_triage_detail_says_what_became_of_the_request(tmp_path, workspace_store):
    """At 80 columns the Outcome column is off-screen; the detail under the inbox says it."""
    workspace = make_workspace(tmp_path)
    app = make_app(workspace, workspace_store, Clock(), agenda="weekly-coordination")
    app.services.add_request("VPN for new hires", requester="sales", supplier="it")
    app.services.add_request("[bold]Faster invoices", requester="procurement", supplier="finance")
    async with app.run_test(size=(80, 24)) as pilot:
        runner = await start_meeting(app, pilot)
        runner.go_to(1)
        await settle(app, pilot)
        assert "a accepts it" in text_of(app, "#triage-detail")
        await pilot.press("a")
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "Accepted as A-1" in text_of(app, "#triage-detail")
        await pilot.press("down", "x")
        await settle(app, pilot)
        await pilot.press(*"Not [b]ours[/b]", "enter")
        await settle(app, pilot)
        assert "Declined: Not [b]ours[/b]" in text_of(app, "#triage-detail")


async def test_summary_says_none_instead_of_drawing_empty_tables(tmp_path, workspace_store):
    """A meeting with no actions, reviews or pulse showed three empty boxes."""
    workspace = make_workspace(tmp_path)
    app = make_app(workspace, workspace_store, Clock(), agenda="weekly-coordination")
    async with app.run_test(size=(120, 40)) as pilot:
        await start_meeting(app, pilot)
        await pilot.press("f")
        await settle(app, pilot)
        await pilot.press("y")
        await settle(app, pilot, rounds=5)
        assert isinstance(app.screen, SummaryScreen)
        shown = text_of(app, "#summary-content")
        for heading in ("New action items (0)", "Reviewed (0)", "Pulse (0)"):
            assert f"{heading}\n  none recorded" in shown
        assert "┏" not in shown.split("New action items (0)")[1]


async def test_home_counts_read_as_english(tmp_path, workspace_store):
    """"1 meetings, 1 new requests" after the first meeting."""
    workspace = make_workspace(tmp_path)
    app = make_app(workspace, workspace_store, Clock())
    app.services.add_request("VPN for new hires", requester="sales", supplier="it")
    app.services.add_action("Order laptops", owner="tom-becker")
    org = app.org
    from icm_tui.domain.loader import load_agenda

    agenda = load_agenda(workspace.agendas_dir / "weekly-coordination.yaml", org)
    app.services.end_meeting(app.services.start_meeting(agenda, absent=()).ref)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        banner = text_of(app, "#home-banner")
        assert "1 meeting, 1 action item, 1 new request." in banner
        assert "1 new request\n" in text_of(app, "#home-counts") + "\n"


async def test_review_keys_show_in_the_footer_when_the_queue_arrives_after_the_focus(tmp_path):
    """On PostgreSQL the queue came after the keyboard was on the table: the footer kept none of x, s, o..."""
    import threading

    from textual.widgets._footer import FooterKey

    from icm_tui.tui.widgets.review_panel import ReviewPanel

    workspace = make_workspace(tmp_path)
    store = MemoryStore()  # a slow register, whichever it is, is simulated below
    seed_older_items(store, workspace, "weekly-coordination")
    app = make_app(workspace, store, Clock(), agenda="weekly-coordination")
    answered = threading.Event()
    review_queue = app.services.review_queue

    def slow_review_queue(*args, **kwargs):
        answered.wait(10)  # the register answers once the table has the keyboard
        return review_queue(*args, **kwargs)

    app.services.review_queue = slow_review_queue  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("s")  # start: the runner opens on the review item
        panel = None
        for _ in range(200):
            await pilot.pause()
            if isinstance(app.screen, RunnerScreen) and app.screen.query(ReviewPanel):
                panel = app.screen.query_one(ReviewPanel)
                if panel.table.has_focus:
                    break
        assert panel is not None and panel.table.has_focus and not panel.loaded
        answered.set()
        await settle(app, pilot)
        assert panel.loaded and panel.current is not None
        shown = {key.key for key in app.screen.query(FooterKey)}
        assert {"x", "s", "o", "b", "u", "t", "k"} <= shown, shown


async def test_triage_keys_in_the_footer_follow_the_highlighted_request(tmp_path, monkeypatch):
    """Accept and Decline stayed as drawn first: missing on a new request, offered for an accepted one."""
    import threading

    from textual.widgets._footer import FooterKey

    import icm_tui.tui.widgets.triage_panel as triage_module

    def offered() -> set[str]:
        return {key.key for key in app.screen.query(FooterKey)} & {"a", "x"}

    workspace = make_workspace(tmp_path)
    app = make_app(workspace, MemoryStore(), Clock(), agenda="weekly-coordination")
    app.services.add_request("VPN for new hires", requester="sales", supplier="it")
    app.services.add_request("Faster invoices", requester="procurement", supplier="finance")
    answered = threading.Event()
    triage_list = triage_module.triage_list

    def slow_triage_list(*args, **kwargs):
        answered.wait(10)  # a slow register: the inbox arrives after the table has the keyboard
        return triage_list(*args, **kwargs)

    monkeypatch.setattr(triage_module, "triage_list", slow_triage_list)
    async with app.run_test(size=(120, 40)) as pilot:
        runner = await start_meeting(app, pilot)
        runner.go_to(1)
        panel = app.screen.query_one(triage_module.TriagePanel)
        for _ in range(200):
            await pilot.pause()
            if panel.query_one("#triage-table").has_focus:
                break
        assert panel.query_one("#triage-table").has_focus and not panel.requests
        answered.set()
        await settle(app, pilot)
        assert panel.current.ref == "R-1" and offered() == {"a", "x"}
        await pilot.press("a")
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert panel.current.ref == "R-1" and panel.current.status.value == "accepted"
        assert offered() == set()
        await pilot.press("down")
        await settle(app, pilot)
        assert panel.current.ref == "R-2" and offered() == {"a", "x"}
        await pilot.press("up")
        await settle(app, pilot)
        assert offered() == set()
