"""A `pulse` item: each attending department rates the departments that served it, 1 to 5."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from icm_tui.domain.models import Meeting, Pulse
from icm_tui.tui.widgets.meeting import MeetingUpdated, attending_departments

if TYPE_CHECKING:
    from icm_tui.tui.app import IcmApp

STARS_WIDTH = 5
"""A rating cell shows five stars (★★★★☆)."""


@dataclass(frozen=True)
class PulseData:
    """Who rates whom in this meeting, and what was given so far."""

    depts: list[str]
    served: dict[str, set[str]]
    """rater -> the departments that served it (from the register; every other one when none did)."""
    given: dict[tuple[str, str], Pulse] = field(default_factory=dict)
    """(rater, about) -> the latest rating given in this meeting."""


def gather_pulse(app: IcmApp, meeting: Meeting) -> PulseData:
    """Read who served whom and the ratings already given (store thread)."""
    store = app.services.store
    depts = attending_departments(meeting, app.org)
    wanted = set(depts)
    served: dict[str, set[str]] = {d: set() for d in depts}
    for item in store.iter_action_summaries():  # one pass: nothing held afterwards
        if item.requester in wanted and item.supplier in wanted and item.supplier != item.requester:
            served[item.requester].add(item.supplier)
    for rater, suppliers in served.items():
        if not suppliers:
            suppliers.update(d for d in depts if d != rater)
    given = {(p.rater, p.about): p for p in store.pulses() if p.meeting == meeting.ref}
    return PulseData(depts, served, given)


class PulseGrid(Vertical, can_focus=False):
    """Rows rate, columns are rated: a digit scores the highlighted cell, Enter adds a comment."""

    DEFAULT_CSS = """
    PulseGrid { height: 1fr; }
    PulseGrid > DataTable { height: 1fr; min-height: 4; }
    PulseGrid > #pulse-help { height: auto; padding: 0 1; background: $boost; }
    """

    BINDINGS = [
        Binding("m", "rate_with_comment", "Comment", tooltip="Rate the highlighted pair with a score and a comment",
                id="pulse.comment"),
        *[Binding(str(n), f"rate({n})", f"Rate {n}" if n > 1 else "Rate", show=n == 1, key_display="1-5" if n == 1 else None,
                  tooltip=f"Rate the highlighted pair {n} of 5", id=f"pulse.rate{n}")
          for n in range(1, 6)],
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.meeting: Meeting | None = None
        """The meeting being run."""
        self.data: PulseData | None = None
        """Who rates whom, and the ratings given; None until loaded."""

    @property
    def icm(self) -> IcmApp:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield DataTable(id="pulse-table", cursor_type="cell")
        yield Static(Text(""), id="pulse-help")

    def focus_table(self) -> None:
        """Put the keyboard on the grid."""
        self.query_one(DataTable).focus()

    def load(self, meeting: Meeting) -> None:
        """Read the grid's data (off the event loop)."""
        self.meeting = meeting
        self.icm.submit(lambda: gather_pulse(self.icm, meeting), self._show)

    def _show(self, data: PulseData) -> None:
        self.data = data
        table = self.query_one(DataTable)
        table.clear(columns=True)
        org = self.icm.org
        table.add_column(Text("rates →", style="dim"), key="rater")
        for dept in data.depts:
            # Wide enough for five stars: a rating given later must not be cut to "★★".
            name = org.department_name(dept)
            table.add_column(Text(name), key=dept, width=max(STARS_WIDTH, cell_len(name)))
        for rater in data.depts:
            table.add_row(Text(org.department_name(rater), style="bold"), *self._cells(rater), key=rater)
        if data.depts:
            table.move_cursor(row=0, column=2 if len(data.depts) > 1 and data.depts[0] != data.depts[1] else 1)
        self._explain()

    def _cells(self, rater: str) -> list[Text]:
        assert self.data is not None
        cells = []
        for about in self.data.depts:
            pulse = self.data.given.get((rater, about))
            if about == rater:
                cells.append(Text("", style="dim"))
            elif pulse is not None:
                cells.append(Text(f"{'★' * pulse.score}{'☆' * (5 - pulse.score)}", style="bold yellow"))
            elif about in self.data.served.get(rater, set()):
                cells.append(Text("·", style="dim"))
            else:
                cells.append(Text("–", style="dim"))
        return cells

    def _explain(self, pair: tuple[str, str] | None = None) -> None:
        org = self.icm.org
        rated = len(self.data.given) if self.data else 0
        text = Text.assemble(
            ("Rows rate columns. ", "bold"),
            "Arrows pick a cell; 1-5 rates it; Enter or m rates with a comment. ",
            (f"{rated} rating(s) given.", "dim"),
        )
        if pair is not None and self.data is not None:
            pulse = self.data.given.get(pair)
            text.append(f"\n{org.department_name(pair[0])} rates {org.department_name(pair[1])}: ")
            if pulse is not None:
                text.append(f"{pulse.score}/5 ", style="bold")
                text.append(pulse.comment)
            else:
                text.append("not rated yet", style="italic")
        self.query_one("#pulse-help", Static).update(text)

    @property
    def pair(self) -> tuple[str, str] | None:
        """(rater, about) under the cursor, or None on the label column or the diagonal."""
        if self.data is None or not self.data.depts:
            return None
        table = self.query_one(DataTable)
        row, column = table.cursor_coordinate
        if not 0 <= row < len(self.data.depts) or not 1 <= column <= len(self.data.depts):
            return None
        rater, about = self.data.depts[row], self.data.depts[column - 1]
        return None if rater == about else (rater, about)

    @on(DataTable.CellHighlighted)
    def _highlighted(self) -> None:
        self._explain(self.pair)

    @on(DataTable.CellSelected)
    def _selected(self) -> None:
        """Enter or a click on a cell: rate it with a comment."""
        self.action_rate_with_comment()

    def action_rate(self, score: int, comment: str = "") -> None:
        """Record the highlighted department pair's rating."""
        pair, meeting = self.pair, self.meeting
        if pair is None or meeting is None:
            self.notify("Move to a cell where one department rates another.", severity="warning")
            return
        services = self.icm.services
        rater, about = pair

        def run() -> tuple[Pulse, Meeting]:
            pulse = services.record_pulse(rater, about, score, comment, meeting=meeting.ref)
            return pulse, services.store.meeting(meeting.ref)

        def done(result: tuple[Pulse, Meeting]) -> None:
            pulse, saved = result
            if self.data is None:
                return
            self.data.given[(pulse.rater, pulse.about)] = pulse
            self.meeting = saved
            table = self.query_one(DataTable)
            coordinate = table.cursor_coordinate
            table.update_cell(rater, about, self._cells(rater)[self.data.depts.index(about)])
            table.move_cursor(row=coordinate.row, column=coordinate.column)
            self._explain(pair)
            self.post_message(MeetingUpdated(saved))
            self.icm.mark_seen()

        self.icm.submit(run, done)

    def action_rate_with_comment(self) -> None:
        """Rate the highlighted pair with a score and a comment."""
        from icm_tui.tui.dialogs import ScoreDialog

        pair = self.pair
        if pair is None:
            self.notify("Move to a cell where one department rates another.", severity="warning")
            return
        org = self.icm.org
        self.app.push_screen(
            ScoreDialog(f"How well did {org.department_name(pair[1])} serve {org.department_name(pair[0])}?"),
            lambda answer: answer and self.action_rate(answer[0], answer[1]),
        )
