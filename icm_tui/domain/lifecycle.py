"""The action item lifecycle (DESIGN.md §3): the one place that says which transition is allowed.

```
open ──► in_progress ──► done ──► closed        (requester confirmed, score 1-5)
  │          │  ▲          │
  │          ▼  │          └──► open            (requester reopened: reason, reopen count +1)
  │        blocked (reason)
  └──────────────────────────► dropped          (with a reason)
```
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from icm_tui.domain.dates import relative
from icm_tui.domain.models import ActionItem, Status
from icm_tui.domain.org import Thresholds


class Verb(StrEnum):
    """What a user can do to an action item's status."""

    START = "start"
    DONE = "done"
    BLOCK = "block"
    DROP = "drop"
    CONFIRM = "confirm"
    REOPEN = "reopen"


FINISHED = frozenset({Status.DONE, Status.CLOSED, Status.DROPPED})
"""Statuses in which an item is no longer owed (never overdue, never carried)."""

ARCHIVED = frozenset({Status.CLOSED, Status.DROPPED})
"""Statuses no transition leaves: the loop is closed."""

_ACTIVE = (Status.OPEN, Status.IN_PROGRESS, Status.BLOCKED)

TRANSITIONS: dict[Verb, tuple[frozenset[Status], Status]] = {
    Verb.START: (frozenset({Status.OPEN, Status.BLOCKED}), Status.IN_PROGRESS),
    Verb.DONE: (frozenset(_ACTIVE), Status.DONE),
    Verb.BLOCK: (frozenset({Status.OPEN, Status.IN_PROGRESS}), Status.BLOCKED),
    Verb.DROP: (frozenset(_ACTIVE), Status.DROPPED),
    Verb.CONFIRM: (frozenset({Status.DONE}), Status.CLOSED),
    Verb.REOPEN: (frozenset({Status.DONE}), Status.OPEN),
}
"""verb -> (statuses it may start from, status it leads to)."""

NEEDS_REASON = frozenset({Verb.BLOCK, Verb.DROP, Verb.REOPEN})
"""Verbs that require a reason: a decision, never a silent change."""


def target(status: Status, verb: Verb) -> Status | None:
    """The status `verb` leads to from `status`, or None when the lifecycle forbids it."""
    sources, to = TRANSITIONS[verb]
    return to if status in sources else None


def allowed_verbs(status: Status) -> list[Verb]:
    """The verbs allowed from `status`, in a stable order (for menus and footers)."""
    return [verb for verb in Verb if status in TRANSITIONS[verb][0]]


def why_forbidden(status: Status, verb: Verb) -> str:
    """A one-line explanation of why `verb` cannot be applied in `status`, with what can."""
    sources = sorted(s.value for s in TRANSITIONS[verb][0])
    hint = {
        Verb.CONFIRM: "only a done item can be confirmed; mark it done first",
        Verb.REOPEN: "only a done item can be reopened by its requester",
    }.get(verb, f"allowed from: {', '.join(sources)}")
    return f"cannot {verb.value} an item that is {status.value} ({hint})"


def is_overdue(item: ActionItem, today: date) -> bool:
    """Past due and still owed."""
    return item.due is not None and item.due < today and item.status not in FINISHED


def days_overdue(item: ActionItem, today: date) -> int:
    """Days past due (0 when not overdue)."""
    return (today - item.due).days if is_overdue(item, today) and item.due else 0


def is_escalated(item: ActionItem, today: date, thresholds: Thresholds) -> bool:
    """Carried too often or overdue too long (thresholds from org.yaml)."""
    if item.status in FINISHED:
        return False
    return (
        item.carry >= thresholds.escalate_after_carries
        or days_overdue(item, today) > thresholds.escalate_after_overdue_days
    )


def due_label(item: ActionItem, today: date) -> str:
    """The due date for humans: relative while owed (`in 3d`, `5d overdue`), the date once finished."""
    if item.status in FINISHED and item.due is not None:
        return item.due.isoformat()
    return relative(item.due, today)


def awaiting_confirmation(item: ActionItem) -> bool:
    """Delivered, waiting for the requesting department to confirm or reopen."""
    return item.status is Status.DONE
