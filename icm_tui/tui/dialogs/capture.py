"""Quick capture of an action item: title, owner, requester, due, priority, in a few keystrokes.

The same dialog accepts a request into an action item (`CaptureDialog.for_request`), from the
meeting's triage panel and from the requests screen alike, and `accept_request` saves its answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList, Suggester
from textual.widgets import Input, Label

from icm_tui.domain.dates import DATE_FORMS, parse_date
from icm_tui.domain.models import Priority
from icm_tui.domain.names import (
    Choice,
    candidates,
    department_choices,
    listing,
    person_choices,
    resolve_department,
    resolve_person,
)
from icm_tui.domain.org import Org
from icm_tui.errors import BadInput

if TYPE_CHECKING:
    from icm_tui.domain.models import ActionItem, Request
    from icm_tui.services import Services

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


class FieldProblem(BadInput):
    """What is wrong with the answer, and in which field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        """Which field: title, owner, requester, due or priority."""
        self.value = ""
        """What the field held when this was shown."""


class OneMatch(Suggester):
    """Completes a name only when what is typed so far fits one record: never a guess among several."""

    def __init__(self, choices: Sequence[Choice]) -> None:
        super().__init__(case_sensitive=False)
        self.choices = choices

    async def get_suggestion(self, value: str) -> str | None:
        found = candidates(value, self.choices)
        if len(found) != 1:
            return None
        # Complete the form being typed: the name after a name, the id after an id.
        return next((form for form in (found[0].name, found[0].id) if form.casefold().startswith(value)), None)


def accept_request(
    services: Services, request: Request, answer: Captured, *, meeting: str = "", series: str = ""
) -> ActionItem:
    """Turn `request` into the action item captured for it (store thread): one path for every screen."""
    return services.accept_request(
        request.ref, owner=answer.owner, due=answer.due, priority=answer.priority, title=answer.title,
        meeting=meeting, series=series,
    )


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
    CaptureDialog Input:disabled { background: $surface; color: $text; }
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

    NAME_FIELDS = ("owner", "requester")
    """Fields holding a name of org.yaml: Enter does not leave them while they name nobody or several."""

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
        supplier: str = "",
        due: str = "",
        due_hint: str = "",
    ) -> None:
        super().__init__()
        self.org = org
        """Where owners and departments are looked up."""
        self.today = today
        """Due dates are counted from here."""
        self.heading = heading
        self.initial = {"title": title, "owner": owner, "requester": requester, "due": due, "priority": "normal"}
        self.lock_requester = lock_requester
        """A request's requester is fixed."""
        self.supplier = supplier
        """The delivering department when fixed (a request's); empty: the owner's department."""
        self.due_hint = due_hint
        """Where a prefilled due date comes from, said next to it."""
        self.problem: FieldProblem | None = None
        """The refusal shown under the fields, until its field is edited."""
        self.people = person_choices(org) if org.present else []
        self.departments = department_choices(org) if org.present else []

    @classmethod
    def for_request(cls, org: Org, today: date, request: Request) -> CaptureDialog:
        """The dialog that accepts `request`: its title, its requester (fixed), its supplier's lead and service target."""
        dept = org.department(request.supplier)
        service = org.service(request.service) if request.service else None
        due, due_hint = "", ""
        if service is not None and service.target_days:
            due = (today + timedelta(days=service.target_days)).isoformat()
            due_hint = f"the {service.name} target, {service.target_days} days"
        return cls(
            org, today,
            heading=f"Accept {request.ref}: {org.department_name(request.requester)} asks {org.department_name(request.supplier)}",
            title=request.title, owner=dept.lead if dept else "", requester=request.requester, lock_requester=True,
            supplier=request.supplier, due=due, due_hint=due_hint,
        )

    def compose(self) -> ComposeResult:
        suggest = {
            "owner": OneMatch(self.people) if self.people else None,
            "requester": OneMatch(self.departments) if self.departments else None,
            "due": SuggestFromList(["today", "tomorrow", "eow", "eom", "+1w", "+2w", "+1m"], case_sensitive=False),
            "priority": SuggestFromList(PRIORITIES, case_sensitive=False),
        }
        placeholders = {
            "title": "What will be delivered",
            "owner": "Who delivers: person id or name (→ completes)",
            "requester": "Internal customer department (who needs it)",
            "due": "fri, +3d, 2026-12-04 (empty: the service target)" if self.due_hint
            else "fri, +3d, +2w, eow, 2026-12-04 (empty: none)",
            "priority": "low, normal, high, urgent",
        }
        values = dict(self.initial)
        if self.lock_requester:
            values["requester"] = self.org.department_name(self.initial["requester"])
        with Vertical():
            yield Label(Text(self.heading), classes="capture-title")
            for name in self.FIELDS:
                with Horizontal():
                    yield Label(name.capitalize(), classes="field-label")
                    yield Input(
                        value=values[name], placeholder=placeholders[name], suggester=suggest.get(name),
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

    def _matches(self, name: str) -> list[Choice]:
        return candidates(self._value(name), self.people if name == "owner" else self.departments)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        # Changes still queued from before the refusal must not take it away: compare what the field holds now.
        problem = self.problem
        if problem is not None and event.input.id == f"capture-{problem.field}" and event.input.value != problem.value:
            self.problem = None  # being fixed: the refusal no longer describes what is typed
            self.query_one("#capture-error", Label).update(Text(""))
        self._derive()

    def _derive(self) -> None:
        """Show what the typed owner and due date resolve to, and the candidates of a name that fits several."""
        parts: list[str] = []
        refused = self.problem.field if self.problem is not None else ""
        if refused == "owner":
            pass  # the refusal under this line names the candidates already
        elif self.people and self._value("owner").strip():
            found = self._matches("owner")
            if len(found) == 1:
                parts.append(self._owner_line(found[0].id))
            elif found:
                parts.append(f"owner could be {listing(found)}")
            else:
                parts.append(f"owner: nobody in org.yaml is called {self._value('owner').strip()!r}")
        elif self._value("owner").strip():  # no org.yaml: any name is taken as typed
            parts.append(self._owner_line(self._value("owner").strip()))
        if refused != "requester" and self.departments and not self.lock_requester and self._value("requester").strip():
            found = self._matches("requester")
            if len(found) > 1:
                parts.append(f"requester could be {listing(found)}")
            elif not found:
                parts.append(f"requester: no department {self._value('requester').strip()!r}")
        due = self._value("due").strip()
        if due:
            try:
                when = parse_date(due, self.today)
            except BadInput:
                parts.append("due: not a date yet")
            else:
                from_target = self.due_hint and due == self.initial["due"]
                parts.append(f"due {when:%a %Y-%m-%d}" + (f" ({self.due_hint})" if from_target else ""))
        self.query_one("#capture-derived", Label).update(Text(" · ".join(parts)))

    def _owner_line(self, owner: str) -> str:
        person = self.org.person(owner)
        home = person.department if person else ""
        if not self.supplier:
            return f"owner {self.org.person_name(owner)}, supplier {self.org.department_name(home) or '—'}"
        line = f"owner {self.org.person_name(owner)}"
        if home and home != self.supplier:
            line += f" ({self.org.department_name(home)})"
        return line + f", supplier {self.org.department_name(self.supplier)}"

    async def action_next_field(self) -> None:
        """Enter: accept a shown completion, then go to the next field; on the last one, save.

        A name field is not left while it names nobody or several people: the problem is said at once.
        """
        focused = self.focused
        if not isinstance(focused, Input):
            return
        field = (focused.id or "").removeprefix("capture-")
        order = [f for f in self.FIELDS if not (f == "requester" and self.lock_requester)]
        position = order.index(field) if field in order else len(order) - 1
        if field in self.NAME_FIELDS:
            # Keys typed before this Enter may still wait in the field's queue: check after them.
            await self._drain([focused])
            self._accept_suggestion(focused)
            try:
                self._check_name(field)
            except FieldProblem as problem:
                self._show_problem(problem)
                return
        else:
            focused.call_later(self._accept_suggestion, focused)
        if position == len(order) - 1:
            await self._drain(list(self.query(Input)))
            self.action_save()
        else:
            self.set_focus(self.query_one(f"#capture-{order[position + 1]}", Input))

    @staticmethod
    def _accept_suggestion(field: Input) -> None:
        suggestion = getattr(field, "_suggestion", "")
        if suggestion and len(suggestion) > len(field.value) and field.value:
            field.value = suggestion
            field.cursor_position = len(suggestion)

    @staticmethod
    async def _drain(fields: list[Input]) -> None:
        """Wait until these fields have handled the keys already sent to them."""
        waits = []
        for field in fields:
            handled = asyncio.Event()
            field.call_later(handled.set)
            waits.append(handled.wait())
        await asyncio.gather(*waits)

    def _check_name(self, field: str) -> str:
        """The id the owner or requester field names ('' for an empty one); FieldProblem otherwise."""
        if field == "requester" and self.lock_requester:
            return self.initial["requester"]
        text = self._value(field)
        if not text.strip():
            return ""
        try:
            if field == "owner":
                return resolve_person(self.org, text, what="owner")
            return resolve_department(self.org, text, required=False, what="requester")
        except BadInput as error:
            raise FieldProblem(field, str(error)) from None

    def check(self) -> Captured:
        """The answer, checked; FieldProblem naming the field otherwise."""
        title = " ".join(self._value("title").split())
        if not title:
            raise FieldProblem("title", "title: say what will be delivered")
        owner = self._check_name("owner")
        if not owner:
            raise FieldProblem("owner", "owner: who delivers it?")
        requester = self._check_name("requester")
        due_text = self._value("due").strip()
        try:
            due = parse_date(due_text, self.today) if due_text else None
        except BadInput:
            raise FieldProblem("due", f"due: not a date (use {DATE_FORMS})") from None
        try:
            priority = resolve_priority(self._value("priority"))
        except BadInput as error:
            raise FieldProblem("priority", f"priority: {error}") from None
        return Captured(title=title, owner=owner, requester=requester, due=due, priority=priority)

    def _show_problem(self, problem: FieldProblem) -> None:
        problem.value = self._value(problem.field)
        self.problem = problem
        self.query_one("#capture-error", Label).update(Text(str(problem)))
        self._derive()
        field = self.query_one(f"#capture-{problem.field}", Input)
        if not field.disabled:
            self.set_focus(field)

    def action_save(self) -> None:
        """Save the action item (checked first; the problem is shown at its field)."""
        try:
            captured = self.check()
        except FieldProblem as problem:
            self._show_problem(problem)
            return
        self.dismiss(captured)

    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(None)
