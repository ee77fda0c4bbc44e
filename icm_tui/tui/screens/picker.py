"""Choose an agenda: every agenda of the workspace with its validation state and its problems."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Label, Static

from icm_tui.tui.screens import AgendaFile, load_agenda_files

if TYPE_CHECKING:
    from icm_tui.tui.app import IcmApp


class AgendaPickerScreen(Screen):
    """The agendas in agendas/: valid ones start a meeting, invalid ones show where they are wrong."""

    HELP = """\
# Choose an agenda

Every `.yaml` file in `agendas/` (except `org.yaml`), checked as it is loaded.

- **Enter** runs the highlighted agenda: attendance comes first.
- An agenda marked **✗** has problems; they are listed on the right as `PATH:LINE:COL: what is
  wrong`. Fix the file in your editor and press **v** to check again.
- **Esc** goes back.
"""

    BINDINGS = [
        Binding("enter", "run", "Run this agenda", id="picker.run", priority=True),
        Binding("v", "reload", "Check again", id="picker.reload"),
        Binding("escape", "back", "Back", id="picker.back"),
    ]

    def __init__(self, select: Path | None = None) -> None:
        super().__init__()
        self.files: list[AgendaFile] = []
        """The agendas as last loaded."""
        self.select = select
        """A file to highlight once loaded."""
        self.loads = 0
        self.narrow: bool | None = None
        """Whether the list has its narrow columns (None until the first resize)."""

    @property
    def icm(self) -> IcmApp:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="picker-body"):
            with Vertical(id="picker-left"):
                yield Label("Agendas", classes="section-title")
                yield DataTable(id="agenda-table", cursor_type="row")
            with VerticalScroll(id="picker-detail"):
                yield Static(Text("Loading agendas…", style="italic"), id="agenda-detail")
        yield Footer(compact=True, show_command_palette=False)

    NARROW = 100
    """Below this many columns the list shows only name and state (the detail has items and minutes)."""

    def on_mount(self) -> None:
        self.query_one("#agenda-table", DataTable).focus()
        self.reload()

    def on_resize(self, event: events.Resize) -> None:
        """Narrow or wide: the columns change, so the list is drawn again."""
        narrow = event.size.width < self.NARROW
        if narrow != self.narrow:
            self.narrow = narrow
            if self.loads:
                self._draw()

    def _columns(self, table: DataTable) -> None:
        table.clear(columns=True)
        if self.narrow:  # at 80 columns "Items" and "Min" were cut to "I" and nothing
            table.add_columns("Agenda", "OK")
        else:
            table.add_columns("Agenda", "OK", "Items", "Min")

    def reload(self, select: Path | None = None) -> None:
        """Load and check every agenda again, off the event loop."""
        if select is not None:
            self.select = select
        self.icm.submit(lambda: load_agenda_files(self.icm), self._show)

    def _show(self, files: list[AgendaFile]) -> None:
        self.files = files
        self.loads += 1
        self._draw()

    def _draw(self) -> None:
        files = self.files
        table = self.query_one("#agenda-table", DataTable)
        keep = self.select or (self.current.path if self.current else None)
        self._columns(table)
        for agenda_file in files:
            agenda = agenda_file.agenda
            if agenda is None:
                cells = [Text(f"✗ {len(agenda_file.problems)}", style="bold red"), Text("—"), Text("—")]
            else:
                cells = [Text("✓", style="bold green"), Text(str(len(agenda.items))), Text(str(agenda.planned_minutes))]
            cells = cells[:1] if self.narrow else cells
            table.add_row(Text(agenda_file.name), *cells, key=str(agenda_file.path))
        if not files:
            self.query_one("#agenda-detail", Static).update(
                Text(f"No agendas in {self.icm.workspace.agendas_dir}. Add a .yaml agenda there (see ? for the format).")
            )
            return
        index = next((i for i, f in enumerate(files) if keep is not None and f.path == keep), 0)
        self.select = None
        table.move_cursor(row=index)
        self._describe(files[index])

    @property
    def current(self) -> AgendaFile | None:
        """The highlighted agenda file."""
        table = self.query_one("#agenda-table", DataTable)
        if not self.files or not 0 <= table.cursor_row < len(self.files):
            return None
        return self.files[table.cursor_row]

    @on(DataTable.RowHighlighted, "#agenda-table")
    def highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Show the highlighted agenda, or its problems."""
        if 0 <= event.cursor_row < len(self.files):
            self._describe(self.files[event.cursor_row])

    def _describe(self, agenda_file: AgendaFile) -> None:
        detail = self.query_one("#agenda-detail", Static)
        agenda = agenda_file.agenda
        if agenda is None:
            text = Text.assemble(
                (f"{agenda_file.display}: not valid, it cannot be run\n\n", "bold red"),
                *(Text(problem + "\n") for problem in agenda_file.problems),
                ("\nFix the file and press v to check again.", "italic"),
            )
            detail.update(text)
            return
        org = self.icm.org
        # The path on a line of its own: run on with the rest it was broken in the middle at 80 columns.
        text = Text.assemble(
            (agenda.title, "bold"), "\n",
            Text(agenda_file.display, style="dim"), "\n",
            Text(f"series {agenda.series} · {agenda.cadence.value} · {len(agenda.items)} items, "
                 f"{agenda.planned_minutes} min", style="dim"), "\n",
        )
        if agenda.facilitator:
            text.append(f"Facilitator: {org.person_name(agenda.facilitator)}\n")
        if agenda.attendees:
            names = ", ".join(org.department_name(a) if org.department(a) else org.person_name(a) for a in agenda.attendees)
            text.append(f"Attendees: {names}\n")
        text.append("\n")
        for number, item in enumerate(agenda.items, 1):
            text.append(f"{number:>2}. ")
            text.append(item.title)
            text.append(f"  {item.kind.value}, {item.timebox} min\n", style="dim")
        text.append("\nEnter: take attendance and start.", style="italic")
        detail.update(text)

    def action_run(self) -> None:
        """Run the highlighted agenda (attendance first)."""
        current = self.current
        if current is None:
            return
        if not current.valid:
            self.notify("This agenda has problems (listed on the right); fix them and press v.", severity="error")
            return
        self.icm.open_agenda(str(current.path))  # checks again, and offers to resume a running meeting

    @on(DataTable.RowSelected, "#agenda-table")
    def chosen(self) -> None:
        """Enter or a click on a row runs it."""
        self.action_run()

    def action_reload(self) -> None:
        """Check every agenda again (after editing one)."""
        self.reload()

    def action_back(self) -> None:
        """Back to where you came from."""
        self.dismiss()
