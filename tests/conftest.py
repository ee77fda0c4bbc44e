"""Fixtures shared by every test: the store backends the contract tests run against."""

from __future__ import annotations

import pytest

from backends import ALL, PERSISTENT, Backend
from icm_tui.store import MemoryStore, Store


@pytest.fixture(scope="session")
def pg_server():
    """A throwaway PostgreSQL server for the session ($ICM_TEST_PG_URL: an existing one); skips without binaries."""
    import os

    import pg

    if os.environ.get("ICM_TEST_PG_URL"):
        server = pg.External(os.environ["ICM_TEST_PG_URL"])
    else:
        pytest.importorskip("psycopg")
        server = pg.start_cluster()
        if server is None:
            pytest.skip("PostgreSQL server binaries not installed (apt-get install postgresql)")
    yield server
    server.destroy()


@pytest.fixture(params=["memory", "tinydb", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path) -> Store:
    """An empty store of each backend (TinyDB with small shards, so shard edges get exercised)."""
    if request.param == "memory":
        backend: Store = MemoryStore()
    elif request.param == "postgresql":
        from icm_tui.store.pg_store import PgStore

        backend = PgStore(request.getfixturevalue("pg_server").new_schema())
    else:
        from icm_tui.store.tinydb_store import TinyDBStore

        backend = TinyDBStore(tmp_path / "data", shard_size=4)
    yield backend
    backend.close()


def _backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Backend:
    monkeypatch.delenv("ICM_STORE", raising=False)
    if request.param == "postgresql":
        return Backend("postgresql", request.getfixturevalue("pg_server").new_schema())
    return Backend(request.param)


@pytest.fixture(params=ALL)
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Backend:
    """Each backend in turn: `backend.open(root)` gives the register of the workspace at `root`."""
    return _backend(request, monkeypatch)


@pytest.fixture(params=PERSISTENT)
def register(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Backend:
    """Each backend that persists (TinyDB, PostgreSQL), for tests that run `icm` with `env=register.env()`."""
    return _backend(request, monkeypatch)
