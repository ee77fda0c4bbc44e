"""The in-memory twin of the TinyDB store: same contract, no files (tests, previews)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Iterable

from icm_tui.errors import UnknownRef
from icm_tui.store.base import Kind, R, Store, ref_number


class MemoryStore(Store):
    """Records in dicts keyed by uid; refs allocated from per-collection counters."""

    def __init__(self) -> None:
        self._records: dict[Kind, dict[str, object]] = {kind: {} for kind in Kind}
        self._last: dict[Kind, int] = {kind: 0 for kind in Kind}
        self._version = itertools.count(1)
        self._current = 0

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

    def update(self, kind: Kind, key: str, change: Callable[[R], R]) -> R:
        current = self.get(kind, key)
        record = change(current)
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

    def version(self) -> Hashable:
        return self._current
