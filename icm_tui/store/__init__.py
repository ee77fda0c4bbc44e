"""Storage behind a small interface: the domain never imports TinyDB."""

from icm_tui.store.base import Kind, Store
from icm_tui.store.memory import MemoryStore

__all__ = ["Kind", "MemoryStore", "Store", "open_store"]


def open_store(data_dir, *, create: bool = True) -> Store:
    """The embedded TinyDB store of a workspace's data/ folder."""
    from icm_tui.store.tinydb_store import TinyDBStore

    return TinyDBStore(data_dir, create=create)
