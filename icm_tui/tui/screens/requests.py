"""The internal service desk inbox: requests between meetings; accept, decline, merge, raise.

Every change goes through the services on the app's store thread (`app.submit`); the list and
the detail panel reload afterwards, so the requester's view (the request's history, with the
outcome and its reason) is what the store holds.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from icm_tui.domain.lifecycle import ARCHIVED
from icm_tui.domain.models import ActionItem, Request, RequestStatus
from icm_tui.tui.dialogs import PromptDialog
from icm_tui.tui.dialogs.request import NewRequest, RequestDialog
from icm_tui.tui.messages import StoreChanged

if TYPE_CHECKING:
    from icm_tui.tui.app import IcmApp
    from icm_tui.tui.dialogs.capture import Captured

SHOWN = 500
"""At most this many requests in the list (the inbox of new ones is short; history can be long)."""

MERGE_CHOICES = 200
"""How many candidate action items merging offers as completions."""

FILTERS: list[tuple[str, RequestStatus | None]] = [
    ("new", RequestStatus.NEW),
    ("accepted", RequestStatus.ACCEPTED),
    ("declined", RequestStatus.DECLINED),
    ("merged", RequestStatus.MERGED),
    ("all", None),
]
"""What `t` steps through."""

STATUS_STYLE = {
    RequestStatus.NEW: "bold",
    RequestStatus.ACCEPTED: "green",
    RequestStatus.DECLINED: "red",
    RequestStatus.MERGED: "cyan",
}

HELP = """\
# Requests

The inbox of the internal service desk: what departments asked each other for between
meetings (`icm request add TITLE --from D --to D`). Each request is answered once:

- `a` **accept**: it becomes an action item, in the same capture dialog as in a meeting's
  triage: the request's title, the supplying department's lead as owner (a name that fits
  several people is refused until you pick one), the due date the request's service promises
  (`fri`, `+1w`, `2026-12-04` change it) and a priority. The requester is fixed; the
  supplier stays the department the request was addressed to.
- `d` **decline**: with the reason the requesting department will read.
- `m` **merge**: fold it into an action item already under way (its ref, e.g. `A-42`); the
  item gets a note saying so.
- `n` **new**: raise a request yourself.

`t` cycles which requests are listed: new (oldest first), accepted, declined, merged, all
(newest first). The panel shows the highlighted request with its whole history: this is where
the requesting department sees what became of it, and why. A request you just answered stays
in the list until you change the filter.
"""


class RequestsScreen(Screen):
    """Requests between meetings, filtered by status, with their history and the triage commands."""

    TITLE = "Requests"
    HELP = HELP

    DEFAULT_CSS = """
    RequestsScreen {
        layout: vertical;
        #requests-bar { height: 1; padding: 0 1; background: $panel; color: $text-muted; }
        #requests-table { height: 1fr; min-height: 5; }
        #requests-detail { height: 45%; min-height: 6; border-top: solid $primary; padding: 0 1; }
    }
    """

    BINDINGS = [
        Binding("escape", "back", "Back", id="requests.back"),
        Binding("a", "accept", "Accept", tooltip="Accept into an action item (title, owner, due, priority)", id="requests.accept"),
        Binding("d", "decline", "Decline", tooltip="Decline, with a reason", id="requests.decline"),
        Binding("m", "merge", "Merge", tooltip="Merge into an existing action item", id="requests.merge"),
        Binding("n", "new", "New", tooltip="Raise a new request", id="requests.new"),
        Binding("t", "cycle_filter", "Status", tooltip="Cycle the status filter", id="requests.filter"),
        Binding("ctrl+r", "reload", "Reload", show=False, id="requests.reload"),
    ]

    def __init__(self, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.requests: list[Request] = []
        """Every request, from the last load."""
        self.shown: list[Request] = []
        """The requests in the list, in its order."""
        self.filter_index = 0
        """Which of FILTERS is applied."""
        self.pinned: str | None = None
        """Ref of the request last answered here: kept in the list until the filter changes."""
        self.loaded = False
        """True once the first load arrived (tests wait on it)."""
        self._goto: str | None = None

    @property
    def icm(self) -> IcmApp:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text("Loading…"), id="requests-bar")
        with Vertical():
            yield DataTable(id="requests-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="requests-detail"):
                yield Static(Text(""), id="requests-detail-text")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.table.focus()
        self.reload()

    def on_resize(self) -> None:
        """The title column takes what the others leave: draw the list again."""
        if self.loaded:
            self.show()

    def _columns(self, rows: list[tuple[Text, ...]]) -> None:
        """The columns, the title as wide as the others leave (16 to 48): at 80 columns Outcome was cut off."""
        table = self.table
        table.clear(columns=True)
        names = ("Ref", "From", "To", "Request", "Raised", "Outcome")
        widths = [max([len(name), *(row[i].cell_len for row in rows)]) for i, name in enumerate(names)]
        others = sum(widths) - widths[3] + 2 * len(names) + 2  # each cell's padding, and the scrollbar
        width = self.size.width or self.app.size.width  # the list spans the screen; it may not be laid out yet
        title = max(16, min(48, width - others))
        for name, key in zip(names, ("ref", "from", "to", "title", "raised", "outcome"), strict=True):
            table.add_column(name, key=key, width=title if key == "title" else None)

    @property
    def table(self) -> DataTable:
        """The list."""
        return self.query_one("#requests-table", DataTable)

    # ------------------------------------------------------------------ loading

    def reload(self) -> None:
        """Read the requests again on the store thread."""
        services = self.icm.services
        self.icm.submit(services.requests, self._loaded)

    def _loaded(self, requests: list[Request]) -> None:
        self.requests = requests
        self.loaded = True
        self.show()

    @on(StoreChanged)
    def store_changed(self, message: StoreChanged) -> None:
        """The register changed elsewhere: reload, keeping the cursor on the same request."""
        self.reload()

    def show(self) -> None:
        """Fill the list with the requests the filter keeps, the cursor staying on the same request."""
        label, status = FILTERS[self.filter_index]
        keep = [r for r in self.requests if status is None or r.status is status or r.ref == self.pinned]
        if status is RequestStatus.NEW:
            keep.sort(key=lambda r: r.created)
        else:
            keep.sort(key=lambda r: r.created, reverse=True)
        # Which request the cursor is on, read before the list changes under it.
        current = self._goto or (self.current.ref if self.current else None)
        self._goto = None
        self.shown = keep[:SHOWN]
        table = self.table
        org = self.icm.org
        today = self.icm.services.today()
        rows = [
            (
                Text(request.ref),
                Text(org.department_name(request.requester)),
                Text(org.department_name(request.supplier)),
                Text(request.title, no_wrap=True, overflow="ellipsis"),
                Text(_age(request.created.date(), today)),
                _outcome(request),
            )
            for request in self.shown
        ]
        self._columns(rows)
        for request, row in zip(self.shown, rows, strict=True):
            table.add_row(*row, key=request.ref)
        row = next((i for i, r in enumerate(self.shown) if r.ref == current), None)
        if row is not None:
            table.move_cursor(row=row)
        waiting = sum(r.status is RequestStatus.NEW for r in self.requests)
        more = f" (first {SHOWN})" if len(keep) > SHOWN else ""
        bar = f"Showing {label}: {len(keep)} of {len(self.requests)} requests{more} · {waiting} waiting for an answer · t: status"
        self.query_one("#requests-bar", Static).update(Text(bar))
        self.describe()
        self.refresh_bindings()

    @property
    def current(self) -> Request | None:
        """The highlighted request."""
        if not self.shown:
            return None
        row = self.table.cursor_row
        return self.shown[row] if 0 <= row < len(self.shown) else None

    @on(DataTable.RowHighlighted, "#requests-table")
    def _highlighted(self) -> None:
        self.describe()
        self.refresh_bindings()

    def describe(self) -> None:
        """Show the highlighted request and its whole history in the panel."""
        panel = self.query_one("#requests-detail-text", Static)
        request = self.current
        if request is None:
            panel.update(Text("No requests here. n raises one; t shows the others.", style="italic"))
            return
        panel.update(detail_text(request, self.icm))

    # ------------------------------------------------------------------ commands

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Accept, decline and merge only apply to a request still waiting (None: shown greyed)."""
        if action in ("accept", "decline", "merge"):
            request = self.current
            return True if request is not None and request.status is RequestStatus.NEW else None
        return True

    def _waiting(self) -> Request | None:
        request = self.current
        if request is None:
            return None
        if request.status is not RequestStatus.NEW:
            self.notify(f"{request.ref} is already {request.status.value}", severity="warning", markup=False)
            return None
        return request

    def _answered(self, ref: str, message: str) -> None:
        self.pinned = self._goto = ref
        self.icm.mark_seen()
        self.notify(message, markup=False, timeout=3)
        self.reload()

    def action_accept(self) -> None:
        """Accept the highlighted request into an action item, in the capture dialog the meeting's triage uses."""
        from icm_tui.tui.dialogs.capture import CaptureDialog

        request = self._waiting()
        if request is None:
            return
        dialog = CaptureDialog.for_request(self.icm.org, self.icm.services.today(), request)
        self.app.push_screen(dialog, lambda answer: answer and self._accept(request, answer))

    def _accept(self, request: Request, answer: Captured) -> None:
        from icm_tui.tui.dialogs.capture import accept_request

        services = self.icm.services
        self.icm.submit(
            lambda: accept_request(services, request, answer),
            lambda action: self._answered(request.ref, f"{request.ref} accepted as {action.ref}: {action.title}"),
        )

    def action_decline(self) -> None:
        """Decline the highlighted request, with the reason the requester will read."""
        request = self._waiting()
        if request is None:
            return
        services = self.icm.services

        def got_reason(reason: str | None) -> None:
            if reason:
                self.icm.submit(
                    lambda: services.decline_request(request.ref, reason),
                    lambda _: self._answered(request.ref, f"{request.ref} declined"),
                )

        self.app.push_screen(
            PromptDialog(
                f"Why is {request.ref} declined?", placeholder="the reason",
                hint=f"{self.icm.org.department_name(request.requester)} reads this in the request's history.",
            ),
            got_reason,
        )

    def action_merge(self) -> None:
        """Merge the highlighted request into an action item already under way (asks its ref)."""
        request = self._waiting()
        if request is None:
            return
        store = self.icm.store

        def candidates() -> list[str]:
            return merge_candidates(store.actions(), request)

        self.icm.submit(candidates, lambda refs: self._ask_merge(request, refs))

    def _ask_merge(self, request: Request, refs: list[str]) -> None:
        services = self.icm.services

        def check_ref(text: str) -> str | None:
            prefix, dash, number = text.strip().partition("-")
            if prefix.upper() != "A" or not dash or not number.isdigit():
                return "an action item ref, like A-42"
            return None

        def got_ref(ref: str | None) -> None:
            if ref:
                target = ref.strip().upper()
                self.icm.submit(
                    lambda: services.merge_request(request.ref, target),
                    lambda _: self._answered(request.ref, f"{request.ref} merged into {target}"),
                )

        hint = (
            f"Open items {self.icm.org.department_name(request.supplier)} supplies: {', '.join(refs[:8])}"
            + ("…" if len(refs) > 8 else "")
            if refs else "No open item of that department yet: accept it instead."
        )
        self.app.push_screen(
            PromptDialog(
                f"Merge {request.ref} into which action item?", placeholder="A-42", hint=hint,
                suggestions=refs, check=check_ref,
            ),
            got_ref,
        )

    def action_new(self) -> None:
        """Raise a new request (title, from, to, service, details)."""
        services = self.icm.services

        def got(answer: NewRequest | None) -> None:
            if answer is not None:
                self.icm.submit(
                    lambda: services.add_request(
                        answer.title, requester=answer.requester, supplier=answer.supplier, service=answer.service,
                        details=answer.details,
                    ),
                    lambda made: self._answered(made.ref, f"{made.ref} raised"),
                )

        current = self.current
        self.app.push_screen(RequestDialog(self.icm.org, requester=current.requester if current else ""), got)

    def action_cycle_filter(self) -> None:
        """Show the next status: new, accepted, declined, merged, all."""
        self.filter_index = (self.filter_index + 1) % len(FILTERS)
        self.pinned = None
        self.show()

    def action_reload(self) -> None:
        """Read the requests again."""
        self.reload()

    def action_back(self) -> None:
        """Back to the previous screen."""
        self.app.pop_screen()


def merge_candidates(actions: list[ActionItem], request: Request) -> list[str]:
    """Refs of items a request could merge into: still in progress, same supplier first, newest first."""
    live = [a for a in actions if a.status not in ARCHIVED]
    live.sort(key=lambda a: (a.supplier != request.supplier, a.requester != request.requester, -a.created.timestamp()))
    return [a.ref for a in live[:MERGE_CHOICES]]


def _age(day: date, today: date) -> str:
    days = (today - day).days
    return "today" if days <= 0 else f"{days}d ago"


def _outcome(request: Request) -> Text:
    style = STATUS_STYLE.get(request.status, "")
    if request.status is RequestStatus.ACCEPTED:
        return Text(f"accepted → {request.action}", style=style)
    if request.status is RequestStatus.MERGED:
        return Text(f"merged → {request.action}", style=style)
    if request.status is RequestStatus.DECLINED:
        return Text("declined", style=style)
    return Text("waiting", style=style)


def _event_style(kind: str) -> str:
    try:
        return STATUS_STYLE.get(RequestStatus(kind), "")
    except ValueError:  # `created`, and kinds a later version may add
        return ""


def detail_text(request: Request, app: IcmApp) -> Text:
    """The request as its requester reads it: what, who, and every event with its note (literal text)."""
    org = app.org
    text = Text()
    text.append(f"{request.ref}  ", style="bold")
    text.append(request.title, style="bold")
    text.append("\n")
    line = f"{org.department_name(request.requester)} asks {org.department_name(request.supplier)}"
    if request.service:
        service = org.service(request.service)
        line += f" · service {service.name if service else request.service}"
    line += f" · raised {request.created:%Y-%m-%d %H:%M}"
    text.append(line, style="dim")
    text.append("\nStatus: ")
    text.append_text(_outcome(request))
    if request.details:
        text.append("\n\n")
        text.append(request.details)
    text.append("\n\nHistory\n", style="bold")
    for event in request.history:
        text.append(f"{event.at:%Y-%m-%d %H:%M}  ", style="dim")
        text.append(event.kind, style=_event_style(event.kind))
        if event.action:
            text.append(f" → {event.action}")
        if event.by:
            text.append(f" by {org.person_name(event.by)}", style="dim")
        if event.meeting:
            text.append(f" in {event.meeting}", style="dim")
        if event.note:
            text.append(": ")
            text.append(event.note)
        text.append("\n")
    return text
