"""An agenda: one meeting series described in YAML (DESIGN.md §5)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import msgspec


class Cadence(StrEnum):
    """How often the series meets."""

    ONCE = "once"
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"


class ItemKind(StrEnum):
    """What an agenda item is for; the meeting runner shows each kind differently."""

    REVIEW = "review"
    TRIAGE = "triage"
    DISCUSSION = "discussion"
    DECISION = "decision"
    INFO = "info"
    PULSE = "pulse"


class AgendaItem(msgspec.Struct, frozen=True, kw_only=True):
    """One timeboxed item of an agenda."""

    title: str
    kind: ItemKind = ItemKind.DISCUSSION
    timebox: int = 0
    """Minutes."""
    requester: str = ""
    supplier: str = ""
    presenter: str = ""
    prompt: str = ""


class Agenda(msgspec.Struct, frozen=True, kw_only=True):
    """A meeting series: who meets, how often, and the items they go through."""

    version: int = 1
    series: str
    title: str
    cadence: Cadence = Cadence.ONCE
    facilitator: str = ""
    duration: int | None = None
    """Minutes; None means the sum of the timeboxes."""
    attendees: tuple[str, ...] = ()
    items: tuple[AgendaItem, ...] = ()
    path: str = ""
    """The file it was loaded from (empty for agendas built in code)."""

    @property
    def total_timebox(self) -> int:
        """Sum of the item timeboxes, in minutes."""
        return sum(item.timebox for item in self.items)

    @property
    def planned_minutes(self) -> int:
        """The planned length: `duration`, or the sum of the timeboxes."""
        return self.duration if self.duration is not None else self.total_timebox

    @property
    def name(self) -> str:
        """The file's stem, as users type it (`icm run weekly`)."""
        return Path(self.path).stem if self.path else self.series
