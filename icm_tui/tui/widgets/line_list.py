"""The part every Line API list shares: a one-line header, then rows, a row cursor kept in sight.

`ActionTable` (the actions screen) and `LineTable` (the review queue) draw only the rows on
screen; this base holds the cursor arithmetic they would otherwise each carry.
"""

from __future__ import annotations

from textual.reactive import reactive
from textual.scroll_view import ScrollView


class LineList(ScrollView):
    """A scrolling list of one-line rows under a one-line header, with a row cursor (subclasses draw)."""

    cursor: reactive[int] = reactive(0, always_update=True, repaint=False)
    """Index of the highlighted row."""

    def row_count(self) -> int:
        """How many rows the list holds."""
        raise NotImplementedError

    def validate_cursor(self, value: int) -> int:
        count = self.row_count()
        return max(0, min(value, count - 1)) if count else 0

    def _visible_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_cursor_into_view(self) -> None:
        top = self.scroll_offset.y
        height = self._visible_rows()
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    def row_at(self, y: int) -> int | None:
        """The row index drawn on line `y` of the widget (None: the header or below the rows)."""
        if y <= 0:
            return None
        index = self.scroll_offset.y + y - 1
        return index if 0 <= index < self.row_count() else None

    def action_move(self, delta: int) -> None:
        """Move the cursor up or down."""
        self.cursor += delta

    def action_page(self, direction: int) -> None:
        """Move the cursor a screenful."""
        self.cursor += direction * self._visible_rows()

    def action_jump(self, index: int) -> None:
        """First (0) or last (-1) row."""
        self.cursor = index if index >= 0 else self.row_count() - 1


__all__ = ["LineList"]
