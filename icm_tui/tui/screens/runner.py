"""The meeting runner: the agenda, the current item, its notes, decisions and actions, the clocks.

Everything is saved as it happens, through Services on the store thread: notes a moment after
typing stops and when leaving the item, every decision, action and review outcome at once, and
the clock every FLUSH_SECONDS and on every item change. A killed terminal loses at most that much
clock time and nothing else; the next `icm` offers to resume the meeting.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import ContentSwitcher, Footer, Header, Label, OptionList, Static, TextArea

from icm_tui.domain.dates import relative
from icm_tui.domain.models import ActionItem, Meeting, MeetingState
from icm_tui.tui.messages import StoreChanged
from icm_tui.tui.widgets.agenda_list import KIND_MARK, AgendaList, ItemState, item_state
from icm_tui.tui.widgets.clock import MeetingClock
from icm_tui.tui.widgets.meeting import MeetingUpdated
from icm_tui.tui.widgets.pulse_grid import PulseGrid
from icm_tui.tui.widgets.review_panel import ReviewPanel
from icm_tui.tui.widgets.triage_panel import TriagePanel

if TYPE_CHECKING:
    from icm_tui.tui.app import IcmApp
    from icm_tui.tui.dialogs.capture import Captured

replace = msgspec.structs.replace

FLUSH_SECONDS = 10.0
"""How often the item clock is saved: a killed terminal loses at most this much clock time."""

NOTES_DEBOUNCE = 0.8
"""Notes are saved this long after typing stops (and always when leaving the item)."""

PANELS = {"review": "review-panel", "triage": "triage-panel", "pulse": "pulse-grid"}
"""Item kinds with a panel of their own in the middle."""


def gather_meeting(app: IcmApp, ref: str) -> tuple[Meeting, dict[str, ActionItem]]:
    """The meeting and the action items captured in it (store thread)."""
    meeting = app.services.store.meeting(ref)
    refs = [r for item in meeting.items for r in item.actions]
    actions = {}
    for action_ref in refs:
        try:
            actions[action_ref] = app.services.store.action(action_ref)
        except Exception:  # an item missing from the register must not stop the meeting
            continue
    return meeting, actions


class RunnerScreen(Screen):
    """Run one meeting, item by item, saving as it goes."""

    HELP = """\
# Running a meeting

The agenda is on the left: **✓** done, **▶** current, upcoming plain; an item past its timebox
turns **yellow**. The top line shows the item clock against its timebox and the meeting clock.

Everything you do is saved at once: if the terminal closes, run `icm` again and resume.

- **n** / **p**: next / previous item (or click an item on the left, or Enter on it).
- **e**: write notes for this item (saved as you type); **Esc** leaves the notes.
- **d**: record a decision. **c**: capture an action item: title, owner (completion from
  org.yaml; the supplier is the owner's department), requester (the item's requester), due
  (`fri`, `+3d`, `+2w`, `eow`, `2026-12-04`), priority. Enter moves to the next field and saves
  on the last; ctrl+s saves at once.
- **space**: pause or resume the clocks.
- **f**: end the meeting: a summary, and the minutes written into `minutes/`.

**Review** items list the open follow-ups of this series (and escalated ones), oldest first:
**x** done, **s** confirm with a 1-5 score from the requester, **o** reopen with a reason,
**b** block with a reason, **u** push the due date, **t** add a note, **k** carry over unchanged.

**Triage** items list new requests: **a** accepts one into an action item, **x** declines it
with a reason.

**Pulse** items show a grid: each row's department rates each column's department that served
it. Arrows pick a cell, **1**-**5** rates it, **Enter** or **m** rates with a comment.
"""

    BINDINGS = [
        Binding("n", "next", "Next", tooltip="Go to the next agenda item", id="runner.next"),
        Binding("p", "previous", "Prev", tooltip="Go back to the previous agenda item", id="runner.previous"),
        Binding("e", "edit_notes", "Notes", tooltip="Write notes for this item (Esc leaves)", id="runner.notes"),
        Binding("escape", "leave_notes", "Leave notes", show=False, id="runner.leave_notes"),
        Binding("d", "decision", "Decision", tooltip="Record a decision under this item", id="runner.decision"),
        Binding("c", "capture", "Action", tooltip="Capture an action item: title, owner, requester, due, priority",
                id="runner.capture"),
        Binding("space", "pause", "Pause", tooltip="Pause or resume the clocks", id="runner.pause"),
        Binding("f", "end", "End", tooltip="End the meeting: summary and minutes", id="runner.end"),
    ]

    def __init__(self, meeting_ref: str) -> None:
        super().__init__()
        self.ref = meeting_ref
        """The meeting run here."""
        self.meeting: Meeting | None = None
        """The meeting as last saved."""
        self.actions: dict[str, ActionItem] = {}
        """The action items captured in this meeting, by ref."""
        self.index = 0
        """The item on screen (the meeting's current item)."""
        self.spent: list[float] = []
        """Seconds per item, including what has not been saved yet."""
        self.paused = False
        """True while the clocks are stopped."""
        self._segment_start: datetime | None = None
        self._notes_index: int | None = None
        self._notes_dirty = False
        self._notes_timer: Timer | None = None
        self._ending = False
        self._overrun: list[bool] | None = None

    def on_resize(self, event: events.Resize) -> None:
        """Below 100 columns or 30 rows, a more compact layout."""
        self.set_class(event.size.width < 100 or event.size.height < 30, "-narrow")
        self.refresh_bindings()

    @property
    def icm(self) -> IcmApp:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Header()
        yield MeetingClock(id="runner-clock")
        with Horizontal(id="runner-body"):
            yield AgendaList(id="agenda-list")
            with Vertical(id="runner-main"):
                yield Static(Text("Loading the meeting…", style="italic"), id="item-title")
                yield Static(Text(""), id="item-meta")
                yield Static(Text(""), id="item-prompt")
                with ContentSwitcher(id="item-panels", initial=None):
                    yield ReviewPanel(id="review-panel")
                    yield TriagePanel(id="triage-panel")
                    yield PulseGrid(id="pulse-grid")
                yield Label("Notes (e to write, Esc to leave)", id="notes-label", classes="muted")
                yield TextArea(id="notes", soft_wrap=True, show_line_numbers=False)
                with VerticalScroll(id="item-outcomes"):
                    yield Static(Text(""), id="item-decisions")
                    yield Static(Text(""), id="item-actions")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#notes", TextArea).can_focus = True
        self.icm.submit(lambda: gather_meeting(self.icm, self.ref), self._loaded)
        self.set_interval(1.0, self._tick)
        self.set_interval(FLUSH_SECONDS, self.flush_time)

    def _loaded(self, result: tuple[Meeting, dict[str, ActionItem]]) -> None:
        meeting, actions = result
        if meeting.state is not MeetingState.RUNNING:
            self.notify(f"{meeting.ref} has already ended.", severity="warning", markup=False)
            self.dismiss()
            return
        self.meeting = meeting
        self.actions = actions
        self.spent = [item.spent for item in meeting.items]
        self.index = meeting.current
        self._segment_start = self.icm.clock()
        self.sub_title = f"{meeting.ref} · {meeting.title}"
        self._show_item(focus=True)

    # ------------------------------------------------------------ time

    def _segment(self) -> float:
        """Seconds on the current item since the clock was last booked."""
        if self._segment_start is None or self.paused:
            return 0.0
        return max((self.icm.clock() - self._segment_start).total_seconds(), 0.0)

    def _book(self) -> float:
        """Take the unbooked seconds of the current item into `spent`; return them."""
        seconds = self._segment()
        if self._segment_start is not None and not self.paused:
            self._segment_start = self.icm.clock()
        if seconds and self.spent:
            self.spent[self.index] += seconds
        return seconds

    def live_spent(self) -> list[float]:
        """Seconds per item, the running one included."""
        spent = list(self.spent)
        if spent:
            spent[self.index] += self._segment()
        return spent

    def flush_time(self) -> None:
        """Save the time spent on the current item since the last save."""
        if self.meeting is None or self._ending:
            return
        seconds = self._book()
        if seconds >= 0.1:
            ref, index, services = self.ref, self.index, self.icm.services
            self.icm.submit(lambda: services.add_time(ref, index, seconds), self._saved)

    def _tick(self) -> None:
        if self.meeting is None:
            return
        spent = self.live_spent()
        meeting = self.meeting
        item = meeting.items[self.index]
        planned = meeting.planned_minutes
        self.query_one(MeetingClock).show(meeting.title, spent[self.index], item.timebox, sum(spent), planned, self.paused)
        overrun = [i.timebox > 0 and s > i.timebox * 60 for i, s in zip(meeting.items, spent)]
        agenda = self.query_one(AgendaList)
        if overrun != self._overrun:
            self._overrun = overrun
            agenda.show(meeting, spent, self.index)
        else:
            agenda.show_current(meeting, spent, self.index)

    # ------------------------------------------------------------ showing

    def _show_item(self, focus: bool = False) -> None:
        meeting = self.meeting
        if meeting is None:
            return
        item = meeting.items[self.index]
        org = self.icm.org
        self.query_one("#item-title", Static).update(
            Text.assemble(
                (f"{self.index + 1}/{len(meeting.items)} ", "dim"), (item.title, "bold"),
                (f"  {KIND_MARK.get(item.kind, '•')} {item.kind}", "italic"),
            )
        )
        meta = [f"{item.timebox} min"]
        if item.requester or item.supplier:
            meta.append(f"{org.department_name(item.requester) or '?'} → {org.department_name(item.supplier) or '?'}")
        if item.presenter:
            meta.append(f"presenter {org.person_name(item.presenter)}")
        self.query_one("#item-meta", Static).update(Text(" · ".join(meta), style="dim"))
        prompt = self.query_one("#item-prompt", Static)
        prompt.update(Text(item.prompt.strip()))
        prompt.display = bool(item.prompt.strip())

        notes = self.query_one("#notes", TextArea)
        if self._notes_index != self.index:
            notes.load_text(item.notes)
            self._notes_index = self.index
            self._notes_dirty = False

        panels = self.query_one("#item-panels", ContentSwitcher)
        panel_id = PANELS.get(item.kind)
        panels.display = panel_id is not None
        self.set_class(panel_id is not None, "-with-panel")
        if panel_id is not None:
            panels.current = panel_id
            panel = self.query_one(f"#{panel_id}")
            if isinstance(panel, TriagePanel):
                panel.load(meeting, self.index)
            elif isinstance(panel, (ReviewPanel, PulseGrid)):
                panel.load(meeting)
        self._show_outcomes()
        self._overrun = None
        self._tick()
        agenda = self.query_one(AgendaList)
        agenda.show(meeting, self.live_spent(), self.index)
        agenda.highlighted = self.index
        if focus:
            if panel_id is not None:
                self.query_one(f"#{panel_id}").focus_table()  # type: ignore[attr-defined]
            else:
                agenda.focus()
        self.refresh_bindings()

    def _show_outcomes(self, reveal: str = "") -> None:
        """Show the item's decisions and actions; `reveal` ("decisions" or "actions") scrolls its last line into view."""
        meeting = self.meeting
        if meeting is None:
            return
        item = meeting.items[self.index]
        decisions = Text()
        if item.decisions:
            decisions.append("Decisions\n", style="bold")
            for text in item.decisions:
                decisions.append("  ◆ ")
                decisions.append(text)
                decisions.append("\n")
        else:
            decisions.append("No decision yet (d records one). ", style="dim")
        decisions.rstrip()
        self.query_one("#item-decisions", Static).update(decisions)
        actions = Text()
        if item.actions:
            actions.append("Actions\n", style="bold")
            today = self.icm.services.today()
            org = self.icm.org
            for ref in item.actions:
                action = self.actions.get(ref)
                actions.append(f"  {ref} ", style="bold")
                if action is None:
                    actions.append("\n")
                    continue
                actions.append(action.title)
                actions.append(
                    f"  {org.person_name(action.owner)} → {org.department_name(action.requester) or '—'}, "
                    f"{relative(action.due, today)}, {action.priority.value}\n",
                    style="dim",
                )
        else:
            actions.append("No action yet (c captures one).", style="dim")
        actions.rstrip()
        self.query_one("#item-actions", Static).update(actions)
        if reveal:
            # At 80x24 the outcomes show a few lines: keep what was just recorded in sight.
            self.call_after_refresh(self._reveal, reveal)

    def _reveal(self, part: str) -> None:
        outcomes = self.query_one("#item-outcomes", VerticalScroll)
        if part == "actions":
            outcomes.scroll_end(animate=False, immediate=True)
            return
        bottom = self.query_one("#item-decisions", Static).virtual_region.bottom
        outcomes.scroll_to(y=max(bottom - outcomes.scrollable_content_region.height, 0), animate=False, immediate=True)

    def _saved(self, meeting: Meeting) -> None:
        """A write came back: keep the saved meeting (the screen already shows what was typed)."""
        self.meeting = meeting
        self.icm.mark_seen()

    @on(MeetingUpdated)
    def _panel_saved(self, event: MeetingUpdated) -> None:
        event.stop()
        self.meeting = event.meeting
        self._show_outcomes()
        unknown = [r for item in event.meeting.items for r in item.actions if r not in self.actions]
        if unknown:  # an accepted request became an action: fetch it to list it with its title

            def fetched(result: tuple[Meeting, dict[str, ActionItem]]) -> None:
                self.actions.update(result[1])
                self._show_outcomes(reveal="actions")

            self.icm.submit(lambda: gather_meeting(self.icm, self.ref), fetched)

    @on(StoreChanged)
    def _store_changed(self, event: StoreChanged) -> None:
        """Another process changed the register: re-read the meeting (not the clock or the notes being typed)."""
        if not event.external or self.meeting is None:
            return

        def reloaded(result: tuple[Meeting, dict[str, ActionItem]]) -> None:
            self.meeting, self.actions = result
            self._show_outcomes()

        self.icm.submit(lambda: gather_meeting(self.icm, self.ref), reloaded)

    # ------------------------------------------------------------ notes

    @on(TextArea.Changed, "#notes")
    def _notes_changed(self) -> None:
        if self._notes_index != self.index or self.meeting is None:
            return
        if self.query_one("#notes", TextArea).text == self.meeting.items[self.index].notes:
            return
        self._notes_dirty = True
        if self._notes_timer is not None:
            self._notes_timer.stop()
        self._notes_timer = self.set_timer(NOTES_DEBOUNCE, self.flush_notes)

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        """Leaving the notes editor saves them."""
        if event.widget.id == "notes":
            self.flush_notes()

    def flush_notes(self) -> None:
        """Save the notes of the item on screen when they changed."""
        if self._notes_timer is not None:
            self._notes_timer.stop()
            self._notes_timer = None
        if not self._notes_dirty or self.meeting is None or self._notes_index is None:
            return
        self._notes_dirty = False
        text, index, ref, services = self.query_one("#notes", TextArea).text, self._notes_index, self.ref, self.icm.services
        self.icm.submit(lambda: services.set_notes(ref, index, text), self._saved)

    def flush_pending(self) -> None:
        """Before the app closes: queue every unsaved change (the store thread drains them)."""
        self.flush_notes()
        self.flush_time()

    def action_edit_notes(self) -> None:
        """Write notes for this item."""
        self.query_one("#notes", TextArea).focus()

    def action_leave_notes(self) -> None:
        """Leave the notes (they are saved)."""
        self.flush_notes()
        self._focus_main()

    def _focus_main(self) -> None:
        if self.meeting is None:
            return
        panel_id = PANELS.get(self.meeting.items[self.index].kind)
        if panel_id is not None:
            self.query_one(f"#{panel_id}").focus_table()  # type: ignore[attr-defined]
        else:
            self.query_one(AgendaList).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "leave_notes":
            return self.query_one("#notes", TextArea).has_focus
        if action == "edit_notes":
            # At 80x24 a review, triage or pulse panel takes the notes' place.
            return not (self.has_class("-narrow") and self.has_class("-with-panel"))
        if self.meeting is None:
            return action not in ("next", "previous", "decision", "capture", "pause", "end", "edit_notes")
        if action == "next":
            return self.index < len(self.meeting.items) - 1
        if action == "previous":
            return self.index > 0
        return True

    # ------------------------------------------------------------ moving

    def go_to(self, index: int) -> None:
        """Move to item `index`, saving the notes and the clock of the one being left."""
        meeting = self.meeting
        if meeting is None or not 0 <= index < len(meeting.items) or index == self.index:
            return
        self.flush_notes()
        seconds = self._book()
        ref, services = self.ref, self.icm.services
        self.icm.submit(lambda: services.go_to(ref, index, spent_on_current=seconds), self._saved)
        self.index = index
        # Show the move at once: the saved meeting follows.
        self.meeting = meeting
        self._show_item(focus=True)

    def action_next(self) -> None:
        """Go to the next agenda item."""
        if self.meeting is not None:
            self.go_to(self.index + 1)

    def action_previous(self) -> None:
        """Go back to the previous agenda item."""
        self.go_to(self.index - 1)

    @on(OptionList.OptionSelected, "#agenda-list")
    def _item_chosen(self, event: OptionList.OptionSelected) -> None:
        """Enter or a click on an agenda item goes there."""
        if event.option.id is not None:
            self.go_to(int(event.option.id))

    def action_pause(self) -> None:
        """Stop or restart the clocks."""
        if self.meeting is None:
            return
        if self.paused:
            self.paused = False
            self._segment_start = self.icm.clock()
        else:
            self.flush_time()
            self.paused = True
        self._tick()
        self.notify("Clocks paused: space resumes." if self.paused else "Clocks running.", timeout=2)

    # ------------------------------------------------------------ capture

    def action_decision(self) -> None:
        """Record a decision under this item."""
        from icm_tui.tui.dialogs import PromptDialog

        if self.meeting is None:
            return
        item = self.meeting.items[self.index]
        index, ref, services = self.index, self.ref, self.icm.services

        def save(text: str | None) -> None:
            if text:
                self.icm.submit(lambda: services.add_decision(ref, index, text), self._decided)

        self.app.push_screen(
            PromptDialog(f"Decision under “{item.title}”", placeholder="What was decided, in one sentence"), save
        )

    def _decided(self, meeting: Meeting) -> None:
        self._saved(meeting)
        self._show_outcomes(reveal="decisions")

    def action_capture(self) -> None:
        """Capture an action item under this item."""
        from icm_tui.tui.dialogs.capture import CaptureDialog

        if self.meeting is None:
            return
        item = self.meeting.items[self.index]
        dialog = CaptureDialog(
            self.icm.org, self.icm.services.today(), heading=f"New action under “{item.title}”",
            requester=item.requester,
        )
        index = self.index
        self.app.push_screen(dialog, lambda answer: answer and self.save_action(index, answer))

    def save_action(self, index: int, answer: Captured) -> None:
        """Save a captured action item under item `index` (off the event loop)."""
        ref, services = self.ref, self.icm.services

        def run() -> ActionItem:
            return services.capture_action(
                ref, index, answer.title, owner=answer.owner, requester=answer.requester or None,
                due=answer.due, priority=answer.priority,
            )

        def done(action: ActionItem) -> None:
            self.actions[action.ref] = action
            meeting = self.meeting
            if meeting is not None and action.ref not in meeting.items[index].actions:
                # The store listed it under the item; mirror that here rather than read the meeting back.
                items = list(meeting.items)
                items[index] = replace(items[index], actions=(*items[index].actions, action.ref))
                self.meeting = replace(meeting, items=tuple(items))
            self.icm.mark_seen()
            self._show_outcomes(reveal="actions")
            self.notify(f"{action.ref} saved: {action.title}", timeout=3, markup=False)

        self.icm.submit(run, done)

    # ------------------------------------------------------------ ending

    def action_end(self) -> None:
        """End the meeting: summary and minutes."""
        from icm_tui.tui.dialogs import ConfirmDialog

        if self.meeting is None:
            return
        # Items passed on the way (n, n, n) count as visited, like the ✓ in the agenda.
        spent = self.live_spent()
        left = sum(
            1 for i, item in enumerate(self.meeting.items)
            if item_state(i, self.index, replace(item, spent=spent[i])) is ItemState.UPCOMING
        )
        more = f"\n{left} item(s) not reached yet." if left > 0 else ""
        self.app.push_screen(
            ConfirmDialog(f"End {self.meeting.ref} and write the minutes?{more}", yes="End meeting", no="Keep going"),
            lambda yes: yes and self.end_meeting(),
        )

    def end_meeting(self) -> None:
        """Save everything, end the meeting, write the minutes, show the summary."""
        if self._ending or self.meeting is None:
            return
        self.flush_notes()
        seconds = self._book()
        self._ending = True
        ref, app = self.ref, self.icm
        minutes_dir = app.workspace.minutes_dir

        def run() -> tuple[Meeting, Path | None, str]:
            meeting = app.services.end_meeting(ref, spent_on_current=seconds)
            try:
                from icm_tui.export.minutes_yaml import write_minutes
            except ImportError:
                return meeting, None, "the minutes exporter is not available in this build"
            try:
                return meeting, write_minutes(app.services, meeting.ref, minutes_dir), ""
            except Exception as error:  # the meeting is ended and saved; say why the file is missing
                return meeting, None, f"{type(error).__name__}: {error}"

        def done(result: tuple[Meeting, Path | None, str]) -> None:
            from icm_tui.tui.screens.summary import SummaryScreen

            meeting, path, problem = result
            app.mark_seen()
            if path is not None:
                shown = path.relative_to(app.workspace.root) if path.is_relative_to(app.workspace.root) else path
                app.notify(f"Minutes written to {shown}", title=f"{meeting.ref} ended", timeout=8, markup=False)
            else:
                app.notify(f"{meeting.ref} ended, but no minutes were written: {problem}", severity="warning",
                           timeout=10, markup=False)
            app.switch_screen(SummaryScreen(meeting.ref, minutes=path))

        def failed(error: Exception) -> None:
            self._ending = False
            app.report_error(error)

        app.submit(run, done, failed)
