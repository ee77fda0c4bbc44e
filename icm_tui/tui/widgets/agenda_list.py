"""The agenda on the runner's left: every item with its timebox and state."""

from __future__ import annotations

from enum import StrEnum

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from icm_tui.domain.models import Meeting, MeetingItem
from icm_tui.tui.widgets.meeting import clock_text, fit

KIND_MARK = {"review": "↻", "triage": "⇆", "pulse": "♥", "decision": "◆", "info": "i", "discussion": "•"}
"""A one-cell sign for each item kind."""


class ItemState(StrEnum):
    """Where an agenda item stands in the meeting."""

    DONE = "done"
    CURRENT = "current"
    UPCOMING = "upcoming"


def item_state(index: int, current: int, item: MeetingItem) -> ItemState:
    """Done when passed or visited, current, or still to come."""
    if index == current:
        return ItemState.CURRENT
    if index < current or item.spent > 0:
        return ItemState.DONE
    return ItemState.UPCOMING


class AgendaList(OptionList):
    """The meeting's items: ✓ done, ▶ current, · upcoming; an overrun item turns the warning colour."""

    DEFAULT_CSS = """
    AgendaList { border: round $primary-muted; padding: 0; }
    AgendaList:focus { border: round $accent; }
    """

    _shown: tuple[Meeting, list[float], int] | None = None

    def show(self, meeting: Meeting, spent: list[float], current: int) -> None:
        """Redraw every item; `spent` holds the live seconds per item."""
        self._shown = (meeting, spent, current)
        highlighted = self.highlighted
        width = self._width()
        options = [
            Option(self._prompt(i, item, spent[i], current, width), id=str(i)) for i, item in enumerate(meeting.items)
        ]
        self.set_options(options)
        self.highlighted = highlighted if highlighted is not None else current

    def show_current(self, meeting: Meeting, spent: list[float], current: int) -> None:
        """Redraw only the running item (its clock moves every second)."""
        if 0 <= current < self.option_count:
            prompt = self._prompt(current, meeting.items[current], spent[current], current, self._width())
            self.replace_option_prompt_at_index(current, prompt)

    def on_resize(self) -> None:
        """Titles are cut to the width: redraw when it changes."""
        if self._shown is not None:
            self.show(*self._shown)

    def _width(self) -> int:
        return max(self.scrollable_content_region.width - 1, 16)

    @staticmethod
    def _prompt(index: int, item: MeetingItem, spent: float, current: int, width: int = 30) -> Text:
        state = item_state(index, current, item)
        overrun = item.timebox > 0 and spent > item.timebox * 60
        mark = {"done": "✓", "current": "▶", "upcoming": " "}[state.value]
        style = {"done": "dim", "current": "bold", "upcoming": ""}[state.value]
        if overrun:
            style = "bold yellow"
        title = Text.assemble((f"{mark} {index + 1:>2} ", style), (fit(item.title, width - 6), style))
        used = f"{clock_text(spent)}/" if spent or state is ItemState.CURRENT else ""
        meta = f"     {KIND_MARK.get(item.kind, '•')} {used}{item.timebox}m"
        if overrun:
            meta += " OVER"
        meta = fit(meta, width - 1)
        return Text.assemble(title, "\n", (meta, "bold yellow" if overrun else "dim"))
