"""One action item in full: its fields, where it stands, and every event of its history."""

from __future__ import annotations

from datetime import date, datetime

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from icm_tui.domain import lifecycle
from icm_tui.domain.dates import relative
from icm_tui.domain.models import ActionItem, Event, EventKind, Status
from icm_tui.domain.org import Org
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

    def compose(self) -> ComposeResult:
        yield Static(Text("No item selected.", style="italic"), id="action-detail-body")

    def show(self, item: ActionItem | None) -> None:
        """Show `item` (None: nothing selected)."""
        changed = item is None or self.item is None or item.uid != self.item.uid
        self.item = item
        if not self.is_mounted:
            return
        self.query_one("#action-detail-body", Static).update(self.render_item(item))
        if changed:
            self.scroll_home(animate=False)

    def on_mount(self) -> None:
        if self.item is not None:
            self.show(self.item)

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
                f" ({relative(item.due, today)})" if item.due else "",
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

        history = Table(
            box=None, show_header=True, header_style="bold", expand=True, padding=(0, 1, 0, 0),
            title=f"History: {len(item.history)} event{'s' if len(item.history) != 1 else ''}, newest first", title_justify="left", title_style="bold",
        )
        history.add_column("When", no_wrap=True)
        history.add_column("Who", no_wrap=True, max_width=16, overflow="ellipsis")
        history.add_column("Meeting", no_wrap=True)
        history.add_column("What", ratio=1, overflow="fold")
        for event in reversed(item.history):
            history.add_row(
                Text(_when(event.at), style="dim"),
                Text(clean(org.person_name(event.by) or "?")),
                Text(clean(event.meeting) or "—", style="dim" if not event.meeting else ""),
                describe(event, org),
            )
        return Group(*lines, Text(""), history)


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
