"""The store contract: what the services need from any backend (TinyDB file, memory, later a server).

Records are the typed Structs of `icm_tui.domain.models`. A backend never exposes its own
row ids: records are found by their `uid` or their `ref` (case-insensitive, `a-42` works).

Writes are read-modify-write operations run under the backend's lock: `update` hands the
current record (re-read if another process changed it) to a function that returns the new
record or raises (for instance a LifecycleError), so a rule is always checked against fresh
data and no update is lost.

Refused attempts. When `change` refuses, nothing is written, with one exception: a lost race.
If another writer changed the record while this update waited for the lock (or since the caller
last saw it, when it passes `seen=`), and `change` would have accepted the record as it was
before, the refusal is not this user's mistake but the other writer's win. Then the backend
keeps an `Attempt` (who, when, what they tried, why it was refused, who got in first) beside
the record, never in it, and the error says so; `attempts()` lists them, `icm action show`
interleaves them with the history. A refusal that `change` would have met on the record as
seen too (a forbidden transition typed by one user alone) writes nothing anywhere.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterable, Iterator
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

import msgspec

from icm_tui.domain.models import ActionItem, ActionSummary, Meeting, Pulse, Request
from icm_tui.errors import BadInput, IcmError, StoreError


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


class Attempt(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A change refused because another writer changed the record first (a lost race), kept beside it."""

    at: datetime
    """When it was tried (the time of the events it would have added)."""
    kind: str
    """The collection (`actions`, ...)."""
    ref: str
    uid: str
    """The record's uid: a ref names another record after a restore from elsewhere."""
    by: str = ""
    """Who tried: the `by` of the events the change would have added, else the login."""
    reason: str
    """Why it was refused: the rule's message on the record it found."""
    first: str = ""
    """Who got in first and what they did, e.g. `wang-fang (confirmed done -> closed)`."""
    events: tuple[dict[str, Any], ...] = ()
    """The history entries the change would have added, as stored (an Event's fields for action items)."""


def _event_words(event: Any) -> str:
    """`confirmed done -> closed` for a history event of any kind."""
    moved = " -> ".join(p for p in (getattr(event, "old", ""), getattr(event, "new", "")) if p)
    return " ".join(p for p in (str(getattr(event, "kind", "")), moved) if p)


def lost_race(kind: Kind, change: Callable[[Any], Any], seen: Any, current: Any, error: Exception) -> Attempt | None:
    """The Attempt to keep when `change`, refused on `current`, would have been accepted on `seen`.

    None when the refusal is the caller's own: nothing changed since `seen`, or `change` refuses
    `seen` too, or the error is not a rule's refusal (a StoreError, a bug).
    """
    if seen is None or not isinstance(error, IcmError) or isinstance(error, StoreError):
        return None
    if seen.uid != current.uid or seen == current:
        return None
    try:
        wanted = change(seen)
    except Exception:
        return None
    before = tuple(getattr(seen, "history", ()))
    tried = tuple(getattr(wanted, "history", ()))[len(before):]
    theirs = tuple(getattr(current, "history", ()))
    ahead = theirs[len(before):] if theirs[: len(before)] == before else theirs[-1:]
    firsts = [f"{getattr(e, 'by', '') or 'someone'} ({_event_words(e)})" for e in ahead]
    return Attempt(
        # The time of the events it would have added: the clock the history uses (a test's frozen one).
        at=next((e.at for e in tried if isinstance(getattr(e, "at", None), datetime)), None) or datetime.now().astimezone(),
        kind=kind.value,
        ref=current.ref,
        uid=current.uid,
        by=next((e.by for e in tried if getattr(e, "by", "")), "") or _login(),
        reason=str(error),
        first=", ".join(firsts) or "another writer",
        events=tuple(msgspec.to_builtins(e) for e in tried),
    )


def lost_race_error(error: IcmError, attempt: Attempt) -> IcmError:
    """`error` told as a lost race: who got in first, and that the attempt is kept (same type, one line)."""
    where = f"in its history (icm action show {attempt.ref})" if attempt.kind == Kind.ACTIONS.value else f"with {attempt.ref}"
    text = f"{error}; {attempt.first} got there first while yours waited; your attempt is recorded {where}"
    try:
        told = type(error)(text)
    except TypeError:  # an error class with its own constructor
        told = BadInput(text)
    told.attempt = attempt  # type: ignore[attr-defined]
    return told


def _login() -> str:
    import getpass
    import os

    try:
        return os.environ.get("ICM_USER") or getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"


def matches_indexed(item: Any, wanted: Any) -> bool:
    """Whether `item` passes the indexed parts of the ActionFilter `wanted`: status, owner, supplier,
    requester, department (what `action_candidates` may narrow by; the caller applies the rest)."""
    statuses = getattr(wanted, "status", ()) or ()
    if statuses and str(item.status) not in {str(s) for s in statuses}:
        return False
    for column in ("owner", "supplier", "requester"):
        value = getattr(wanted, column, "")
        if value and getattr(item, column) != value:
            return False
    department = getattr(wanted, "department", "")
    return not department or department in (item.supplier, item.requester)


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
    def update(self, kind: Kind, key: str, change: Callable[[R], R], *, seen: Any = None) -> R:
        """Store `change(current)` in place of the record `key`; return it.

        `change` may raise to refuse; then nothing is written, except the Attempt of a lost race
        (see the module doc): `seen` is the record as the caller's user saw it, by default the
        record as read just before waiting for another writer's lock. The returned record must
        keep the uid and ref.
        """

    @abstractmethod
    def put_many(self, kind: Kind, records: Iterable[R]) -> int:
        """Insert or replace records by uid, keeping their refs (import, copy, generators).

        Later allocations never reuse a ref put here. Returns how many records were written.
        """

    @abstractmethod
    def attempts(self, kind: Kind | None = None, ref: str = "") -> list[Attempt]:
        """Refused attempts of lost races (oldest first), optionally of one kind and ref (any case)."""

    @abstractmethod
    def add_attempts(self, attempts: Iterable[Attempt]) -> int:
        """Keep attempts made elsewhere (copy, restore), skipping ones already kept; how many were new."""

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

    def pending(self) -> int:
        """How many writes are kept on this machine until a shared store's server answers again."""
        return 0

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

    def iter_action_summaries(self, notes: bool = False) -> Iterator[ActionSummary]:
        """Every action item without its history, in ref order, without holding them all at once.

        With `notes`, each also has a `history` whose events hold at least its notes (what
        filter-as-you-type searches): the actions screen builds its rows from this in one pass.
        """
        yield from self.iter_actions() if notes else self.action_summaries()

    def action_notes(self) -> dict[str, str]:
        """The notes of every action item that has some, one per line, by ref."""
        out = {}
        for item in self.iter_actions():
            text = "\n".join(event.note for event in item.history if event.note)
            if text:
                out[item.ref] = text
        return out

    def action_candidates(self, wanted: object) -> list[ActionSummary]:
        """A superset of the action items the ActionFilter `wanted` lets through (indexes narrow it).

        By default one streamed pass that keeps only what `matches_indexed`: `icm actions --status
        open` holds the open items, not 50,000 summaries.
        """
        return [item for item in self.iter_action_summaries() if matches_indexed(item, wanted)]

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
