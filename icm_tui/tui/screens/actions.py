"""Every action item: filter as you type, quick filters, full history, one-key lifecycle commands.

The items are streamed from the store on its thread into a `RowSet`: columns (flags and search
text computed once per load, each sort order when first asked for), never one object per item,
so 50,000 items take ~20 MB. A filter keystroke is a few list comprehensions over row indexes
and the table makes and draws only the rows on screen; the detail panel reads the highlighted
item in full from the store. Changes made by another process arrive as `StoreChanged`; the
reload keeps the cursor on the same item and the filter as it was. The rows are let go when
the screen is closed.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Hashable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, Label, Static

from icm_tui.domain import lifecycle
from icm_tui.domain.dates import DATE_FORMS, parse_date
from icm_tui.domain.lifecycle import Verb
from icm_tui.domain.models import ActionItem, Status
from icm_tui.domain.query import ActionFilter
from icm_tui.errors import IcmError
from icm_tui.tui.dialogs import PromptDialog, ScoreDialog
from icm_tui.tui.messages import StoreChanged
from icm_tui.tui.widgets.action_detail import ActionDetail
from icm_tui.tui.widgets.action_table import (
    STATUS_LABEL,
    ActionRow,
    ActionTable,
    RowList,
    RowSet,
    SortKey,
    clean,
    narrows,
)

THROTTLE = 0.05
"""After filtering on a keystroke, keys typed within this many seconds are applied together at its end:
an isolated key filters at once, a burst (fast typing, a paste) filters once or twice."""

WIDE = 170
"""From this width the detail panel sits beside the list instead of below it."""

NOT_CLOSED = frozenset({Status.OPEN, Status.IN_PROGRESS, Status.BLOCKED, Status.DONE})
"""What follow-up is about: owed, or delivered and awaiting confirmation."""

DEFAULT_FILTER = ActionFilter(status=NOT_CLOSED)
"""What the screen opens with and Esc returns to."""

STATUS_CYCLE: list[tuple[str, frozenset[Status]]] = [
    ("not closed", NOT_CLOSED),
    ("all", frozenset()),
    ("active", frozenset({Status.OPEN, Status.IN_PROGRESS, Status.BLOCKED})),
    *[(status.value.replace("_", " "), frozenset({status})) for status in Status],
]
"""What `t` steps through: a label and the statuses it keeps."""

VERB_ACTIONS = {"start": Verb.START, "done": Verb.DONE, "block": Verb.BLOCK, "drop": Verb.DROP,
                "confirm": Verb.CONFIRM, "reopen": Verb.REOPEN}
"""Screen actions that are lifecycle transitions."""

EDIT_ACTIONS = {"push_due", "reassign"}
"""Screen actions that edit the item (refused once it is closed or dropped)."""

HELP = """\
# Action items

Every commitment made in a meeting, until the department that asked for it confirms it was served.

**Find items.** Type in the filter line (`/` goes there) to keep the items whose title, owner,
departments, ref or notes contain every word you type. The quick filters narrow further:
`m` one owner, `p` the supplying department, `r` the requesting department, `t` cycles the
status (not closed, which the screen opens with, then all, active, open, in progress, blocked,
done, closed, dropped), `O` overdue, `E` escalated, `A` awaiting confirmation.
`S` cycles the order: due date, oldest first, most carried. `Esc` clears every filter
(and, with none left, goes back). The bar under the filter line says what is filtered and how
many of all items are shown.

**Markers** (also in colour): `!!` escalated (carried too often or long overdue), `!` overdue,
`?` done and awaiting the requester's confirmation. Closed and dropped items are dimmed.

**Act on the highlighted item.** `s` start, `d` done, `b` block (reason), `D` drop (reason),
`c` confirm: the requesting department scores the result 1-5 with an optional comment (this
closes the loop and counts as a pulse for the supplier), `o` reopen (reason; the reopen count
goes up), `n` note, `u` push the due date (`fri`, `+1w`, `eom`, `2026-12-04`, …), `w` reassign.
Only a done item can be confirmed or reopened; keys that do not apply to the item are greyed
out and say why when pressed. An item you just changed stays in the list until you change the
filter, even when it no longer matches.

**Detail.** The panel shows the item's fields and every event of its history with its time,
who did it and in which meeting. `Enter` opens it, `v` shows or hides it, `x` exports the
filtered list to CSV in the workspace's `minutes/` folder.

Changes made elsewhere (the `icm` command in another terminal, another facilitator) appear
within two seconds; the cursor stays on the same item.
"""


class FilterInput(Input):
    """The filter line: Down or Enter goes to the list, Esc leaves it."""

    BINDINGS = [
        Binding("down", "to_list", "To list", show=False, id="actions.filter.down"),
        Binding("escape", "to_list", "To list", show=False, id="actions.filter.escape"),
    ]

    def action_to_list(self) -> None:
        """Move to the list, keeping the filter."""
        self.screen.query_one(ActionTable).focus()


class ActionsScreen(Screen):
    """Every action item, filtered and sorted, with its history and the lifecycle commands."""

    TITLE = "Action items"
    HELP = HELP

    DEFAULT_CSS = """
    ActionsScreen {
        layout: vertical;
        #actions-filter-row { height: 1; background: $panel; }
        #actions-filter-label { width: auto; padding: 0 1; color: $text-accent; text-style: bold; }
        #actions-filter { width: 1fr; }
        #actions-bar { height: 1; padding: 0 1; background: $panel; color: $text-muted; }
        #actions-keys { height: 1; padding: 0 1; background: $panel; }
        #actions-body { height: 1fr; layout: vertical; }
        #actions-detail {
            height: 40%;
            min-height: 5;
            border-top: solid $primary;
        }
        &.-wide #actions-body { layout: horizontal; }
        &.-wide #actions-detail { height: 1fr; width: 40%; border-top: none; border-left: solid $primary; }
        &.-no-detail #actions-detail { display: none; }
    }
    """

    BINDINGS = [
        Binding("escape", "back", "Back", show=False, id="actions.back"),
        Binding("slash", "focus_filter", "Filter", key_display="/", id="actions.filter"),
        Binding("m", "owner", "Owner", tooltip="Only one owner's items", id="actions.owner"),
        Binding("p", "department('supplier')", "Supplier", tooltip="Only what one department supplies", id="actions.supplier"),
        Binding("r", "department('requester')", "Requester", tooltip="Only what one department requested", id="actions.requester"),
        Binding("t", "cycle_status", "Status", tooltip="Cycle the status filter", id="actions.status"),
        Binding("O", "toggle('overdue')", "Overdue", tooltip="Only overdue items (toggle)", id="actions.overdue"),
        # The footer is cut at its end: at 80 columns it shows the keys up to here, so help and quit
        # (the app's, drawn after the screen's) are declared again before the rarer quick filters.
        Binding("question_mark", "app.help", "Help", key_display="?", id="actions.help"),
        Binding("ctrl+q", "app.quit", "Quit", id="actions.quit"),
        Binding("E", "toggle('escalated')", "Escalated", tooltip="Only escalated items (toggle)", id="actions.escalated"),
        Binding("A", "toggle('awaiting')", "Awaiting", tooltip="Only items awaiting confirmation (toggle)", id="actions.awaiting"),
        Binding("S", "cycle_sort", "Sort", tooltip="Sort by due date, age or carry count", id="actions.sort"),
        # The item's own commands are listed, for the highlighted item, in the key bar above the footer.
        Binding("s", "start", "Start", show=False, tooltip="Start the item", id="actions.start"),
        Binding("d", "done", "Done", show=False, tooltip="Mark the item done", id="actions.done"),
        Binding("b", "block", "Block", show=False, tooltip="Block the item (reason)", id="actions.block"),
        Binding("D", "drop", "Drop", show=False, tooltip="Drop the item (reason)", id="actions.drop"),
        Binding("c", "confirm", "Confirm", show=False, tooltip="Confirm delivery with a 1-5 score", id="actions.confirm"),
        Binding("o", "reopen", "Reopen", show=False, tooltip="Reopen the item (reason)", id="actions.reopen"),
        Binding("n", "note", "Note", show=False, tooltip="Add a note to the item", id="actions.note"),
        Binding("u", "push_due", "Due", show=False, tooltip="Push the item's due date", id="actions.due"),
        Binding("w", "reassign", "Reassign", show=False, tooltip="Give the item to another owner", id="actions.reassign"),
        Binding("v", "toggle_detail", "Detail", show=False, tooltip="Show or hide the detail panel", id="actions.detail"),
        Binding("x", "export", "Export", show=False, tooltip="Write the filtered list to a CSV file", id="actions.export"),
        Binding("ctrl+r", "reload", "Reload", show=False, tooltip="Read the items again", id="actions.reload"),
    ]

    ITEM_COMMANDS = ["start", "done", "block", "drop", "confirm", "reopen", "note", "push_due", "reassign"]
    """The item's commands, in the order the key bar lists them."""

    wanted: reactive[ActionFilter] = reactive(DEFAULT_FILTER, init=False)
    """The filter: quick filters and the typed search."""

    sort: reactive[SortKey] = reactive(SortKey.DUE, init=False)
    """The order of the list."""

    show_detail: reactive[bool] = reactive(True, init=False)
    """Whether the detail panel is shown."""

    def __init__(self, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.rowset: RowSet | None = None
        """Every item as rows, from the last load."""
        self.loaded_version: Hashable = None
        """The store's version when `rowset` was read."""
        self.pinned: str | None = None
        """Ref of the item last changed here: kept in the list until the filter changes."""
        self._shown_sort: SortKey | None = None
        self._shown_filter: ActionFilter | None = None
        self._throttle: Timer | None = None
        self._typed = ""
        self._loading = False
        self._reload_again = False
        self._user_hid_detail = False

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="actions-filter-row"):
            yield Label("Filter /", id="actions-filter-label")
            yield FilterInput(placeholder="words in title, owner, departments, notes…", compact=True, id="actions-filter")
        yield Static(Text("Loading…"), id="actions-bar", markup=False)
        with Vertical(id="actions-body"):
            yield ActionTable(id="actions-table")
            yield ActionDetail(id="actions-detail")
        yield Static(Text(""), id="actions-keys", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(ActionTable).focus()
        self._fit_layout(self.app.size.width, self.app.size.height)
        # Paint the empty screen first (one frame): the load holds the GIL a while at 50,000 items.
        self.set_timer(1 / 60, self.reload)
        self.set_interval(60, self._check_day)

    def _check_day(self) -> None:
        # Overdue and escalated depend on the date: a screen left open overnight recomputes them.
        if self.rowset is not None and self.app.services.today() != self.rowset.today:
            self.reload()

    def on_resize(self, event: events.Resize) -> None:
        self._fit_layout(event.size.width, event.size.height)

    def _fit_layout(self, width: int, height: int) -> None:
        self.set_class(width >= WIDE, "-wide")
        if not self._user_hid_detail:
            # Below 20 lines the list needs every line; the panel comes back with `v` or Enter.
            self.show_detail = height >= 20

    def watch_show_detail(self, show: bool) -> None:
        self.set_class(not show, "-no-detail")
        if show and self.is_mounted:
            self._show_detail(self._current(), reread=True)  # not read while hidden: it may have changed

    def on_unmount(self) -> None:
        # Let the rows go with the screen (~20 MB at 50,000 items), not at a later full GC pass.
        self.rowset = None

    @property
    def table(self) -> ActionTable:
        """The list."""
        return self.query_one(ActionTable)

    @property
    def detail(self) -> ActionDetail:
        """The detail panel."""
        return self.query_one(ActionDetail)

    # ------------------------------------------------------------------ loading

    def reload(self) -> None:
        """Read every item again on the store thread."""
        if self._loading:
            self._reload_again = True
            return
        self._loading = True
        app = self.app
        store, org, sort = app.store, app.org, self.sort
        today = app.services.today()

        def load() -> tuple[Hashable, RowSet]:
            version = store.version()
            # Streamed shard by shard (summaries with their notes): only the columns are kept.
            return version, RowSet.build(store.iter_action_summaries(notes=True), today, org, sort)

        app.submit(load, self._loaded, on_error=self._load_failed)

    def _loaded(self, result: tuple[Hashable, RowSet]) -> None:
        self._loading = False
        if not self.is_mounted:
            return
        self.loaded_version, self.rowset = result
        self._shown_filter = None
        self.refilter(near=True, reread=True)
        if self._reload_again:
            self._reload_again = False
            self.reload()

    def _load_failed(self, error: Exception) -> None:
        self._loading = False
        self.table.placeholder = f"Could not read the items: {error}"
        self.app.report_error(error)

    @on(StoreChanged)
    def store_changed(self, message: StoreChanged) -> None:
        """Another process (or screen) changed the register: reload, keeping cursor and filter."""
        self.reload()

    def on_screen_resume(self) -> None:
        # A change noticed while a dialog was on top was posted to the dialog: check once more.
        if self.rowset is None:
            return

        def check(version: Hashable) -> None:
            if version != self.loaded_version:
                self.reload()

        self.app.submit(self.app.store.version, check, on_error=lambda error: None)

    def action_reload(self) -> None:
        """Read the items again."""
        self.reload()

    # ------------------------------------------------------------------ filtering

    def refilter(self, near: bool = False, reread: bool = False) -> None:
        """Apply the filter and sort to the loaded rows and show the result.

        The cursor stays on its item; if the item is gone, it goes to the top, or with `near`
        (after a reload or a change) stays where it was. With `reread` the detail panel reads
        its item again even when it is the same one.
        """
        if self.rowset is None:
            return
        wanted, sort, rowset = self.wanted, self.sort, self.rowset
        if not rowset.has_order(sort):
            # Sorting 50,000 rows takes a while: do it off the event loop, then come back.
            self.app.submit(
                lambda: rowset.order(sort), lambda _: self.refilter(near, reread) if self.rowset is rowset else None
            )
            return
        keep = rowset.find(self.pinned) if self.pinned else None
        table = self.table
        shown_rows = table.rows
        source: Sequence[int] = rowset.order(sort)
        if (
            keep is None
            and self._shown_filter is not None
            and self._shown_sort is sort
            and isinstance(shown_rows, RowList)
            and shown_rows.rowset is rowset
            and narrows(self._shown_filter, wanted)
        ):
            source = shown_rows.indexes
        shown = RowList(rowset, rowset.filter(source, wanted, keep=keep))
        self._shown_filter, self._shown_sort = wanted, sort
        current = table.current
        table.placeholder = "No action items match. Esc clears the filter." if len(rowset) else (
            "No action items yet: they are captured in meetings or with `icm action add`."
        )
        table.set_rows(shown, keep=current, near=near, ref_width=rowset.ref_width)
        self._show_detail(table.current, reread=reread)
        self._update_bar()
        self._update_keys()

    def watch_wanted(self, old: ActionFilter, new: ActionFilter) -> None:
        self.pinned = None
        self.refilter()

    def watch_sort(self) -> None:
        self.refilter()

    def _status_label(self) -> str:
        return next((label for label, statuses in STATUS_CYCLE if statuses == self.wanted.status), "custom")

    def _update_bar(self) -> None:
        total = len(self.rowset) if self.rowset is not None else 0
        shown = len(self.table.rows)
        wanted = self.wanted
        org = self.app.org
        bar = Text()
        if shown == total:
            bar.append(f"All {total:,} items", style="bold")
        else:
            bar.append(f"Showing {shown:,} of {total:,}", style="bold")
        parts: list[str] = []
        parts.append(f"status: {self._status_label()}")
        if wanted.owner:
            parts.append(f"owner: {org.person_name(wanted.owner)}")
        if wanted.supplier:
            parts.append(f"supplier: {org.department_name(wanted.supplier)}")
        if wanted.requester:
            parts.append(f"requester: {org.department_name(wanted.requester)}")
        if wanted.overdue:
            parts.append("overdue")
        if wanted.escalated:
            parts.append("escalated")
        if wanted.awaiting:
            parts.append("awaiting confirmation")
        if wanted.search.strip():
            parts.append(f"“{wanted.search.strip()}”")
        for part in parts:
            bar.append(" · ")
            bar.append(clean(part), style="bold")
        bar.append(f" · sorted by {self.sort.label}")
        self.query_one("#actions-bar", Static).update(bar, layout=False)

    @on(Input.Changed, "#actions-filter")
    def typed(self, event: Input.Changed) -> None:
        """Filter as you type: at once, unless a filter ran in the last few milliseconds (then at its end)."""
        self._typed = event.value
        if self._throttle is None:
            self._apply_typed()

    def _apply_typed(self) -> None:
        self._throttle = None
        if self._typed != self.wanted.search:
            self.wanted = replace(self.wanted, search=self._typed)
            self._throttle = self.set_timer(THROTTLE, self._apply_typed)

    @on(Input.Submitted, "#actions-filter")
    def typed_enter(self, event: Input.Submitted) -> None:
        """Enter applies at once and goes to the list."""
        self._typed = event.value
        self._apply_typed()
        self.table.focus()

    def action_focus_filter(self) -> None:
        """Type to filter."""
        self.query_one(FilterInput).focus()

    def action_toggle(self, what: str) -> None:
        """Toggle the overdue, escalated or awaiting-confirmation filter."""
        self.wanted = replace(self.wanted, **{what: not getattr(self.wanted, what)})

    def action_cycle_status(self) -> None:
        """Show all, active, open, in progress, blocked, done, closed or dropped items."""
        statuses = [s for _, s in STATUS_CYCLE]
        index = statuses.index(self.wanted.status) if self.wanted.status in statuses else -1
        self.wanted = replace(self.wanted, status=statuses[(index + 1) % len(statuses)])

    def action_cycle_sort(self) -> None:
        """Order by due date, age or carry count."""
        self.sort = self.sort.next()

    def action_owner(self) -> None:
        """Only one owner's items (empty answer: everyone's)."""
        people = self._people()
        self.app.push_screen(
            PromptDialog(
                "Show the items of which owner?", value=self.wanted.owner, required=False,
                placeholder="a person id or name; Tab completes",
                hint="Empty shows everyone's items.", suggestions=_names(people),
                check=lambda text: None if _resolve(text, people) else _unknown("person", text, people),
            ),
            lambda answer: self._set_filter("owner", answer, people),
        )

    def action_department(self, side: str) -> None:
        """Only items a department supplies, or requested by a department (empty answer: any)."""
        depts = self._departments()
        self.app.push_screen(
            PromptDialog(
                f"Show the items of which {side} department?", value=getattr(self.wanted, side), required=False,
                placeholder="a department id or name; Tab completes",
                hint=f"Empty shows every {side}.", suggestions=_names(depts),
                check=lambda text: None if _resolve(text, depts) else _unknown("department", text, depts),
            ),
            lambda answer: self._set_filter(side, answer, depts),
        )

    def _set_filter(self, field: str, answer: str | None, choices: dict[str, str]) -> None:
        if answer is None:
            return
        self.wanted = replace(self.wanted, **{field: _resolve(answer, choices) if answer else ""})

    def _people(self) -> dict[str, str]:
        """Person id -> name: org.yaml's people and any other owner in the data."""
        people = {p.id: p.name for p in self.app.org.people}
        if self.rowset is not None:
            for owner in self.rowset.people():
                people.setdefault(owner, owner)
        return people

    def _departments(self) -> dict[str, str]:
        """Department id -> name: org.yaml's and any other in the data."""
        depts = {d.id: d.name for d in self.app.org.departments}
        if self.rowset is not None:
            for dept in self.rowset.departments():
                depts.setdefault(dept, dept)
        return depts

    def action_back(self) -> None:
        """Leave the filter line or the panel; clear the filters; then go back."""
        focused = self.focused
        if isinstance(focused, (Input, ActionDetail)):
            self.table.focus()
        elif self.wanted != DEFAULT_FILTER or self.query_one(FilterInput).value:
            self.query_one(FilterInput).value = ""
            self._typed = ""
            self.wanted = DEFAULT_FILTER
        elif len(self.app.screen_stack) > 2:  # under us: the home screen over Textual's default one
            self.app.pop_screen()

    # ------------------------------------------------------------------ detail

    @on(ActionTable.Highlighted)
    def highlighted(self, event: ActionTable.Highlighted) -> None:
        """Show the highlighted item in the panel."""
        self._show_detail(event.row)
        self._update_keys()

    def _update_keys(self) -> None:
        """The key bar: what can be done to the highlighted item, now."""
        row = self._current()
        bar = Text(no_wrap=True, overflow="ellipsis")
        if row is None:
            bar.append("No item highlighted.", style="italic")
        else:
            bar.append(row.ref, style="bold")
            bar.append(f" {STATUS_LABEL[row.status][0]}: ")
            keys = {binding.action: binding for binding in self.BINDINGS if isinstance(binding, Binding)}
            for action in self.ITEM_COMMANDS:
                if self.check_action(action, ()):
                    binding = keys[action]
                    bar.append(f" {binding.key} ", style="bold reverse")
                    bar.append(f" {binding.description}  ")
        self.query_one("#actions-keys", Static).update(bar, layout=False)

    @on(ActionTable.Selected)
    def selected(self, event: ActionTable.Selected) -> None:
        """Enter: open the panel on the item (its history scrolls there)."""
        self._user_hid_detail = False
        self.show_detail = True
        self._show_detail(event.row)
        self.detail.focus()

    def _show_detail(self, row: ActionRow | None, reread: bool = False) -> None:
        """Show a row's item with its full history, read on the store thread (unless already shown, or hidden)."""
        if row is None:
            self.detail.show(None)
            return
        shown_item = self.detail.item
        if not self.show_detail or (not reread and shown_item is not None and shown_item.ref == row.ref):
            return
        ref = row.ref

        def shown(full: ActionItem) -> None:
            current = self._current()
            if current is not None and current.ref == ref:
                self.detail.show(full)

        self.app.submit(lambda: self.app.store.action(ref), shown, on_error=lambda error: None)

    def action_toggle_detail(self) -> None:
        """Show or hide the detail panel."""
        self.show_detail = not self.show_detail
        self._user_hid_detail = not self.show_detail
        if not self.show_detail and self.focused is self.detail:
            self.table.focus()

    # ------------------------------------------------------------------ lifecycle commands

    def _current(self) -> ActionRow | None:
        return self.table.current if self.is_mounted else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Grey out commands the highlighted item's status forbids (None: shown, disabled)."""
        if action in VERB_ACTIONS or action in EDIT_ACTIONS or action == "note":
            row = self._current()
            if row is None:
                return None
            if action in VERB_ACTIONS:
                return True if VERB_ACTIONS[action] in lifecycle.allowed_verbs(row.status) else None
            if action in EDIT_ACTIONS:
                return True if row.status not in lifecycle.ARCHIVED else None
        return True

    def _refusal(self, action: str) -> str | None:
        """Why `action` cannot be applied to the highlighted item, in one line."""
        row = self._current()
        if row is None:
            return "No item is highlighted."
        if action in VERB_ACTIONS:
            verb = VERB_ACTIONS[action]
            if verb not in lifecycle.allowed_verbs(row.status):
                return f"{row.ref}: {lifecycle.why_forbidden(row.status, verb)}"
        if action in EDIT_ACTIONS and row.status in lifecycle.ARCHIVED:
            return f"{row.ref} is {row.status.value}: the loop is closed, it can no longer be changed"
        return None

    def on_key(self, event: events.Key) -> None:
        # A greyed-out key never reaches its action: explain it instead of doing nothing.
        if isinstance(self.focused, Input):
            return
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            action = binding.action
            if action in VERB_ACTIONS or action in EDIT_ACTIONS or action == "note":
                reason = self._refusal(action)
                if reason:
                    event.stop()
                    self.notify(reason, title="Not possible", severity="warning", markup=False)
                return

    def _act(self, done_label: str, call: Callable[[ActionRow], ActionItem]) -> None:
        """Run a change of the highlighted item on the store thread and show the result."""
        row = self._current()
        if row is None:
            return
        self.app.submit(lambda: call(row), lambda item: self._changed(item, done_label), on_error=self._refused)

    def _changed(self, item: ActionItem, done_label: str) -> None:
        self.pinned = item.ref
        if self.rowset is not None:
            self.rowset = self.rowset.replaced(item)
            self._shown_filter = None
            self.refilter(near=True)
            current = self._current()
            if current is not None and current.ref == item.ref:
                self.detail.show(item)
        self.app.mark_seen()
        self._update_keys()
        self.notify(f"{item.ref} {done_label}", markup=False, timeout=3)

    def _refused(self, error: Exception) -> None:
        self.app.report_error(error)
        if isinstance(error, IcmError):
            self.reload()  # it may have changed elsewhere: show what it is now

    def _ask(self, title: str, then: Callable[[ActionRow, str], None], **options: Any) -> None:
        row = self._current()
        if row is None:
            return
        self.app.push_screen(
            PromptDialog(f"{row.ref} {row.text('title')}\n{title}", **options),
            lambda answer: then(row, answer) if answer else None,
        )

    def action_start(self) -> None:
        """Start working on the item."""
        self._act("started", lambda row: self.app.services.start(row.ref))

    def action_done(self) -> None:
        """Mark the item delivered: it now awaits the requester's confirmation."""
        self._act("done: awaiting confirmation", lambda row: self.app.services.done(row.ref))

    def action_block(self) -> None:
        """Mark the item blocked, with the reason."""
        self._ask("Why is it blocked?", lambda row, reason: self._act(
            "blocked", lambda _: self.app.services.block(row.ref, reason)))

    def action_drop(self) -> None:
        """Drop the item, with the reason (a decision, not a delete)."""
        self._ask("Why drop it? (a decision, recorded in its history)", lambda row, reason: self._act(
            "dropped", lambda _: self.app.services.drop(row.ref, reason)))

    def action_reopen(self) -> None:
        """The requester is not served: back to open, with the reason."""
        self._ask("Why is the requester not served? (reopens it)", lambda row, reason: self._act(
            "reopened", lambda _: self.app.services.reopen(row.ref, reason)))

    def action_note(self) -> None:
        """Add a note to the item's history."""
        self._ask("Note", lambda row, text: self._act("noted", lambda _: self.app.services.note(row.ref, text)))

    def action_push_due(self) -> None:
        """Move the due date."""
        today = self.app.services.today()
        row = self._current()

        def check(text: str) -> str | None:
            try:
                parse_date(text, today)
            except IcmError as error:
                return str(error)
            return None

        self._ask(
            "New due date", lambda row, text: self._act(
                "due date moved", lambda _: self.app.services.push_due(row.ref, text)),
            placeholder="+1w", value=row.due.isoformat() if row and row.due else "",
            hint=f"Accepted: {DATE_FORMS}", check=check,
        )

    def action_reassign(self) -> None:
        """Give the item to another owner."""
        people = self._people()
        row = self._current()
        self._ask(
            "New owner", lambda row, text: self._act(
                "reassigned", lambda _: self.app.services.edit(row.ref, owner=_resolve(text, people) or text)),
            placeholder="a person id or name; Tab completes", suggestions=_names(people),
            value=row.owner if row else "",
            check=lambda text: None if _resolve(text, people) or not self.app.org.present else _unknown("person", text, people),
        )

    def action_confirm(self) -> None:
        """The requester confirms delivery with a 1-5 score and a comment: the loop is closed."""
        row = self._current()
        if row is None:
            return
        requester = self.app.org.department_name(row.requester) or "the requester"

        def scored(answer: tuple[int, str] | None) -> None:
            if answer is not None:
                score, comment = answer
                self._act(f"confirmed, scored {score}/5", lambda _: self.app.services.confirm(row.ref, score, comment))

        self.app.push_screen(ScoreDialog(f"{row.ref} {row.text('title')}\nHow well did {requester} get served?"), scored)

    # ------------------------------------------------------------------ export

    def action_export(self) -> None:
        """Write the filtered list to a CSV file under minutes/ and say which."""
        from icm_tui.export.actions_csv import actions_csv
        from icm_tui.export.files import atomic_write

        rows = self.table.rows
        refs = rows.refs if isinstance(rows, RowList) else [row.ref for row in rows]
        services = self.app.services
        stamp = services.now().strftime("%Y%m%d-%H%M%S")
        path = Path(self.app.workspace.minutes_dir) / f"actions-{stamp}.csv"

        def write() -> Path:
            # The rows hold no records: read the listed items' summaries, in the order shown.
            wanted = dict.fromkeys(refs)
            found = {item.ref: item for item in services.store.iter_action_summaries() if item.ref in wanted}
            return atomic_write(path, actions_csv(services, [found[ref] for ref in wanted if ref in found]))

        self.app.submit(write, lambda written: self.notify(
            f"{len(refs):,} items written to {written}", title="Exported", markup=False))



def _names(choices: dict[str, str]) -> list[str]:
    """Completion candidates: every id and every name."""
    return sorted({*choices, *choices.values()}, key=str.casefold)


def _resolve(text: str, choices: dict[str, str]) -> str:
    """The id `text` names (an id or a name, any case), or ''."""
    wanted = text.strip().casefold()
    for key, name in choices.items():
        if key.casefold() == wanted or name.casefold() == wanted:
            return key
    return ""


def _unknown(what: str, text: str, choices: dict[str, str]) -> str:
    close = difflib.get_close_matches(text.strip(), _names(choices), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else " (Tab completes a known one)"
    return f"unknown {what} {text.strip()!r}{hint}"


__all__ = ["ActionsScreen"]
