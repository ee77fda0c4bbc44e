"""`?`: what the current screen is for and every key it has."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Markdown, Static


class HelpScreen(ModalScreen[None]):
    """Help for one screen: its HELP text (Markdown) and a table of its keys."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90; max-width: 95%; height: 90%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    """

    BINDINGS = [Binding("escape,question_mark,q", "dismiss_help", "Close", id="help.close")]

    def __init__(self, screen: Screen) -> None:
        super().__init__()
        self.about = screen
        """The screen this help is for."""

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            text = getattr(self.about, "HELP", None) or f"# {type(self.about).__name__}"
            yield Markdown(text)
            yield Static(self._keys())

    def _keys(self) -> Table:
        table = Table(title="Keys on this screen", expand=True, show_edge=False)
        table.add_column("Key", style="bold cyan", no_wrap=True)
        table.add_column("What it does")
        seen: set[str] = set()
        for active in self.about.active_bindings.values():
            binding = active.binding
            if not binding.description or binding.action in seen:
                continue
            seen.add(binding.action)
            key = binding.key_display or self.app.get_key_display(binding)
            table.add_row(Text(key), Text(binding.tooltip or binding.description))
        table.add_row(Text("ctrl+p"), Text("Command palette: every key above, by name"))
        return table

    def action_dismiss_help(self) -> None:
        """Close the help."""
        self.dismiss(None)
