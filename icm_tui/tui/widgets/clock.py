"""The runner's clocks: time on the current item against its timebox, and the meeting's."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from icm_tui.tui.widgets.meeting import clock_text


class MeetingClock(Static):
    """One line: the meeting, the item clock, the meeting clock, pause state."""

    DEFAULT_CSS = """
    MeetingClock { height: 1; background: $boost; padding: 0 1; }
    """

    def show(
        self, title: str, item_seconds: float, timebox: int, meeting_seconds: float, planned: int, paused: bool
    ) -> None:
        """Redraw with the current figures (seconds; timebox and planned in minutes)."""
        item_over = timebox > 0 and item_seconds > timebox * 60
        meeting_over = planned > 0 and meeting_seconds > planned * 60
        text = Text.assemble(
            "Item ",
            (clock_text(item_seconds), "bold yellow reverse" if item_over else "bold"),
            f" / {timebox:02}:00",
            "   Meeting ",
            (clock_text(meeting_seconds), "bold yellow reverse" if meeting_over else "bold"),
            f" / {planned}:00",
        )
        if paused:
            text.append("   ⏸ PAUSED (space resumes)", style="bold reverse")
        text.append("   ")
        text.append(title, style="dim")
        text.no_wrap = True
        text.overflow = "ellipsis"
        self.update(text)
