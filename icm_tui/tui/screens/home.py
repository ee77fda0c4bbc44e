"""The home screen (placeholder until the meeting runner lands)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static


class HomeScreen(Screen):
    """Meeting series, counts of open items, recent meetings."""

    HELP = "# Home\n\nThe meeting series of this workspace and the state of their action items."

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text("icm"), id="home-body")
        yield Footer()
