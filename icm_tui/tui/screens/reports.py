"""Reports: departments as suppliers and customers, the department wall, meeting health, items at risk.

The figures are those of `icm report` (icm_tui.domain.reports, defined in README.md ("Reports: what every figure means")),
computed on the app's store thread; a loading indicator shows while they are computed, so the
screen stays responsive at 50,000 items.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from rich.color import Color
from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Label, LoadingIndicator, Sparkline, Static, TabbedContent, TabPane

from icm_tui.domain.reports import CARRY_FLOOR, ON_TIME_FLOOR, RISK_DAYS, PairRow, Report, parse_since, report_from_store
from icm_tui.errors import BadInput
from icm_tui.tui.dialogs import PromptDialog
from icm_tui.tui.messages import StoreChanged

if TYPE_CHECKING:
    from icm_tui.tui.app import IcmApp

NONE = "–"

RISK_SHOWN = 500
"""At most this many items at risk in the table."""

RISK_GUIDE = (
    f"Owed items due within {RISK_DAYS} days from a supplier under {ON_TIME_FLOOR:.0%} on time, "
    f"or carried {CARRY_FLOOR} times or more."
)

HELP = f"""\
# Reports

How departments serve each other, over a window of time (the last 24 weeks unless you change
it with `w`: `-4w`, `-3m`, `2026-10-01`). The same figures as `icm report`; every one is
defined in the README, "Reports: what every figure means".

- **1 Suppliers**: per department, what it owes today (open, overdue, escalated) and, for
  items first delivered in the window, the on-time rate, the median days to deliver, the reopen
  rate and the satisfaction its customers gave. The sparklines show satisfaction per 4-week
  period, oldest left (a period without ratings repeats the one before).
- **2 Customers**: requests each department raised and what became of them; the ratings it gave.
- **3 Wall**: the requester x supplier matrix. A cell reads `items/overdue ★satisfaction`; its
  colour is the pair's strain, from green (fine) to red (worst). The cursor starts on the worst pair.
- **4 Meetings**: per series, meetings held, mean overrun per item, decisions and actions per
  meeting, attendance.
- **5 At risk**: owed items due within {RISK_DAYS} days from a supplier under {ON_TIME_FLOOR:.0%} on time,
  or carried {CARRY_FLOOR} times or more, each with why.

`s` limits the report to one meeting series (empty: all), `g` computes it again.
"""


def pct(value: float | None) -> str:
    """0.857 -> `86%`."""
    return NONE if value is None else f"{value:.0%}"


def num(value: float | None) -> str:
    """One decimal, or `–`."""
    return NONE if value is None else f"{value:.1f}"


def rated(value: float | None, count: int) -> str:
    """`4.2 (5)`: a mean rating and how many ratings it is made of."""
    return NONE if value is None else f"{value:.1f} ({count})"


def plural(count: int, noun: str) -> str:
    """`1 item`, `2 items`."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


_GREEN, _AMBER, _RED = (46, 125, 50), (230, 160, 30), (198, 40, 40)


def heat(strain: float) -> Style:
    """The cell style of a pair: green (0, fine) through amber to red (1, worst)."""
    strain = min(max(strain, 0.0), 1.0)
    low, high, t = (_GREEN, _AMBER, strain * 2) if strain < 0.5 else (_AMBER, _RED, (strain - 0.5) * 2)
    rgb = tuple(round(a + (b - a) * t) for a, b in zip(low, high))
    return Style(bgcolor=Color.from_rgb(*rgb), color="white" if strain >= 0.6 or strain < 0.2 else "black")


def filled(values: tuple[float | None, ...]) -> list[float]:
    """A trend for a sparkline: a period without ratings repeats the one before (the first known fills the start)."""
    known = [v for v in values if v is not None]
    if not known:
        return []
    out, last = [], known[0]
    for value in values:
        last = value if value is not None else last
        out.append(last)
    return out


class TrendRow(Horizontal):
    """One department's satisfaction trend: its name, a sparkline, and the figures in words."""

    DEFAULT_CSS = """
    TrendRow { height: 1; }
    TrendRow > .trend-name { width: 18; }
    TrendRow > Sparkline { width: 30; margin: 0 2 0 0; }
    TrendRow > .trend-words { width: 1fr; color: $text-muted; }
    """

    def __init__(self, name: str, trend: tuple[float | None, ...], mean: float | None, count: int) -> None:
        super().__init__()
        self.dept_name = name
        self.trend = trend
        self.mean = mean
        self.count = count

    def compose(self) -> ComposeResult:
        yield Label(Text(self.dept_name, no_wrap=True, overflow="ellipsis"), classes="trend-name")
        data = filled(self.trend)
        spark = Sparkline(data, summary_function=max)
        spark.display = bool(data)
        yield spark
        if data:
            first = next(v for v in self.trend if v is not None)
            last = next(v for v in reversed(self.trend) if v is not None)
            words = f"{first:.1f} → {last:.1f}, mean {self.mean:.1f} from {plural(self.count, 'rating')}"
        else:
            words = "no ratings in the window"
        yield Label(Text(words), classes="trend-words")


class ReportsScreen(Screen):
    """The report of `icm report`, as tables, sparklines and a heat map."""

    TITLE = "Reports"
    HELP = HELP

    DEFAULT_CSS = """
    ReportsScreen {
        layout: vertical;
        #reports-bar { height: 1; padding: 0 1; background: $panel; color: $text-muted; }
        #reports-loading { height: 3; }
        #reports-tabs { height: 1fr; }
        DataTable { height: auto; max-height: 100%; }
        .guide { color: $text-muted; padding: 0 1; }
        #wall-worst { padding: 0 1; text-style: bold; }
        #suppliers-trends { height: auto; padding: 1 1 0 1; }
    }
    """

    BINDINGS = [
        Binding("escape", "back", "Back", id="reports.back"),
        Binding("w", "window", "Window", tooltip="Change the window (--since)", id="reports.window"),
        Binding("s", "series", "Series", tooltip="Limit to one meeting series", id="reports.series"),
        Binding("g", "reload", "Recompute", id="reports.reload"),
        Binding("1", "tab('suppliers')", "Suppliers", show=False, id="reports.tab.suppliers"),
        Binding("2", "tab('customers')", "Customers", show=False, id="reports.tab.customers"),
        Binding("3", "tab('wall')", "Wall", show=False, id="reports.tab.wall"),
        Binding("4", "tab('meetings')", "Meetings", show=False, id="reports.tab.meetings"),
        Binding("5", "tab('risk')", "At risk", show=False, id="reports.tab.risk"),
    ]

    def __init__(self, *, since: date | None = None, series: str = "", name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.since = since
        """Start of the window (None: the default 24 weeks)."""
        self.series = series
        """The series the report is limited to ('' for all)."""
        self.report: Report | None = None
        """The figures on screen."""
        self.worst: PairRow | None = None
        """The pair the wall is highest between (the cursor starts on it)."""
        self._computing = False
        self._again = False

    @property
    def icm(self) -> IcmApp:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text("Computing…"), id="reports-bar")
        yield LoadingIndicator(id="reports-loading")
        with TabbedContent(id="reports-tabs", initial="suppliers"):
            with TabPane("1 Suppliers", id="suppliers"):
                with VerticalScroll():
                    yield Static(Text(""), classes="guide", id="suppliers-guide")
                    yield DataTable(id="suppliers-table", cursor_type="row", zebra_stripes=True)
                    yield Label(Text("Satisfaction received, per 4-week period (oldest left)"), classes="section-title")
                    yield Vertical(id="suppliers-trends")
            with TabPane("2 Customers", id="customers"):
                with VerticalScroll():
                    yield Static(
                        Text("Requests raised in the window (and older ones still waiting), and the ratings each department gave."),
                        classes="guide",
                    )
                    yield DataTable(id="customers-table", cursor_type="row", zebra_stripes=True)
            with TabPane("3 Wall", id="wall"):
                with VerticalScroll():
                    yield Static(
                        Text("Rows ask, columns supply. A cell: items/overdue ★ mean satisfaction; colour: strain, green fine → red worst."),
                        classes="guide",
                    )
                    yield Static(Text(""), id="wall-worst")
                    yield DataTable(id="wall-table", cursor_type="cell")
            with TabPane("4 Meetings", id="meetings"):
                with VerticalScroll():
                    yield Static(
                        Text("Meetings ended in the window. Overrun: mean minutes over the timebox per timeboxed item."),
                        classes="guide",
                    )
                    yield DataTable(id="meetings-table", cursor_type="row", zebra_stripes=True)
            with TabPane("5 At risk", id="risk"):
                with VerticalScroll():
                    yield Static(Text(RISK_GUIDE), classes="guide", id="risk-guide")
                    yield DataTable(id="risk-table", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#suppliers-table", DataTable).add_columns(
            "Department", "Open", "Overdue", "Escalated", "Delivered", "On time", "Median days", "Reopened",
            "Satisfaction (n)",
        )
        self.query_one("#customers-table", DataTable).add_columns(
            "Department", "Raised", "Accepted", "Declined", "Merged", "Waiting", "Satisfaction given (n)"
        )
        self.query_one("#meetings-table", DataTable).add_columns(
            "Series", "Meetings", "Overrun (min)", "Items over", "Decisions/mtg", "Actions/mtg", "Attendance"
        )
        self.query_one("#risk-table", DataTable).add_columns("Ref", "Title", "Supplier", "Requester", "Due", "Why")
        self.compute()

    # ------------------------------------------------------------------ computing

    @property
    def computing(self) -> bool:
        """True while the figures are being computed."""
        return self._computing

    def compute(self) -> None:
        """Compute the report on the store thread; the loading indicator shows meanwhile."""
        if self._computing:
            self._again = True
            return
        self._computing = True
        self.query_one("#reports-loading").display = True
        app = self.icm
        store, org, since, series = app.store, app.org, self.since, self.series
        today = app.services.today()
        app.submit(lambda: report_from_store(store, org, today, since, series), self._computed, self._failed)

    def _computed(self, report: Report) -> None:
        self._computing = False
        self.query_one("#reports-loading").display = False
        self.show(report)
        if self._again:
            self._again = False
            self.compute()

    def _failed(self, error: Exception) -> None:
        self._computing = False
        self.query_one("#reports-loading").display = False
        self.query_one("#reports-bar", Static).update(Text(f"Could not compute the report: {error}"))
        self.icm.report_error(error)

    @on(StoreChanged)
    def store_changed(self, message: StoreChanged) -> None:
        """The register changed: compute again."""
        self.compute()

    # ------------------------------------------------------------------ showing

    def show(self, report: Report) -> None:
        """Fill every tab with `report`."""
        self.report = report
        days = (report.today - report.since).days + 1
        scope = f" · series {report.series}" if report.series else ""
        bar = (
            f"{report.organization or 'Report'} · {report.since:%Y-%m-%d} to {report.today:%Y-%m-%d} "
            f"({days} days){scope} · w: window · s: series · 1-5: tabs"
        )
        self.query_one("#reports-bar", Static).update(Text(bar))
        self._show_suppliers(report)
        self._show_customers(report)
        self._show_wall(report)
        self._show_meetings(report)
        self._show_risk(report)

    def _show_suppliers(self, report: Report) -> None:
        self.query_one("#suppliers-guide", Static).update(
            Text(
                f"Open, overdue and escalated: today. The rest: items first delivered from {report.since:%Y-%m-%d}. "
                "On time: delivered by the due date (or the service target)."
            )
        )
        table = self.query_one("#suppliers-table", DataTable)
        table.clear()
        for row in (*report.suppliers, report.overall):
            late = Style(color="red", bold=True) if row.overdue else Style()
            on_time = pct(row.on_time_rate) + (f" ({row.on_time}/{row.with_due})" if row.with_due else "")
            low = row.on_time_rate is not None and row.on_time_rate < ON_TIME_FLOOR
            table.add_row(
                Text(row.name, style="bold" if row is report.overall else ""),
                Text(str(row.open), justify="right"),
                Text(str(row.overdue), style=late, justify="right"),
                Text(str(row.escalated), justify="right"),
                Text(str(row.delivered), justify="right"),
                Text(on_time, style="red" if low else "", justify="right"),
                Text(num(row.median_days), justify="right"),
                Text(pct(row.reopen_rate), justify="right"),
                Text(rated(row.satisfaction, row.ratings), justify="right"),
                key=row.department or "*",
            )
        trends = self.query_one("#suppliers-trends", Vertical)
        trends.remove_children()
        trends.mount_all(TrendRow(row.name, row.trend, row.satisfaction, row.ratings) for row in report.suppliers)

    def _show_customers(self, report: Report) -> None:
        table = self.query_one("#customers-table", DataTable)
        table.clear()
        for row in report.customers:
            table.add_row(
                Text(row.name),
                *(Text(str(n), justify="right") for n in (row.raised, row.accepted, row.declined, row.merged)),
                Text(str(row.waiting), style="bold yellow" if row.waiting else "", justify="right"),
                Text(rated(row.satisfaction_given, row.ratings_given), justify="right"),
                key=row.department,
            )

    def _show_wall(self, report: Report) -> None:
        table = self.query_one("#wall-table", DataTable)
        table.clear(columns=True)
        pairs = {(p.requester, p.supplier): p for p in report.pairs}
        names = {row.department: row.name for row in report.suppliers}
        for p in report.pairs:
            names.setdefault(p.requester, p.requester_name)
            names.setdefault(p.supplier, p.supplier_name)
        order = list(names)
        requesters = [d for d in order if any(key[0] == d for key in pairs)]
        suppliers = [d for d in order if any(key[1] == d for key in pairs)]
        self.worst = report.worst_pair()
        worst_label = self.query_one("#wall-worst", Static)
        if not pairs:
            worst_label.update(Text("No items or ratings between departments in this window."))
            return
        table.add_column(Text("asks ↓ / supplies →"), key="requester")
        for dept in suppliers:
            table.add_column(Text(names[dept]), key=dept)
        for req in requesters:
            cells: list[Text] = [Text(names[req], style="bold")]
            for sup in suppliers:
                pair = pairs.get((req, sup))
                cells.append(self._cell(pair))
            table.add_row(*cells, key=req)
        if self.worst is not None:
            w = self.worst
            worst_label.update(
                Text(
                    f"Highest wall: {w.requester_name} → {w.supplier_name} (strain {w.strain:.2f}): "
                    f"{plural(w.items, 'item')}, {w.overdue} overdue, satisfaction {rated(w.satisfaction, w.ratings)}",
                    style="bold",
                )
            )
            table.move_cursor(row=requesters.index(w.requester), column=suppliers.index(w.supplier) + 1)
        else:
            worst_label.update(Text("No pair shows strain: nothing overdue, no poor ratings."))

    def _cell(self, pair: PairRow | None) -> Text:
        if pair is None:
            return Text("·", style="dim", justify="center")
        score = f" ★{pair.satisfaction:.1f}" if pair.satisfaction is not None else ""
        marker = " ▲" if pair is self.worst else ""
        return Text(f"{pair.items}/{pair.overdue}{score}{marker}", style=heat(pair.strain), justify="center")

    def _show_meetings(self, report: Report) -> None:
        table = self.query_one("#meetings-table", DataTable)
        table.clear()
        for m in report.meetings:
            table.add_row(
                Text(f"{m.title} ({m.series})"),
                Text(str(m.meetings), justify="right"),
                Text(num(m.mean_overrun), style="yellow" if (m.mean_overrun or 0) >= 1 else "", justify="right"),
                Text(f"{m.overrun_items}/{m.timeboxed_items}", justify="right"),
                Text(num(m.decisions_per_meeting), justify="right"),
                Text(num(m.actions_per_meeting), justify="right"),
                Text(pct(m.attendance_rate), justify="right"),
                key=m.series,
            )

    def _show_risk(self, report: Report) -> None:
        table = self.query_one("#risk-table", DataTable)
        table.clear()
        org = self.icm.org
        shown = report.at_risk[:RISK_SHOWN]  # a DataTable measures every cell: keep it to what a person reads
        more = len(report.at_risk) - len(shown)
        note = f" Showing the first {len(shown)} of {len(report.at_risk)} by due date (icm report --format json lists all)."
        self.query_one("#risk-guide", Static).update(Text(RISK_GUIDE + (note if more > 0 else "")))
        for r in shown:
            table.add_row(
                Text(r.ref),
                Text(r.title, no_wrap=True, overflow="ellipsis"),
                Text(org.department_name(r.supplier)),
                Text(org.department_name(r.requester)),
                Text(r.due.isoformat() if r.due else NONE),
                Text("; ".join(r.reasons), style="yellow"),
                key=r.ref,
            )

    # ------------------------------------------------------------------ commands

    def action_tab(self, tab: str) -> None:
        """Show one part of the report."""
        self.query_one(TabbedContent).active = tab
        table = self.query_one(f"#{tab}-table", DataTable)
        table.focus()

    def action_window(self) -> None:
        """Ask for the start of the window: `-4w`, `-3m`, `2026-10-01`; empty for the default 24 weeks."""
        today = self.icm.services.today()

        def check(text: str) -> str | None:
            try:
                parse_since(text, today)
            except BadInput as error:
                return str(error)
            return None

        def got(text: str | None) -> None:
            if text is None:
                return
            self.since = parse_since(text, today) if text else None
            self.compute()

        self.app.push_screen(
            PromptDialog(
                "Report from which date?", placeholder="-4w, -3m, 2026-10-01", required=False,
                value=self.since.isoformat() if self.since else "",
                hint="Empty: the last 24 weeks. Today's counts (open, overdue, at risk) do not depend on it.",
                suggestions=["-4w", "-12w", "-3m", "-6m", "-12m"], check=check,
            ),
            got,
        )

    def action_series(self) -> None:
        """Limit the report to one meeting series (empty: every series)."""
        suggestions = sorted({m.series for m in self.report.meetings}) if self.report else []

        def got(text: str | None) -> None:
            if text is None:
                return
            self.series = text.strip()
            self.compute()

        self.app.push_screen(
            PromptDialog(
                "Which meeting series?", placeholder="weekly-coordination", required=False, value=self.series,
                hint="Empty: every series.", suggestions=suggestions,
            ),
            got,
        )

    def action_reload(self) -> None:
        """Compute the figures again."""
        self.compute()

    def action_back(self) -> None:
        """Back to the previous screen."""
        self.app.pop_screen()
