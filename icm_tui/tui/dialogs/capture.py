"""Quick capture of an action item: title, owner, requester, due, priority, in a few keystrokes."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label

from icm_tui.domain.dates import DATE_FORMS, parse_date
from icm_tui.domain.models import Priority
from icm_tui.domain.names import resolve_department, resolve_person
from icm_tui.domain.org import Org
from icm_tui.errors import BadInput

PRIORITIES = [p.value for p in Priority]


@dataclass(frozen=True)
class Captured:
    """What the capture dialog returns: checked against org.yaml, ready for Services.capture_action."""

    title: str
    owner: str
    requester: str
    due: date | None
    priority: str


def resolve_priority(text: str) -> str:
    """`high` from `high`, `h` or `HI`; `normal` when empty."""
    word = text.strip().lower() or "normal"
    hits = [p for p in PRIORITIES if p.startswith(word)]
    if len(hits) != 1:
        raise BadInput(f"priority is one of {', '.join(PRIORITIES)}")
    return hits[0]


class CaptureDialog(ModalScreen[Captured | None]):
    """Capture an action item: Enter moves to the next field and saves on the last, ctrl+s saves at once."""

    DEFAULT_CSS = """
    CaptureDialog { align: center middle; }
    CaptureDialog > Vertical {
        width: 84; max-width: 98%; height: auto; max-height: 98%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    CaptureDialog .capture-title { text-style: bold; margin-bottom: 1; }
    CaptureDialog Horizontal { height: 1; margin-bottom: 1; }
    CaptureDialog .field-label { width: 11; padding: 0 1 0 0; text-align: right; }
    CaptureDialog Input { width: 1fr; height: 1; border: none; padding: 0 1; background: $boost; }
    CaptureDialog Input:focus { border: none; background: $accent 25%; }
    CaptureDialog .capture-hint { color: $text-muted; width: 1fr; }
    CaptureDialog #capture-error { color: $error; width: 1fr; height: auto; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="capture.cancel"),
        Binding("ctrl+s", "save", "Save", id="capture.save"),
        # A priority binding runs before the next key is routed, so text typed straight after Enter
        # reaches the next field (Input.Submitted would move the focus only after it was routed).
        Binding("enter", "next_field", "Next field", show=False, priority=True, id="capture.next"),
    ]

    FIELDS = ("title", "owner", "requester", "due", "priority")

    def __init__(
        self,
        org: Org,
        today: date,
        *,
        heading: str = "New action item",
        title: str = "",
        owner: str = "",
        requester: str = "",
        lock_requester: bool = False,
    ) -> None:
        super().__init__()
        self.org = org
        """Where owners and departments are looked up."""
        self.today = today
        """Due dates are counted from here."""
        self.heading = heading
        self.initial = {"title": title, "owner": owner, "requester": requester, "due": "", "priority": "normal"}
        self.lock_requester = lock_requester
        """A request's requester is fixed."""

    def compose(self) -> ComposeResult:
        people = [p.id for p in self.org.people] + [p.name for p in self.org.people]
        depts = [d.id for d in self.org.departments] + [d.name for d in self.org.departments]
        suggest = {
            "owner": SuggestFromList(people, case_sensitive=False) if people else None,
            "requester": SuggestFromList(depts, case_sensitive=False) if depts else None,
            "due": SuggestFromList(["today", "tomorrow", "eow", "eom", "+1w", "+2w", "+1m"], case_sensitive=False),
            "priority": SuggestFromList(PRIORITIES, case_sensitive=False),
        }
        placeholders = {
            "title": "What will be delivered",
            "owner": "Who delivers (person id or name; → accepts the completion)",
            "requester": "Internal customer department (who needs it)",
            "due": "fri, +3d, +2w, eow, 2026-12-04 (empty: none)",
            "priority": "low, normal, high, urgent",
        }
        with Vertical():
            yield Label(Text(self.heading), classes="capture-title")
            for name in self.FIELDS:
                with Horizontal():
                    yield Label(name.capitalize(), classes="field-label")
                    yield Input(
                        value=self.initial[name], placeholder=placeholders[name], suggester=suggest.get(name),
                        id=f"capture-{name}", disabled=name == "requester" and self.lock_requester,
                    )
            yield Label(Text(""), id="capture-derived", classes="capture-hint")
            yield Label(Text(""), id="capture-error")
            yield Label(
                Text("Enter: next field, saves on the last · ctrl+s: save now · Esc: cancel"), classes="capture-hint"
            )

    def on_mount(self) -> None:
        self.query_one("#capture-title", Input).focus()
        self._derive()

    def _value(self, name: str) -> str:
        return self.query_one(f"#capture-{name}", Input).value

    @on(Input.Changed)
    def _derive(self) -> None:
        """Show what the typed owner and due date resolve to, as you type."""
        parts: list[str] = []
        try:
            owner = resolve_person(self.org, self._value("owner")) if self._value("owner").strip() else ""
        except BadInput:
            owner = ""
        if owner:
            person = self.org.person(owner)
            supplier = person.department if person else ""
            parts.append(f"owner {self.org.person_name(owner)}, supplier {self.org.department_name(supplier) or '—'}")
        due = self._value("due").strip()
        if due:
            try:
                parts.append(f"due {parse_date(due, self.today):%a %Y-%m-%d}")
            except BadInput:
                parts.append("due: not a date yet")
        self.query_one("#capture-derived", Label).update(Text(" · ".join(parts)))

    async def action_next_field(self) -> None:
        """Enter: accept a shown completion, then go to the next field; on the last one, save."""
        focused = self.focused
        if not isinstance(focused, Input):
            return
        # Keys typed before this Enter may still wait in the field's queue: complete after them.
        focused.call_later(self._accept_suggestion, focused)
        field = (focused.id or "").removeprefix("capture-")
        order = [f for f in self.FIELDS if not (f == "requester" and self.lock_requester)]
        position = order.index(field) if field in order else len(order) - 1
        if position == len(order) - 1:
            await self._drain()
            self.action_save()
        else:
            self.set_focus(self.query_one(f"#capture-{order[position + 1]}", Input))

    @staticmethod
    def _accept_suggestion(field: Input) -> None:
        suggestion = getattr(field, "_suggestion", "")
        if suggestion and len(suggestion) > len(field.value) and field.value:
            field.value = suggestion
            field.cursor_position = len(suggestion)

    async def _drain(self) -> None:
        """Wait until every field has handled the keys already sent to it."""
        waits = []
        for field in self.query(Input):
            handled = asyncio.Event()
            field.call_later(handled.set)
            waits.append(handled.wait())
        await asyncio.gather(*waits)

    def check(self) -> Captured:
        """The answer, checked; BadInput naming the field otherwise."""
        title = " ".join(self._value("title").split())
        if not title:
            raise BadInput("title: say what will be delivered")
        owner_text = self._value("owner").strip()
        if not owner_text:
            raise BadInput("owner: who delivers it?")
        try:
            owner = resolve_person(self.org, owner_text)
        except BadInput as error:
            raise BadInput(f"owner: {error}") from None
        try:
            requester = resolve_department(self.org, self._value("requester"), required=False)
        except BadInput as error:
            raise BadInput(f"requester: {error}") from None
        due_text = self._value("due").strip()
        try:
            due = parse_date(due_text, self.today) if due_text else None
        except BadInput:
            raise BadInput(f"due: not a date (use {DATE_FORMS})") from None
        try:
            priority = resolve_priority(self._value("priority"))
        except BadInput as error:
            raise BadInput(f"priority: {error}") from None
        return Captured(title=title, owner=owner, requester=requester, due=due, priority=priority)

    def action_save(self) -> None:
        """Save the action item (checked first; the problem is shown at its field)."""
        try:
            captured = self.check()
        except BadInput as error:
            message = str(error)
            field = message.split(":", 1)[0]
            self.query_one("#capture-error", Label).update(Text(message))
            if field in self.FIELDS:
                self.set_focus(self.query_one(f"#capture-{field}", Input))
            return
        self.dismiss(captured)

    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(None)
