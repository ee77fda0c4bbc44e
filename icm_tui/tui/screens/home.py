"""The home screen: meeting series, the state of the action items, recent meetings, what to do next."""

from __future__ import annotations

import calendar
from collections import Counter, defaultdict
from collections.abc import Hashable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Label, Static

from icm_tui.domain import lifecycle
from icm_tui.domain.agenda import Cadence
from icm_tui.domain.dates import relative
from icm_tui.domain.models import Meeting, MeetingState, RequestStatus, Status
from icm_tui.tui.dialogs import PromptDialog
from icm_tui.tui.messages import StoreChanged
from icm_tui.tui.widgets.meeting import fit
from icm_tui.tui.screens import AgendaFile, load_agenda_files, resume_meeting, show_picker, start_agenda_file

if TYPE_CHECKING:
    from icm_tui.tui.app import IcmApp

RECENT = 8
"""How many recent meetings the home screen lists."""

SAMPLE_NAME = "sample-weekly.yaml"
SAMPLE_AGENDA = """\
# A sample coordination meeting, written by icm because agendas/ was empty. Edit it freely.
version: 1
series: sample-weekly
title: Sample weekly coordination
cadence: weekly
duration: 30
items:
  - title: Follow-ups from earlier meetings
    kind: review
    timebox: 10
  - title: New internal requests
    kind: triage
    timebox: 5
  - title: One thing that blocks another department
    kind: discussion
    timebox: 10
    prompt: |
      Which department waits on which, and what would unblock it this week?
  - title: Internal service pulse
    kind: pulse
    timebox: 5
"""


@dataclass(frozen=True)
class SeriesRow:
    """One meeting series of the workspace: its agenda file and when it met."""

    agenda: AgendaFile
    last: date | None = None
    next: date | None = None
    meetings: int = 0


@dataclass(frozen=True)
class DepartmentRow:
    """A department as a supplier: what it owes and how its customers rate it."""

    dept: str
    open: int = 0
    overdue: int = 0
    awaiting: int = 0
    satisfaction: float | None = None


@dataclass(frozen=True)
class HomeData:
    """Everything the home screen shows, gathered in one pass on the store thread."""

    series: list[SeriesRow]
    counts: dict[str, int]
    departments: list[DepartmentRow]
    recent: list[Meeting]
    running: list[Meeting]
    new_requests: int
    today: date
    meetings: int = 0
    actions: int = 0
    problems: list[str] = field(default_factory=list)
    version: Hashable = None
    """The store's version() read before the register was: unchanged, the register need not be read again."""


def next_date(last: date | None, cadence: Cadence) -> date | None:
    """When a series meets next after `last`, by its cadence (None for one-off meetings)."""
    if last is None or cadence is Cadence.ONCE:
        return None
    if cadence is Cadence.WEEKLY:
        return last + timedelta(weeks=1)
    if cadence is Cadence.BIWEEKLY:
        return last + timedelta(weeks=2)
    month = last.month % 12 + 1
    year = last.year + (last.month == 12)
    return last.replace(year=year, month=month, day=min(last.day, calendar.monthrange(year, month)[1]))


def gather_home(app: IcmApp, previous: HomeData | None = None) -> HomeData:
    """Read agendas and the register into a HomeData (slow: call it on the store thread).

    With `previous` gathered the same day at the store's current version, only the agendas are
    read again (they are files the store does not track): the register (~0.26 s at 50,000 items)
    is what `previous` shows.
    """
    services = app.services
    today = services.today()
    # Read before the register: a write landing while it is read changes the next version.
    version = services.store.version()
    if previous is not None and previous.version is not None and previous.version == version and previous.today == today:
        return replace(previous, series=series_rows(load_agenda_files(app), services.store.meetings()))
    thresholds = app.org.thresholds
    agendas = load_agenda_files(app)
    meetings = services.store.meetings()
    series = series_rows(agendas, meetings)

    counts = Counter(open=0, overdue=0, awaiting=0, escalated=0)
    owed: Counter[str] = Counter()
    late: Counter[str] = Counter()
    waiting: Counter[str] = Counter()
    scores: dict[str, list[int]] = defaultdict(list)
    # Streamed: counting needs no list of 50,000 summaries (~50 MB) held, here or in the store.
    actions = 0
    # The lifecycle's is_overdue/is_escalated, inlined: this loop runs over every item at start-up.
    carries, late_days = thresholds.escalate_after_carries, thresholds.escalate_after_overdue_days
    done, finished = Status.DONE, lifecycle.FINISHED
    for item in services.store.iter_action_summaries():
        actions += 1
        status = item.status
        if status in finished:
            if status is done:
                counts["awaiting"] += 1
                waiting[item.supplier] += 1
            elif item.score is not None:
                scores[item.supplier].append(item.score)
            continue
        counts["open"] += 1
        owed[item.supplier] += 1
        due = item.due
        overdue_days = (today - due).days if due is not None and due < today else 0
        if overdue_days:
            counts["overdue"] += 1
            late[item.supplier] += 1
        if item.carry >= carries or overdue_days > late_days:
            counts["escalated"] += 1
    for pulse in services.store.pulses():
        scores[pulse.about].append(pulse.score)

    known = [d.id for d in app.org.departments]
    depts = [d for d in dict.fromkeys([*known, *owed, *waiting, *scores]) if d]
    departments = [
        DepartmentRow(
            d, owed[d], late[d], waiting[d], sum(scores[d]) / len(scores[d]) if scores.get(d) else None
        )
        for d in depts
    ]
    recent = sorted(meetings, key=lambda m: m.started, reverse=True)[:RECENT]
    running = [m for m in meetings if m.state is MeetingState.RUNNING]
    new_requests = sum(1 for r in services.store.requests() if r.status is RequestStatus.NEW)
    return HomeData(
        series=series, counts=dict(counts), departments=departments, recent=recent,
        running=sorted(running, key=lambda m: m.started, reverse=True), new_requests=new_requests,
        today=today, meetings=len(meetings), actions=actions, version=version,
    )


def series_rows(agendas: list[AgendaFile], meetings: list[Meeting]) -> list[SeriesRow]:
    """Each agenda's series: when it last met, when it meets next, how often it met."""
    last: dict[str, date] = {}
    per_series: Counter[str] = Counter()
    for meeting in meetings:
        day = meeting.started.date()
        per_series[meeting.series] += 1
        if meeting.series not in last or day > last[meeting.series]:
            last[meeting.series] = day
    series = []
    for agenda_file in agendas:
        agenda = agenda_file.agenda
        if agenda is None:
            series.append(SeriesRow(agenda_file))
            continue
        seen = last.get(agenda.series)
        series.append(SeriesRow(agenda_file, seen, next_date(seen, agenda.cadence), per_series[agenda.series]))
    return series


def write_sample_agenda(app: IcmApp) -> Path:
    """Write the sample agenda into an empty agendas/ folder (store thread: it is file I/O)."""
    folder = app.workspace.agendas_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / SAMPLE_NAME
    if not path.exists():
        path.write_text(SAMPLE_AGENDA, encoding="utf-8")
    return path


def plural(count: int, noun: str) -> str:
    """`1 meeting`, `2 meetings`."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


class HomeScreen(Screen):
    """Meeting series, counts of open items, recent meetings, and the next step."""

    HELP = """\
# Home

Where every session starts. It shows:

- **Meeting series**: each agenda in `agendas/`, its cadence, when it last met and when it
  meets next. Highlight one and press **Enter** to run it.
- **Action items**: how many are open, overdue, done and awaiting the requester's
  confirmation, and escalated (carried too often or overdue too long).
- **Departments as suppliers**: what each department owes and how its internal customers rate it.
- **Recent meetings**: press **Enter** on one to see its summary, or resume it when it is still running.

**x** exports: on a recent meeting, its minutes (YAML and Markdown) into `minutes/`; anywhere
else, every action item still owed, as CSV, ICS (calendars), JSON, YAML or Taskwarrior JSON.

To run a meeting: press **n** (or Enter on a series), tick who is present, press **s** to
start. In the meeting, the footer shows every key and **?** explains the screen.
"""

    BINDINGS = [
        Binding("enter", "open", "Open", id="home.open", priority=True),
        Binding("n", "pick_agenda", "Run a meeting", id="home.run"),
        Binding("u", "resume", "Resume meeting", id="home.resume"),
        Binding("s", "sample", "Run the sample", id="home.sample"),
        Binding("a", "actions", "Actions", id="home.actions"),
        Binding("r", "requests", "Requests", id="home.requests"),
        Binding("R", "reports", "Reports", key_display="R", id="home.reports"),
        Binding("p", "reports", "Reports", show=False, id="home.reports_p"),
        Binding("x", "export", "Export", tooltip="Export the highlighted meeting's minutes, or the owed action items", id="home.export"),
        Binding("g", "reload", "Reload", show=False, id="home.reload"),
        Binding("q", "app.quit", "Quit", show=False, id="home.quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.data: HomeData | None = None
        """What is shown; None until the first load finished."""
        self.loads = 0
        """How many loads finished (tests and the benchmark wait on it)."""
        self._loading = False

    def on_resize(self, event: events.Resize) -> None:
        """Below 100 columns or 30 rows, a more compact layout."""
        self.set_class(event.size.width < 100 or event.size.height < 30, "-narrow")

    @property
    def icm(self) -> IcmApp:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text("Loading the register…", style="italic"), id="home-banner")
        with Horizontal(id="home-main"):
            with Vertical(id="home-left"):
                yield Label("Meeting series", classes="section-title")
                yield DataTable(id="series-table", cursor_type="row", zebra_stripes=True)
                yield Label("Recent meetings", classes="section-title")
                yield Static(Text("No meetings yet.", style="italic"), id="recent-empty", classes="muted")
                yield DataTable(id="recent-table", cursor_type="row", zebra_stripes=True)
            with Vertical(id="home-right"):
                yield Label("Action items", classes="section-title")
                yield Static(Text("…"), id="home-counts")
                yield Label("Departments as suppliers", classes="section-title")
                yield DataTable(id="dept-table", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        series = self.query_one("#series-table", DataTable)
        series.add_columns("Series", "Cadence", "Last", "Next", "Runs", "OK")
        recent = self.query_one("#recent-table", DataTable)
        recent.add_columns("Ref", "Date", "Meeting", "State", "Decided", "Actions")
        depts = self.query_one("#dept-table", DataTable)
        depts.add_columns("Department", "Open", "Late", "Await", "Rating")
        series.focus()
        # Read the register once the placeholders are painted: the first paint does not wait on it.
        self.call_after_refresh(self.reload)

    def on_screen_resume(self) -> None:
        if self.loads:
            self.reload()

    @on(StoreChanged)
    def store_changed(self) -> None:
        """Another process changed the register: show it."""
        self.reload()

    def reload(self, force: bool = False) -> None:
        """Gather the data again off the event loop (the register only if it changed, unless `force`)."""
        if self._loading:
            return
        self._loading = True
        previous = None if force else self.data
        self.icm.submit(lambda: gather_home(self.icm, previous), self._show, self._failed)

    def _failed(self, error: Exception) -> None:
        self._loading = False
        self.icm.report_error(error)

    def _show(self, data: HomeData) -> None:
        self._loading = False
        self.data = data
        self.loads += 1
        self._show_banner(data)
        self._show_series(data)
        self._show_recent(data)
        self._show_counts(data)
        self._show_departments(data)
        self.refresh_bindings()

    def _show_banner(self, data: HomeData) -> None:
        banner = self.query_one("#home-banner", Static)
        banner.remove_class("-running", "-empty")
        if data.running:
            meeting = data.running[0]
            at = meeting.started.strftime("%Y-%m-%d %H:%M")
            text = Text.assemble(
                ("▶ ", "bold"), (meeting.ref, "bold"), " ", Text(meeting.title),
                f" is still running (started {at}, item {meeting.current + 1} of {len(meeting.items)}). ",
                ("Press u to resume it.", "bold"),
                f" ({len(data.running) - 1} more running: Enter on it below.)" if len(data.running) > 1 else "",
            )
            banner.add_class("-running")
        elif not data.series:
            text = Text.assemble(
                ("Welcome. ", "bold"),
                f"There are no agendas in {self.icm.workspace.agendas_dir} yet. ",
                ("Press s", "bold"), " to write a sample agenda and run it, or add a YAML agenda (see ? for help).",
            )
            banner.add_class("-empty")
        elif data.meetings == 0:
            sample = self._sample_agenda(data)
            text = Text.assemble(
                ("Welcome. ", "bold"), "No meeting has been run in this workspace yet. ",
                ("Press n", "bold"), " to pick an agenda",
                *((", or ", ("s", "bold"), f" to run the sample agenda {sample.agenda.name}") if sample else ()),
                ". ", ("?", "bold"), " explains every screen.",
            )
            banner.add_class("-empty")
        else:
            text = Text.assemble(
                f"{plural(data.meetings, 'meeting')}, {plural(data.actions, 'action item')}, "
                f"{plural(data.new_requests, 'new request')}.  ",
                ("n", "bold"), " runs a meeting, ", ("a", "bold"), " lists the action items.",
            )
        banner.update(text)

    def _show_series(self, data: HomeData) -> None:
        table = self.query_one("#series-table", DataTable)
        table.clear()
        for row in data.series:
            agenda = row.agenda.agenda
            if agenda is None:
                table.add_row(
                    Text(row.agenda.name), Text("—"), Text("—"), Text("—"), Text("—"),
                    Text(f"✗ {len(row.agenda.problems)}", style="bold red"),
                    key=str(row.agenda.path),
                )
                continue
            next_text = Text("—")
            if row.next is not None:
                late = row.next < data.today
                next_text = Text(f"{row.next:%d %b} ({relative(row.next, data.today).replace('overdue', 'late')})",
                                 style="bold yellow" if late else "")
            elif row.last is None:
                next_text = Text("not run yet", style="italic")
            table.add_row(
                Text(fit(agenda.title, 27)), Text(agenda.cadence.value), Text(f"{row.last:%d %b}" if row.last else "—"),
                next_text, Text(str(row.meetings)), Text("✓", style="green"), key=str(row.agenda.path),
            )

    def _show_recent(self, data: HomeData) -> None:
        table = self.query_one("#recent-table", DataTable)
        table.clear()
        table.display = bool(data.recent)
        self.query_one("#recent-empty").display = not data.recent
        if not data.recent:
            return
        for meeting in data.recent:
            decisions = sum(len(i.decisions) for i in meeting.items)
            actions = sum(len(i.actions) for i in meeting.items)
            state = Text("running", style="bold yellow") if meeting.state is MeetingState.RUNNING else Text("ended")
            table.add_row(
                Text(meeting.ref), Text(f"{meeting.started:%Y-%m-%d}"), Text(fit(meeting.title, 30)), state,
                Text(str(decisions)), Text(str(actions)), key=meeting.ref,
            )

    def _show_counts(self, data: HomeData) -> None:
        c = data.counts
        self.query_one("#home-counts", Static).update(
            Text.assemble(
                (f"{c['open']:>6}", "bold"), " open\n",
                (f"{c['overdue']:>6}", "bold red" if c["overdue"] else "bold"), " overdue\n",
                (f"{c['awaiting']:>6}", "bold yellow" if c["awaiting"] else "bold"), " awaiting confirmation\n",
                (f"{c['escalated']:>6}", "bold magenta" if c["escalated"] else "bold"), " escalated\n",
                (f"{data.new_requests:>6}", "bold"), " new request" if data.new_requests == 1 else " new requests",
            )
        )

    def _show_departments(self, data: HomeData) -> None:
        table = self.query_one("#dept-table", DataTable)
        table.clear()
        for row in data.departments:
            rating = Text(f"{row.satisfaction:.1f}") if row.satisfaction is not None else Text("—", style="dim")
            table.add_row(
                Text(self.icm.org.department_name(row.dept)), Text(str(row.open)),
                Text(str(row.overdue), style="red" if row.overdue else ""), Text(str(row.awaiting)), rating,
                key=row.dept,
            )

    def _sample_agenda(self, data: HomeData) -> AgendaFile | None:
        valid = [row.agenda for row in data.series if row.agenda.valid]
        preferred = [a for a in valid if a.agenda and a.agenda.series in ("weekly-coordination", "sample-weekly")]
        return (preferred or valid or [None])[0]

    # ------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "resume":
            return bool(self.data and self.data.running)
        if action == "sample":
            return bool(self.data and self.data.meetings == 0)
        return True

    def action_pick_agenda(self) -> None:
        """Choose an agenda to run."""
        show_picker(self.icm)

    def action_resume(self) -> None:
        """Resume the meeting that is still running."""
        if self.data and self.data.running:
            resume_meeting(self.icm, self.data.running[0].ref)

    def action_sample(self) -> None:
        """Run the sample agenda (writing one first when agendas/ is empty)."""
        sample = self._sample_agenda(self.data) if self.data else None
        if sample is not None:
            start_agenda_file(self.icm, sample)
            return

        def written(path: Path) -> None:
            self.icm.notify(f"Wrote the sample agenda {path.name} into agendas/.", markup=False)
            self.icm.open_agenda(str(path))

        self.icm.submit(lambda: write_sample_agenda(self.icm), written)

    def action_reload(self) -> None:
        """Read the register again."""
        self.reload(force=True)

    def _open(self, module: str, name: str, what: str) -> None:
        import importlib

        try:
            screen_class = getattr(importlib.import_module(f"icm_tui.tui.screens.{module}"), name)
        except (ImportError, AttributeError):
            self.notify(f"The {what} screen is not available in this build yet.", severity="warning")
            return
        self.app.push_screen(screen_class())

    def action_actions(self) -> None:
        """Every action item: filter, look up, change."""
        self._open("actions", "ActionsScreen", "actions")

    def action_requests(self) -> None:
        """The inbox of new requests between meetings."""
        self._open("requests", "RequestsScreen", "requests")

    def action_reports(self) -> None:
        """Departments as suppliers and customers, the department wall, satisfaction."""
        self._open("reports", "ReportsScreen", "reports")

    def action_open(self) -> None:
        """Run the highlighted series, or open the highlighted meeting."""
        focused = self.focused
        if not isinstance(focused, DataTable) or focused.row_count == 0:
            return
        key = focused.coordinate_to_cell_key(focused.cursor_coordinate).row_key.value or ""
        if focused.id == "series-table":
            self._run_series(key)
        elif focused.id == "recent-table":
            self._open_meeting(key)

    def action_export(self) -> None:
        """Minutes of the highlighted meeting, or the owed action items in a chosen format."""
        focused = self.focused
        if isinstance(focused, DataTable) and focused.id == "recent-table" and focused.row_count:
            ref = focused.coordinate_to_cell_key(focused.cursor_coordinate).row_key.value or ""
            self._export_minutes(ref)
            return
        formats = ("csv", "ics", "json", "yaml", "taskwarrior")

        def check(answer: str) -> str | None:
            return None if answer.lower() in formats else f"One of: {', '.join(formats)}"

        self.app.push_screen(
            PromptDialog(
                "Export every action item still owed (open, in progress, blocked, done) as",
                value="csv", suggestions=formats, check=check,
                hint="csv for spreadsheets, ics for calendars, taskwarrior for `task import`; written to minutes/",
            ),
            lambda answer: self._export_actions(answer.lower()) if answer else None,
        )

    def _export_minutes(self, ref: str) -> None:
        from icm_tui.export.minutes_yaml import write_minutes

        services, folder = self.icm.services, self.icm.workspace.minutes_dir

        def write() -> list[Path]:
            return [write_minutes(services, ref, folder, fmt) for fmt in ("yaml", "md")]

        self.icm.submit(write, lambda paths: self.notify(
            "\n".join(str(p) for p in paths), title=f"Minutes of {ref} written", markup=False))

    def _export_actions(self, fmt: str) -> None:
        from icm_tui.domain.query import ActionFilter
        from icm_tui.export.actions import export_actions
        from icm_tui.export.files import atomic_write

        services = self.icm.services
        stamp = services.now().strftime("%Y%m%d-%H%M%S")
        suffix = {"taskwarrior": "task.json"}.get(fmt, fmt)
        path = Path(self.icm.workspace.minutes_dir) / f"actions-{stamp}.{suffix}"
        owed = ActionFilter(status=frozenset(set(Status) - lifecycle.ARCHIVED))

        def write() -> Path:
            return atomic_write(path, export_actions(services, owed, fmt))

        self.icm.submit(write, lambda written: self.notify(str(written), title="Action items exported", markup=False))

    @on(DataTable.RowSelected, "#series-table")
    def series_chosen(self, event: DataTable.RowSelected) -> None:
        """A click on a series: run it (or see why its agenda is not valid)."""
        self._run_series(event.row_key.value or "")

    def _run_series(self, key: str) -> None:
        if self.data is None:
            return
        row = next((r for r in self.data.series if str(r.agenda.path) == key), None)
        if row is None:
            return
        running = next((m for m in self.data.running if row.agenda.agenda and m.series == row.agenda.agenda.series), None)
        start_agenda_file(self.icm, row.agenda, running)

    @on(DataTable.RowSelected, "#recent-table")
    def meeting_chosen(self, event: DataTable.RowSelected) -> None:
        """A click on a meeting: resume it when running, else show its summary."""
        self._open_meeting(event.row_key.value or "")

    def _open_meeting(self, key: str) -> None:
        if self.data is None:
            return
        meeting = next((m for m in self.data.recent if m.ref == key), None)
        if meeting is None:
            return
        if meeting.state is MeetingState.RUNNING:
            resume_meeting(self.icm, meeting.ref)
        else:
            from icm_tui.tui.screens.summary import SummaryScreen

            self.app.push_screen(SummaryScreen(meeting.ref))
