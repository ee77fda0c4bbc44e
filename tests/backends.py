"""One place that knows the store backends, so any test can run on each of them.

`Backend` opens a store of its kind under a test's folder and names the same register for a
`icm` process (its environment), and says what "unchanged" means for it: file bytes for TinyDB,
a hash of every record for PostgreSQL (whose files are the server's), the records for memory.
The `backend` fixture (conftest.py) gives memory, TinyDB and PostgreSQL; `register` only the
two that persist, for tests that run `icm` itself.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from icm_tui.store import MemoryStore, Store, open_store
from icm_tui.store.base import Kind

PERSISTENT = ["tinydb", "postgresql"]
ALL = ["memory", *PERSISTENT]


@dataclass
class Backend:
    """A store backend for one test: `name` is memory, tinydb or postgresql."""

    name: str
    url: str = ""
    """The PostgreSQL schema URL of this test's register ("" for the others)."""
    _memory: dict[Path, MemoryStore] = field(default_factory=dict)

    @property
    def persistent(self) -> bool:
        return self.name != "memory"

    def open(self, root: Path) -> Store:
        """The register of the workspace at `root` (its data/ folder holds TinyDB files or the offline spool)."""
        if self.name == "memory":
            return self._memory.setdefault(root, MemoryStore())
        return open_store(root / "data", url=self.url)

    def env(self) -> dict[str, str | None]:
        """The environment that points an `icm` process at this register (TinyDB: the workspace's data/)."""
        return {"ICM_STORE": self.url or None}

    def records(self, root: Path) -> dict[str, str]:
        """A hash of every record of every kind: equal before and after means the register is unchanged."""
        store = self.open(root)
        try:
            return {kind.value: hashlib.sha256(msgspec.json.encode(store.all(kind))).hexdigest() for kind in Kind}
        finally:
            if self.persistent:
                store.close()

    def __str__(self) -> str:
        return self.name
