"""A `triage` item: the new requests between meetings; accept one into an action item, or decline it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from icm_tui.domain.models import ActionItem, Meeting, Request, RequestStatus
from icm_tui.tui.widgets.meeting import MeetingUpdated, fit

if TYPE_CHECKING:
    from icm_tui.tui.app import IcmApp
    from icm_tui.tui.dialogs.capture import Captured


def triage_list(app: IcmApp, meeting: Meeting) -> list[Request]:
    """New requests, and those settled in this meeting (to show what happened), oldest first (store thread)."""
    return [
        r for r in app.services.requests()
        if r.status is RequestStatus.NEW or any(e.meeting == meeting.ref for e in r.history)
    ]


def outcome_line(request: Request) -> Text:
    """What became of a request, with the keys for a new one."""
    if request.status is RequestStatus.NEW:
        return Text("New: a accepts it into an action item, x declines it.", style="italic")
    if request.status is RequestStatus.ACCEPTED:
        return Text(f"Accepted as {request.action}.", style="bold green")
    line = Text(request.status.value.capitalize(), style="bold")
    if request.status is RequestStatus.MERGED and request.action:
        line.append(f" into {request.action}")
    if request.reason:
        line.append(": ")
        line.append(request.reason, style="")
    return line


class TriagePanel(Vertical, can_focus=False):
    """The inbox of new requests, one row each."""

    DEFAULT_CSS = """
    TriagePanel { height: 1fr; }
    TriagePanel > DataTable { height: 1fr; min-height: 4; }
    TriagePanel > #triage-detail { height: auto; max-height: 5; padding: 0 1; background: $boost; }
    """

    BINDINGS = [
        Binding("a", "accept", "Accept", tooltip="Accept the request: it becomes an action item", id="triage.accept"),
        Binding("x", "decline", "Decline", tooltip="Decline the request, with a reason", id="triage.decline"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.meeting: Meeting | None = None
        """The meeting being run."""
        self.index = 0
        """The agenda item accepted requests are listed under."""
        self.requests: list[Request] = []
        """What is shown."""

    @property
    def icm(self) -> IcmApp:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield DataTable(id="triage-table", cursor_type="row", zebra_stripes=True)
        yield Static(Text(""), id="triage-detail")

    COLUMNS = ("Ref", "From", "To", "Request", "Waiting", "Outcome")

    def on_resize(self) -> None:
        """The request column takes what the others leave: draw the inbox again."""
        if self.requests:
            self._show(self.requests)

    def focus_table(self) -> None:
        """Put the keyboard on the inbox."""
        self.query_one(DataTable).focus()

    def load(self, meeting: Meeting, index: int) -> None:
        """Read the inbox (off the event loop)."""
        self.meeting, self.index = meeting, index
        self.icm.submit(lambda: triage_list(self.icm, meeting), self._show)

    def _show(self, requests: list[Request]) -> None:
        self.requests = requests
        table = self.query_one(DataTable)
        row = table.cursor_row
        org = self.icm.org
        today = self.icm.services.today()
        rows = []
        for request in requests:
            outcome = Text("new", style="bold")
            if request.status is RequestStatus.ACCEPTED:
                outcome = Text(f"accepted → {request.action}", style="green")
            elif request.status is not RequestStatus.NEW:
                outcome = Text(request.status.value, style="dim")
            rows.append([
                Text(request.ref), Text(org.department_name(request.requester)),
                Text(org.department_name(request.supplier)), request.title,
                Text(f"{(today - request.created.date()).days}d"), outcome,
            ])
        # At 80 columns a 34-wide title pushed Waiting and Outcome off the panel: it takes what is left.
        widths = [max([len(name), *(r[i].cell_len for r in rows)]) for i, name in enumerate(self.COLUMNS) if i != 3]
        room = (self.size.width or 100) - sum(widths) - 2 * len(self.COLUMNS) - 2
        title_width = max(12, min(34, room))
        table.clear(columns=True)
        table.add_columns(*self.COLUMNS)
        for request, cells in zip(requests, rows, strict=True):
            cells[3] = Text(fit(request.title, title_width))
            table.add_row(*cells, key=request.ref)
        if not requests:
            self.query_one("#triage-detail", Static).update(
                Text("No new requests. Departments add them between meetings with `icm request add`. Press n for the next item.", style="italic")
            )
        else:
            table.move_cursor(row=max(0, min(row, len(requests) - 1)))
        self.refresh_bindings()  # Accept and Decline depend on the highlighted request's status

    @property
    def current(self) -> Request | None:
        """The highlighted request."""
        row = self.query_one(DataTable).cursor_row
        return self.requests[row] if 0 <= row < len(self.requests) else None

    @on(DataTable.RowHighlighted)
    def _describe(self) -> None:
        self.refresh_bindings()
        request = self.current
        if request is None:
            return
        org = self.icm.org
        service = org.service(request.service) if request.service else None
        service_name = service.name if service else request.service
        text = Text.assemble(
            (f"{request.ref} ", "bold"), Text(request.title), "\n",
            (f"{org.department_name(request.requester)} asks {org.department_name(request.supplier)}"
             f"{' · service ' + service_name if service_name else ''} · {request.created:%Y-%m-%d}", "dim"),
        )
        # The outcome column is off-screen at 80 columns: say what happened here too.
        text.append("\n")
        text.append_text(outcome_line(request))
        if request.details:
            text.append("\n")
            text.append(request.details)
        self.query_one("#triage-detail", Static).update(text)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        request = self.current
        return request is not None and request.status is RequestStatus.NEW

    def _reload(self, saved: Meeting | None) -> None:
        if saved is not None:
            self.meeting = saved
            self.post_message(MeetingUpdated(saved))
        self.icm.mark_seen()
        if self.meeting is not None:
            self.load(self.meeting, self.index)

    def action_accept(self) -> None:
        """Accept the request: it becomes an action item with an owner and a due date."""
        from icm_tui.tui.dialogs.capture import CaptureDialog

        request, meeting = self.current, self.meeting
        if request is None or meeting is None:
            return
        dialog = CaptureDialog.for_request(self.icm.org, self.icm.services.today(), request)
        self.app.push_screen(dialog, lambda answer: answer and self._accept(request, meeting, answer))

    def _accept(self, request: Request, meeting: Meeting, answer: Captured) -> None:
        from icm_tui.tui.dialogs.capture import accept_request

        services, index = self.icm.services, self.index

        def run() -> tuple[ActionItem, Meeting]:
            action = accept_request(services, request, answer, meeting=meeting.ref, series=meeting.series)

            def listed(item):  # the triage item lists what it produced, like any captured action
                if action.ref in item.actions:
                    return item
                return msgspec.structs.replace(item, actions=(*item.actions, action.ref))

            return action, services.change_item(meeting.ref, index, listed)

        def done(result: tuple[ActionItem, Meeting]) -> None:
            action, saved = result
            self.notify(f"{request.ref} accepted as {action.ref}", markup=False)
            self._reload(saved)

        self.icm.submit(run, done)

    def action_decline(self) -> None:
        """Decline the request, with the reason the requesting department will read."""
        from icm_tui.tui.dialogs import PromptDialog

        request, meeting = self.current, self.meeting
        if request is None or meeting is None:
            return
        services = self.icm.services

        def decline(reason: str | None) -> None:
            if reason:
                self.icm.submit(lambda: services.decline_request(request.ref, reason, meeting=meeting.ref),
                                lambda _: self._reload(None))

        self.app.push_screen(PromptDialog(f"Why is {request.ref} declined?", hint="The requesting department reads this."), decline)
