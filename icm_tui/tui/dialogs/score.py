"""Confirm a delivered item: the requester's 1-5 score and an optional comment."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widgets import Input, Label


class _Stars(Label, can_focus=True):
    """The score line; focused first so digits score (in the comment box they are text)."""


class ScoreDialog(ModalScreen[tuple[int, str] | None]):
    """Ask for a score 1-5 (press the digit) and a comment; dismisses with (score, comment) or None."""

    DEFAULT_CSS = """
    ScoreDialog { align: center middle; }
    ScoreDialog > Vertical {
        width: 70; max-width: 95%; height: auto;
        border: thick $success; background: $surface; padding: 1 2;
    }
    ScoreDialog .score-title { text-style: bold; margin-bottom: 1; }
    ScoreDialog #score-row { height: 1; margin-bottom: 1; }
    ScoreDialog .score-hint { color: $text-muted; width: 100%; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="score.cancel"),
        Binding("enter", "confirm", "Confirm", id="score.confirm"),
        Binding("c", "comment", "Comment", id="score.comment"),
        *[Binding(str(n), f"score({n})", f"Score {n}", show=False) for n in range(1, 6)],
    ]

    score: reactive[int] = reactive(0)
    """The chosen score; 0 until one is pressed."""

    LABELS = {1: "very poor", 2: "poor", 3: "acceptable", 4: "good", 5: "excellent"}

    def __init__(self, title: str, initial: int = 0) -> None:
        super().__init__()
        self.title_text = title
        """What is being confirmed (ref and title)."""
        self.set_reactive(ScoreDialog.score, initial)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.title_text), classes="score-title")
            with Horizontal(id="score-row"):
                yield _Stars(self._stars(), id="score-stars")
            yield Input(placeholder="Comment from the requesting department (optional)", id="score-comment")
            yield Label(Text("Press 1-5 to score, c to comment, Enter to confirm, Esc to cancel."), classes="score-hint")

    def _stars(self) -> Text:
        if not self.score:
            return Text("Score: press 1 (very poor) … 5 (excellent)", style="italic")
        return Text.assemble(
            ("Score: ", "bold"), ("★" * self.score, "bold yellow"), ("☆" * (5 - self.score), "dim"),
            f"  {self.score}/5 {self.LABELS[self.score]}",
        )

    def watch_score(self) -> None:
        if self.is_mounted:
            self.query_one("#score-stars", _Stars).update(self._stars())

    def action_score(self, value: int) -> None:
        """Choose the score."""
        self.score = value

    def action_comment(self) -> None:
        """Type the requester's comment."""
        self.query_one("#score-comment", Input).focus()

    @on(Input.Submitted)
    def submit(self, event: Input.Submitted) -> None:
        """Enter in the comment box confirms too."""
        event.stop()
        self.action_confirm()

    def action_confirm(self) -> None:
        """Confirm with the chosen score."""
        if not self.score:
            self.notify("Press a digit from 1 to 5 first.", severity="warning")
            return
        self.dismiss((self.score, self.query_one("#score-comment", Input).value.strip()))

    def action_cancel(self) -> None:
        """Close without confirming."""
        self.dismiss(None)
