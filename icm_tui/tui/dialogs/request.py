"""A new request between meetings: title, from, to, service, details, in a few keystrokes."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from icm_tui.domain.names import department_choices, resolve_department, resolve_service, service_choices
from icm_tui.domain.org import Org
from icm_tui.errors import BadInput
from icm_tui.tui.dialogs.capture import OneMatch


@dataclass(frozen=True)
class NewRequest:
    """What the request dialog returns, resolved to ids of org.yaml."""

    title: str
    requester: str
    supplier: str
    service: str
    details: str


class RequestDialog(ModalScreen[NewRequest | None]):
    """Raise a request: Enter moves to the next field and saves on the last, ctrl+s saves at once."""

    DEFAULT_CSS = """
    RequestDialog { align: center middle; }
    RequestDialog > Vertical {
        width: 84; max-width: 98%; height: auto; max-height: 98%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    RequestDialog .request-heading { text-style: bold; }
    RequestDialog Horizontal { height: auto; }
    RequestDialog .field-label { width: 10; padding: 1 1 0 0; text-align: right; }
    RequestDialog Input { width: 1fr; }
    RequestDialog .request-hint { color: $text-muted; }
    RequestDialog #request-error { color: $error; height: auto; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="request.cancel"),
        Binding("ctrl+s", "save", "Save", id="request.save"),
    ]

    FIELDS = ("title", "from", "to", "service", "details")

    def __init__(self, org: Org, *, requester: str = "") -> None:
        super().__init__()
        self.org = org
        """Where departments and services are looked up."""
        self.requester = requester
        """The asking department to start with."""

    def compose(self) -> ComposeResult:
        # Completion only where the typed text fits one department or service: never a guess.
        depts, services = department_choices(self.org), service_choices(self.org)
        suggest = {
            "from": OneMatch(depts) if depts else None,
            "to": OneMatch(depts) if depts else None,
            "service": OneMatch(services) if services else None,
        }
        placeholders = {
            "title": "What is needed",
            "from": "The department asking (the internal customer)",
            "to": "The department asked to serve",
            "service": "A service of org.yaml (optional: its target sets the due date)",
            "details": "Anything the supplier should know (optional)",
        }
        with Vertical():
            yield Label(Text("New request"), classes="request-heading")
            for name in self.FIELDS:
                with Horizontal():
                    yield Label(name.capitalize(), classes="field-label")
                    yield Input(
                        value=self.requester if name == "from" else "", placeholder=placeholders[name],
                        suggester=suggest.get(name), id=f"request-{name}",
                    )
            yield Label(Text(""), id="request-error")
            yield Label(Text("Enter: next field, saves on the last · ctrl+s: save now · Esc: cancel"), classes="request-hint")

    def on_mount(self) -> None:
        self.query_one("#request-title", Input).focus()

    def _value(self, name: str) -> str:
        return self.query_one(f"#request-{name}", Input).value

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        """Enter: go to the next field; on the last one, save."""
        event.stop()
        field = (event.input.id or "").removeprefix("request-")
        position = self.FIELDS.index(field) if field in self.FIELDS else len(self.FIELDS) - 1
        if position == len(self.FIELDS) - 1:
            self.action_save()
        else:
            self.query_one(f"#request-{self.FIELDS[position + 1]}", Input).focus()

    def check(self) -> NewRequest:
        """The answer, resolved against org.yaml; BadInput naming the field otherwise."""
        title = " ".join(self._value("title").split())
        if not title:
            raise BadInput("title: say what is needed")
        resolved = {}
        for field, resolver, what in (
            ("from", resolve_department, "asking department"),
            ("to", resolve_department, "department asked"),
            ("service", resolve_service, "service"),
        ):
            try:
                resolved[field] = resolver(self.org, self._value(field), what=what)
            except BadInput as error:
                raise BadInput(f"{field}: {error}") from None
        if resolved["from"] == resolved["to"]:
            raise BadInput("to: a department does not raise requests to itself")
        return NewRequest(
            title=title, requester=resolved["from"], supplier=resolved["to"], service=resolved["service"],
            details=self._value("details").strip(),
        )

    def action_save(self) -> None:
        """Save the request (checked first; the problem is shown at its field)."""
        try:
            answer = self.check()
        except BadInput as error:
            message = str(error)
            self.query_one("#request-error", Label).update(Text(message))
            field = message.split(":", 1)[0]
            if field in self.FIELDS:
                self.query_one(f"#request-{field}", Input).focus()
            return
        self.dismiss(answer)

    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(None)
