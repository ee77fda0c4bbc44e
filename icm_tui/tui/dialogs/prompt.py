"""A one-line question: a reason, a title, a due date, an owner (with completion)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label


class PromptDialog(ModalScreen[str | None]):
    """Ask for one line of text; dismisses with the text, or None when cancelled."""

    DEFAULT_CSS = """
    PromptDialog { align: center middle; }
    PromptDialog > Vertical {
        width: 70; max-width: 95%; height: auto;
        border: thick $accent; background: $surface; padding: 1 2;
    }
    PromptDialog .prompt-title { text-style: bold; margin-bottom: 1; }
    PromptDialog .prompt-hint { color: $text-muted; width: 100%; }
    PromptDialog .prompt-error { color: $error; height: auto; }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]

    def __init__(
        self,
        title: str,
        *,
        placeholder: str = "",
        value: str = "",
        hint: str = "",
        required: bool = True,
        suggestions: Iterable[str] = (),
        check: Callable[[str], str | None] | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        """The question."""
        self.placeholder = placeholder
        self.value = value
        self.hint = hint
        """A line under the input: accepted forms, what happens next."""
        self.required = required
        """Refuse an empty answer."""
        self.suggestions = list(suggestions)
        """Completion candidates (tab or right arrow accepts)."""
        self.check = check
        """Returns an error message for an unacceptable answer, or None."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.title_text), classes="prompt-title")
            suggester = SuggestFromList(self.suggestions, case_sensitive=False) if self.suggestions else None
            yield Input(value=self.value, placeholder=self.placeholder, suggester=suggester, id="prompt-input")
            yield Label(Text(""), classes="prompt-error", id="prompt-error")
            if self.hint:
                yield Label(Text(self.hint), classes="prompt-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def submit(self, event: Input.Submitted) -> None:
        """Accept the answer when it passes the checks."""
        event.stop()
        answer = event.value.strip()
        problem = None
        if self.required and not answer:
            problem = "An answer is required (Esc cancels)."
        elif self.check is not None and answer:
            problem = self.check(answer)
        if problem:
            self.query_one("#prompt-error", Label).update(Text(problem))
            return
        self.dismiss(answer)

    def action_cancel(self) -> None:
        """Close without an answer."""
        self.dismiss(None)
