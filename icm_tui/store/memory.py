"""The in-memory twin of the TinyDB store: same contract, no files (tests, previews)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Iterable
from typing import Any

from icm_tui.errors import IcmError, UnknownRef
from icm_tui.store.base import Attempt, Kind, R, Store, lost_race, lost_race_error, ref_number


class MemoryStore(Store):
    """Records in dicts keyed by uid; refs allocated from per-collection counters."""

    def __init__(self) -> None:
        self._records: dict[Kind, dict[str, object]] = {kind: {} for kind in Kind}
        self._last: dict[Kind, int] = {kind: 0 for kind in Kind}
        self._version = itertools.count(1)
        self._current = 0
        self._attempts: list[Attempt] = []

    def _touch(self) -> None:
        self._current = next(self._version)

    def all(self, kind: Kind) -> list:
        return sorted(self._records[kind].values(), key=lambda r: ref_number(r.ref))

    def get(self, kind: Kind, key: str):
        records = self._records[kind]
        if key in records:
            return records[key]
        wanted = key.strip().upper()
        for record in records.values():
            if record.ref.upper() == wanted:
                return record
        raise UnknownRef(f"no {kind.value[:-1]} {key!r}")

    def insert(self, kind: Kind, build: Callable[[str], R]) -> R:
        ref = f"{kind.prefix}-{self._last[kind] + 1}"
        record = build(ref)
        self._last[kind] += 1
        self._records[kind][record.uid] = record
        self._touch()
        return record

    def update(self, kind: Kind, key: str, change: Callable[[R], R], *, seen: Any = None) -> R:
        current = self.get(kind, key)  # one thread, no lock: only a caller's `seen` can make a race
        try:
            record = change(current)
        except IcmError as error:
            attempt = lost_race(kind, change, seen, current, error)
            if attempt is None:
                raise
            self._attempts.append(attempt)
            raise lost_race_error(error, attempt) from error
        assert record.uid == current.uid and record.ref == current.ref
        self._records[kind][record.uid] = record
        self._touch()
        return record

    def put_many(self, kind: Kind, records: Iterable[R]) -> int:
        count = 0
        for record in records:
            self._records[kind][record.uid] = record
            self._last[kind] = max(self._last[kind], ref_number(record.ref))
            count += 1
        if count:
            self._touch()
        return count

    def attempts(self, kind: Kind | None = None, ref: str = "") -> list[Attempt]:
        wanted = ref.strip().upper()
        return [
            a for a in self._attempts
            if (kind is None or a.kind == kind.value) and (not wanted or a.ref.upper() == wanted)
        ]

    def add_attempts(self, attempts: Iterable[Attempt]) -> int:
        added = 0
        for attempt in attempts:
            if attempt not in self._attempts:
                self._attempts.append(attempt)
                added += 1
        self._attempts.sort(key=lambda a: a.at)
        return added

    def version(self) -> Hashable:
        return self._current
