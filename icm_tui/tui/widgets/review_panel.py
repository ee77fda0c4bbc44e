"""A `review` item: walk the open follow-ups of the series, oldest first, one key per outcome.

The queue of a series that never met is every escalated item (~20,000 at 50,000 items): it is
kept in a `RowSet` (columns, no object per item) and drawn by a `LineTable`, which makes the
cells of the rows on screen only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from icm_tui.domain.dates import DATE_FORMS, parse_date
from icm_tui.domain.lifecycle import Verb, due_label
from icm_tui.domain.models import ActionItem, ActionSummary, Meeting, ReviewOutcome, Status
from icm_tui.errors import BadInput
from icm_tui.tui.widgets.action_table import ActionRow, RowSet
from icm_tui.tui.widgets.line_table import LineTable
from icm_tui.tui.widgets.meeting import MeetingUpdated, fit

if TYPE_CHECKING:
    from icm_tui.tui.app import IcmApp

STATUS_STYLE = {
    Status.OPEN: "", Status.IN_PROGRESS: "cyan", Status.BLOCKED: "bold red", Status.DONE: "bold green",
    Status.CLOSED: "dim green", Status.DROPPED: "dim",
}

COLUMNS = ("Ref", "Status", "Due", "Title", "Owner", "Carry", "This meeting", "For")


def outcome_text(outcome: ReviewOutcome | None) -> str:
    """What the "This meeting" column says of an outcome: `done→closed ★4`, `seen (carried)`, or nothing."""
    if outcome is None:
        return ""
    done = f"{outcome.old}→{outcome.new}" if outcome.old != outcome.new else "seen"
    if outcome.score:
        done += f" ★{outcome.score}"
    if outcome.carried:
        done += " (carried)"
    return done


def row_cells(row: ActionRow, outcome: ReviewOutcome | None) -> list[tuple[str, str]]:
    """One queued item's cells as (text, style), in `COLUMNS` order."""
    names = row.names
    flags = "!" if row.escalated else ""
    return [
        (row.ref + flags, "bold magenta" if flags else ""),
        (row.status.value, STATUS_STYLE.get(row.status, "")),
        (due_label(row, row.today), "bold red" if row.overdue else ""),  # type: ignore[arg-type]
        (fit(row.title, 28), ""),
        (names.person(row.owner), ""),
        (str(row.carry), ""),
        (outcome_text(outcome), "green" if outcome else ""),
        (names.department(row.requester) or "—", ""),
    ]


def column_widths(rows: RowSet, outcomes: dict[str, ReviewOutcome]) -> list[int]:
    """The widest cell of each column, in terminal cells (off the event loop: it visits every row)."""
    widths = [0] * len(COLUMNS)
    for index in range(len(rows)):
        row = rows.row(index)
        for column, (text, _) in enumerate(row_cells(row, outcomes.get(row.ref))):
            width = cell_len(text) if "\n" not in text else max(map(cell_len, text.split("\n")))
            if width > widths[column]:
                widths[column] = width
    return widths


class ReviewPanel(Vertical, can_focus=False):
    """The review queue as a table, the highlighted item's story below it."""

    DEFAULT_CSS = """
    ReviewPanel { height: 1fr; }
    ReviewPanel > LineTable { height: 1fr; min-height: 4; }
    ReviewPanel > #review-detail { height: auto; max-height: 6; padding: 0 1; background: $boost; }
    """

    BINDINGS = [
        Binding("x", "review('done')", "Done", tooltip="Mark the item delivered (done)", id="review.done"),
        Binding("s", "confirm", "Confirm", tooltip="The requester confirms it, with a 1-5 score", id="review.confirm"),
        Binding("o", "reason('reopen')", "Reopen", tooltip="The requester is not served: reopen with a reason",
                id="review.reopen"),
        Binding("b", "reason('block')", "Block", tooltip="Blocked, with the reason", id="review.block"),
        Binding("u", "push_due", "Push due", tooltip="Move the due date", id="review.push"),
        Binding("t", "note", "Note", tooltip="Add a note to the item's history", id="review.note"),
        Binding("k", "review('')", "Carry", tooltip="Reviewed, still open: carry it over unchanged",
                id="review.carry"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.meeting: Meeting | None = None
        """The meeting being run."""
        self.queue: RowSet | None = None
        """The items walked, oldest first, as they stand now (without histories: see `_show_detail`)."""
        self._outcome_map: dict[str, ReviewOutcome] = {}
        self.loaded = False
        """True once the queue has been read for this meeting."""

    @property
    def icm(self) -> IcmApp:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield LineTable(*COLUMNS, id="review-table")
        yield Static(Text(""), id="review-detail")

    @property
    def table(self) -> LineTable:
        """The queue's table."""
        return self.query_one(LineTable)

    def focus_table(self) -> None:
        """Put the keyboard on the queue."""
        self.table.focus()

    def load(self, meeting: Meeting) -> None:
        """Read the queue of this meeting, in columns, and measure it (off the event loop)."""
        self.meeting = meeting
        services, org = self.icm.services, self.icm.org
        outcomes = self._outcomes(meeting)

        def read() -> tuple[RowSet, list[int]]:
            rows = RowSet.build(services.review_queue(meeting.ref), services.today(), org)
            return rows, column_widths(rows, outcomes)

        self.icm.submit(read, self._show_queue)

    def update_meeting(self, meeting: Meeting) -> None:
        """The meeting changed elsewhere: draw again the rows whose outcome changed."""
        before = self._outcome_map
        self.meeting = meeting
        after = self._outcome_map = self._outcomes(meeting)
        if self.loaded and self.queue is not None:
            for ref in before.keys() | after.keys():
                if before.get(ref) != after.get(ref) and (index := self.queue.find(ref)) is not None:
                    self.table.update_row(index)

    def _show_queue(self, result: tuple[RowSet, list[int]]) -> None:
        rows, widths = result
        self.queue = rows
        self.loaded = True
        self._outcome_map = self._outcomes(self.meeting)
        table = self.table
        table.set_rows(len(rows), self._cells, widths, cursor=table.cursor if table.cursor < len(rows) else 0)
        if not len(rows):
            self.query_one("#review-detail", Static).update(
                Text("Nothing to review: no open items from earlier meetings of this series, none escalated. Press n for the next item.", style="italic")
            )
        self._next_unreviewed(0)
        self.refresh_bindings()  # the keys depend on a current item: the footer was drawn before there was one

    @staticmethod
    def _outcomes(meeting: Meeting | None) -> dict[str, ReviewOutcome]:
        return {o.ref: o for o in meeting.reviewed} if meeting else {}

    def _cells(self, index: int) -> list[Text]:
        """The cells of queue row `index` (asked for by the table for the rows it draws)."""
        assert self.queue is not None
        row = self.queue.row(index)
        return [Text(text, style=style) for text, style in row_cells(row, self._outcome_map.get(row.ref))]

    @property
    def current(self) -> ActionRow | None:
        """The highlighted item."""
        queue, cursor = self.queue, self.table.cursor
        return queue.row(cursor) if queue is not None and 0 <= cursor < len(queue) else None

    @on(LineTable.Highlighted, "#review-table")
    def _describe(self, event: LineTable.Highlighted) -> None:
        if self.queue is None or not 0 <= event.index < len(self.queue):
            return
        self._show_detail(self.queue.row(event.index))

    def _show_detail(self, item: ActionRow | ActionSummary) -> None:
        """The highlighted item's story: its fields at once, its last events once read (store thread)."""
        org = self.icm.org
        # A queue row has no priority nor meeting: they come with the whole item, a moment later.
        priority = getattr(item, "priority", None)
        origin = f" · {priority.value} · from {getattr(item, 'meeting', '') or 'outside a meeting'}" if priority else ""
        text = Text.assemble(
            (f"{item.ref} ", "bold"), Text(item.title), "\n",
            (f"{org.person_name(item.owner)} ({org.department_name(item.supplier)}) for "
             f"{org.department_name(item.requester) or '—'} · due {item.due or '—'}{origin}", "dim"),
        )
        history = getattr(item, "history", None)
        if history is None:  # a summary: read the whole item, then show it if still highlighted
            store, ref = self.icm.services.store, item.ref
            self.query_one("#review-detail", Static).update(text)
            self.icm.submit(lambda: store.action(ref), self._history_read)
            return
        for event_ in history[-3:]:
            line = f"\n{event_.at:%Y-%m-%d} {event_.kind.value}"
            if event_.old or event_.new:
                line += f" {event_.old}→{event_.new}"
            text.append(line, style="dim")
            if event_.note:
                text.append(": ")
                text.append(event_.note)
        self.query_one("#review-detail", Static).update(text)

    def _history_read(self, item: ActionItem) -> None:
        current = self.current
        if current is not None and current.ref == item.ref:
            self._show_detail(item)

    def _next_unreviewed(self, start: int) -> None:
        if self.queue is None:
            return
        outcomes, refs = self._outcome_map, self.queue.refs
        for index in [*range(start, len(refs)), *range(0, start)]:
            if refs[index] not in outcomes:
                self.table.cursor = index
                return

    # ------------------------------------------------------------ outcomes

    def _apply(self, verb: str, *, note: str = "", score: int | None = None, due: str | None = None) -> None:
        item, meeting = self.current, self.meeting
        if item is None or meeting is None:
            return
        services = self.icm.services
        row = self.table.cursor

        def run() -> tuple[ActionItem, Meeting]:
            after = services.review(meeting.ref, item.ref, verb or None, note=note, score=score, due=due)
            return after, services.store.meeting(meeting.ref)

        def done(result: tuple[ActionItem, Meeting]) -> None:
            after, saved = result
            self.meeting = saved
            self._outcome_map = self._outcomes(saved)
            queue = self.queue
            if queue is None:
                return
            if (index := queue.find(after.ref)) is not None:
                queue.replaced(after)  # the row's columns, in place
                self.table.update_row(index)
            self._next_unreviewed(min(row + 1, len(queue) - 1) if len(queue) else 0)
            current = self.current
            if current is not None and current.ref == after.ref:  # the cursor stayed: no highlight event
                self._show_detail(after)
            self.post_message(MeetingUpdated(saved))
            self.icm.mark_seen()

        self.icm.submit(run, done)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("review", "confirm", "reason", "push_due", "note"):
            return self.current is not None
        return True

    def action_review(self, verb: str) -> None:
        """Mark done, or (empty verb) record it as reviewed and carried over."""
        self._apply(verb)

    def action_confirm(self) -> None:
        """The requester confirms delivery and scores it 1-5."""
        from icm_tui.tui.dialogs import ScoreDialog

        item = self.current
        if item is None:
            return
        if item.status is not Status.DONE:
            self.notify(f"{item.ref} is {item.status.value}: only a done item can be confirmed (x marks it done).",
                        severity="warning", markup=False)
            return
        requester = self.icm.org.department_name(item.requester) or "the requester"
        self.app.push_screen(
            ScoreDialog(f"{requester} confirms {item.ref}: {item.title}"),
            lambda answer: answer and self._apply(Verb.CONFIRM.value, score=answer[0], note=answer[1]),
        )

    def action_reason(self, verb: str) -> None:
        """Reopen or block, with the reason."""
        from icm_tui.tui.dialogs import PromptDialog

        item = self.current
        if item is None:
            return
        if verb == "reopen" and item.status is not Status.DONE:
            self.notify(f"{item.ref} is {item.status.value}: only a delivered (done) item can be reopened.",
                        severity="warning", markup=False)
            return
        question = {"reopen": f"Why is {item.ref} reopened? (not served after all)", "block": f"What blocks {item.ref}?"}
        self.app.push_screen(
            PromptDialog(question.get(verb, verb), hint="The reason is kept in the item's history."),
            lambda reason: reason and self._apply(verb, note=reason),
        )

    def action_push_due(self) -> None:
        """Move the due date."""
        from icm_tui.tui.dialogs import PromptDialog

        item = self.current
        if item is None:
            return
        today = self.icm.services.today()

        def check(text: str) -> str | None:
            try:
                parse_date(text, today)
            except BadInput as error:
                return str(error)
            return None

        self.app.push_screen(
            PromptDialog(
                f"New due date for {item.ref} (now {item.due or 'none'})", hint=f"Forms: {DATE_FORMS}",
                suggestions=["+1w", "+2w", "eow", "eom", "tomorrow"], check=check,
            ),
            lambda due: due and self._apply("", due=due),
        )

    def action_note(self) -> None:
        """Add a note to the item's history."""
        from icm_tui.tui.dialogs import PromptDialog

        item = self.current
        if item is None:
            return
        self.app.push_screen(PromptDialog(f"Note on {item.ref}"), lambda text: text and self._apply("", note=text))
