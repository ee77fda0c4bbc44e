"""`icm report`: the department walls, as a terminal table, a Markdown page or JSON.

Every figure is defined in README.md ("Reports: what every figure means"); the Markdown page carries a short reading guide so
a department lead can read it without the tool.
"""

from __future__ import annotations

import gc
import unicodedata
from collections.abc import Callable, Sequence

import click

from icm_tui.cli import Context, pass_context
from icm_tui.domain.dates import parse_date
from icm_tui.domain.reports import (
    CARRY_FLOOR,
    ON_TIME_FLOOR,
    RISK_DAYS,
    Report,
    SupplierRow,
    parse_since,
    report_from_store,
)
from icm_tui.errors import BadInput

SPARK = "▁▂▃▄▅▆▇█"
NONE = "–"


@click.command()
@click.option(
    "--since",
    metavar="DATE",
    help="Start of the window: YYYY-MM-DD, -30d, -4w, -3m, or any date form (default: the last 24 weeks).",
)
@click.option("--series", metavar="S", default="", help="Only this meeting series (its items, meetings and ratings).")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "md", "json"]), default="table", show_default=True,
    help="table for the terminal, md for a page to share, json for machines.",
)
@click.option("--today", "today_text", metavar="DATE", hidden=True, help="Compute as if today were DATE (tests).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write to FILE instead of stdout.")
@pass_context
def report(
    context: Context, since: str | None, series: str, fmt: str, today_text: str | None, output: str | None
) -> None:
    """Who serves whom how well: suppliers, customers, the department wall, meetings, items at risk."""
    # A one-shot command that decodes a whole register into ~10^6 small objects: the cyclic GC
    # would rescan them again and again (a third of the time at 50,000 items) and finds no cycles.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        services = context.services()
        today = parse_date(today_text, services.today()) if today_text else services.today()
        start = parse_since(since, today) if since else None
        result = report_from_store(context.store, context.org, today, start, series.strip())
        text = {"table": render_table, "md": render_markdown, "json": render_json}[fmt](result)
    finally:
        if was_enabled:
            gc.freeze()  # else the first collection after enable() scans every object made above
            gc.enable()
    if output:
        try:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as error:
            raise BadInput(f"cannot write {output}: {error.strerror or error}") from None
    else:
        click.echo(text, nl=False)


# --------------------------------------------------------------------- figures


def pct(value: float | None) -> str:
    """0.857 -> `86%`; None -> `–`."""
    return NONE if value is None else f"{value:.0%}"


def num(value: float | None, digits: int = 1) -> str:
    """A figure with `digits` decimals; None -> `–`."""
    return NONE if value is None else f"{value:.{digits}f}"


def score(value: float | None, count: int) -> str:
    """A mean rating with how many ratings it is made of: `4.2 (5)`."""
    return NONE if value is None else f"{value:.1f} ({count})"


def sparkline(values: Sequence[float | None]) -> str:
    """A 1-5 rating trend as block characters on a fixed scale (`·` for a period without ratings)."""
    marks = []
    for value in values:
        if value is None:
            marks.append("·")
        else:
            level = round((min(max(value, 1.0), 5.0) - 1.0) / 4.0 * (len(SPARK) - 1))
            marks.append(SPARK[level])
    return "".join(marks)


def _supplier_cells(row: SupplierRow, name: str) -> list[str]:
    return [
        name, str(row.open), str(row.overdue), str(row.escalated), str(row.delivered),
        f"{pct(row.on_time_rate)}" + (f" ({row.on_time}/{row.with_due})" if row.with_due else ""),
        num(row.median_days), pct(row.reopen_rate) + (f" ({row.reopened}/{row.delivered})" if row.delivered else ""),
        score(row.satisfaction, row.ratings), sparkline(row.trend),
    ]


RISK_SHOWN = 50
"""Text formats list this many items at risk (JSON lists them all)."""


def _sections(
    report: Report, name: Callable[[str], str], title: Callable[[str], str]
) -> list[tuple[str, str, list[str], list[list[str]]]]:
    """(heading, guide, header, rows) for every part of the report, shared by table and Markdown."""
    names = {row.department: row.name for row in report.suppliers}
    suppliers = [_supplier_cells(row, name(row.name)) for row in report.suppliers]
    suppliers.append(_supplier_cells(report.overall, name("All departments")))
    customers = [
        [name(r.name), str(r.raised), str(r.accepted), str(r.declined), str(r.merged), str(r.waiting),
         score(r.satisfaction_given, r.ratings_given)]
        for r in report.customers
    ]
    pairs = [
        [name(p.requester_name), name(p.supplier_name), str(p.items), str(p.open), str(p.overdue),
         score(p.satisfaction, p.ratings), f"{p.strain:.2f}"]
        for p in report.pairs
    ]
    meetings = [
        [name(m.title), name(m.series), str(m.meetings), num(m.mean_overrun),
         f"{m.overrun_items}/{m.timeboxed_items}", num(m.decisions_per_meeting), num(m.actions_per_meeting),
         pct(m.attendance_rate)]
        for m in report.meetings
    ]
    risk = [
        [r.ref, title(r.title), name(names.get(r.supplier, r.supplier) or NONE),
         name(names.get(r.requester, r.requester) or NONE), r.due.isoformat() if r.due else NONE,
         title("; ".join(r.reasons))]
        for r in report.at_risk[:RISK_SHOWN]
    ]
    more = len(report.at_risk) - RISK_SHOWN
    if more > 0:
        risk.append(["…", f"and {more} more (see --format json)", "", "", "", ""])
    first = report.periods[0].isoformat() if report.periods else ""
    return [
        (
            "Departments as suppliers",
            "Open, overdue and escalated are today's counts; the other figures cover items first "
            f"delivered in the window. Trend: mean rating per {report.period_days // 7}-week period "
            f"from {first}, oldest left, on a 1 (▁) to 5 (█) scale; · means no rating that period.",
            ["Department", "Open", "Overdue", "Escalated", "Delivered", "On time", "Median days", "Reopened",
             "Satisfaction (n)", "Trend"],
            suppliers,
        ),
        (
            "Departments as internal customers",
            "Requests raised in the window (and any older still waiting), by what became of them, "
            "and the mean rating each department gave its suppliers.",
            ["Department", "Raised", "Accepted", "Declined", "Merged", "Waiting", "Satisfaction given (n)"],
            customers,
        ),
        (
            "The department wall: requester x supplier",
            "Each pair of departments, worst first. Strain runs from 0 (fine) to 1 (worst): the mean of the "
            "overdue share and (5 - satisfaction) / 4.",
            ["Requester", "Supplier", "Items", "Open", "Overdue", "Satisfaction (n)", "Strain"],
            pairs,
        ),
        (
            "Meeting health",
            "Meetings ended in the window, per series. Overrun: mean minutes over the timebox per timeboxed item.",
            ["Series", "Id", "Meetings", "Overrun (min)", "Items over", "Decisions/mtg", "Actions/mtg", "Attendance"],
            meetings,
        ),
        (
            "Items at risk",
            f"Owed items due within {RISK_DAYS} days from a supplier delivering under {ON_TIME_FLOOR:.0%} on "
            f"time, or carried {CARRY_FLOOR} times or more.",
            ["Ref", "Title", "Supplier", "Requester", "Due", "Why"],
            risk,
        ),
    ]


def _heading(report: Report) -> tuple[str, str]:
    org = report.organization or "Internal service report"
    scope = f", series {report.series}" if report.series else ""
    days = (report.today - report.since).days + 1
    window = f"{report.since.isoformat()} to {report.today.isoformat()} ({days} days{scope})"
    return org, window


# ----------------------------------------------------------------------- table


def width(text: str) -> int:
    """Terminal columns `text` takes (wide East Asian characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 0 if unicodedata.combining(ch) else 1 for ch in text)


def _pad(text: str, size: int, right: bool) -> str:
    gap = " " * max(0, size - width(text))
    return gap + text if right else text + gap


def format_table(header: list[str], rows: list[list[str]]) -> str:
    """Columns aligned for a terminal; numbers to the right."""
    widths = [max([width(h)] + [width(r[i]) for r in rows]) for i, h in enumerate(header)]
    numeric = [all(_numeric(r[i]) for r in rows) and bool(rows) for i in range(len(header))]
    lines = ["  ".join(_pad(h, w, n) for h, w, n in zip(header, widths, numeric)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(_pad(c, w, n) for c, w, n in zip(row, widths, numeric)).rstrip())
    return "\n".join(lines)


def _numeric(cell: str) -> bool:
    head = cell.split(" ", 1)[0].rstrip("%")
    return head == NONE or head.replace(".", "", 1).replace("/", "", 1).isdigit()


def _flat(text: str) -> str:
    from icm_tui.cli_output import printable

    return " ".join(printable(text).split())


def render_table(report: Report) -> str:
    """The report for a terminal: one aligned table per section."""
    org, window = _heading(report)
    out = [f"{org}: internal service report, {window}", ""]
    for heading, guide, header, rows in _sections(report, _flat, _flat):
        out.append(heading)
        if rows:
            out.append(format_table(header, rows))
        else:
            out.append("(nothing in this window)")
        out.append("")
    return "\n".join(out)


# -------------------------------------------------------------------- markdown

_MD_SPECIAL = str.maketrans({ch: "\\" + ch for ch in "\\`*_[]<>|#"})


def md_text(text: str) -> str:
    """User text made literal inside a Markdown table cell."""
    return _flat(text).translate(_MD_SPECIAL)


def render_markdown(report: Report) -> str:
    """The report as a Markdown page a department lead can read without the tool."""
    org, window = _heading(report)
    out = [
        f"# {md_text(org)}: internal service report",
        "",
        f"Window: {window}. Figures marked \"today\" count what stands on {report.today.isoformat()}; "
        "the others count what happened in the window. Ratings are 1 (poor) to 5 (excellent), "
        "from pulses and from requesters confirming delivered items.",
        "",
    ]
    for heading, guide, header, rows in _sections(report, md_text, md_text):
        out += [f"## {heading}", "", guide, ""]
        if not rows:
            out += ["Nothing in this window.", ""]
            continue
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "|".join("---:" if _numeric_col(rows, i) else "---" for i in range(len(header))) + "|")
        out += ["| " + " | ".join(row) + " |" for row in rows]
        out.append("")
    worst = report.worst_pair()
    if worst is not None:
        out += [
            "## Where the wall is highest",
            "",
            f"{md_text(worst.requester_name)} asking {md_text(worst.supplier_name)} (strain {worst.strain:.2f}): "
            f"{_count(worst.items, 'item')}, {worst.overdue} overdue, "
            f"satisfaction {score(worst.satisfaction, worst.ratings)}.",
            "",
        ]
    out += ["Every figure is defined in the icm-tui README, section \"Reports: what every figure means\".", ""]
    return "\n".join(out)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _numeric_col(rows: list[list[str]], index: int) -> bool:
    return all(_numeric(row[index]) for row in rows)


# ------------------------------------------------------------------------ json


def render_json(report: Report) -> str:
    """The report as JSON (dates ISO, rates 0-1, missing figures null)."""
    import msgspec

    return msgspec.json.format(msgspec.json.encode(report), indent=2).decode() + "\n"
