"""Before a meeting starts: who is present and who is absent, defaulting to the agenda's attendees."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.strip import Strip
from textual.widgets import Button, Footer, Header, Label, OptionList, SelectionList, Static
from textual.widgets.option_list import OptionDoesNotExist
from textual.widgets.selection_list import Selection

from icm_tui.domain.agenda import Agenda
from icm_tui.domain.models import Meeting
from icm_tui.tui.screens import resume_meeting

if TYPE_CHECKING:
    from icm_tui.tui.app import IcmApp


TICKED, UNTICKED = "[x] ", "[ ] "
"""Drawn before each line in place of SelectionList's button, whose state shows only as a colour."""


class AttendanceList(SelectionList[str]):
    """A SelectionList whose ticks read without colour: `[x]` present, `[ ]` not (screen-shared, printed, colour-blind)."""

    def render_line(self, y: int) -> Strip:
        line = OptionList.render_line(self, y)  # the prompt, without SelectionList's coloured button
        index = self.scroll_offset.y + y
        try:
            selection = self.get_option_at_index(index)
        except OptionDoesNotExist:
            return line
        ticked = selection.value in self.selected
        base = next(iter(line)).style or self.rich_style
        if ticked:
            colour = self.get_component_rich_style("selection-list--button-selected").color
            mark = base + Style(color=colour, bold=True)
        else:
            mark = base + Style(dim=True)
        mark += Style(meta={"option": index})  # a click on the box toggles, as on the button
        return Strip([Segment(TICKED if ticked else UNTICKED, mark), *line])


class AttendanceScreen(Screen):
    """Tick who is present; the agenda's attendees are ticked to begin with."""

    HELP = """\
# Attendance

Who is in the room. The agenda's attendees are ticked `[x]`; untick those who did not come
(they are recorded as absent), tick any other department that joined (`[ ]`, marked "not on the
agenda"). The line under the list counts who is present and names who is absent.

- **Space** (or a click) ticks and unticks the highlighted line.
- **a** ticks everyone, **x** unticks everyone.
- **s** starts the meeting; from then on everything is saved as it happens.
- **Esc** goes back without starting.
"""

    DEFAULT_CSS = """
    /* Under the list; on a short terminal pinned to the bottom, so the list scrolls instead of them. */
    AttendanceScreen #attendance-foot { height: auto; }
    AttendanceScreen.-short #attendance-foot { dock: bottom; }
    """

    BINDINGS = [
        Binding("s", "start", "Start meeting", id="attendance.start"),
        Binding("a", "all", "Everyone", id="attendance.all"),
        Binding("x", "none", "No one", id="attendance.none"),
        Binding("escape", "back", "Back", id="attendance.back"),
    ]

    def __init__(self, agenda: Agenda, display: str = "") -> None:
        super().__init__()
        self.agenda = agenda
        """The agenda about to be run."""
        self.display_path = display or agenda.path
        """Where it came from, as the user would type it."""
        self._starting = False

    @property
    def icm(self) -> IcmApp:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

    def candidates(self) -> list[str]:
        """The agenda's attendees first, then every other department of org.yaml."""
        others = [d.id for d in self.icm.org.departments if d.id not in self.agenda.attendees]
        return [*self.agenda.attendees, *others]

    def _label(self, who: str) -> Text:
        org = self.icm.org
        invited = who in self.agenda.attendees
        dept, person = org.department(who), org.person(who)
        if dept is not None:
            lead = f"  lead: {org.person_name(dept.lead)}" if dept.lead else ""
            label = Text.assemble(Text(dept.name), (f"  ({who}){lead}", "dim"))
        elif person is not None:
            label = Text.assemble(Text(person.name), (f"  ({who}, {org.department_name(person.department)})", "dim"))
        else:
            label = Text(who)
        if not invited:
            label.append("  not on the agenda", style="dim italic")
        return label

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="attendance-body"):
            yield Static(
                Text.assemble((self.agenda.title, "bold"), "  ", (f"{self.display_path}", "dim")),
                id="attendance-title",
            )
            yield Label("Who is present? Space ticks or unticks, a: everyone, x: no one, s starts.", classes="section-title")
            selections = [Selection(self._label(who), who, who in self.agenda.attendees) for who in self.candidates()]
            yield AttendanceList(*selections, id="attendance-list")
            with Vertical(id="attendance-foot"):
                yield Static(Text(""), id="attendance-summary")
                with Horizontal(id="attendance-buttons"):
                    yield Button("Start meeting (s)", variant="primary", id="attendance-start")
                    yield Button("Back (Esc)", id="attendance-back")
        yield Footer(compact=True, show_command_palette=False)

    def on_resize(self, event: events.Resize) -> None:
        """Below 30 rows the count and the buttons stay at the bottom."""
        self.set_class(event.size.height < 30, "-short")

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()
        self._summarise()

    @property
    def present(self) -> list[str]:
        """Ticked, in the order shown."""
        ticked = set(self.query_one(SelectionList).selected)
        return [who for who in self.candidates() if who in ticked]

    @property
    def absent(self) -> list[str]:
        """The agenda's attendees not ticked."""
        ticked = set(self.query_one(SelectionList).selected)
        return [who for who in self.agenda.attendees if who not in ticked]

    @on(SelectionList.SelectedChanged)
    def _summarise(self) -> None:
        present, absent = self.present, self.absent
        org = self.icm.org
        names = ", ".join(org.department_name(a) if org.department(a) else org.person_name(a) for a in absent)
        summary = Text(f"{len(present)} of {len(self.candidates())} present", style="bold")
        summary.append(" · absent: ", style="italic")
        summary.append(names or "nobody", style="italic")
        self.query_one("#attendance-summary", Static).update(summary)

    def action_all(self) -> None:
        """Tick everyone."""
        self.query_one(SelectionList).select_all()

    def action_none(self) -> None:
        """Untick everyone."""
        self.query_one(SelectionList).deselect_all()

    def action_start(self) -> None:
        """Start the meeting with this attendance (saved at once)."""
        if self._starting:
            return
        if not self.present:
            self.notify("Tick at least one attendee (Space), then press s.", severity="warning")
            return
        self._starting = True
        present, absent, agenda = self.present, self.absent, self.agenda
        services = self.icm.services

        def failed(error: Exception) -> None:
            self._starting = False
            self.icm.report_error(error)

        self.icm.submit(
            lambda: services.start_meeting(agenda, present, absent, agenda_path=self.display_path),
            self._started,
            failed,
        )

    def _started(self, meeting: Meeting) -> None:
        self.icm.mark_seen()
        resume_meeting(self.icm, meeting.ref)

    @on(Button.Pressed, "#attendance-start")
    def start_pressed(self) -> None:
        """The Start button."""
        self.action_start()

    @on(Button.Pressed, "#attendance-back")
    def back_pressed(self) -> None:
        """The Back button."""
        self.action_back()

    def action_back(self) -> None:
        """Back without starting."""
        self.dismiss()
