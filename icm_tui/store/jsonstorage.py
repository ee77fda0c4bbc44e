"""The TinyDB Storage of the store: atomic writes, re-reads only when the file changed.

Kept apart from storage.py so that reading the store never imports TinyDB.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import msgspec
from tinydb.storages import Storage

from icm_tui.errors import StoreError
from icm_tui.store.storage import Sig, atomic_write, encode, read_bytes, stat_sig


class AtomicJSONStorage(Storage):
    """A TinyDB Storage that writes atomically and re-reads only when the file changed.

    Between `begin()` and `commit()` (the store holds its lock meanwhile), TinyDB's writes stay
    in memory and `commit()` writes the file once, however many table operations ran.
    """

    def __init__(self, path: str | os.PathLike[str], describe=None) -> None:
        self.path = Path(path)
        self._describe = describe or (lambda path, why: f"{path} is corrupt: {why}")
        self._data: dict | None = None
        self._sig: Sig | None = None
        self._session = False
        self._dirty = False

    @property
    def sig(self) -> Sig | None:
        """The signature of the content this storage holds (None when nothing is held)."""
        return self._sig

    def read(self) -> dict | None:
        if self._session and self._data is not None:
            return self._data
        current = stat_sig(self.path)
        if current is None:
            self._data, self._sig = None, None
            return None
        if self._data is None or current != self._sig:
            loaded = read_bytes(self.path)
            if loaded is None:
                self._data, self._sig = None, None
                return None
            raw, sig = loaded
            try:
                data = msgspec.json.decode(raw)
            except msgspec.DecodeError as error:
                raise StoreError(self._describe(self.path, str(error))) from None
            if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
                raise StoreError(self._describe(self.path, "not a TinyDB file (expected tables of documents)"))
            self._data, self._sig = data, sig
        return self._data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        self._data = data
        if self._session:
            self._dirty = True
            return
        self._sig = atomic_write(self.path, encode(data))

    def begin(self) -> None:
        """Hold TinyDB's writes in memory until `commit`."""
        self._session, self._dirty = True, False

    def commit(self) -> Sig | None:
        """Write what the session changed, once; return the new signature (None if unchanged)."""
        self._session = False
        if not self._dirty:
            return None
        self._dirty = False
        try:
            self._sig = atomic_write(self.path, encode(self._data))
        except BaseException:
            self.discard()
            raise
        return self._sig

    def discard(self) -> None:
        """Forget a session's changes: the next read comes from disk."""
        self._session, self._dirty = False, False
        self._data, self._sig = None, None

    def close(self) -> None:
        self._data, self._sig = None, None
