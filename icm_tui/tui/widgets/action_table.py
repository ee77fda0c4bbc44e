"""The list of action items as a Line API widget: it renders only the rows on screen.

A DataTable measures every cell of every row on the event loop (seconds at 50,000 rows), so
the actions screen keeps its items in plain `ActionRow`s, built once per load off the event
loop, and this widget draws the visible window of whatever filtered list it is given.
Every text is drawn as a `Segment`: user text is never parsed as markup.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from icm_tui.domain import lifecycle
from icm_tui.domain.dates import relative
from icm_tui.domain.models import ActionItem, ActionSummary, Status
from icm_tui.domain.org import Org
from icm_tui.domain.query import ActionFilter, by_due

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

STATUS_LABEL = {
    Status.OPEN: ("open", "open"),
    Status.IN_PROGRESS: ("in progress", "in prog"),
    Status.BLOCKED: ("blocked", "blocked"),
    Status.DONE: ("done", "done"),
    Status.CLOSED: ("closed", "closed"),
    Status.DROPPED: ("dropped", "dropped"),
}
"""status -> (label, label for narrow screens)."""

MARKERS = {"escalated": "!!", "overdue": "! ", "awaiting": "? "}
"""The marker column, readable without colour: escalated, overdue, awaiting confirmation."""


def clean(text: str) -> str:
    """One line of user text safe to draw: control characters (tabs, escapes) become spaces."""
    return _CONTROL.sub(" ", text)


class SortKey(StrEnum):
    """The orders the list can be shown in (`S` cycles them)."""

    DUE = "due"
    AGE = "age"
    CARRY = "carry"

    @property
    def label(self) -> str:
        """How the filter bar names the order."""
        return {"due": "due date", "age": "oldest first", "carry": "most carried"}[self.value]

    def next(self) -> "SortKey":
        """The order after this one."""
        keys = list(SortKey)
        return keys[(keys.index(self) + 1) % len(keys)]


class Names:
    """Display names from org.yaml in dicts: `Org`'s own lookups scan lists, too slow 50,000 times over."""

    def __init__(self, org: Org) -> None:
        self.org = org
        """Where the names come from (and the escalation thresholds)."""
        self.people = {p.id: p.name for p in org.people}
        self.depts = {d.id: d.name for d in org.departments}

    def person(self, person_id: str) -> str:
        """Like `Org.person_name`: the name, else the id."""
        return self.people.get(person_id, person_id)

    def department(self, dept_id: str) -> str:
        """Like `Org.department_name`: the name, else the id."""
        return self.depts.get(dept_id, dept_id)


def row_search_text(item: ActionSummary, names: Names, notes: str | None = None) -> str:
    """Exactly `query.search_text(item, org, notes)` (a test holds them equal), with dict lookups for speed."""
    parts = [
        item.ref, item.title, item.owner, item.supplier, item.requester, item.service,
        names.person(item.owner), names.department(item.supplier), names.department(item.requester),
    ]
    if notes is None:
        parts += [event.note for event in getattr(item, "history", ()) if event.note]
    elif notes:
        parts.append(notes)
    return "\n".join(parts).casefold()


@dataclass(slots=True, eq=False)
class ActionRow:
    """One action item as the table filters and draws it.

    What filtering needs is computed once per load; the display texts only when the row is
    first drawn (a screenful, not 50,000), and the sort keys only when an order is needed.
    """

    item: ActionItem
    search: str
    """Case-folded text filter-as-you-type looks in (see `query.search_text`)."""
    overdue: bool
    escalated: bool
    awaiting: bool
    today: date
    names: Names
    cells: dict[str, str] | None = None
    keys: dict[SortKey, tuple] | None = None

    @property
    def ref(self) -> str:
        """The item's ref, `A-42`."""
        return self.item.ref

    @property
    def status(self) -> Status:
        """The item's status."""
        return self.item.status

    @property
    def carry(self) -> int:
        """How many reviews found it not done."""
        return self.item.carry

    @property
    def marker(self) -> str:
        """`!!` escalated, `!` overdue, `?` awaiting confirmation, else blank."""
        if self.escalated:
            return MARKERS["escalated"]
        if self.overdue:
            return MARKERS["overdue"]
        if self.awaiting:
            return MARKERS["awaiting"]
        return "  "

    def text(self, column: str) -> str:
        """The text of one column (`ref`, `title`, `owner`, `parties`, `due`, `due_short`, `status`, ...)."""
        if self.cells is None:
            self.cells = self._cells()
        return self.cells[column]

    def _cells(self) -> dict[str, str]:
        item, names = self.item, self.names
        # A delivered or closed item is not "overdue" any more: show when it was due instead.
        finished = item.status in lifecycle.FINISHED
        due = item.due.isoformat() if finished and item.due else relative(item.due, self.today)
        supplier = names.department(item.supplier) or "?"
        requester = names.department(item.requester) or "–"
        label, short = STATUS_LABEL[item.status]
        return {
            "marker": self.marker,
            "ref": clean(item.ref),
            "title": clean(item.title),
            "owner": clean(names.person(item.owner)),
            "parties": clean(f"{supplier} → {requester}"),
            "due": due,
            "due_short": item.due.strftime("%y-%m-%d") if finished and item.due else due.replace(" overdue", " late"),
            "status": label,
            "status_short": short,
            "carry": str(item.carry) if item.carry else "",
        }

    def key(self, sort: SortKey) -> tuple:
        """The sort key of this row for `sort` (kept once computed)."""
        if self.keys is None:
            self.keys = {}
        key = self.keys.get(sort)
        if key is None:
            item = self.item
            if sort is SortKey.DUE:
                key = by_due(item)
            elif sort is SortKey.AGE:
                key = (item.created.timestamp(), _ref_number(item.ref))
            else:
                key = (-item.carry, *by_due(item))
            self.keys[sort] = key
        return key


def build_row(item: ActionSummary, today: date, names: Names, notes: str | None = None) -> ActionRow:
    """The row of one item as of `today` (`notes` read apart when the item has no history)."""
    return ActionRow(
        item=item,
        search=row_search_text(item, names, notes),
        overdue=lifecycle.is_overdue(item, today),
        escalated=lifecycle.is_escalated(item, today, names.org.thresholds),
        awaiting=lifecycle.awaiting_confirmation(item),
        today=today,
        names=names,
    )


class RowSet:
    """Every item of one load as rows, by ref, with each sort order made when first asked for."""

    def __init__(
        self, rows: list[ActionRow], today: date, names: Names, orders: dict[SortKey, list[ActionRow]] | None = None,
        by_ref: dict[str, ActionRow] | None = None, ref_width: int | None = None,
    ) -> None:
        self.rows = rows
        """In the store's order."""
        self.today = today
        self.names = names
        self.by_ref: dict[str, ActionRow] = by_ref if by_ref is not None else {row.item.ref: row for row in rows}
        """Ref -> row."""
        self._orders: dict[SortKey, list[ActionRow]] = dict(orders or {})
        self.ref_width = ref_width or max(4, max(map(len, self.by_ref), default=4))
        """Cells the widest ref takes."""

    def __len__(self) -> int:
        return len(self.rows)

    def get(self, ref: str) -> ActionRow | None:
        """The row of `ref` (any case)."""
        return self.by_ref.get(ref) or self.by_ref.get(ref.strip().upper())

    def has_order(self, sort: SortKey) -> bool:
        """True when `order(sort)` is ready (no sorting needed)."""
        return sort in self._orders

    def order(self, sort: SortKey) -> list[ActionRow]:
        """Every row in the order `sort` (sorted on first use: ~0.1 s at 50,000 rows, so off the loop)."""
        rows = self._orders.get(sort)
        if rows is None:
            rows = self._orders[sort] = sorted(self.rows, key=lambda row: row.key(sort))
        return rows

    @classmethod
    def build(
        cls, items: Iterable[ActionSummary], today: date, org: Org, previous: "RowSet | None" = None,
        sort: SortKey = SortKey.DUE, notes: dict[str, str] | None = None,
    ) -> "RowSet":
        """Rows for `items`, sorted by `sort`; rows of `previous` are reused for unchanged items (same object).

        `notes` (ref -> the item's notes) lets the items be summaries, read without their histories.
        """
        same_day = previous is not None and previous.today == today and previous.names.org is org
        names = previous.names if same_day and previous is not None else Names(org)
        reuse = previous.by_ref if same_day and previous is not None else {}
        rows: list[ActionRow] = []
        fresh = 0
        for item in items:
            old = reuse.get(item.ref)
            if old is not None and old.item is item:
                rows.append(old)
            else:
                rows.append(build_row(item, today, names, None if notes is None else notes.get(item.ref, "")))
                fresh += 1
        orders = previous._orders if previous is not None and same_day and not fresh and len(rows) == len(previous) else None
        built = cls(rows, today, names, orders)
        built.order(sort)
        return built

    def replaced(self, item: ActionItem) -> "RowSet":
        """This set with one item changed or added (after our own write): a few milliseconds at 50,000."""
        row = build_row(item, self.today, self.names)
        old = self.by_ref.get(item.ref)
        rows = list(self.rows)
        if old is not None:
            rows[rows.index(old)] = row
        else:
            rows.append(row)
        orders = {}
        for sort, ordered in self._orders.items():
            ordered = list(ordered)
            if old is not None:
                del ordered[ordered.index(old)]
            bisect.insort(ordered, row, key=lambda r, sort=sort: r.key(sort))
            orders[sort] = ordered
        by_ref = dict(self.by_ref)
        by_ref[item.ref] = row
        return RowSet(rows, self.today, self.names, orders, by_ref, max(self.ref_width, len(item.ref)))


def search_words(text: str) -> list[str]:
    """The words of a filter query, case-folded: every one must appear."""
    return text.casefold().split()


def filter_rows(rows: Sequence[ActionRow], wanted: ActionFilter, keep: ActionRow | None = None) -> list[ActionRow]:
    """The rows passing `wanted` (its search as words that must all appear), in the given order.

    `keep` stays in the list whatever the filter says: the item the user just changed does not
    vanish under the cursor when it stops matching (marking an overdue item done, say).
    One comprehension per criterion that is set: at 50,000 rows each costs a few milliseconds.
    """
    out: Sequence[ActionRow] = rows
    if wanted.status:
        status = wanted.status
        out = [r for r in out if r.status in status or r is keep]
    if wanted.owner:
        owner = wanted.owner
        out = [r for r in out if r.item.owner == owner or r is keep]
    if wanted.supplier:
        supplier = wanted.supplier
        out = [r for r in out if r.item.supplier == supplier or r is keep]
    if wanted.requester:
        requester = wanted.requester
        out = [r for r in out if r.item.requester == requester or r is keep]
    if wanted.department:
        dept = wanted.department
        out = [r for r in out if r.item.supplier == dept or r.item.requester == dept or r is keep]
    if wanted.overdue:
        out = [r for r in out if r.overdue or r is keep]
    if wanted.escalated:
        out = [r for r in out if r.escalated or r is keep]
    if wanted.awaiting:
        out = [r for r in out if r.awaiting or r is keep]
    for word in search_words(wanted.search):
        out = [r for r in out if word in r.search or r is keep]
    return list(out) if out is rows else out  # type: ignore[return-value]


def narrows(old: ActionFilter, new: ActionFilter) -> bool:
    """True when every row passing `new` also passes `old` (only the search grew), so `new` may filter `old`'s result."""
    if (old.status, old.owner, old.supplier, old.requester, old.department, old.overdue, old.escalated, old.awaiting) != (
        new.status, new.owner, new.supplier, new.requester, new.department, new.overdue, new.escalated, new.awaiting
    ):
        return False
    new_words = search_words(new.search)
    return all(any(word in n for n in new_words) for word in search_words(old.search))


def _ref_number(ref: str) -> int:
    number = ref.partition("-")[2]
    return int(number) if number.isdigit() else 0


@dataclass(frozen=True)
class _Column:
    key: str
    header: str
    width: int
    right: bool = False


class ActionTable(ScrollView, can_focus=True):
    """Action items, one per line, with a fixed header and a cursor; draws only the visible rows."""

    DEFAULT_CSS = """
    ActionTable {
        height: 1fr;
        overflow-x: hidden;
        overflow-y: auto;
        background: $surface;
        & > .action-table--header { text-style: bold; color: $foreground; background: $panel; }
        & > .action-table--cursor { background: $block-cursor-blurred-background; }
        & > .action-table--overdue { color: $text-warning; }
        & > .action-table--escalated { color: $text-error; text-style: bold; }
        & > .action-table--awaiting { color: $text-success; }
        & > .action-table--finished { color: $text-muted; }
        /* Not the accent colour: in most themes it is the warning orange of overdue rows. */
        & > .action-table--ref { color: $text-primary; }
        & > .action-table--placeholder { color: $text-muted; text-style: italic; }
        &:focus > .action-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
    }
    """

    COMPONENT_CLASSES = {
        "action-table--header",
        "action-table--cursor",
        "action-table--overdue",
        "action-table--escalated",
        "action-table--awaiting",
        "action-table--finished",
        "action-table--ref",
        "action-table--placeholder",
    }

    BINDINGS = [
        Binding("up,k", "move(-1)", "Up", show=False, id="actions.table.up"),
        Binding("down,j", "move(1)", "Down", show=False, id="actions.table.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="actions.table.pageup"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="actions.table.pagedown"),
        Binding("home", "jump(0)", "First", show=False, id="actions.table.first"),
        Binding("end", "jump(-1)", "Last", show=False, id="actions.table.last"),
        Binding("enter", "select", "Open", show=False, id="actions.table.open"),
    ]

    @dataclass
    class Highlighted(Message):
        """The cursor moved to another item (None: the list is empty)."""

        table: "ActionTable"
        row: ActionRow | None

        @property
        def control(self) -> "ActionTable":
            return self.table

    @dataclass
    class Selected(Message):
        """Enter (or a double click) on an item: open it."""

        table: "ActionTable"
        row: ActionRow

        @property
        def control(self) -> "ActionTable":
            return self.table

    cursor: reactive[int] = reactive(0, always_update=True, repaint=False)
    """Index of the highlighted row in the shown list."""

    placeholder: reactive[str] = reactive("Loading action items…")
    """What the table says when it has no rows."""

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._rows: list[ActionRow] = []
        self._ref_width = 5
        self._highlighted: ActionRow | None = None
        self._columns_for: tuple[int, int] = (-1, -1)
        self._columns: list[_Column] = []

    # ------------------------------------------------------------------ data

    @property
    def rows(self) -> list[ActionRow]:
        """The rows shown, in order (the caller's list: never copied)."""
        return self._rows

    @property
    def current(self) -> ActionRow | None:
        """The row under the cursor."""
        if 0 <= self.cursor < len(self._rows):
            return self._rows[self.cursor]
        return None

    def set_rows(
        self, rows: list[ActionRow], *, keep: ActionRow | str | None = None, near: bool = False, ref_width: int | None = None
    ) -> None:
        """Show `rows`; the cursor stays on the item `keep` (a row or a ref) if it is there.

        Otherwise it goes to the first row, or with `near` (a reload) stays at the same position.
        """
        old_cursor, old_top = self.cursor, self.scroll_offset.y
        self._rows = rows
        if ref_width is not None:
            self._ref_width = ref_width
        size = Size(self.size.width, len(rows) + 1)
        if size != self.virtual_size:
            self.virtual_size = size
        index = -1
        if isinstance(keep, ActionRow):
            try:
                index = rows.index(keep)  # identity (eq=False): a C loop, fast at 50,000 rows
            except ValueError:
                keep = keep.ref
        if isinstance(keep, str):
            wanted = keep.upper()
            index = next((i for i, row in enumerate(rows) if row.ref.upper() == wanted), -1)
        found = index >= 0
        if not found:
            index = min(old_cursor, len(rows) - 1) if near else 0
        index = max(index, 0)
        # Keep the cursor at the same height on screen, so a reload does not make the list jump.
        top = max(0, index - (old_cursor - old_top)) if found or near else 0
        if top != old_top:
            self.scroll_to(y=top, animate=False, immediate=True)
        self.cursor = index
        self.refresh()

    # ------------------------------------------------------------------ cursor

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self._rows) - 1)) if self._rows else 0

    def watch_cursor(self, old: int, new: int) -> None:
        self._scroll_cursor_into_view()
        self.refresh()
        row = self.current
        if row is not self._highlighted:
            self._highlighted = row
            self.post_message(self.Highlighted(self, row))

    def _visible_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_cursor_into_view(self) -> None:
        top = self.scroll_offset.y
        height = self._visible_rows()
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    def action_move(self, delta: int) -> None:
        """Move the cursor up or down."""
        self.cursor += delta

    def action_page(self, direction: int) -> None:
        """Move the cursor a screenful."""
        self.cursor += direction * self._visible_rows()

    def action_jump(self, index: int) -> None:
        """First (0) or last (-1) row."""
        self.cursor = index if index >= 0 else len(self._rows) - 1

    def action_select(self) -> None:
        """Open the highlighted item."""
        if (row := self.current) is not None:
            self.post_message(self.Selected(self, row))

    def _on_click(self, event: events.Click) -> None:
        if event.y <= 0:
            return
        index = self.scroll_offset.y + event.y - 1
        if 0 <= index < len(self._rows):
            self.cursor = index
            if event.chain >= 2:
                self.action_select()

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, len(self._rows) + 1)
        self._scroll_cursor_into_view()

    # ------------------------------------------------------------------ drawing

    def _layout(self, width: int) -> list[_Column]:
        """Column widths for `width` cells; narrow screens get shorter columns, the title takes the rest."""
        if self._columns_for == (width, self._ref_width):
            return self._columns
        ref = self._ref_width
        if width >= 100:
            columns = [
                _Column("marker", "", 2), _Column("ref", "Ref", ref), _Column("title", "Title", 0),
                _Column("owner", "Owner", 14), _Column("parties", "Supplier → Requester", 24),
                _Column("due", "Due", 12), _Column("status", "Status", 11), _Column("carry", "Carry", 5, right=True),
            ]
        elif width >= 60:
            columns = [
                _Column("marker", "", 2), _Column("ref", "Ref", ref), _Column("title", "Title", 0),
                _Column("owner", "Owner", 10), _Column("parties", "Sup → Req", 14),
                _Column("due_short", "Due", 9), _Column("status_short", "Status", 7), _Column("carry", "C", 2, right=True),
            ]
        else:
            columns = [
                _Column("marker", "", 2), _Column("ref", "Ref", ref), _Column("title", "Title", 0),
                _Column("due_short", "Due", 9), _Column("status_short", "Status", 7),
            ]
        fixed = sum(c.width for c in columns) + len(columns) - 1
        title = max(8, width - fixed)
        self._columns = [c if c.key != "title" else _Column("title", "Title", title) for c in columns]
        self._columns_for = (width, self._ref_width)
        return self._columns

    @staticmethod
    def _fit(text: str, width: int, right: bool = False) -> str:
        """`text` cut (with an ellipsis) or padded to exactly `width` cells."""
        length = cell_len(text)
        if length > width:
            return set_cell_size(text, width - 1) + "…" if width > 1 else set_cell_size(text, width)
        if right:
            return " " * (width - length) + text
        return text + " " * (width - length)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        columns = self._layout(width)
        if y == 0:
            style = base + self.get_component_rich_style("action-table--header")
            text = " ".join(self._fit(c.header, c.width, c.right) for c in columns)
            return Strip([Segment(self._fit(text, width), style)], width)
        index = self.scroll_offset.y + y - 1
        if not self._rows:
            if y == 1:
                style = base + self.get_component_rich_style("action-table--placeholder")
                return Strip([Segment(self._fit(" " + self.placeholder, width), style)], width)
            return Strip.blank(width, base)
        if index >= len(self._rows):
            return Strip.blank(width, base)
        row = self._rows[index]
        return self._render_row(row, columns, width, base, index == self.cursor)

    def _row_style(self, row: ActionRow) -> Style:
        if row.escalated:
            return self.get_component_rich_style("action-table--escalated")
        if row.overdue:
            return self.get_component_rich_style("action-table--overdue")
        if row.awaiting:
            return self.get_component_rich_style("action-table--awaiting")
        if row.status in lifecycle.ARCHIVED:
            return self.get_component_rich_style("action-table--finished")
        return Style()

    def _render_row(self, row: ActionRow, columns: list[_Column], width: int, base: Style, cursor: bool) -> Strip:
        state = base + self._row_style(row)
        ref_style = state + self.get_component_rich_style("action-table--ref") if state == base else state
        cursor_style = self.get_component_rich_style("action-table--cursor") if cursor else None
        segments: list[Segment] = []
        for position, column in enumerate(columns):
            style = ref_style if column.key == "ref" else state
            if cursor_style is not None:
                style = style + cursor_style
            if position:
                segments.append(Segment(" ", style))
            segments.append(Segment(self._fit(row.text(column.key), column.width, column.right), style))
        used = sum(c.width for c in columns) + len(columns) - 1
        if used < width:
            segments.append(Segment(" " * (width - used), base + cursor_style if cursor_style else base))
        return Strip(segments).crop(0, width)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._columns_for = (-1, -1)
        self.refresh()


__all__ = [
    "ActionRow",
    "Names",
    "ActionTable",
    "RowSet",
    "SortKey",
    "build_row",
    "clean",
    "filter_rows",
    "narrows",
    "row_search_text",
    "search_words",
]
