"""A `review` item: walk the open follow-ups of the series, oldest first, one key per outcome."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from icm_tui.domain.dates import DATE_FORMS, parse_date
from icm_tui.domain.lifecycle import Verb, due_label, is_escalated, is_overdue
from icm_tui.domain.models import ActionItem, ActionSummary, Meeting, ReviewOutcome, Status
from icm_tui.errors import BadInput
from icm_tui.tui.widgets.meeting import MeetingUpdated, fit

if TYPE_CHECKING:
    from icm_tui.tui.app import IcmApp

STATUS_STYLE = {
    Status.OPEN: "", Status.IN_PROGRESS: "cyan", Status.BLOCKED: "bold red", Status.DONE: "bold green",
    Status.CLOSED: "dim green", Status.DROPPED: "dim",
}


class ReviewPanel(Vertical, can_focus=False):
    """The review queue as a table, the highlighted item's story below it."""

    DEFAULT_CSS = """
    ReviewPanel { height: 1fr; }
    ReviewPanel > DataTable { height: 1fr; min-height: 4; }
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
        self.queue: list[ActionSummary] = []
        """The items walked, oldest first, as they stand now (without histories: see `_describe`)."""
        self._columns: list = []
        self.loaded = False
        """True once the queue has been read for this meeting."""

    @property
    def icm(self) -> IcmApp:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield DataTable(id="review-table", cursor_type="row", zebra_stripes=True)
        yield Static(Text(""), id="review-detail")

    def on_mount(self) -> None:
        self._columns = self.query_one(DataTable).add_columns(
            "Ref", "Status", "Due", "Title", "Owner", "Carry", "This meeting", "For"
        )

    def focus_table(self) -> None:
        """Put the keyboard on the queue."""
        self.query_one(DataTable).focus()

    def load(self, meeting: Meeting) -> None:
        """Read the queue of this meeting (off the event loop)."""
        self.meeting = meeting
        services = self.icm.services
        self.icm.submit(lambda: services.review_queue(meeting.ref), self._show_queue)

    def update_meeting(self, meeting: Meeting) -> None:
        """The meeting changed elsewhere: refresh the outcomes column (the rows whose outcome changed)."""
        before = self._outcomes()
        self.meeting = meeting
        if self.loaded:
            after = self._outcomes()
            changed = {ref for ref in before.keys() | after.keys() if before.get(ref) != after.get(ref)}
            for index, item in enumerate(self.queue):
                if item.ref in changed:
                    self._redraw_row(index, after)

    def _redraw_row(self, index: int, outcomes: dict[str, ReviewOutcome]) -> None:
        """Update one row's cells in place (a queue can hold thousands of rows: never re-add them all)."""
        table = self.query_one(DataTable)
        cells = self._cells(self.queue[index], outcomes.get(self.queue[index].ref), self.icm.services.today())
        for column, cell in zip(self._columns, cells):
            table.update_cell(self.queue[index].ref, column, cell)

    def _show_queue(self, queue: list[ActionSummary]) -> None:
        self.queue = queue
        self.loaded = True
        self._draw()
        self._next_unreviewed(0)

    def _outcomes(self) -> dict[str, ReviewOutcome]:
        return {o.ref: o for o in self.meeting.reviewed} if self.meeting else {}

    def _draw(self) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        today = self.icm.services.today()
        outcomes = self._outcomes()
        for item in self.queue:
            table.add_row(*self._cells(item, outcomes.get(item.ref), today), key=item.ref)
        if not self.queue:
            self.query_one("#review-detail", Static).update(
                Text("Nothing to review: no open items from earlier meetings of this series, none escalated. Press n for the next item.", style="italic")
            )
        elif 0 <= row < len(self.queue):
            table.move_cursor(row=row)

    def _cells(self, item: ActionSummary, outcome: ReviewOutcome | None, today: date) -> list[Text]:
        org = self.icm.org
        due = Text(due_label(item, today), style="bold red" if is_overdue(item, today) else "")
        flags = "!" if is_escalated(item, today, org.thresholds) else ""
        done = ""
        if outcome is not None:
            done = f"{outcome.old}→{outcome.new}" if outcome.old != outcome.new else "seen"
            if outcome.score:
                done += f" ★{outcome.score}"
            if outcome.carried:
                done += " (carried)"
        return [
            Text(item.ref + flags, style="bold magenta" if flags else ""),
            Text(item.status.value, style=STATUS_STYLE.get(item.status, "")),
            due,
            Text(fit(item.title, 28)),
            Text(org.person_name(item.owner)),
            Text(str(item.carry)),
            Text(done, style="green" if outcome else ""),
            Text(f"{org.department_name(item.requester) or '—'}"),
        ]

    @property
    def current(self) -> ActionSummary | None:
        """The highlighted item."""
        table = self.query_one(DataTable)
        return self.queue[table.cursor_row] if 0 <= table.cursor_row < len(self.queue) else None

    @on(DataTable.RowHighlighted)
    def _describe(self, event: DataTable.RowHighlighted) -> None:
        if not 0 <= event.cursor_row < len(self.queue):
            return
        self._show_detail(self.queue[event.cursor_row])

    def _show_detail(self, item: ActionSummary) -> None:
        """The highlighted item's story: its fields at once, its last events once read (store thread)."""
        org = self.icm.org
        text = Text.assemble(
            (f"{item.ref} ", "bold"), Text(item.title), "\n",
            (f"{org.person_name(item.owner)} ({org.department_name(item.supplier)}) for "
             f"{org.department_name(item.requester) or '—'} · due {item.due or '—'} · {item.priority.value}"
             f" · from {item.meeting or 'outside a meeting'}", "dim"),
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
        outcomes = self._outcomes()
        order = list(range(start, len(self.queue))) + list(range(0, start))
        for index in order:
            if self.queue[index].ref not in outcomes:
                self.query_one(DataTable).move_cursor(row=index)
                return

    # ------------------------------------------------------------ outcomes

    def _apply(self, verb: str, *, note: str = "", score: int | None = None, due: str | None = None) -> None:
        item, meeting = self.current, self.meeting
        if item is None or meeting is None:
            return
        services = self.icm.services
        row = self.query_one(DataTable).cursor_row

        def run() -> tuple[ActionItem, Meeting]:
            after = services.review(meeting.ref, item.ref, verb or None, note=note, score=score, due=due)
            return after, services.store.meeting(meeting.ref)

        def done(result: tuple[ActionItem, Meeting]) -> None:
            after, saved = result
            self.meeting = saved
            outcomes = self._outcomes()
            for index, queued in enumerate(self.queue):
                if queued.ref == after.ref:
                    self.queue[index] = after
                    self._redraw_row(index, outcomes)
            self._next_unreviewed(min(row + 1, len(self.queue) - 1) if self.queue else 0)
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
