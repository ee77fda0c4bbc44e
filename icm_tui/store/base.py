"""The store contract: what the services need from any backend (TinyDB file, memory, later a server).

Records are the typed Structs of `icm_tui.domain.models`. A backend never exposes its own
row ids: records are found by their `uid` or their `ref` (case-insensitive, `a-42` works).

Writes are read-modify-write operations run under the backend's lock: `update` hands the
current record (re-read if another process changed it) to a function that returns the new
record or raises (for instance a LifecycleError), so a rule is always checked against fresh
data and no update is lost.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterable, Iterator
from enum import StrEnum
from typing import TypeVar

from icm_tui.domain.models import ActionItem, ActionSummary, Meeting, Pulse, Request


class Kind(StrEnum):
    """A collection of records, with the prefix of its refs."""

    ACTIONS = "actions"
    MEETINGS = "meetings"
    REQUESTS = "requests"
    PULSES = "pulses"

    @property
    def prefix(self) -> str:
        """`A`, `M`, `R` or `P`: refs look like `A-42`."""
        return {"actions": "A", "meetings": "M", "requests": "R", "pulses": "P"}[self.value]

    @property
    def record_type(self) -> type:
        """The Struct stored in this collection."""
        return {"actions": ActionItem, "meetings": Meeting, "requests": Request, "pulses": Pulse}[
            self.value
        ]


R = TypeVar("R", ActionItem, Meeting, Request, Pulse)


def ref_number(ref: str) -> int:
    """42 for `A-42`; 0 when the ref has no number."""
    _, _, number = ref.partition("-")
    return int(number) if number.isascii() and number.isdigit() else 0


class Store(ABC):
    """A register of action items, meetings, requests and pulses."""

    @abstractmethod
    def all(self, kind: Kind) -> list:
        """Every record of a collection, in ref order."""

    @abstractmethod
    def get(self, kind: Kind, key: str):
        """The record whose ref (any case) or uid is `key`; UnknownRef when there is none."""

    @abstractmethod
    def insert(self, kind: Kind, build: Callable[[str], R]) -> R:
        """Allocate the next ref under the lock, store `build(ref)`, return it."""

    @abstractmethod
    def update(self, kind: Kind, key: str, change: Callable[[R], R]) -> R:
        """Store `change(current)` in place of the record `key`; return it.

        `change` may raise to refuse; then nothing is written. The returned record must keep
        the uid and ref.
        """

    @abstractmethod
    def put_many(self, kind: Kind, records: Iterable[R]) -> int:
        """Insert or replace records by uid, keeping their refs (import, copy, generators).

        Later allocations never reuse a ref put here. Returns how many records were written.
        """

    @abstractmethod
    def version(self) -> Hashable:
        """A token that changes whenever any process changed the data (cheap: for polling)."""

    def refresh(self) -> bool:
        """Re-read what other processes changed; True when something did."""
        return False

    pushes_changes = False
    """True when `wait_for_change` is told of other processes' writes (no polling needed)."""

    def wait_for_change(self, timeout: float) -> bool:
        """Block until another process changed the data (True) or `timeout` passes (False)."""
        return False

    def notices(self) -> list[str]:
        """What the user should be told since the last call (a shared store saving offline, say)."""
        return []

    def close(self) -> None:
        """Release files and locks."""

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Typed conveniences over the generic calls.

    def actions(self) -> list[ActionItem]:
        """Every action item."""
        return self.all(Kind.ACTIONS)

    def action_summaries(self) -> list[ActionSummary]:
        """Every action item without its history, in ref order (backends may read this faster)."""
        return self.actions()

    def iter_actions(self) -> Iterator[ActionItem]:
        """Every action item with its history, in ref order, without holding them all at once."""
        yield from self.actions()

    def action_notes(self) -> dict[str, str]:
        """The notes of every action item that has some, one per line, by ref."""
        out = {}
        for item in self.iter_actions():
            text = "\n".join(event.note for event in item.history if event.note)
            if text:
                out[item.ref] = text
        return out

    def action_candidates(self, wanted: object) -> list[ActionSummary]:
        """A superset of the action items the ActionFilter `wanted` lets through (indexes narrow it)."""
        return self.action_summaries()

    def action(self, key: str) -> ActionItem:
        """One action item by ref or uid."""
        return self.get(Kind.ACTIONS, key)

    def meetings(self) -> list[Meeting]:
        """Every meeting."""
        return self.all(Kind.MEETINGS)

    def meeting(self, key: str) -> Meeting:
        """One meeting by ref or uid."""
        return self.get(Kind.MEETINGS, key)

    def requests(self) -> list[Request]:
        """Every request."""
        return self.all(Kind.REQUESTS)

    def request(self, key: str) -> Request:
        """One request by ref or uid."""
        return self.get(Kind.REQUESTS, key)

    def pulses(self) -> list[Pulse]:
        """Every pulse."""
        return self.all(Kind.PULSES)
