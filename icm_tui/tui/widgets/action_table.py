"""The list of action items as a Line API widget: it renders only the rows on screen.

A DataTable measures every cell of every row on the event loop (seconds at 50,000 rows), so
the actions screen keeps its items in a `RowSet` (columns, built once per load off the event
loop) and this widget draws the visible window of whatever filtered `RowList` it is given,
making a row object only for the rows it draws.
Every text is drawn as a `Segment`: user text is never parsed as markup.
"""

from __future__ import annotations

import bisect
import re
import sys
import weakref
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip

from icm_tui.domain import lifecycle
from icm_tui.domain.dates import relative
from icm_tui.domain.models import ActionSummary, Status
from icm_tui.domain.org import Org
from icm_tui.domain.query import ActionFilter
from icm_tui.tui.widgets.line_list import LineList

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
    """Exactly `query.search_text(item, org, notes)` (a test holds them equal), with dict lookups for speed.

    The whole text of one item, for reference: a `RowSet` keeps only the part of it that is the
    item's own (ref, title, notes) and matches the people and departments through `Names` once
    per word, which finds the same items.
    """
    parts = [
        item.ref, item.title, item.owner, item.supplier, item.requester, item.service,
        names.person(item.owner), names.department(item.supplier), names.department(item.requester),
    ]
    if notes is None:
        parts += [event.note for event in getattr(item, "history", ()) if event.note]
    elif notes:
        parts.append(notes)
    return "\n".join(parts).casefold()


OVERDUE, ESCALATED, AWAITING = 1, 2, 4
"""Bits of `RowSet.flags`."""

ROW_CACHE = 512
"""Row objects kept made (a few screenfuls); past that the cache starts again."""


@dataclass(slots=True, eq=False)
class ActionRow:
    """One item as the table draws it and the screen acts on it, made from a `RowSet` when asked for.

    Only the rows on screen (and the one under the cursor) are ever made; the full item with its
    history is read from the store when the detail panel shows it. A row holds its RowSet weakly:
    the set caches rows, and a cycle would keep 50,000 items' columns alive after the screen
    closed, until the next full GC pass.
    """

    source: "weakref.ref[RowSet]"
    """The RowSet it was made from."""
    index: int
    """Its position in the rowset's columns."""
    ref: str
    title: str
    owner: str
    supplier: str
    requester: str
    due: date | None
    status: Status
    carry: int
    overdue: bool
    escalated: bool
    awaiting: bool
    names: Names
    today: date
    cells: dict[str, str] | None = None

    @property
    def rowset(self) -> "RowSet | None":
        """The RowSet it was made from (None once that is gone)."""
        return self.source()

    @property
    def item(self) -> "ActionRow":
        """What is listed of the item (ref, title, owner, departments, due, status, carry): the row itself."""
        return self

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
        names, today = self.names, self.today
        # A delivered or closed item is not "overdue" any more: show when it was due instead.
        finished = self.status in lifecycle.FINISHED
        due = self.due.isoformat() if finished and self.due else relative(self.due, today)
        supplier = names.department(self.supplier) or "?"
        requester = names.department(self.requester) or "–"
        label, short = STATUS_LABEL[self.status]
        return {
            "marker": self.marker,
            "ref": clean(self.ref),
            "title": clean(self.title),
            "owner": clean(names.person(self.owner)),
            "parties": clean(f"{supplier} → {requester}"),
            "due": due,
            "due_short": self.due.strftime("%y-%m-%d") if finished and self.due else due.replace(" overdue", " late"),
            "status": label,
            "status_short": short,
            "carry": str(self.carry) if self.carry else "",
        }


class RowSet:
    """Every item of one load in columns, with each sort order made when first asked for.

    No object per item: a list or array per field, the people, departments and due dates shared,
    and per item only its own search text (ref, title and notes, case-folded). At 50,000 items
    that is ~20 MB where summaries and row objects took ~100 MB. Filtering works on row indexes;
    an `ActionRow` is made for a row only when it is drawn or acted on.
    """

    def __init__(self, today: date, names: Names) -> None:
        self.today = today
        self.names = names
        self.refs: list[str] = []
        self.numbers = array("q")
        """The number of each ref (A-42: 42), for the orders."""
        self.titles: list[str] = []
        self.search: list[str] = []
        """Case-folded `ref\\ntitle\\nnotes`: what a typed word is looked for in, with `Names`."""
        self.owners: list[str] = []
        self.suppliers: list[str] = []
        self.requesters: list[str] = []
        self.services: list[str] = []
        self.dues: list[date | None] = []
        self.statuses: list[Status] = []
        self.carries = array("q")
        self.created = array("d")
        """Creation times (POSIX seconds), for the age order."""
        self.flags = bytearray()
        """OVERDUE | ESCALATED | AWAITING, as of `today`."""
        self.ref_width = 4
        """Cells the widest ref takes."""
        self._shared: dict[Any, Any] = {}
        self._people: dict[str, None] = {}
        self._depts: dict[str, None] = {}
        self._service_ids: dict[str, None] = {}
        self._orders: dict[SortKey, array] = {}
        self._rows: dict[int, ActionRow] = {}

    def __len__(self) -> int:
        return len(self.refs)

    @classmethod
    def build(cls, items: Iterable[ActionSummary], today: date, org: Org, sort: SortKey = SortKey.DUE) -> "RowSet":
        """The rows of `items` (each with its notes as `history`, see `Store.iter_action_summaries`), sorted by `sort`.

        `items` may be a stream: nothing of an item is kept but what the columns hold.
        """
        rowset = cls(today, Names(org))
        for item in items:
            rowset._append(item)
        rowset.order(sort)
        return rowset

    def _append(self, item: ActionSummary) -> int:
        index = len(self.refs)
        self.refs.append("")
        self.numbers.append(0)
        for column in (self.titles, self.search, self.owners, self.suppliers, self.requesters, self.services,
                       self.dues, self.statuses):
            column.append(None)  # type: ignore[arg-type]
        self.carries.append(0)
        self.created.append(0.0)
        self.flags.append(0)
        self._set(index, item)
        return index

    def _set(self, index: int, item: ActionSummary) -> None:
        share = self._shared.setdefault
        ref, title, today = item.ref, item.title, self.today
        notes = [event.note for event in getattr(item, "history", ()) if event.note]
        self.refs[index] = ref
        self.numbers[index] = min(ref_number(ref), 2**63 - 1)
        self.titles[index] = title
        self.search[index] = "\n".join([ref, title, *notes]).casefold()
        self.owners[index] = share(item.owner, item.owner)
        self.suppliers[index] = share(item.supplier, item.supplier)
        self.requesters[index] = share(item.requester, item.requester)
        self.services[index] = share(item.service, item.service)
        self.dues[index] = share(item.due, item.due)
        self.statuses[index] = item.status
        self.carries[index] = item.carry
        self.created[index] = item.created.timestamp()
        self.flags[index] = (
            (OVERDUE if lifecycle.is_overdue(item, today) else 0)
            | (ESCALATED if lifecycle.is_escalated(item, today, self.names.org.thresholds) else 0)
            | (AWAITING if lifecycle.awaiting_confirmation(item) else 0)
        )
        self._people[item.owner] = None
        self._depts[item.supplier] = self._depts[item.requester] = None
        self._service_ids[item.service] = None
        self.ref_width = max(self.ref_width, len(ref))
        self._rows.pop(index, None)

    # ------------------------------------------------------------------ rows

    def row(self, index: int) -> ActionRow:
        """The row object of one index (kept while it is on screen, roughly)."""
        row = self._rows.get(index)
        if row is None:
            if len(self._rows) >= ROW_CACHE:
                self._rows.clear()
            flags = self.flags[index]
            row = self._rows[index] = ActionRow(
                weakref.ref(self), index, self.refs[index], self.titles[index], self.owners[index],
                self.suppliers[index], self.requesters[index], self.dues[index], self.statuses[index],
                self.carries[index], bool(flags & OVERDUE), bool(flags & ESCALATED), bool(flags & AWAITING),
                self.names, self.today,
            )
        return row

    def find(self, ref: str) -> int | None:
        """The index of `ref` (any case), or None."""
        for wanted in (ref, ref.strip().upper()):
            try:
                return self.refs.index(wanted)  # a C loop: ~1 ms at 50,000
            except ValueError:
                continue
        return None

    def get(self, ref: str) -> ActionRow | None:
        """The row of `ref` (any case)."""
        index = self.find(ref)
        return None if index is None else self.row(index)

    def people(self) -> list[str]:
        """Every owner in the data."""
        return list(self._people)

    def departments(self) -> list[str]:
        """Every supplying or requesting department in the data."""
        return [dept for dept in self._depts if dept]

    def all(self) -> "RowList":
        """Every row, in the store's order."""
        return RowList(self, list(range(len(self))))

    # ------------------------------------------------------------------ orders

    def key(self, index: int, sort: SortKey) -> tuple:
        """The sort key of one row (`query.by_due` for DUE)."""
        due, number = self.dues[index], self.numbers[index]
        if sort is SortKey.DUE:
            return (due is None, due or date.max, number)
        if sort is SortKey.AGE:
            return (self.created[index], number)
        return (-self.carries[index], due is None, due or date.max, number)

    def has_order(self, sort: SortKey) -> bool:
        """True when `order(sort)` is ready (no sorting needed)."""
        return sort in self._orders

    def order(self, sort: SortKey) -> array:
        """Every row index in the order `sort` (sorted on first use: ~0.1 s at 50,000 rows, so off the loop)."""
        indexes = self._orders.get(sort)
        if indexes is None:
            key = self.key
            indexes = self._orders[sort] = array("q", sorted(range(len(self)), key=lambda i: key(i, sort)))
        return indexes

    def replaced(self, item: ActionSummary) -> "RowSet":
        """This set with one item changed or added (after our own write), changed in place: a few ms at 50,000."""
        index = self.find(item.ref)
        if index is None:
            index = self._append(item)
        else:
            self._set(index, item)
            for indexes in list(self._orders.values()):
                del indexes[indexes.index(index)]
        for sort, indexes in list(self._orders.items()):
            bisect.insort(indexes, index, key=lambda i, sort=sort: self.key(i, sort))
        return self

    # ------------------------------------------------------------------ filtering

    def filter(self, source: Sequence[int], wanted: ActionFilter, keep: int | None = None) -> list[int]:
        """The indexes of `source` passing `wanted` (its search as words that must all appear), in the given order.

        `keep` stays in the list whatever the filter says: the item the user just changed does not
        vanish under the cursor when it stops matching (marking an overdue item done, say).
        One comprehension per criterion that is set: at 50,000 rows each costs a few milliseconds.
        """
        pin = -1 if keep is None else keep
        out: Sequence[int] = source
        if wanted.status:
            statuses, status = self.statuses, wanted.status
            out = [i for i in out if statuses[i] in status or i == pin]
        for column, value in ((self.owners, wanted.owner), (self.suppliers, wanted.supplier),
                              (self.requesters, wanted.requester)):
            if value:
                out = [i for i in out if column[i] == value or i == pin]
        if wanted.department:
            dept, suppliers, requesters = wanted.department, self.suppliers, self.requesters
            out = [i for i in out if suppliers[i] == dept or requesters[i] == dept or i == pin]
        flags = self.flags
        for wanted_flag, bit in ((wanted.overdue, OVERDUE), (wanted.escalated, ESCALATED), (wanted.awaiting, AWAITING)):
            if wanted_flag:
                out = [i for i in out if flags[i] & bit or i == pin]
        for word in search_words(wanted.search):
            out = self._search(out, word, pin)
        return list(out) if out is source else out  # type: ignore[return-value]

    def _search(self, source: Sequence[int], word: str, pin: int) -> list[int]:
        """The indexes whose item's text (`query.search_text`) contains `word`."""
        names, texts = self.names, self.search
        # Owners and departments by id or name: matched once per distinct one, not once per item.
        people = {p for p in self._people if word in f"{p}\n{names.person(p)}".casefold()}
        depts = {d for d in self._depts if word in f"{d}\n{names.department(d)}".casefold()}
        services = {s for s in self._service_ids if word in s.casefold()}
        if not (people or depts or services):
            return [i for i in source if word in texts[i] or i == pin]
        owners, suppliers, requesters, service = self.owners, self.suppliers, self.requesters, self.services
        return [
            i for i in source
            if word in texts[i] or owners[i] in people or suppliers[i] in depts or requesters[i] in depts
            or service[i] in services or i == pin
        ]


class RowList(Sequence[ActionRow]):
    """Some rows of a RowSet, by index, in the order shown: a row object is made only when one is asked for."""

    __slots__ = ("rowset", "indexes")

    def __init__(self, rowset: RowSet, indexes: list[int]) -> None:
        self.rowset = rowset
        self.indexes = indexes

    def __len__(self) -> int:
        return len(self.indexes)

    def __getitem__(self, key):  # type: ignore[override]
        if isinstance(key, slice):
            return [self.rowset.row(i) for i in self.indexes[key]]
        return self.rowset.row(self.indexes[key])

    def __iter__(self) -> Iterator[ActionRow]:
        row = self.rowset.row
        for index in self.indexes:
            yield row(index)

    def index(self, row: object, start: int = 0, stop: int = sys.maxsize) -> int:
        """The position of `row` (a row of this rowset); ValueError when it is not shown."""
        if not isinstance(row, ActionRow) or row.rowset is not self.rowset:
            raise ValueError("not a row of this list")
        return self.indexes.index(row.index, start, stop)

    def position(self, ref: str) -> int:
        """The position of the item `ref` (any case), or -1."""
        index = self.rowset.find(ref)
        if index is None:
            return -1
        try:
            return self.indexes.index(index)
        except ValueError:
            return -1

    @property
    def refs(self) -> list[str]:
        """The refs shown, in order."""
        refs = self.rowset.refs
        return [refs[i] for i in self.indexes]


def search_words(text: str) -> list[str]:
    """The words of a filter query, case-folded: every one must appear."""
    return text.casefold().split()


def narrows(old: ActionFilter, new: ActionFilter) -> bool:
    """True when every row passing `new` also passes `old` (only the search grew), so `new` may filter `old`'s result."""
    if (old.status, old.owner, old.supplier, old.requester, old.department, old.overdue, old.escalated, old.awaiting) != (
        new.status, new.owner, new.supplier, new.requester, new.department, new.overdue, new.escalated, new.awaiting
    ):
        return False
    new_words = search_words(new.search)
    return all(any(word in n for n in new_words) for word in search_words(old.search))


def ref_number(ref: str) -> int:
    """42 for `A-42`; 0 when the ref has no (ASCII) number."""
    number = ref.partition("-")[2]
    return int(number) if number.isascii() and number.isdigit() else 0


@dataclass(frozen=True)
class _Column:
    key: str
    header: str
    width: int
    right: bool = False


class ActionTable(LineList, can_focus=True):
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

    placeholder: reactive[str] = reactive("Loading action items…")
    """What the table says when it has no rows."""

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._rows: Sequence[ActionRow] = []
        self._ref_width = 5
        self._highlighted: ActionRow | None = None
        self._columns_for: tuple[int, int] = (-1, -1)
        self._columns: list[_Column] = []

    # ------------------------------------------------------------------ data

    @property
    def rows(self) -> Sequence[ActionRow]:
        """The rows shown, in order (the caller's list: never copied)."""
        return self._rows

    @property
    def current(self) -> ActionRow | None:
        """The row under the cursor."""
        if 0 <= self.cursor < len(self._rows):
            return self._rows[self.cursor]
        return None

    def set_rows(
        self, rows: Sequence[ActionRow], *, keep: ActionRow | str | None = None, near: bool = False,
        ref_width: int | None = None,
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
                index = rows.index(keep)  # by row index (RowList) or identity: a C loop, fast at 50,000 rows
            except ValueError:
                keep = keep.ref
        if isinstance(keep, str):
            if isinstance(rows, RowList):
                index = rows.position(keep)
            else:
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

    def row_count(self) -> int:
        """How many rows are shown."""
        return len(self._rows)

    # ------------------------------------------------------------------ cursor

    def watch_cursor(self, old: int, new: int) -> None:
        self._scroll_cursor_into_view()
        self.refresh()
        row = self.current
        if row is not self._highlighted:
            self._highlighted = row
            self.post_message(self.Highlighted(self, row))

    def action_select(self) -> None:
        """Open the highlighted item."""
        if (row := self.current) is not None:
            self.post_message(self.Selected(self, row))

    def _on_click(self, event: events.Click) -> None:
        index = self.row_at(event.y)
        if index is not None:
            self.cursor = index
            if event.chain >= 2:
                self.action_select()

    def on_unmount(self) -> None:
        self._rows = []  # the rows' RowSet goes with the screen
        self._highlighted = None

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
    "RowList",
    "RowSet",
    "SortKey",
    "clean",
    "narrows",
    "row_search_text",
    "search_words",
]
