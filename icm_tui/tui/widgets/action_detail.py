"""One action item in full: its fields, where it stands, and every event of its history.

Attempts refused because someone else changed the item first (store/base.py) are read on the
store thread after the item is shown, and drawn among its events as `refused`.
"""

from __future__ import annotations

from datetime import date, datetime

from rich.console import Group, RenderableType
from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from icm_tui.domain import lifecycle
from icm_tui.domain.dates import relative
from icm_tui.domain.models import ActionItem, Event, EventKind, Status
from icm_tui.domain.org import Org
from icm_tui.store.base import Attempt, Kind
from icm_tui.tui.widgets.action_table import STATUS_LABEL, clean

SCORE_WORDS = {1: "very poor", 2: "poor", 3: "acceptable", 4: "good", 5: "excellent"}


def stars(score: int) -> str:
    """`★★★★☆ 4/5` for a 1-5 score."""
    return "★" * score + "☆" * (5 - score) + f" {score}/5"


class ActionDetail(VerticalScroll, can_focus=True):
    """Fields and full history of one action item; `show(item)` to change it, `show(None)` to clear."""

    DEFAULT_CSS = """
    ActionDetail {
        height: auto;
        background: $surface;
        padding: 0 1;
        & > #action-detail-body { width: 1fr; }
        &:focus { background-tint: $foreground 4%; }
    }
    """

    def __init__(self, *, org: Org | None = None, today: date | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.org = org
        """Department and people names; taken from the app when not given."""
        self.today = today
        """For due dates in words; taken from the app's clock when not given."""
        self.item: ActionItem | None = None
        """The item shown."""
        self.attempts: tuple[Attempt, ...] = ()
        """The item's refused attempts (lost races), once read from the store."""
        self._shown_width = -1

    def compose(self) -> ComposeResult:
        yield Static(Text("No item selected.", style="italic"), id="action-detail-body")

    def show(self, item: ActionItem | None) -> None:
        """Show `item` (None: nothing selected)."""
        if item is self.item and self._shown_width == self.size.width and self.is_mounted:
            return  # records are immutable: the same object looks the same
        changed = item is None or self.item is None or item.uid != self.item.uid
        renewed = item is not self.item
        self.item = item
        if changed:
            self.attempts = ()
        if not self.is_mounted:
            return
        self._shown_width = self.size.width
        self.query_one("#action-detail-body", Static).update(self.render_item(item))
        if changed:
            self.scroll_home(animate=False)
        if renewed and item is not None:
            self._read_attempts(item)

    def _read_attempts(self, item: ActionItem) -> None:
        """Ask the store thread for the item's refused attempts; redraw when there are some."""
        submit, store = getattr(self.app, "submit", None), getattr(self.app, "store", None)
        if submit is None or store is None:
            return

        def read() -> tuple[Attempt, ...]:
            return tuple(a for a in store.attempts(Kind.ACTIONS, item.ref) if a.uid == item.uid)

        def done(found: tuple[Attempt, ...]) -> None:
            if self.item is not None and self.item.uid == item.uid and found != self.attempts:
                self.attempts = found
                if self.is_mounted:
                    self.query_one("#action-detail-body", Static).update(self.render_item(self.item))

        submit(read, done, on_error=lambda error: None)  # offline, say: the history shows without them

    def on_resize(self) -> None:
        self.show(self.item)

    def on_mount(self) -> None:
        if self.item is not None:
            item, self.item = self.item, None
            self.show(item)

    # ------------------------------------------------------------------ content

    def _org(self) -> Org:
        return self.org if self.org is not None else getattr(self.app, "org", None) or Org()

    def _today(self) -> date:
        if self.today is not None:
            return self.today
        services = getattr(self.app, "services", None)
        return services.today() if services is not None else date.today()

    def render_item(self, item: ActionItem | None) -> RenderableType:
        """The renderable for `item`: every piece of user text as plain Text, never markup."""
        if item is None:
            return Text("No item selected.", style="italic")
        org, today = self._org(), self._today()
        person = org.person_name(item.owner)
        owner = person if person == item.owner else f"{person} ({item.owner})"
        supplier = org.department_name(item.supplier) or "?"
        requester = org.department_name(item.requester) or "–"

        head = Text.assemble((clean(item.ref), "bold"), "  ", (clean(item.title), "bold"))
        status = STATUS_LABEL[item.status][0]
        lines = [
            head,
            Text.assemble(
                ("Owner ", "dim"), clean(owner), ("  Supplier → Requester ", "dim"), clean(f"{supplier} → {requester}"),
            ),
            Text.assemble(
                ("Due ", "dim"), item.due.isoformat() if item.due else "none",
                f" ({relative(item.due, today)})" if item.due and item.status not in lifecycle.FINISHED else "",
                ("  Priority ", "dim"), item.priority.value,
                ("  Status ", "dim"), (status, "bold"),
                ("  Carried ", "dim"), str(item.carry),
                ("  Reopened ", "dim"), str(item.reopened),
                *((("  Score ", "dim"), stars(item.score)) if item.score else ()),
            ),
        ]
        origin = []
        if item.service:
            origin += [("Service ", "dim"), clean(org.service(item.service).name if org.service(item.service) else item.service), "  "]
        if item.meeting:
            origin += [("Captured in ", "dim"), clean(item.meeting)]
            if item.item:
                origin += [" · ", clean(item.item)]
            origin.append("  ")
        if item.request:
            origin += [("From request ", "dim"), clean(item.request)]
        if origin:
            lines.append(Text.assemble(*origin))
        flags = []
        if lifecycle.is_escalated(item, today, org.thresholds):
            flags.append(("!! escalated ", "bold red"))
        if lifecycle.is_overdue(item, today):
            flags.append((f"! {lifecycle.days_overdue(item, today)}d overdue ", "yellow"))
        if lifecycle.awaiting_confirmation(item):
            flags.append((f"? awaiting confirmation by {requester}: c confirms with a score, o reopens ", "green"))
        if item.status is Status.CLOSED:
            flags.append(("✓ confirmed: the loop is closed", "green"))
        if flags:
            lines.append(Text.assemble(*flags))

        lines.append(Text(""))
        count = len(item.history)
        refused = len(self.attempts) if self.item is item else 0
        lines.append(Text(
            f"History: {count} event{'s' if count != 1 else ''}"
            + (f", {refused} refused attempt{'s' if refused != 1 else ''}" if refused else "")
            + ", newest first",
            style="bold",
        ))
        lines.extend(self._history(item, org))
        return Group(*lines)

    def _history(self, item: ActionItem, org: Org) -> list[Text]:
        """One line per event (when, who, meeting, what), the what wrapped under itself.

        Plain Text lines rather than a rich Table: measuring a Table on every cursor move costs
        tens of milliseconds, and these lines are cheap to wrap to the panel's width.
        """
        width = max(20, self.scrollable_content_region.width or 80)
        who_width = 14
        prefix = 16 + 1 + who_width + 1 + 7 + 1
        stacked = width - prefix < 24  # narrow: the what goes on its own line
        console = self.app.console
        out: list[Text] = [Text.assemble(
            ("When".ljust(17), "bold"), (_cells("Who", who_width + 1), "bold"), ("Meeting ", "bold"), ("What", "bold")
        )]
        for event, attempt in reversed(_with_attempts(item.history, self.attempts if self.item is item else ())):
            head = Text.assemble(
                (_when(event.at) + " ", "dim"),
                _cells(clean(org.person_name(event.by) or "?"), who_width) + " ",
                (_cells(clean(event.meeting) or "—", 7) + " ", "dim"),
            )
            what = describe(event, org)
            if attempt is not None:
                reason = clean(attempt.reason.removeprefix(f"{attempt.ref}: "))
                what = Text.assemble(
                    ("refused ", "bold red"), what,
                    (f" — {clean(attempt.first)} got there first: {reason}", "dim"),
                )
            if stacked:
                out.append(head)
                for line in what.wrap(console, width - 2):
                    out.append(Text("  ") + line)
                continue
            wrapped = what.wrap(console, width - prefix)
            out.append(head + (wrapped[0] if wrapped else Text("")))
            out.extend(Text(" " * prefix) + line for line in wrapped[1:])
        return out


def _with_attempts(history: tuple[Event, ...], attempts: tuple[Attempt, ...]) -> list[tuple[Event, Attempt | None]]:
    """The history with each refused attempt's events placed by time (after the change that beat it)."""
    import msgspec

    tried: list[tuple[Event, Attempt]] = []
    for attempt in sorted(attempts, key=lambda a: a.at):
        for raw in attempt.events or ({"at": attempt.at, "kind": "note", "by": attempt.by},):
            try:
                tried.append((msgspec.convert(raw, Event), attempt))
            except (msgspec.MsgspecError, TypeError):
                continue
    out: list[tuple[Event, Attempt | None]] = []
    for event in history:
        while tried and tried[0][1].at < event.at:
            out.append(tried.pop(0))
        out.append((event, None))
    return out + tried


def _cells(text: str, width: int) -> str:
    """`text` cut (with an ellipsis) or padded to `width` cells."""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M")


def describe(event: Event, org: Org | None = None) -> Text:
    """What one history event says, in words (user text kept literal)."""
    org = org or Org()
    note = clean(event.note)
    kind = event.kind
    if kind is EventKind.CREATED:
        text = Text("created")
    elif kind is EventKind.NOTE:
        return Text.assemble(("note: ", "dim"), note)
    elif kind is EventKind.STATUS:
        text = Text.assemble(_status(event.old), " → ", (_status(event.new), "bold"))
    elif kind is EventKind.DUE_CHANGED:
        text = Text.assemble("due ", event.old or "none", " → ", (event.new or "none", "bold"))
    elif kind is EventKind.REASSIGNED:
        text = Text.assemble(
            "reassigned ", clean(org.person_name(event.old)), " → ", (clean(org.person_name(event.new)), "bold")
        )
    elif kind is EventKind.EDITED:
        text = Text.assemble("changed ", clean(event.old) or "—", " → ", (clean(event.new), "bold"))
    elif kind is EventKind.REVIEWED:
        text = Text.assemble("reviewed", (" (carried)" if event.note == "carried" else "", "yellow"))
        if event.new:
            text.append(f", {_status(event.new)}")
        return text
    elif kind is EventKind.CONFIRMED:
        text = Text.assemble(("confirmed ", "bold green"), stars(event.score) if event.score else "")
    elif kind is EventKind.REOPENED:
        text = Text("reopened", style="bold yellow")
    else:
        text = Text(clean(str(kind)))
    if note:
        text.append(" — ")
        text.append(note)
    return text


def _status(value: str) -> str:
    try:
        return STATUS_LABEL[Status(value)][0]
    except ValueError:
        return clean(value)


__all__ = ["ActionDetail", "describe", "stars"]
