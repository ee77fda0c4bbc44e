"""Fixtures shared by every test: the store backends the contract tests run against."""

from __future__ import annotations

import pytest

from icm_tui.store import MemoryStore, Store


@pytest.fixture(params=["memory", "tinydb"])
def store(request: pytest.FixtureRequest, tmp_path) -> Store:
    """An empty store of each backend (TinyDB with small shards, so shard edges get exercised)."""
    if request.param == "memory":
        backend: Store = MemoryStore()
    else:
        from icm_tui.store.tinydb_store import TinyDBStore

        backend = TinyDBStore(tmp_path / "data", shard_size=4)
    yield backend
    backend.close()
