"""Action items as an iCalendar file (RFC 5545): one VTODO each, for calendar and task apps.

Written by hand rather than with the `icalendar` package (which stays a test-only dependency that
checks this output): the subset needed is small, and exporting 50,000 items stays fast.
Lines end in CRLF and are folded at 75 octets without ever splitting a UTF-8 character.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from icm_tui import __version__
from icm_tui.domain.models import ActionItem, Priority, Status
from icm_tui.export.actions import Names

if TYPE_CHECKING:
    from icm_tui.services import Services

LINE_OCTETS = 75
PRODID = f"-//icm-tui//icm-tui {__version__}//EN"

STATUS = {
    Status.OPEN: "NEEDS-ACTION",
    Status.IN_PROGRESS: "IN-PROCESS",
    Status.BLOCKED: "IN-PROCESS",
    Status.DONE: "COMPLETED",
    Status.CLOSED: "COMPLETED",
    Status.DROPPED: "CANCELLED",
}
"""Our lifecycle in VTODO terms (done awaits confirmation, but the owner's work is complete)."""

PRIORITY = {Priority.URGENT: 1, Priority.HIGH: 3, Priority.NORMAL: 5, Priority.LOW: 9}
"""RFC 5545 §3.8.1.9: 1 is the highest, 9 the lowest."""

# Controls other than tab are not allowed in TEXT values (RFC 5545 §3.3.11).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_NEWLINE = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")


def escape_text(text: str) -> str:
    r"""A TEXT value: `\`, `;`, `,` and line breaks escaped, other control characters dropped."""
    text = _NEWLINE.sub("\n", text)
    text = _CONTROL.sub("", text)
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """A content line folded into CRLF-joined pieces of at most 75 octets, whole UTF-8 characters only."""
    data = line.encode("utf-8")
    if len(data) <= LINE_OCTETS:
        return line
    pieces: list[bytes] = []
    start = 0
    limit = LINE_OCTETS
    while len(data) - start > limit:
        end = start + limit
        while data[end] & 0xC0 == 0x80:  # never cut before a UTF-8 continuation byte
            end -= 1
        pieces.append(data[start:end])
        start = end
        limit = LINE_OCTETS - 1  # a continuation line begins with one space
    pieces.append(data[start:])
    return b"\r\n ".join(pieces).decode("utf-8")


def utc_stamp(moment: datetime) -> str:
    """`20261130T020000Z`: a DATE-TIME in UTC."""
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _description(item: ActionItem, names: Names) -> str:
    lines = [f"{item.ref}: {item.title}", f"Owner: {names.person(item.owner)} ({item.owner})"]
    if item.supplier:
        lines.append(f"Supplier: {names.department(item.supplier)} ({item.supplier})")
    if item.requester:
        lines.append(f"Requester: {names.department(item.requester)} ({item.requester})")
    lines.append(f"Status: {item.status.value.replace('_', ' ')}, priority {item.priority.value}")
    if item.service:
        lines.append(f"Service: {item.service}")
    if item.meeting:
        lines.append(f"Captured in {item.meeting}" + (f" ({item.series})" if item.series else ""))
    notes = [e.note for e in item.history if e.note]
    if notes:
        lines.append(f"Last note: {notes[-1]}")
    return "\n".join(lines)


def _categories(item: ActionItem, names: Names) -> str:
    values = ["icm"]
    for value in (names.department(item.supplier) if item.supplier else "",
                  names.department(item.requester) if item.requester else "", item.series):
        if value and value not in values:
            values.append(value)
    return ",".join(escape_text(v) for v in values)


def vtodo(item: ActionItem, names: Names, stamp: str) -> Iterable[str]:
    """The unfolded content lines of one VTODO."""
    yield "BEGIN:VTODO"
    yield f"UID:{escape_text(item.uid)}@icm-tui"
    yield f"DTSTAMP:{stamp}"
    yield f"CREATED:{utc_stamp(item.created)}"
    yield f"LAST-MODIFIED:{utc_stamp(item.updated)}"
    yield f"SUMMARY:{escape_text(f'{item.ref} {item.title}')}"
    yield f"DESCRIPTION:{escape_text(_description(item, names))}"
    if item.due is not None:
        yield f"DUE;VALUE=DATE:{item.due:%Y%m%d}"
    yield f"STATUS:{STATUS[item.status]}"
    yield f"PRIORITY:{PRIORITY[item.priority]}"
    yield f"CATEGORIES:{_categories(item, names)}"
    if item.status in (Status.DONE, Status.CLOSED) and (item.done_at or item.closed_at):
        yield f"COMPLETED:{utc_stamp(item.done_at or item.closed_at)}"  # type: ignore[arg-type]
        yield "PERCENT-COMPLETE:100"
    yield "END:VTODO"


def actions_ics(services: Services, items: Sequence[ActionItem]) -> bytes:
    """A VCALENDAR with one VTODO per item, CRLF line ends, folded lines."""
    names = Names(services.org)
    stamp = utc_stamp(services.now())
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
    for item in items:
        lines.extend(vtodo(item, names, stamp))
    lines.append("END:VCALENDAR")
    return ("\r\n".join(fold(line) for line in lines) + "\r\n").encode("utf-8")
