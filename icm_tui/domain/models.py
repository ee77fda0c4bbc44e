"""The stored records: action items with their history, meetings, requests, pulses.

Every record has a stable `uid` (a ULID-like sortable string) and a short human `ref`
(`A-42`, `M-12`, `R-7`, `P-3`). Records are immutable msgspec Structs: a change makes a new
record with `msgspec.structs.replace`, and history is only ever appended to.
"""

from __future__ import annotations

import os
import time
from datetime import date, datetime
from enum import StrEnum

import msgspec


def new_uid() -> str:
    """A time-sortable unique id: 48 bits of milliseconds and 80 random bits, Crockford base32."""
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        value, rem = divmod(value, 32)
        chars.append(alphabet[rem])
    return "".join(reversed(chars))


class Status(StrEnum):
    """Where an action item stands in its lifecycle (DESIGN.md §3)."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    BLOCKED = "blocked"
    DONE = "done"
    CLOSED = "closed"
    DROPPED = "dropped"


class Priority(StrEnum):
    """How urgent an action item is."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class EventKind(StrEnum):
    """What happened to an action item."""

    CREATED = "created"
    NOTE = "note"
    STATUS = "status"
    """A lifecycle transition: `old` -> `new`, with the reason in `note`."""
    DUE_CHANGED = "due_changed"
    REASSIGNED = "reassigned"
    EDITED = "edited"
    REVIEWED = "reviewed"
    """Reviewed in a meeting; `carried` says whether it was still not done."""
    CONFIRMED = "confirmed"
    REOPENED = "reopened"


class Event(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """One entry of an action item's append-only history."""

    at: datetime
    kind: EventKind
    by: str = ""
    """Who did it: a person id, or the login of whoever ran the command."""
    meeting: str = ""
    """The ref of the meeting it happened in, if any."""
    old: str = ""
    new: str = ""
    note: str = ""
    score: int | None = None


class ActionSummary(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """An action item without its history: what lists, filters and tables need (cheaper to read)."""

    uid: str
    ref: str
    title: str
    owner: str
    supplier: str = ""
    """The department that delivers (normally the owner's)."""
    requester: str = ""
    """The internal customer department that needs it."""
    due: date | None = None
    priority: Priority = Priority.NORMAL
    service: str = ""
    status: Status = Status.OPEN
    carry: int = 0
    """How many meeting reviews found it still not done."""
    reopened: int = 0
    score: int | None = None
    """The requester's 1-5 rating when it was confirmed."""
    created: datetime
    updated: datetime
    done_at: datetime | None = None
    """When it was last marked done (delivery time, for on-time rates)."""
    closed_at: datetime | None = None
    series: str = ""
    meeting: str = ""
    """Ref of the meeting it was captured in."""
    item: str = ""
    """Title of the agenda item it was captured under."""
    request: str = ""
    """Ref of the request it came from."""


class ActionItem(ActionSummary, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """A commitment: who delivers what to which internal customer, by when, and all that happened to it."""

    history: tuple[Event, ...] = ()


class RequestStatus(StrEnum):
    """Where a request between meetings stands."""

    NEW = "new"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    MERGED = "merged"


class RequestEvent(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """One entry of a request's history."""

    at: datetime
    kind: str
    by: str = ""
    meeting: str = ""
    note: str = ""
    action: str = ""


class Request(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """A need raised by a department between meetings: the internal service desk inbox."""

    uid: str
    ref: str
    title: str
    requester: str
    """The department asking (`--from`)."""
    supplier: str
    """The department asked to serve (`--to`)."""
    service: str = ""
    details: str = ""
    status: RequestStatus = RequestStatus.NEW
    action: str = ""
    """Ref of the action item it became or was merged into."""
    reason: str = ""
    created: datetime
    updated: datetime
    history: tuple[RequestEvent, ...] = ()


class Pulse(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """A 1-5 satisfaction rating one department gives another."""

    uid: str
    ref: str
    at: datetime
    rater: str = msgspec.field(name="from")
    """The department giving the rating (the internal customer)."""
    about: str
    """The department rated (the supplier)."""
    score: int
    comment: str = ""
    meeting: str = ""
    action: str = ""
    """Set when the rating came with confirming an action item."""


class MeetingState(StrEnum):
    """Whether a meeting is still running."""

    RUNNING = "running"
    ENDED = "ended"


class MeetingItem(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """One agenda item as it went in a meeting."""

    title: str
    kind: str = "discussion"
    timebox: int = 0
    spent: float = 0.0
    """Seconds spent on it so far."""
    notes: str = ""
    decisions: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    """Refs of the action items captured under it."""
    requester: str = ""
    supplier: str = ""
    presenter: str = ""
    prompt: str = ""


class ReviewOutcome(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """What a review step did to one action item."""

    ref: str
    old: str = msgspec.field(name="from")
    new: str = msgspec.field(name="to")
    score: int | None = None
    note: str = ""
    carried: bool = False


class Meeting(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """One run of an agenda, saved continuously while it runs."""

    uid: str
    ref: str
    series: str
    title: str
    agenda: str = ""
    """Path of the agenda file, relative to the workspace."""
    facilitator: str = ""
    started: datetime
    ended: datetime | None = None
    state: MeetingState = MeetingState.RUNNING
    attendees: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    items: tuple[MeetingItem, ...] = ()
    duration: int | None = None
    """Planned minutes (the agenda's `duration`); None means the sum of the timeboxes."""
    current: int = 0
    """Index of the item being discussed."""
    reviewed: tuple[ReviewOutcome, ...] = ()
    pulses: tuple[str, ...] = ()
    """Refs of the pulses given in this meeting."""

    @property
    def planned_minutes(self) -> int:
        """How long the meeting was planned to take."""
        return self.duration if self.duration is not None else sum(item.timebox for item in self.items)
