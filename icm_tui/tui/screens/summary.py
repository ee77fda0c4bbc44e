"""After a meeting: time per item against its timebox, decisions, new actions, reviewed items, pulse."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from icm_tui.domain.models import ActionSummary, Meeting, Pulse
from icm_tui.tui.widgets.meeting import clock_text

if TYPE_CHECKING:
    from icm_tui.tui.app import IcmApp


@dataclass(frozen=True)
class MeetingRecord:
    """A meeting with the action items captured in it and the pulses given in it."""

    meeting: Meeting
    actions: list[ActionSummary]
    pulses: list[Pulse]


def gather_record(app: IcmApp, ref: str) -> MeetingRecord:
    """Read a meeting's record (store thread)."""
    store = app.services.store
    meeting = store.meeting(ref)
    listed = {r for item in meeting.items for r in item.actions}
    # One streamed pass over summaries (the table shows no history): never 50,000 whole items held.
    actions = [a for a in store.iter_action_summaries() if a.ref in listed or a.meeting == meeting.ref]
    pulses = [p for p in store.pulses() if p.meeting == meeting.ref]
    return MeetingRecord(meeting, actions, pulses)


def none_recorded(heading: str) -> Text:
    """A section with nothing in it: its heading and "none recorded", not an empty table."""
    return Text.assemble((f"{heading}\n", "italic"), ("  none recorded\n", "dim"))


def summary_tables(record: MeetingRecord, app: IcmApp) -> list[Table | Text]:
    """The summary as Rich renderables; every user text literal."""
    meeting, org = record.meeting, app.org
    parts: list[Table | Text] = []
    ended = f"{meeting.ended:%H:%M}" if meeting.ended else "still running"
    spent_total = sum(i.spent for i in meeting.items)
    planned = meeting.planned_minutes
    header = Text.assemble(
        (f"{meeting.ref} ", "bold"), (meeting.title, "bold"), "\n",
        (f"{meeting.started:%Y-%m-%d %H:%M} – {ended} · {clock_text(spent_total)} on items of {planned} min planned · "
         f"present: {', '.join(org.department_name(a) for a in meeting.attendees) or '—'}"
         f"{' · absent: ' + ', '.join(org.department_name(a) for a in meeting.absent) if meeting.absent else ''}", "dim"),
    )
    parts.append(header)

    items = Table(title="Time per item", title_justify="left", expand=True)
    items.add_column("#", justify="right", width=3)
    items.add_column("Item", ratio=1)
    items.add_column("Spent", justify="right")
    items.add_column("Timebox", justify="right")
    items.add_column("Decisions", justify="right")
    items.add_column("Actions", justify="right")
    for number, item in enumerate(meeting.items, 1):
        over = item.timebox and item.spent > item.timebox * 60
        items.add_row(
            str(number), Text(item.title), Text(clock_text(item.spent), style="bold yellow" if over else ""),
            f"{item.timebox} min", str(len(item.decisions)), str(len(item.actions)),
        )
    parts.append(items)

    decisions = Text("Decisions\n", style="bold")
    found = False
    for item in meeting.items:
        for text in item.decisions:
            found = True
            decisions.append("  ◆ ")
            decisions.append(text)
            decisions.append(f"  ({item.title})\n", style="dim")
    if not found:
        decisions.append("  none recorded\n", style="dim")
    parts.append(decisions)

    actions = Table(title=f"New action items ({len(record.actions)})", title_justify="left", expand=True)
    for column in ("Ref", "Title", "Owner", "For", "Due", "Priority"):
        actions.add_column(column, ratio=1 if column == "Title" else None)
    for action in record.actions:
        actions.add_row(
            action.ref, Text(action.title), Text(org.person_name(action.owner)),
            Text(org.department_name(action.requester) or "—"), str(action.due or "—"), action.priority.value,
        )
    parts.append(actions if record.actions else none_recorded("New action items (0)"))

    reviewed = Table(title=f"Reviewed ({len(meeting.reviewed)})", title_justify="left", expand=True)
    for column in ("Ref", "From", "To", "Score", "Note"):
        reviewed.add_column(column, ratio=1 if column == "Note" else None)
    for outcome in meeting.reviewed:
        reviewed.add_row(
            outcome.ref, outcome.old, outcome.new, str(outcome.score or ""),
            Text(outcome.note + (" (carried)" if outcome.carried else "")),
        )
    parts.append(reviewed if meeting.reviewed else none_recorded("Reviewed (0)"))

    pulse = Table(title=f"Pulse ({len(record.pulses)})", title_justify="left", expand=True)
    for column in ("From", "About", "Score", "Comment"):
        pulse.add_column(column, ratio=1 if column == "Comment" else None)
    for given in record.pulses:
        pulse.add_row(
            Text(org.department_name(given.rater)), Text(org.department_name(given.about)),
            "★" * given.score, Text(given.comment),
        )
    parts.append(pulse if record.pulses else none_recorded("Pulse (0)"))
    return parts


class SummaryScreen(Screen):
    """What a meeting produced; where its minutes were written."""

    HELP = """\
# Meeting summary

What the meeting produced: time on each item against its timebox (yellow: over), the
decisions, the action items captured, the follow-ups reviewed and the pulse ratings.

The minutes are in `minutes/` (YAML); `icm export minutes REF --format md` writes Markdown.
Press **Esc** or **h** to go back home.
"""

    BINDINGS = [
        Binding("escape", "home", "Home", id="summary.home"),
        Binding("h", "home", "Home", show=False, id="summary.home_h"),
    ]

    def __init__(self, meeting_ref: str, minutes: Path | None = None) -> None:
        super().__init__()
        self.ref = meeting_ref
        """The meeting summarised."""
        self.minutes = minutes
        """The minutes file written when it ended, if any."""
        self.record: MeetingRecord | None = None
        """What is shown; None until loaded."""

    @property
    def icm(self) -> IcmApp:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="summary-body"):
            yield Static(Text("Loading…", style="italic"), id="summary-minutes")
            yield Static(id="summary-content")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.sub_title = f"Summary of {self.ref}"
        self.query_one("#summary-body").focus()
        self.icm.submit(lambda: gather_record(self.icm, self.ref), self._show)

    def _show(self, record: MeetingRecord) -> None:
        from rich.console import Group

        self.record = record
        note = self.query_one("#summary-minutes", Static)
        if self.minutes is not None:
            root = self.icm.workspace.root
            shown = self.minutes.relative_to(root) if self.minutes.is_relative_to(root) else self.minutes
            note.update(Text.assemble(("Minutes written to ", "bold green"), (str(shown), "bold")))
        else:
            note.update(Text(f"Export the minutes with: icm export minutes {record.meeting.ref}", style="dim"))
        self.query_one("#summary-content", Static).update(Group(*summary_tables(record, self.icm)))

    def action_home(self) -> None:
        """Back to the home screen."""
        from icm_tui.tui.screens import back_to_home

        back_to_home(self.icm)
