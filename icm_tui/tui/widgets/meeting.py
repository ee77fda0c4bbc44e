"""What the meeting runner's parts share: the message they send and how they show people and time."""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from textual.message import Message

from icm_tui.domain.models import Meeting
from icm_tui.domain.org import Org


@dataclass
class MeetingUpdated(Message):
    """A panel changed the meeting in the store; this is the meeting as saved."""

    meeting: Meeting


def clock_text(seconds: float) -> str:
    """`03:07`, or `1:02:05` past an hour."""
    total = max(int(seconds), 0)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes:02}:{secs:02}"


def attending_departments(meeting: Meeting, org: Org) -> list[str]:
    """The departments present (a person attendee counts for their department), in order."""
    depts: list[str] = []
    for who in meeting.attendees:
        person = org.person(who)
        dept = person.department if person and not org.department(who) else who
        if dept and dept not in depts:
            depts.append(dept)
    return depts


def short_name(org: Org, dept: str) -> str:
    """A department's display name."""
    return org.department_name(dept) if dept else "—"


def fit(text: str, width: int) -> str:
    """`text` cut to `width` terminal cells with an ellipsis (wide CJK characters count double)."""
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, max(width - 1, 1)).rstrip() + "…"
