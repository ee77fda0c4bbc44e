"""Storage behind a small interface: the domain never imports TinyDB."""

from icm_tui.store.base import Kind, Store
from icm_tui.store.memory import MemoryStore

__all__ = ["Kind", "MemoryStore", "Store", "is_pg_url", "open_store"]


STORE_ENV = "ICM_STORE"
PG_SCHEMES = ("postgresql://", "postgres://")
NO_PG_DRIVER = (
    "a postgresql:// register needs the PostgreSQL driver, which is not installed here: "
    "pip install 'icm-tui[postgresql]' (or pip install 'psycopg[binary]')"
)


def is_pg_url(text: object) -> bool:
    """True for a `postgresql://` (or `postgres://`) connection URL; telling needs no PostgreSQL driver."""
    return isinstance(text, str) and text.strip().lower().startswith(PG_SCHEMES)


def open_store(data_dir, *, create: bool = True, url: str | None = None, offline: bool = True) -> Store:
    """The store named by `url` (else $ICM_STORE), else the embedded TinyDB store of `data_dir`.

    A `postgresql://` URL opens the shared PostgreSQL store, with its offline spool in
    `data_dir` (`offline=False`: connection problems are errors, as the CLI wants); any other
    non-empty value is the folder of a TinyDB store.
    """
    import os

    url = url if url is not None else os.environ.get(STORE_ENV, "")
    if is_pg_url(url):
        from icm_tui.store.pg_store import PgStore

        return PgStore(url, spool_dir=data_dir, offline=offline)
    from icm_tui.store.tinydb_store import TinyDBStore

    return TinyDBStore(url or data_dir, create=create)
