"""Printing records for people (aligned tables, any script) and for machines (json, yaml, csv).

Machine formats print the data and nothing else on stdout.
"""

from __future__ import annotations

import csv
import io
import shutil
import sys
import unicodedata
from collections.abc import Sequence
from datetime import date

import msgspec

from icm_tui.domain.lifecycle import awaiting_confirmation, due_label, is_escalated, is_overdue
from icm_tui.domain.models import ActionItem
from icm_tui.domain.org import Org

FORMATS = ("table", "json", "yaml", "csv")

ACTION_FIELDS = (
    "ref", "uid", "title", "owner", "supplier", "requester", "due", "priority", "service",
    "status", "carry", "reopened", "score", "series", "meeting", "request", "created", "updated",
)
"""The columns of every machine format, in this order."""


_CONTROL = {
    code: "\ufffd" for code in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)] if chr(code) not in "\t\n\r"
}
"""Control characters (ESC, BEL, NUL, C1...) other than tab and line breaks, to a visible replacement mark."""


def printable(text: str) -> str:
    """User text safe to print on a terminal: no escape sequence in a title can recolour or clear the screen."""
    return text if text.isprintable() else text.translate(_CONTROL)


def width(text: str) -> int:
    """Columns `text` takes in a terminal (CJK characters take two)."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 0 if unicodedata.combining(ch) else 1 for ch in text)


def fit(text: str, columns: int) -> str:
    """`text` cut to `columns` (with an ellipsis) and padded to exactly `columns`."""
    text = " ".join(printable(text).split())
    used = width(text)
    if used > columns:
        out, used = [], 0
        for ch in text:
            w = width(ch)
            if used + w > columns - 1:
                break
            out.append(ch)
            used += w
        text = "".join(out) + "…"
        used += 1
    return text + " " * (columns - used)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], flex: int = -1) -> str:
    """An aligned plain-text table; column `flex` shrinks to fit the terminal."""
    if not rows:
        return ""
    widths = [max(width(str(cell)) for cell in column) for column in zip(headers, *rows)]
    total = shutil.get_terminal_size((120, 24)).columns
    spare = total - (sum(widths) + 2 * (len(widths) - 1))
    if spare < 0 and flex is not None:
        widths[flex] = max(12, widths[flex] + spare)
    lines = ["  ".join(fit(h, w) for h, w in zip(headers, widths)).rstrip()]
    lines += ["  ".join(fit(str(c), w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)


def action_row(item: ActionItem) -> dict:
    """One action item as plain data with fixed keys (dates as ISO strings)."""
    return msgspec.to_builtins({key: getattr(item, key) for key in ACTION_FIELDS})


def action_flags(item: ActionItem, today: date, org: Org) -> str:
    """Markers that stand out: ! overdue, ^ escalated, ? awaiting confirmation."""
    flags = ""
    if is_overdue(item, today):
        flags += "!"
    if is_escalated(item, today, org.thresholds):
        flags += "^"
    if awaiting_confirmation(item):
        flags += "?"
    return flags


def print_actions(items: Sequence[ActionItem], fmt: str, today: date, org: Org, out=None) -> None:
    """Print action items in `fmt` (table, json, yaml, csv)."""
    out = out or sys.stdout
    if fmt == "table":
        rows = [
            (
                item.ref, item.status.value.replace("_", " "), action_flags(item, today, org),
                due_label(item, today), item.owner, f"{item.supplier or '-'} -> {item.requester or '-'}",
                str(item.carry), item.title,
            )
            for item in items
        ]
        text = table(("REF", "STATUS", "!", "DUE", "OWNER", "SUPPLIER -> FOR", "CARRY", "TITLE"), rows)
        out.write((text + "\n") if text else "no action items match\n")
        if rows:
            out.write(f"{len(rows)} item{'s' if len(rows) != 1 else ''}   ! overdue  ^ escalated  ? awaiting confirmation\n")
        return
    write_records([action_row(item) for item in items], fmt, ACTION_FIELDS, out)


def write_records(records: list[dict], fmt: str, fields: Sequence[str], out=None) -> None:
    """Write plain records as json, yaml or csv (UTF-8, header row)."""
    out = out or sys.stdout
    if fmt == "json":
        out.write(msgspec.json.format(msgspec.json.encode(records), indent=2).decode() + "\n")
    elif fmt == "yaml":
        import yaml

        dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
        out.write(yaml.dump(records, Dumper=dumper, allow_unicode=True, sort_keys=False, default_flow_style=False))
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(fields), extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for record in records:
            writer.writerow({k: "" if v is None else v for k, v in record.items()})
        out.write(buffer.getvalue())
    else:
        raise ValueError(fmt)
