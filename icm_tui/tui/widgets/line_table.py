"""A table that looks like a row-cursor, zebra-striped `DataTable` but draws only the rows on screen.

A DataTable holds a Rich Text per cell and measures each one on the event loop: the review
queue of a series that never met (every escalated item, ~20,000 rows at 50,000 items) took
~100 MB and froze the UI for seconds. This widget holds nothing per row: the caller gives a row
count, the column widths (measured off the event loop) and a function making one row's cells,
called only for the rows drawn. Each visible cell goes through the same Rich calls as DataTable's,
so a table of a few rows draws exactly as the DataTable it replaces.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.console import RenderableType
from rich.padding import Padding
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual._segment_tools import line_crop
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.renderables.styled import Styled
from textual.strip import Strip

from icm_tui.tui.widgets.line_list import LineList

_EMPTY = Text(no_wrap=True, end="")
ROW_CACHE = 256
"""Rendered lines kept (a few screenfuls); past that the cache starts again."""


class LineTable(LineList, can_focus=True):
    """Rows of cells under a header, DataTable's look (zebra stripes, row cursor), rendering only visible rows."""

    ALLOW_SELECT = False

    DEFAULT_CSS = """
    LineTable {
        background: $surface;
        color: $foreground;
        height: auto;
        max-height: 100%;
        &:focus {
            background-tint: $foreground 5%;
            & > .line-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .line-table--header { background-tint: $foreground 5%; }
        }
        &:dark > .line-table--even-row { background: $surface-darken-1 40%; }
        & > .line-table--header { text-style: bold; background: $panel; color: $foreground; }
        &:ansi > .line-table--header { background: ansi_bright_blue; color: ansi_default; }
        & > .line-table--even-row { background: $surface-lighten-1 50%; }
        & > .line-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """
    # The same rules as DataTable's DEFAULT_CSS (Textual 8), so the two draw alike.

    COMPONENT_CLASSES = {"line-table--header", "line-table--cursor", "line-table--even-row", "line-table--odd-row"}

    BINDINGS = [
        Binding("enter", "select", "Select", show=False, id="line-table.select"),
        Binding("up", "move(-1)", "Cursor up", show=False, id="line-table.up"),
        Binding("down", "move(1)", "Cursor down", show=False, id="line-table.down"),
        Binding("right", "scroll_right", "Scroll right", show=False, id="line-table.right"),
        Binding("left", "scroll_left", "Scroll left", show=False, id="line-table.left"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="line-table.pageup"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="line-table.pagedown"),
        Binding("ctrl+home", "jump(0)", "Top", show=False, id="line-table.top"),
        Binding("ctrl+end", "jump(-1)", "Bottom", show=False, id="line-table.bottom"),
        Binding("home", "scroll_home", "Home", show=False, id="line-table.home"),
        Binding("end", "scroll_end", "End", show=False, id="line-table.end"),
    ]
    # DataTable's keys with a row cursor: left/right/home/end scroll sideways.

    @dataclass
    class Highlighted(Message):
        """The cursor moved to another row (or the rows were replaced)."""

        table: "LineTable"
        index: int

        @property
        def control(self) -> "LineTable":
            return self.table

    @dataclass
    class Selected(Message):
        """Enter (or a double click) on a row."""

        table: "LineTable"
        index: int

        @property
        def control(self) -> "LineTable":
            return self.table

    def __init__(self, *labels: str, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._labels = [Text(label) for label in labels]
        self._widths = [label.cell_len + 2 for label in self._labels]
        self._count = 0
        self._cells: Callable[[int], Sequence[RenderableType]] = lambda index: ()
        self._lines: dict[tuple, list[Segment]] = {}
        self._generation = 0
        self._highlighted: tuple[int, int] | None = None

    # ------------------------------------------------------------------ data

    def row_count(self) -> int:
        """How many rows the table holds."""
        return self._count

    def set_rows(self, count: int, cells: Callable[[int], Sequence[RenderableType]], widths: Sequence[int],
                 cursor: int = 0) -> None:
        """Show `count` rows, row i's cells being `cells(i)`; `widths` are the widest cell of each column.

        A column is as wide as its widest cell or its label, plus one cell of padding each side
        (DataTable's auto width); `update_row` does not widen it, as DataTable's `update_cell` does not.
        """
        self._count, self._cells = count, cells
        self._widths = [max(label.cell_len, width) + 2 for label, width in zip(self._labels, widths)]
        self._generation += 1
        self._lines.clear()
        size = Size(sum(self._widths), count + 1)
        if size != self.virtual_size:
            self.virtual_size = size
        self.cursor = cursor
        self.refresh()

    def update_row(self, index: int) -> None:
        """Row `index` changed: draw it again (if it is on screen)."""
        for key in [key for key in self._lines if key[0] == index]:
            del self._lines[key]
        self.refresh()

    def update_all(self) -> None:
        """Every row may have changed: draw the visible ones again."""
        self._lines.clear()
        self.refresh()

    # ------------------------------------------------------------------ cursor

    def watch_cursor(self, old: int, new: int) -> None:
        self._scroll_cursor_into_view()
        self.refresh()
        if self._count and self._highlighted != (self._generation, new):
            self._highlighted = (self._generation, new)
            self.post_message(self.Highlighted(self, new))

    def action_select(self) -> None:
        """Select the highlighted row."""
        if self._count:
            self.post_message(self.Selected(self, self.cursor))

    def action_scroll_home(self) -> None:
        """Scroll to the leftmost column."""
        self.scroll_x = 0

    def action_scroll_end(self) -> None:
        """Scroll to the rightmost column."""
        self.scroll_x = self.max_scroll_x

    def _on_click(self, event: events.Click) -> None:
        index = self.row_at(event.y)
        if index is not None:
            self.cursor = index
            if event.chain >= 2:
                self.action_select()

    def on_unmount(self) -> None:
        self._cells = lambda index: ()  # the caller's rows go with the screen
        self._count = 0
        self._lines.clear()

    # ------------------------------------------------------------------ drawing

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._lines.clear()
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        scroll_x, scroll_y = self.scroll_offset
        base = self.rich_style
        index = -1 if y == 0 else y - 1 + scroll_y
        if index >= self._count:
            return Strip.blank(width, base)
        cursor = index == self.cursor and index >= 0
        key = (index, cursor, base, width)
        line = self._lines.get(key)
        if line is None:
            if len(self._lines) >= ROW_CACHE:
                self._lines.clear()
            line = self._lines[key] = self._render_row(index, cursor, width)
        return Strip(line_crop(line, scroll_x, scroll_x + width, width)).adjust_cell_length(width, base).simplify()

    def _render_row(self, index: int, cursor: bool, width: int) -> list[Segment]:
        """One row (-1: the header) as DataTable draws it: each cell padded, then the rest of the width."""
        component = self.get_component_styles
        if index == -1:
            row_style = component("line-table--header").rich_style
            cells: Sequence[RenderableType] = self._labels
        else:
            row_style = component("line-table--odd-row" if index % 2 else "line-table--even-row").rich_style
            cells = self._cells(index)
        cursor_style = self.get_component_rich_style("line-table--cursor") if cursor else Style()
        post_style = Style.from_color(color=cursor_style.color)  # the cursor's colour wins over a cell's
        console = self.app.console
        options = self.app.console_options.update(no_wrap=True)
        segments: list[Segment] = []
        for column, (cell, cell_width) in enumerate(zip(cells, self._widths)):
            pre_style = row_style + Style.from_meta({"row": index, "column": column}) + cursor_style
            lines = console.render_lines(
                Styled(Padding(cell or _EMPTY, (0, 1)), pre_style=pre_style, post_style=post_style),
                options.update_dimensions(cell_width, 1),
            )
            segments.extend(lines[0])
        remaining = max(0, width - sum(self._widths))
        extend_style = row_style + cursor_style + Style.from_meta({"row": index, "column": 0, "out_of_bounds": True})
        segments.append(Segment(" " * remaining, extend_style))
        return segments


__all__ = ["LineTable"]
