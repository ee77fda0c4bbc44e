"""The shared store: one register on a PostgreSQL server for every facilitator, owner and manager.

Selected by `--store postgresql://...` or $ICM_STORE (see `open_store`). Same contract as the
TinyDB store (base.py); what differs is how it is kept:

Schema. Versioned SQL files in `migrations/` (NNNN_name.sql), applied in order under an advisory
lock on first use and by `icm db init`, each recorded in `icm_migrations`; a database newer than
this code is refused. One table per kind: the record as JSON (msgspec's JSON of the Struct; `json`
rather than `jsonb` because whole-register loads dominate, see 0001_initial.sql), its ref number
as the primary key, its uid unique; action items add indexed columns for the filters of `icm
actions` (status, owner, supplier, requester, due), which `actions_where` queries, written with
the document (`action_columns`; schema 1 generated them, and PostgreSQL's JSON functions then
refused a U+0000 anywhere in it). The tables live in the first schema of the connection's
search_path (`?options=-csearch_path%3Dteam` picks another).

Writes. Each is one transaction in READ COMMITTED with row locks, taken in one order so writers
never deadlock: insert locks its kind's counter row (`icm_counters`: refs without gaps or races),
update locks the record (SELECT ... FOR UPDATE, so `change` runs on the row as last committed),
and every write ends by bumping the single change counter (`icm_state.changes`), stamping the row
with it (`rev`), logging the op in `icm_ops` and NOTIFYing the new counter. When `change` refuses
(an IcmError such as LifecycleError) nothing is written, unless it lost a race (base.py): an
update reads the record (no lock) just before it asks for the row lock, and when `change` refuses
the row it gets but accepts the one read before, another writer got in first. That Attempt is
kept in `icm_ops` (outcome `refused`, the Attempt's JSON in `attempted`) in the same transaction;
`attempts()` reads them back. Two facilitators confirming and reopening the same done item at
once: the second waits for the first's row lock, its reopen is checked against `closed` and
refused, and its attempt shows in the item's history (`icm action show`). A forbidden transition
typed alone (nothing changed while it waited) writes nothing, not even to the op log.

Reads. `all()` keeps the decoded records of each kind and fetches only rows whose `rev` is past
the counter it last saw (one snapshot, so nothing is skipped: the counter row is locked from bump
to commit, so revs commit in order); `get()` always reads the row. `version()` is the change
counter as last received by LISTEN (drained without waiting) or written by this process: a
dictionary lookup for the TUI's 1 s poll; `wait_for_change()` blocks on the notification for
callers that want it at once. A row whose document is not a record (edited by hand, say) is a
StoreError naming its ref (exit 3) and is left as it is; `icm db check` (pg_admin.py) lists them.

Connection problems (server down, wrong password, network cut) raise StoreError (exit 3) with
one line naming the server, never the password. A connect that gets no answer gives up after
connect_timeout (5 s); TCP keepalives and `tcp_user_timeout` turn a silently cut network into an
error within about 10 s; a write whose connection broke says it may have been saved. The server
drops a session left idle inside a transaction (its client gone without a word) after half the
lock_timeout, so a vanished writer never holds the locks other writers wait for.

Offline (`offline=True`, the meeting runner): a write that cannot reach the server is applied to
the records this process holds and appended to a spool file in the workspace's data/ folder
(`pg-spool.jsonl`, one fsynced JSON line per write), and `notices()` tells the user. Once offline,
the store reconnects on a thread of its own, at most every `retry_interval` seconds, so no call
waits for a connect that hangs; when it is back, the next write or `version()` replays the spool
in order, each entry in its own transaction, exactly once: it first takes the lock the write
takes (so a cut transaction still open has ended) and skips an entry whose op_id is in `icm_ops`
(committed before the answer was lost). Limits:
- Only what this process has read can be changed offline (`get`/`update` of a record never
  loaded raise StoreError); `put_many` is never spooled.
- An update is spooled as (record before, record after). On replay it is applied as is when the
  server still has the record before; otherwise it is merged field by field: fields only one side
  changed are taken from it, histories and lists both sides appended to get both tails, time
  spent and counters add up, `updated` takes the later time. A field both sides set differently
  (e.g. two status changes) is a conflict: the server's record stays, the offline change is
  kept in `icm_ops.attempted` (nothing is lost) and the user is told.
- An insert gets the next ref this process knows of. If another client took that ref meanwhile,
  replay gives the record the next free ref and rewrites the provisional ref in the spooled
  entries after it and in this process's records (e.g. a meeting item's action list); the user
  is told the new ref. Other processes never saw the provisional ref.
- Only the process that spooled (or the next offline-enabled store opened on that data/ folder,
  e.g. the TUI started again) replays; a CLI store only reports a non-empty spool.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import getpass
import hashlib
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Hashable, Iterable, Iterator
from pathlib import Path
from typing import Any

import msgspec

from icm_tui.domain.models import ActionSummary
from icm_tui.errors import IcmError, StoreError, UnknownRef
from icm_tui.store import NO_PG_DRIVER

try:  # an optional dependency: one line for the user, not a traceback
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict
except ImportError as missing:
    raise StoreError(NO_PG_DRIVER) from missing
from icm_tui.store.base import Attempt, Kind, R, Store, lost_race, lost_race_error, ref_number

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
SPOOL_FILE = "pg-spool.jsonl"
SPOOL_LOCK = "pg-spool.lock"
LOST = "lost the connection"
PROBE_WAIT = 0.25
"""Seconds an offline store's caller waits for a reconnect it just started (see PgStore._connection)."""

_DECODERS = {kind: msgspec.json.Decoder(kind.record_type) for kind in Kind}
_LIST_DECODERS = {kind: msgspec.json.Decoder(list[kind.record_type]) for kind in Kind}
_ENCODER = msgspec.json.Encoder()
_SPOOL_DECODER = msgspec.json.Decoder(dict[str, Any])
_SUMMARY_DECODER = msgspec.json.Decoder(list[ActionSummary])
_ATTEMPT_DECODER = msgspec.json.Decoder(Attempt)
_ATTEMPT_IDS = uuid.UUID("5b0f6f3e-2f55-4a8e-9c61-6b1f3f0c1a7e")
"""Namespace of the op_ids of attempts copied in (uuid5 of their JSON): the same attempt is kept once."""


def describe_url(url: str) -> str:
    """`user@host:port/dbname` of a connection URL: where, never the password."""
    try:
        info = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "(unparsable URL)"
    host = info.get("host") or "localhost"
    where = f"{host}:{info['port']}" if info.get("port") else host
    user = f"{info['user']}@" if info.get("user") else ""
    return f"{user}{where}/{info.get('dbname') or info.get('user') or getpass.getuser()}"


def _libpq_reason(error: BaseException) -> str:
    """The useful part of a psycopg error, on one line."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if "failed: " in text:
        text = text.rsplit("failed: ", 1)[1]
    text = re.sub(r"^(FATAL|ERROR):\s+", "", text).strip()
    if text.lower() == "connection refused":
        text = "connection refused (is the server running?)"
    return text


def _table(kind: Kind) -> sql.Identifier:
    return sql.Identifier(f"icm_{kind.value}")


ACTION_COLUMNS = ("status", "owner", "supplier", "requester", "due")
"""The filter columns of `icm_actions`, in the order `action_columns` gives their values."""


def action_columns(item: Any) -> tuple[str, str, str, str, str | None]:
    """The filter column values of an action item's row: what its document says, as text."""
    return (str(item.status), item.owner, item.supplier, item.requester, item.due.isoformat() if item.due else None)


def extra_columns(kind: Kind) -> tuple[str, ...]:
    """The columns a row of `kind` carries beside num, uid, rev and doc (only action items have any)."""
    return ACTION_COLUMNS if kind is Kind.ACTIONS else ()


def extra_values(kind: Kind, record: Any) -> tuple:
    """The values of `extra_columns(kind)` for `record`."""
    return action_columns(record) if kind is Kind.ACTIONS else ()


def _actor() -> str:
    try:
        user = os.environ.get("ICM_USER") or getpass.getuser()
    except Exception:  # no login name in some containers
        user = "unknown"
    return f"{user}@{socket.gethostname()}:{os.getpid()}"


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, SQL) of every migration in the repo, in order."""
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        match = MIGRATION_NAME.match(path.name)
        if match:
            found.append((int(match.group(1)), match.group(2), path.read_text(encoding="utf-8")))
    return found


SCHEMA = max(v for v, _, _ in migrations())
"""The schema version this code writes (the newest migration)."""


class Unreachable(StoreError):
    """The server cannot be reached (down, refused, network cut): the write may be spooled."""


def _unsure(error: Unreachable) -> Unreachable:
    """A write whose connection broke may have committed before it did: say so, so nobody adds it twice."""
    if not str(error).startswith(LOST):
        return error
    return Unreachable(f"{error}; the change may have been saved before that: check before trying again")


class _Conflict(Exception):
    """An offline change and the server's record changed the same field differently."""


class PgStore(Store):
    """Action items, meetings, requests and pulses in a PostgreSQL database (see the module doc)."""

    pushes_changes = True

    def __init__(
        self,
        url: str,
        *,
        spool_dir: str | os.PathLike[str] | None = None,
        offline: bool = False,
        notify: Callable[[str], None] | None = None,
        connect_timeout: int = 5,
        lock_timeout: float = 10.0,
        retry_interval: float = 5.0,
    ) -> None:
        self.url = url.strip()
        self.where = describe_url(self.url)
        self.offline = offline
        self.spool_path = Path(spool_dir) / SPOOL_FILE if spool_dir is not None else None
        self._notify = notify
        self._connect_timeout = connect_timeout
        self._lock_timeout = lock_timeout
        self._retry_interval = retry_interval
        self._lock = threading.RLock()
        self._listen_lock = threading.Lock()
        self._conn: psycopg.Connection | None = None
        self._listener: psycopg.Connection | None = None
        self._channel = ""
        self._changes = 0
        self._local = 0
        self._seen: Hashable = None
        self._cache: dict[Kind, dict[int, Any]] = {kind: {} for kind in Kind}
        self._sorted: dict[Kind, bool] = {kind: True for kind in Kind}
        self._watermark: dict[Kind, int | None] = {kind: None for kind in Kind}
        self._epoch: dict[Kind, int] = {kind: -1 for kind in Kind}
        self._last_known: dict[Kind, int] = {kind: 0 for kind in Kind}
        self._touched: set[tuple[Kind, int]] = set()
        self._next_try = 0.0
        # An offline store, once open, reconnects on a thread of its own (see _reconnect_later).
        self._started = False
        self._listening = False  # a poll asked for the LISTEN connection: reconnect it too
        self._probe_lock = threading.Lock()
        self._probe: threading.Thread | None = None
        self._generation = 0
        self._ready_conn: tuple[psycopg.Connection, int, str] | None = None
        self._ready_listener: tuple[psycopg.Connection, int] | None = None
        self._told_offline = False  # the user knows changes are kept here: one notice, not one per write
        self._notices: list[str] = []
        self.schema_version = 0
        try:
            self._connection()
        except Unreachable as error:
            if not offline:
                raise
            self._went_offline(error)
            self._tell(f"the server {self.where} is unreachable; working offline, changes are kept in {self.spool_path}")
            self._told_offline = True
        else:
            self._replay()
        pending = self.pending()
        if pending and not offline:
            self._tell(
                f"{pending} change(s) saved while {self.where} was unreachable wait in {self.spool_path}; "
                f"they are sent when the meeting runner (icm) next connects"
            )
        self._seen = (self._changes, self._local)  # the LISTEN connection opens on the first poll, not for a CLI call
        self._started = True

    # ------------------------------------------------------------ connections

    def _connect(self) -> psycopg.Connection:
        try:
            info = conninfo_to_dict(self.url)
        except psycopg.ProgrammingError as error:
            raise StoreError(f"bad PostgreSQL URL: {_libpq_reason(error)}") from None
        options = info.get("options", "")
        # A client that vanishes mid-transaction (a cut network sends no FIN) would hold its row locks
        # until the server's keepalive gives up (2 hours by default), failing every other writer's
        # lock_timeout; the server drops such a session before a waiting writer gives up.
        idle = max(int(self._lock_timeout * 500), 1000)
        info["options"] = (
            f"{options} -c lock_timeout={int(self._lock_timeout * 1000)} -c idle_in_transaction_session_timeout={idle}"
        ).strip()
        info.setdefault("application_name", "icm")
        info.setdefault("connect_timeout", str(self._connect_timeout))
        host = str(info.get("host") or "")
        if host and not host.startswith("/"):
            # A cut network otherwise hangs a write for the kernel's retransmission timeout (minutes).
            info.setdefault("keepalives_idle", "5")
            info.setdefault("keepalives_interval", "2")
            info.setdefault("keepalives_count", "2")
            info.setdefault("tcp_user_timeout", "10000")
        try:
            return psycopg.connect(**info, autocommit=True)
        except psycopg.OperationalError as error:
            reason = _libpq_reason(error)
            if "timeout expired" in reason:  # connected, then nothing came back: a black hole, not a refusal
                reason = f"no answer within {info['connect_timeout']} s (network cut, VPN down or server stuck?)"
            raise Unreachable(f"cannot reach PostgreSQL at {self.where}: {reason}") from None

    def _connection(self) -> psycopg.Connection:
        """The open connection, connecting (and migrating) when there is none.

        An offline store that lost the server never waits here: the connection is opened on a
        thread of its own (a cut network can take connect_timeout to fail, every time) and taken
        up once it is ready; until then this raises Unreachable at once.
        """
        conn = self._conn
        if conn is not None and not conn.closed and not conn.broken:
            return conn
        self._conn = None
        if self.offline and self._started:
            if self._adopt():
                return self._conn  # type: ignore[return-value]
            self._reconnect_later()
            raise Unreachable(f"cannot reach PostgreSQL at {self.where} (trying again in the background)")
        self._conn, self.schema_version, self._channel = self._open()
        return self._conn

    def _open(self) -> tuple[psycopg.Connection, int, str]:
        """A new connection, migrated: (connection, schema version, notification channel)."""
        conn = self._connect()
        try:
            version = migrate(conn, self.where)
            channel = conn.execute("SELECT 'icm_changes.' || current_schema()").fetchone()[0]
        except psycopg.OperationalError as error:
            conn.close()
            raise Unreachable(f"cannot reach PostgreSQL at {self.where}: {_libpq_reason(error)}") from None
        except BaseException:
            conn.close()
            raise
        return conn, version, channel

    def _reconnect_later(self) -> threading.Thread | None:
        """Offline stores: open what is missing (connection, listener) on a thread, when a retry is due."""
        with self._probe_lock:
            if self._probe is not None or time.monotonic() < self._next_try:
                return None
            conn = self._conn
            need_conn = self._ready_conn is None and (conn is None or conn.closed or conn.broken)
            listener = self._listener
            need_listener = self._listening and self._ready_listener is None and (
                listener is None or listener.closed or listener.broken
            )
            if not (need_conn or need_listener):
                return None
            generation = self._generation
            self._probe = threading.Thread(
                target=self._reconnect, args=(generation, need_conn, need_listener), name="icm-pg-reconnect", daemon=True
            )
            self._probe.start()
            return self._probe

    def _reconnect(self, generation: int, need_conn: bool, need_listener: bool) -> None:
        """The reconnecting thread: never takes the store's lock, leaves its results for _adopt."""
        opened: list[psycopg.Connection] = []
        ready_conn = ready_listener = None
        try:
            channel = self._channel
            if need_conn or not channel:
                ready_conn = self._open()
                opened.append(ready_conn[0])
                channel = ready_conn[2]
            if need_listener:
                listener = self._connect()
                opened.append(listener)
                listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
                ready_listener = (listener, listener.execute("SELECT changes FROM icm_state").fetchone()[0])
        except Exception:  # whatever failed, this thread must end by saying so below
            ready_conn = ready_listener = None
        with self._probe_lock:
            self._probe = None
            if generation != self._generation or (ready_conn is None and ready_listener is None and opened):
                for conn in opened:
                    conn.close()
                ready_conn = ready_listener = None
            if ready_conn is None and ready_listener is None:
                self._next_try = time.monotonic() + self._retry_interval
                return
            self._ready_conn = ready_conn or self._ready_conn
            self._ready_listener = ready_listener or self._ready_listener

    def _adopt(self) -> bool:
        """Take up the connection the reconnecting thread opened (store lock held); True if there is one."""
        with self._probe_lock:
            ready, self._ready_conn = self._ready_conn, None
        if ready is None:
            return False
        self._conn, self.schema_version, self._channel = ready
        return True

    @contextlib.contextmanager
    def _db(self) -> Iterator[psycopg.Connection]:
        """The connection, with psycopg's errors turned into one-line StoreErrors."""
        conn = self._connection()
        try:
            yield conn
        except psycopg.OperationalError as error:
            if conn.closed or conn.broken:
                self._conn = None
                raise Unreachable(f"{LOST} to PostgreSQL at {self.where}: {_libpq_reason(error)}") from None
            if isinstance(error, psycopg.errors.LockNotAvailable):
                raise StoreError(
                    f"PostgreSQL at {self.where}: a record stayed locked more than {self._lock_timeout:g} s; try again"
                ) from None
            raise StoreError(f"PostgreSQL at {self.where}: {_libpq_reason(error)}") from None
        except psycopg.Error as error:
            raise StoreError(f"PostgreSQL at {self.where}: {_libpq_reason(error)}") from None

    def _online(self) -> bool:
        """Whether to try the server now (offline stores retry at most every retry_interval, in the background)."""
        if self._conn is not None and not self._conn.closed and not self._conn.broken:
            return True
        if not self.offline or not self._started:
            return True
        if self._adopt():
            return True
        probe = self._reconnect_later()
        if probe is None:
            return False
        probe.join(PROBE_WAIT)  # a server that is back answers well within this; a black hole costs no more
        return self._adopt()

    def _went_offline(self, error: Unreachable) -> None:
        self._next_try = time.monotonic() + self._retry_interval
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def init(self) -> int:
        """Create or migrate the schema (`icm db init`); the schema version now in the database."""
        with self._lock:
            self._connection()
            return self.schema_version

    def close(self) -> None:
        with self._lock:
            with self._probe_lock:
                self._generation += 1  # what a reconnecting thread still opens is closed, not kept
                ready = [r[0] for r in (self._ready_conn, self._ready_listener) if r is not None]
                self._ready_conn = self._ready_listener = None
            for conn in (self._conn, self._listener, *ready):
                if conn is not None:
                    conn.close()
            self._conn = self._listener = None

    # ------------------------------------------------------------ keys

    def _parse(self, kind: Kind, key: str) -> int | None:
        text = key.strip()
        prefix, dash, number = text.partition("-")
        if dash and prefix.upper() == kind.prefix and number.isascii() and number.isdigit():
            return int(number)
        return None

    def _decode(self, kind: Kind, text: str | bytes, num: int | str = "?") -> Any:
        try:
            return _DECODERS[kind].decode(text)
        except msgspec.MsgspecError as error:
            raise self._unreadable(kind, num, error) from None

    def _decode_rows(self, kind: Kind, rows: list[tuple[int, str]], decoder: msgspec.json.Decoder | None = None) -> list:
        """The records of (num, doc) rows in one decode; a row that does not decode is named in a StoreError."""
        try:
            return (decoder or _LIST_DECODERS[kind]).decode("[" + ",".join(doc for _, doc in rows) + "]")
        except msgspec.MsgspecError as error:
            for num, doc in rows:
                self._decode(kind, doc, num)
            raise self._unreadable(kind, "?", error) from None

    def _unreadable(self, kind: Kind, num: int | str, error: Exception) -> StoreError:
        """A stored document that is not a record (edited by hand, say): one line, and the way on."""
        return StoreError(
            f"PostgreSQL at {self.where}: {kind.prefix}-{num} cannot be read ({error}); it was left as it is. "
            f"`icm db check` lists every problem, `icm db restore` brings back a copy"
        )

    def _remember(self, kind: Kind, number: int, record: Any) -> None:
        cache = self._cache[kind]
        if cache and number not in cache and number < next(reversed(cache)):
            self._sorted[kind] = False
        cache[number] = record
        self._last_known[kind] = max(self._last_known[kind], number)

    # ------------------------------------------------------------ reads

    def all(self, kind: Kind) -> list:
        with self._lock:
            if self._online():
                try:
                    self._sync(kind)
                except Unreachable as error:
                    if not self.offline or self._watermark[kind] is None:
                        raise
                    self._went_offline(error)
            elif self._watermark[kind] is None:
                raise Unreachable(f"cannot reach PostgreSQL at {self.where}, and no {kind.value} were loaded before")
            cache = self._cache[kind]
            if not self._sorted[kind]:
                self._cache[kind] = cache = dict(sorted(cache.items()))
                self._sorted[kind] = True
            return list(cache.values())

    def _sync(self, kind: Kind) -> None:
        """Bring the kept records of `kind` up to the server's, fetching only what changed."""
        with self._db() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            changes, epoch = conn.execute("SELECT changes, epoch FROM icm_state").fetchone()
            since = self._watermark[kind]
            if since is not None and epoch == self._epoch[kind] and since == changes:
                return
            if since is None or epoch != self._epoch[kind]:
                # Sorting here, not in SQL: the rows come nearly in order and the server's sort costs more.
                rows = conn.execute(sql.SQL("SELECT num, doc::text FROM {}").format(_table(kind))).fetchall()
                rows.sort()
                records = self._decode_rows(kind, rows)
                self._cache[kind] = dict(zip((num for num, _ in rows), records))
                self._sorted[kind] = True
                if rows:
                    self._last_known[kind] = max(self._last_known[kind], rows[-1][0])
            else:
                query = sql.SQL("SELECT num, doc::text FROM {} WHERE rev > %s ORDER BY num").format(_table(kind))
                for num, doc in conn.execute(query, (since,)):
                    self._remember(kind, num, self._decode(kind, doc, num))
            last = conn.execute("SELECT last FROM icm_counters WHERE kind = %s", (kind.value,)).fetchone()
        self._watermark[kind] = changes
        self._epoch[kind] = epoch
        self._changes = max(self._changes, changes)
        if last:
            self._last_known[kind] = max(self._last_known[kind], last[0])

    def get(self, kind: Kind, key: str):
        with self._lock:
            number = self._parse(kind, key)
            if self._online():
                try:
                    return self._get_online(kind, key, number)
                except Unreachable as error:
                    if not self.offline:
                        raise
                    self._went_offline(error)
            return self._get_kept(kind, key, number)

    def _get_online(self, kind: Kind, key: str, number: int | None) -> Any:
        column, value = ("num", number) if number is not None else ("uid", key.strip())
        query = sql.SQL("SELECT num, doc::text FROM {} WHERE {} = %s").format(_table(kind), sql.Identifier(column))
        with self._db() as conn:
            row = conn.execute(query, (value,)).fetchone()
        if row is None:
            raise UnknownRef(f"no {kind.value[:-1]} {key!r}")
        record = self._decode(kind, row[1], row[0])
        self._remember(kind, row[0], record)
        return record

    def _get_kept(self, kind: Kind, key: str, number: int | None) -> Any:
        cache = self._cache[kind]
        if number is not None and number in cache:
            return cache[number]
        for record in cache.values():
            if record.uid == key.strip():
                return record
        if self._watermark[kind] is not None:
            raise UnknownRef(f"no {kind.value[:-1]} {key!r}")
        raise Unreachable(f"cannot reach PostgreSQL at {self.where}, and {key!r} was not loaded before")

    # ------------------------------------------------------------ writes

    def _bump(self, conn: psycopg.Connection) -> int:
        """Take the change counter (last lock of every write) and return its new value."""
        return conn.execute("UPDATE icm_state SET changes = changes + 1 RETURNING changes").fetchone()[0]

    def _log(
        self, conn: psycopg.Connection, op_id: str, kind: Kind, ref: str, op: str, outcome: str,
        message: str = "", attempted: bytes | None = None,
    ) -> None:
        conn.execute(
            "INSERT INTO icm_ops (op_id, actor, kind, ref, op, outcome, message, attempted)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s::json)",
            (op_id, _actor(), kind.value, ref, op, outcome, message, attempted.decode() if attempted else None),
        )

    def _announce(self, conn: psycopg.Connection, changes: int) -> None:
        conn.execute("SELECT pg_notify(%s, %s)", (self._channel, str(changes)))

    def insert(self, kind: Kind, build: Callable[[str], R]) -> R:
        with self._lock:
            op_id = str(uuid.uuid4())
            built: list[R] = []
            if self._online():
                try:
                    self._replay()
                    return self._insert_online(kind, lambda ref: built.append(build(ref)) or built[-1], op_id)
                except Unreachable as error:
                    if not self.offline:
                        raise _unsure(error) from None
                    self._went_offline(error)
            if built:
                # The connection broke after the record was built, perhaps after it was committed:
                # keep that record (its uid), so the replay can tell it is already in (same op_id).
                first = built[-1]
                return self._insert_offline(kind, lambda ref: msgspec.structs.replace(first, ref=ref), op_id)
            return self._insert_offline(kind, build, op_id)

    def _insert_online(self, kind: Kind, build: Callable[[str], R], op_id: str) -> R:
        with self._db() as conn:
            with conn.transaction():
                number = conn.execute(
                    "UPDATE icm_counters SET last = last + 1 WHERE kind = %s RETURNING last", (kind.value,)
                ).fetchone()[0]
                ref = f"{kind.prefix}-{number}"
                record = build(ref)
                if record.ref != ref:
                    raise ValueError(f"build() must keep the ref {ref}, it made {record.ref}")
                changes = self._write_row(conn, kind, number, record, op_id, "insert", insert=True)
        self._changes = max(self._changes, changes)
        self._remember(kind, number, record)
        return record

    def _write_row(
        self, conn: psycopg.Connection, kind: Kind, number: int, record: Any, op_id: str, op: str,
        *, insert: bool, message: str = "",
    ) -> int:
        """Stamp, store, log and announce one record (inside the caller's transaction)."""
        changes = self._bump(conn)
        doc = _ENCODER.encode(record).decode()
        names = extra_columns(kind)
        columns = extra_values(kind, record)
        if insert:
            query = sql.SQL("INSERT INTO {} (num, uid, rev, doc{}) VALUES (%s, %s, %s, %s::json{})").format(
                _table(kind), sql.SQL("".join(f", {n}" for n in names)), sql.SQL(", %s" * len(names))
            )
            conn.execute(query, (number, record.uid, changes, doc, *columns))
        else:
            query = sql.SQL("UPDATE {} SET doc = %s::json, rev = %s{} WHERE num = %s").format(
                _table(kind), sql.SQL("".join(f", {n} = %s" for n in names))
            )
            conn.execute(query, (doc, changes, *columns, number))
        self._log(conn, op_id, kind, record.ref, op, "ok", message)
        self._announce(conn, changes)
        return changes

    def update(self, kind: Kind, key: str, change: Callable[[R], R], *, seen: Any = None) -> R:
        with self._lock:
            op_id = str(uuid.uuid4())
            if self._online():
                try:
                    self._replay()
                    return self._update_online(kind, key, change, op_id, seen)
                except Unreachable as error:
                    if not self.offline:
                        raise _unsure(error) from None
                    self._went_offline(error)
            return self._update_offline(kind, key, change, op_id)

    def _update_online(self, kind: Kind, key: str, change: Callable[[R], R], op_id: str, seen: Any = None) -> R:
        number = self._parse(kind, key)
        column, value = ("num", number) if number is not None else ("uid", key.strip())
        read = sql.SQL("SELECT num, doc::text FROM {} WHERE {} = %s").format(_table(kind), sql.Identifier(column))
        query = sql.SQL("{} FOR UPDATE").format(read)
        refused: IcmError | None = None
        with self._db() as conn:
            if seen is None:
                # The record before waiting for the row lock: what tells a lost race from a plain refusal.
                before = conn.execute(read, (value,)).fetchone()
                seen = self._decode(kind, before[1], before[0]) if before else None
            with conn.transaction():
                row = conn.execute(query, (value,)).fetchone()
                if row is None:
                    raise UnknownRef(f"no {kind.value[:-1]} {key!r}")
                number = row[0]
                current = self._decode(kind, row[1], row[0])
                try:
                    record = change(current)
                except IcmError as error:
                    attempt = lost_race(kind, change, seen, current, error)
                    if attempt is None:
                        raise
                    refused = lost_race_error(error, attempt)
                    self._log(conn, op_id, kind, current.ref, "update", "refused", attempt.reason, _ENCODER.encode(attempt))
                else:
                    if record.uid != current.uid or record.ref != current.ref:
                        raise ValueError("update must keep the record's uid and ref")
                    changes = self._write_row(conn, kind, number, record, op_id, "update", insert=False)
        if refused is not None:
            raise refused
        self._changes = max(self._changes, changes)
        self._remember(kind, number, record)
        return record

    def put_many(self, kind: Kind, records: Iterable[R]) -> int:
        incoming: dict[int, Any] = {}
        for record in records:
            number = ref_number(record.ref)
            if number <= 0 or not record.ref.upper().startswith(kind.prefix + "-"):
                raise ValueError(f"{record.ref!r} is not a {kind.value[:-1]} ref")
            incoming[number] = record
        if not incoming:
            return 0
        table = _table(kind)
        with self._lock, self._db() as conn:
            with conn.transaction():
                # Imports are rare and whole: keep other writers of this kind out, readers in.
                conn.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(table))
                names = extra_columns(kind)
                extra = sql.SQL("".join(f", {n}" for n in names))
                conn.execute(
                    sql.SQL(
                        "CREATE TEMP TABLE icm_stage (num bigint PRIMARY KEY, uid text NOT NULL UNIQUE, doc json NOT NULL{})"
                        " ON COMMIT DROP"
                    ).format(sql.SQL("".join(f", {n} text" for n in names)))
                )
                with conn.cursor().copy(sql.SQL("COPY icm_stage (num, uid, doc{}) FROM STDIN").format(extra)) as copy:
                    for number in sorted(incoming):
                        record = incoming[number]
                        copy.write_row((number, record.uid, _ENCODER.encode(record).decode(), *extra_values(kind, record)))
                taken = conn.execute(
                    sql.SQL(
                        "SELECT s.num, t.uid FROM icm_stage s JOIN {t} t ON t.num = s.num"
                        " WHERE t.uid <> s.uid AND NOT EXISTS (SELECT 1 FROM icm_stage o WHERE o.uid = t.uid) LIMIT 1"
                    ).format(t=table)
                ).fetchone()
                if taken:
                    raise ValueError(f"{kind.prefix}-{taken[0]} already belongs to another record ({taken[1]})")
                moved = conn.execute(
                    sql.SQL("DELETE FROM {t} t USING icm_stage s WHERE t.uid = s.uid AND t.num <> s.num").format(t=table)
                ).rowcount
                changes = self._bump(conn)
                if moved:
                    conn.execute("UPDATE icm_state SET epoch = epoch + 1")
                conn.execute(
                    sql.SQL(
                        "INSERT INTO {t} (num, uid, rev, doc{extra}) SELECT num, uid, %s, doc{extra} FROM icm_stage"
                        " ON CONFLICT (num) DO UPDATE SET uid = EXCLUDED.uid, rev = EXCLUDED.rev, doc = EXCLUDED.doc{set}"
                    ).format(t=table, extra=extra, set=sql.SQL("".join(f", {n} = EXCLUDED.{n}" for n in names))),
                    (changes,),
                )
                conn.execute(
                    "UPDATE icm_counters SET last = greatest(last, %s) WHERE kind = %s", (max(incoming), kind.value)
                )
                self._log(conn, str(uuid.uuid4()), kind, "", "put_many", "ok", f"{len(incoming)} records")
                self._announce(conn, changes)
            self._changes = max(self._changes, changes)
            self._last_known[kind] = max(self._last_known[kind], max(incoming))
        return len(incoming)

    def action_summaries(self) -> list:
        """Every action item without its history, in ref order (msgspec skips the histories' text)."""
        if self.offline or self._watermark[Kind.ACTIONS] is not None:
            return self.all(Kind.ACTIONS)  # a long-lived store keeps whole records and fetches only changes
        with self._lock, self._db() as conn:
            rows = conn.execute("SELECT num, doc::text FROM icm_actions").fetchall()
        rows.sort()
        return self._decode_rows(Kind.ACTIONS, rows, _SUMMARY_DECODER)

    def action_candidates(self, wanted: Any) -> list:
        return self.actions_where(wanted)

    def actions_where(self, wanted: Any) -> list:
        """Action items matching the indexed filters of `wanted` (an ActionFilter), in ref order.

        Status, owner, supplier, requester and department are answered by the server's indexes;
        the rest of the filter (overdue, search...) is the caller's to apply: this is a superset.
        """
        where, params = [], []
        statuses = sorted(str(s) for s in getattr(wanted, "status", ()) or ())
        if statuses:
            where.append("status = ANY(%s)")
            params.append(statuses)
        for column in ("owner", "supplier", "requester"):
            if getattr(wanted, column, ""):
                where.append(f"{column} = %s")
                params.append(getattr(wanted, column))
        if getattr(wanted, "department", ""):
            where.append("(supplier = %s OR requester = %s)")
            params += [wanted.department, wanted.department]
        if not where:
            return self.all(Kind.ACTIONS)
        query = sql.SQL("SELECT num, doc::text FROM icm_actions WHERE " + " AND ".join(where))
        with self._lock:
            try:
                with self._db() as conn:
                    rows = conn.execute(query, params).fetchall()
            except Unreachable:
                if not self.offline or self._watermark[Kind.ACTIONS] is None:
                    raise
                return [a for a in self.all(Kind.ACTIONS) if _matches_indexed(a, wanted)]
        rows.sort()
        return self._decode_rows(Kind.ACTIONS, rows)

    # ------------------------------------------------------------ polling

    def version(self) -> Hashable:
        with self._lock:
            if self.offline and self.pending() and self._online():
                try:
                    self._replay()
                except Unreachable as error:
                    self._went_offline(error)
            self._drain()
            return (self._changes, self._local)

    def _drain(self) -> None:
        """Take in the change counters other processes announced (never waits)."""
        if not self._listen_lock.acquire(blocking=False):
            return  # a wait_for_change() holds the listener and takes the announcements itself
        try:
            self._drain_locked()
        finally:
            self._listen_lock.release()

    def _drain_locked(self) -> None:
        self._listening = True
        listener = self._listener
        if listener is None or listener.closed or listener.broken:
            if self.offline and self._started:
                with self._probe_lock:
                    ready, self._ready_listener = self._ready_listener, None
                if ready is None:
                    self._listener = None
                    self._reconnect_later()
                    return
                listener, changes = ready
                self._listener = listener
                self._changes = max(self._changes, changes)
            elif not self._online():
                return
            else:
                try:
                    listener = self._listen()
                except (Unreachable, psycopg.OperationalError):
                    self._listener = None
                    return
        try:
            for notice in listener.notifies(timeout=0):
                self._changes = max(self._changes, int(notice.payload))
        except psycopg.OperationalError:
            listener.close()
            self._listener = None

    def _listen(self) -> psycopg.Connection:
        conn = self._connect()
        if not self._channel:
            self._connection()
        conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
        # Read the counter after LISTEN: a change committed in between is seen one way or the other.
        changes = conn.execute("SELECT changes FROM icm_state").fetchone()[0]
        self._changes = max(self._changes, changes)
        self._listener = conn
        return conn

    def wait_for_change(self, timeout: float) -> bool:
        """Block until another process announces a change (True) or `timeout` seconds pass."""
        before = self.version()
        with self._listen_lock:
            listener = self._listener
            if listener is not None:
                try:
                    for notice in listener.notifies(timeout=timeout, stop_after=1):
                        self._changes = max(self._changes, int(notice.payload))
                except psycopg.OperationalError:
                    listener.close()
                    self._listener = None
        if listener is None:
            time.sleep(timeout)  # nothing to listen on (offline, reconnecting): wait as asked rather than spin
        return self.version() != before

    def refresh(self) -> bool:
        with self._lock:
            current = self.version()
            changed = current != self._seen
            self._seen = current
            return changed

    # ------------------------------------------------------------ the op log

    def ops(self, kind: Kind | None = None, ref: str = "") -> list[dict[str, Any]]:
        """Logged write attempts (oldest first), optionally of one record: outcome, actor, message."""
        query = "SELECT op_id::text, at, actor, kind, ref, op, outcome, message, attempted::text FROM icm_ops"
        where, params = [], []
        if kind is not None:
            where.append("kind = %s")
            params.append(kind.value)
        if ref:
            where.append("upper(ref) = upper(%s)")
            params.append(ref.strip())
        if where:
            query += " WHERE " + " AND ".join(where)
        names = ("op_id", "at", "actor", "kind", "ref", "op", "outcome", "message", "attempted")
        with self._lock, self._db() as conn:
            rows = conn.execute(query + " ORDER BY at, op_id", params).fetchall()
        return [dict(zip(names, row)) for row in rows]

    def attempts(self, kind: Kind | None = None, ref: str = "") -> list[Attempt]:
        query = "SELECT attempted::text FROM icm_ops WHERE outcome = 'refused' AND attempted IS NOT NULL"
        params: list[Any] = []
        if kind is not None:
            query += " AND kind = %s"
            params.append(kind.value)
        if ref:
            query += " AND upper(ref) = upper(%s)"
            params.append(ref.strip())
        with self._lock, self._db() as conn:
            rows = conn.execute(query + " ORDER BY at, op_id", params).fetchall()
        found = []
        for (text,) in rows:
            try:
                found.append(_ATTEMPT_DECODER.decode(text))
            except msgspec.MsgspecError:
                continue  # a refusal logged before attempts were kept (message only): see the op log
        return found

    def add_attempts(self, attempts: Iterable[Attempt]) -> int:
        incoming = list(attempts)
        if not incoming:
            return 0
        with self._lock, self._db() as conn, conn.transaction():
            return insert_attempts(conn, incoming)

    # ------------------------------------------------------------ offline: notices and the spool

    def _tell(self, message: str) -> None:
        self._notices.append(message)
        if self._notify is not None:
            self._notify(message)

    def notices(self) -> list[str]:
        """What the user should be told since the last call (offline saves, replays, conflicts)."""
        with self._lock:
            out, self._notices = self._notices, []
            return out

    def pending(self) -> int:
        """How many writes wait in the spool for the server."""
        return len(self._read_spool())

    def _target(self) -> str:
        """Which register a spool entry belongs to: the server, database and schema, not the password."""
        info = conninfo_to_dict(self.url)
        info.pop("password", None)
        return hashlib.sha256(repr(sorted(info.items())).encode()).hexdigest()[:16]

    def _read_spool(self) -> list[dict[str, Any]]:
        if self.spool_path is None:
            return []
        try:
            data = self.spool_path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as error:
            raise StoreError(f"cannot read {self.spool_path}: {error.strerror}") from None
        entries = []
        target = self._target()
        for line in data.splitlines():
            if not line.strip():
                continue
            try:
                entry = _SPOOL_DECODER.decode(line)
            except msgspec.DecodeError:
                continue  # a line cut short by a crash mid-append was never acknowledged
            if entry.get("target") == target:
                entries.append(entry)
        return entries

    def _spool(self, entry: dict[str, Any]) -> None:
        if self.spool_path is None:
            raise StoreError(f"cannot reach PostgreSQL at {self.where} and there is no data/ folder to keep changes in")
        entry["target"] = self._target()
        line = msgspec.json.encode(entry) + b"\n"
        try:
            self.spool_path.parent.mkdir(parents=True, exist_ok=True)
            with self._spool_locked():
                fd = os.open(self.spool_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    os.write(fd, line)
                    os.fsync(fd)
                finally:
                    os.close(fd)
        except OSError as error:
            raise StoreError(f"cannot reach PostgreSQL at {self.where}, nor write {self.spool_path}: {error.strerror}") from None
        self._local += 1

    @contextlib.contextmanager
    def _spool_locked(self) -> Iterator[None]:
        from filelock import FileLock, Timeout

        assert self.spool_path is not None
        lock = FileLock(str(self.spool_path.with_name(SPOOL_LOCK)), timeout=10)
        try:
            with lock:
                yield
        except Timeout:
            raise StoreError(f"{self.spool_path} is locked by another icm") from None

    def _rewrite_spool(self, keep: list[dict[str, Any]]) -> None:
        """Replace the spool by `keep` plus the lines of other registers (lock held)."""
        from icm_tui.store.storage import atomic_write

        assert self.spool_path is not None
        target = self._target()
        others = []
        try:
            for line in self.spool_path.read_bytes().splitlines():
                try:
                    if line.strip() and _SPOOL_DECODER.decode(line).get("target") != target:
                        others.append(line)
                except msgspec.DecodeError:
                    continue
        except FileNotFoundError:
            pass
        lines = others + [msgspec.json.encode(entry) for entry in keep]
        if lines:
            atomic_write(self.spool_path, b"\n".join(lines) + b"\n")
        else:
            self.spool_path.unlink(missing_ok=True)

    def _tell_offline(self, what: str) -> None:
        """Say once per stretch offline that changes are kept here (a meeting saves notes and time every few seconds)."""
        if not self._told_offline:
            self._told_offline = True
            self._tell(
                f"{what} on this machine only ({self.where} unreachable); it and the changes after it are sent "
                f"when the server is back"
            )

    def _insert_offline(self, kind: Kind, build: Callable[[str], R], op_id: str) -> R:
        number = self._last_known[kind] + 1
        ref = f"{kind.prefix}-{number}"
        record = build(ref)
        if record.ref != ref:
            raise ValueError(f"build() must keep the ref {ref}, it made {record.ref}")
        self._spool({"op_id": op_id, "op": "insert", "kind": kind.value, "ref": ref, "record": msgspec.to_builtins(record)})
        self._remember(kind, number, record)
        self._touched.add((kind, number))
        self._tell_offline(f"{ref} saved")
        return record

    def _update_offline(self, kind: Kind, key: str, change: Callable[[R], R], op_id: str) -> R:
        current = self._get_kept(kind, key, self._parse(kind, key))
        record = change(current)
        if record.uid != current.uid or record.ref != current.ref:
            raise ValueError("update must keep the record's uid and ref")
        self._spool({
            "op_id": op_id, "op": "update", "kind": kind.value, "ref": current.ref,
            "base": msgspec.to_builtins(current), "new": msgspec.to_builtins(record),
        })
        self._remember(kind, ref_number(current.ref), record)
        self._touched.add((kind, ref_number(current.ref)))
        self._tell_offline(f"{current.ref} changed")
        return record

    def _replay(self) -> None:
        """Send the spooled writes in order, each once; stop at the first that cannot reach the server."""
        if not self.offline or self.spool_path is None or not self.spool_path.exists():
            return
        with self._spool_locked():
            entries = self._read_spool()
            if not entries:
                return
            sent = 0
            try:
                while entries:
                    renamed = self._replay_one(entries[0])
                    entries.pop(0)
                    sent += 1
                    if renamed is not None:
                        self._rename_everywhere(*renamed, entries)
            finally:
                self._rewrite_spool(entries)
                if sent:
                    self._tell(f"sent {sent} change(s) saved while {self.where} was unreachable")
            if not entries:
                self._touched.clear()
                self._told_offline = False

    def _replay_one(self, entry: dict[str, Any]) -> tuple[Kind, str, str] | None:
        """Apply one spooled write in its own transaction; (kind, provisional, real) when an insert got another ref."""
        kind = Kind(entry["kind"])
        op_id = entry["op_id"]
        table = _table(kind)
        with self._db() as conn:
            with conn.transaction():
                # First the lock the write takes: an attempt cut mid-transaction still holding it (its
                # session not yet dropped by the server) has then committed or rolled back, so the
                # op log below says for sure whether it got in.
                if entry["op"] == "insert":
                    conn.execute("SELECT 1 FROM icm_counters WHERE kind = %s FOR UPDATE", (kind.value,))
                else:
                    conn.execute(sql.SQL("SELECT 1 FROM {} WHERE num = %s FOR UPDATE").format(table), (ref_number(entry["ref"]),))
                if conn.execute("SELECT 1 FROM icm_ops WHERE op_id = %s", (op_id,)).fetchone():
                    # Committed before the connection broke: the answer was lost, not the write.
                    if entry["op"] != "insert":
                        return None
                    row = conn.execute(
                        sql.SQL("SELECT num FROM {} WHERE uid = %s").format(table), (entry["record"]["uid"],)
                    ).fetchone()
                    real = f"{kind.prefix}-{row[0]}" if row else entry["ref"]
                    return (kind, entry["ref"], real) if real != entry["ref"] else None
                if entry["op"] == "insert":
                    return self._replay_insert(conn, kind, entry)
                number = ref_number(entry["ref"])
                row = conn.execute(
                    sql.SQL("SELECT doc::text FROM {} WHERE num = %s FOR UPDATE").format(table), (number,)
                ).fetchone()
                base, new = entry["base"], entry["new"]
                theirs = msgspec.json.decode(row[0]) if row else None
                message = "sent after being saved offline"
                try:
                    if theirs is None or theirs.get("uid") != base.get("uid"):
                        raise _Conflict("the record is no longer there")
                    merged = new if theirs == base else _merge(base, theirs, new)
                    if theirs != base:
                        message += ", merged with changes made meanwhile"
                    record = _DECODERS[kind].decode(msgspec.json.encode(merged))
                except (_Conflict, msgspec.ValidationError) as error:
                    text = (
                        f"{entry['ref']}: the change made offline was not applied, it conflicts with one made "
                        f"meanwhile ({error}); it is kept in the op log"
                    )
                    self._log(conn, op_id, kind, entry["ref"], "update", "conflict", text, msgspec.json.encode(new))
                    self._tell(text)
                    return None
                changes = self._write_row(conn, kind, number, record, op_id, "update", insert=False, message=message)
        self._changes = max(self._changes, changes)
        return None

    def _replay_insert(self, conn: psycopg.Connection, kind: Kind, entry: dict[str, Any]) -> tuple[Kind, str, str] | None:
        provisional = entry["ref"]
        number = conn.execute(
            "UPDATE icm_counters SET last = last + 1 WHERE kind = %s RETURNING last", (kind.value,)
        ).fetchone()[0]
        ref = f"{kind.prefix}-{number}"
        record = _DECODERS[kind].decode(msgspec.json.encode({**entry["record"], "ref": ref}))
        message = "sent after being saved offline" + (f" as {provisional}" if ref != provisional else "")
        changes = self._write_row(conn, kind, number, record, entry["op_id"], "insert", insert=True, message=message)
        self._changes = max(self._changes, changes)
        self._last_known[kind] = max(self._last_known[kind], number)
        return (kind, provisional, ref) if ref != provisional else None

    def _rename_everywhere(self, kind: Kind, provisional: str, ref: str, later: list[dict[str, Any]]) -> None:
        """A record saved offline got another ref: say so, and use the new one in what refers to it."""
        for entry in later:
            _rename(entry, provisional, ref)
        self._cache[kind].pop(ref_number(provisional), None)
        # Only records changed offline by this process can hold the provisional ref.
        for other_kind, num in list(self._touched):
            kept = self._cache[other_kind].get(num)
            if kept is None:
                continue
            renamed = _rename(msgspec.to_builtins(kept), provisional, ref)
            if renamed is not None:
                self._cache[other_kind][num] = _DECODERS[other_kind].decode(msgspec.json.encode(renamed))
        self._tell(f"{provisional} saved offline is {ref} on the server ({provisional} was taken meanwhile)")

    # ------------------------------------------------------------ admin

    def is_empty(self) -> bool:
        """True when the database holds no record of any kind."""
        with self._lock, self._db() as conn:
            return not any(
                conn.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(_table(kind))).fetchone()[0]
                for kind in Kind
            )


def _matches_indexed(item: Any, wanted: Any) -> bool:
    """What `actions_where` asks the server, asked of a record held offline."""
    statuses = {str(s) for s in getattr(wanted, "status", ()) or ()}
    if statuses and str(item.status) not in statuses:
        return False
    if any(getattr(wanted, c, "") and getattr(item, c) != getattr(wanted, c) for c in ("owner", "supplier", "requester")):
        return False
    department = getattr(wanted, "department", "")
    return not department or department in (item.supplier, item.requester)


def _rename(value: Any, old: str, new: str) -> Any:
    """Replace, in place, every string equal to `old` in a JSON tree; the tree, or None when nothing changed."""
    changed = False

    def walk(node: Any) -> Any:
        nonlocal changed
        if isinstance(node, str):
            if node == old:
                changed = True
                return new
            return node
        if isinstance(node, dict):
            for key in node:
                node[key] = walk(node[key])
            return node
        if isinstance(node, list):
            for index, item in enumerate(node):
                node[index] = walk(item)
            return node
        return node

    result = walk(value)
    return result if changed else None


_ADDITIVE = frozenset({"spent", "carry", "reopened"})
_LATEST = frozenset({"updated"})
_MISSING = object()


def _merge(base: Any, theirs: Any, ours: Any, key: str = "") -> Any:
    """Three-way merge of JSON trees (see the module doc); raises _Conflict where both disagree."""
    if ours == base or theirs == ours:
        return theirs
    if theirs == base:
        return ours
    if isinstance(base, dict) and isinstance(theirs, dict) and isinstance(ours, dict):
        out = {}
        for name in {**theirs, **ours}:
            value = _merge(base.get(name, _MISSING), theirs.get(name, _MISSING), ours.get(name, _MISSING), name)
            if value is not _MISSING:
                out[name] = value
        return out
    if isinstance(base, list) and isinstance(theirs, list) and isinstance(ours, list):
        n = len(base)
        if len(theirs) >= n and len(ours) >= n and theirs[:n] == base and ours[:n] == base:
            return theirs + ours[n:]
        if len(base) == len(theirs) == len(ours):
            return [_merge(b, t, o, key) for b, t, o in zip(base, theirs, ours)]
    if key in _ADDITIVE and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (base, theirs, ours)):
        return theirs + (ours - base)
    if key in _ADDITIVE and base is _MISSING and all(isinstance(v, (int, float)) for v in (theirs, ours)):
        return theirs + ours
    if key in _LATEST and isinstance(theirs, str) and isinstance(ours, str):
        return max(theirs, ours, key=_dt.datetime.fromisoformat)
    raise _Conflict(f"both changed {key or 'the record'}")


def migrate(conn: psycopg.Connection, where: str = "") -> int:
    """Apply the repo's migrations the database lacks (under an advisory lock); its schema version."""
    known = migrations()
    try:
        row = conn.execute("SELECT max(version) FROM icm_migrations").fetchone()
        if row and row[0] == known[-1][0]:
            return row[0]
    except psycopg.errors.UndefinedTable:
        pass
    except psycopg.errors.InvalidSchemaName:
        pass
    with conn.transaction():
        schema = conn.execute("SELECT current_schema()").fetchone()[0]
        if schema is None:
            path = conn.execute("SHOW search_path").fetchone()[0]
            raise StoreError(f"PostgreSQL at {where}: no schema of search_path {path!r} exists; create it first")
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"icm-migrate.{schema}",))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS icm_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL, applied timestamptz NOT NULL DEFAULT now())"
        )
        applied = {v for (v,) in conn.execute("SELECT version FROM icm_migrations")}
        newest = max(applied, default=0)
        if newest > known[-1][0]:
            raise StoreError(
                f"PostgreSQL at {where} has icm schema version {newest}, this icm knows up to {known[-1][0]}: upgrade icm"
            )
        for version, name, text in known:
            if version not in applied:
                conn.execute(text)
                conn.execute("INSERT INTO icm_migrations (version, name) VALUES (%s, %s)", (version, name))
        return known[-1][0]


def insert_attempts(conn: psycopg.Connection, attempts: Iterable[Attempt]) -> int:
    """Keep attempts made elsewhere in the op log (in the caller's transaction), each once; how many were new.

    "Once" is by content: an attempt logged here by the update that was refused, copied out and
    restored, is the same JSON text (the `json` type keeps it as written).
    """
    added = 0
    for attempt in attempts:
        doc = _ENCODER.encode(attempt).decode()
        added += conn.execute(
            "INSERT INTO icm_ops (op_id, at, actor, kind, ref, op, outcome, message, attempted)"
            " SELECT %s, %s, %s, %s, %s, 'update', 'refused', %s, %s::json"
            " WHERE NOT EXISTS (SELECT 1 FROM icm_ops WHERE kind = %s AND ref = %s AND outcome = 'refused'"
            " AND attempted::text = %s) ON CONFLICT (op_id) DO NOTHING",
            (str(uuid.uuid5(_ATTEMPT_IDS, doc)), attempt.at, attempt.by, attempt.kind, attempt.ref, attempt.reason, doc,
             attempt.kind, attempt.ref, doc),
        ).rowcount
    return added
