"""`icm db check` and `icm db restore` on a PostgreSQL register (admin.py has the TinyDB ones).

Check. Every table is read in one REPEATABLE READ, READ ONLY transaction: one consistent
snapshot, and the server itself refuses any write, so a check never changes the register (it
does not even migrate it). It says, in the voice of the TinyDB check (`ok` or `BAD`, what, why),
one line per kind that is sound and one line per problem:
- the schema: the migrations applied are this icm's (same names, none newer than the code);
- every row decodes into its record type, its ref is its row number, its uid its uid column,
  refs and uids are unique, its `rev` is not past the change counter;
- the filter columns of action items (status, owner, supplier, requester, due) say what the
  document says, so `icm actions --status ...` lists what it should;
- every action item's history is a chain of transitions the lifecycle allows (each starts where
  the one before ended, a confirm has a score 1-5), ending in the item's status;
- each kind's ref counter is at or above its highest ref, so the next add cannot collide;
- the refused attempts kept in the op log decode;
- changes saved offline in this workspace's spool that still wait to be sent (`wait`: a state
  to know about, not a fault).
A register with problems is exit 3. Problems per kind are listed up to MAX_LINES.

Restore. A TinyDB register (a folder made by `icm db copy --to DIR`, a backup generation of a
data/ folder, a data/ folder) is read and verified whole before the server is touched, then put
in place of the PostgreSQL register's records in ONE transaction: the tables are locked against
writers, the register must be empty unless `replace`, the records it holds are first kept as a
TinyDB folder in data/corrupt/ (a replace can be undone by restoring that), every kind's rows are
replaced, ref counters never go back (a ref once handed out is not handed out again), readers are
told to reload (epoch), and before committing the rows are read back and their counts and content
hashes must equal the source's. Any failure rolls everything back: the register is as it was.
The op log (and the attempts in it) is kept; the source's attempts are added to it.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from icm_tui.domain import lifecycle
from icm_tui.domain.models import EventKind, Status
from icm_tui.errors import BadInput, StoreError
from icm_tui.store.admin import Register, _aside_folder, records_hash, write_register
from icm_tui.store.base import Attempt, Kind
from icm_tui.store.pg_store import (
    ACTION_COLUMNS, _DECODERS, _ENCODER, SPOOL_FILE, PgStore, _actor, _libpq_reason, _table, action_columns,
    describe_url, extra_columns, extra_values, insert_attempts, migrate, migrations,
)

# After pg_store, which turns a missing driver into one line (StoreError) instead of a traceback.
import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402
from psycopg.conninfo import conninfo_to_dict  # noqa: E402

MAX_LINES = 50
"""Problems listed per kind; the rest are counted on one line."""

_ATTEMPT_DECODER = msgspec.json.Decoder(Attempt)
_ALLOWED = {(source, to) for sources, to in lifecycle.TRANSITIONS.values() for source in sources}
_MOVES = (EventKind.STATUS, EventKind.CONFIRMED, EventKind.REOPENED)


@dataclass(frozen=True)
class Finding:
    """One line of `icm db check`: `ok`, `BAD` or `wait`, what it is about, and what was found."""

    mark: str
    what: str
    detail: str

    def line(self) -> str:
        """The line as printed."""
        return f"{self.mark:<3}  {self.what:<9}  {self.detail}"


def connect(url: str) -> psycopg.Connection:
    """A connection for the admin commands; connection problems are one-line StoreErrors."""
    where = describe_url(url)
    try:
        info = conninfo_to_dict(url.strip())
    except psycopg.ProgrammingError as error:
        raise StoreError(f"bad PostgreSQL URL: {_libpq_reason(error)}") from None
    info.setdefault("connect_timeout", "5")
    info.setdefault("application_name", "icm db")
    try:
        return psycopg.connect(**info, autocommit=True)
    except psycopg.OperationalError as error:
        raise StoreError(f"cannot reach PostgreSQL at {where}: {_libpq_reason(error)}") from None


# ---------------------------------------------------------------- check


def check(url: str, data_dir: Path) -> tuple[bool, list[str]]:
    """Check the register at `url` and this workspace's offline spool: (sound, one line each)."""
    where = describe_url(url)
    found: list[Finding] = []
    with connect(url) as conn:
        try:
            with conn.transaction():
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                _check_register(conn, where, found)
        except psycopg.Error as error:
            raise StoreError(f"PostgreSQL at {where}: {_libpq_reason(error)}") from None
    found.append(_check_spool(url, data_dir))
    return not any(f.mark == "BAD" for f in found), [f.line() for f in found]


def _check_register(conn: psycopg.Connection, where: str, found: list[Finding]) -> None:
    schema = conn.execute("SELECT current_schema()").fetchone()[0]
    label = f"postgresql://{where}"
    if schema is None:
        path = conn.execute("SHOW search_path").fetchone()[0]
        found.append(Finding("BAD", label, f"no schema of search_path {path!r} exists"))
        return
    tables = {
        name for (name,) in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
    }
    wanted = {"icm_migrations", "icm_state", "icm_counters", "icm_ops", *(f"icm_{kind.value}" for kind in Kind)}
    if not tables & wanted:
        found.append(Finding("ok", label, f"no icm register in schema {schema} (nothing to check; `icm db init` makes one)"))
        return
    if not _check_schema(conn, tables, found):
        return
    missing = sorted(wanted - tables)
    for name in missing:
        found.append(Finding("BAD", "schema", f"table {name} is missing though its migration is recorded as applied"))
    if {"icm_state", "icm_counters"} & set(missing):
        return
    states = conn.execute("SELECT changes FROM icm_state").fetchall()
    if len(states) != 1:
        found.append(Finding("BAD", "icm_state", f"holds {len(states)} rows, not 1: writers cannot count changes"))
        return
    changes = states[0][0]
    counters = dict(conn.execute("SELECT kind, last FROM icm_counters").fetchall())
    for kind in Kind:
        if f"icm_{kind.value}" not in missing:
            found.extend(_check_kind(conn, kind, changes, counters.get(kind.value)))
    if "icm_ops" not in missing:
        found.extend(_check_attempts(conn))


def _check_schema(conn: psycopg.Connection, tables: set[str], found: list[Finding]) -> bool:
    """The migrations applied against the repo's; False when the rest cannot be checked."""
    if "icm_migrations" not in tables:
        found.append(Finding("BAD", "schema", "icm tables without icm_migrations: which schema version this is is unknown"))
        return False
    applied = dict(conn.execute("SELECT version, name FROM icm_migrations ORDER BY version").fetchall())
    known = {version: name for version, name, _ in migrations()}
    code = max(known)
    newest = max(applied, default=0)
    if newest > code:
        found.append(Finding(
            "BAD", "schema",
            f"version {newest} ({applied[newest]}) is newer than this icm, which knows up to {code}: "
            f"upgrade icm (nothing else was checked)",
        ))
        return False
    sound = True
    for version, name in applied.items():
        if known.get(version) != name:
            found.append(Finding("BAD", "schema", f"migration {version} is {name!r} here but {known.get(version)!r} in this icm"))
            sound = False
    gaps = [v for v in known if v < newest and v not in applied]
    if gaps:
        found.append(Finding("BAD", "schema", f"migration(s) {', '.join(map(str, gaps))} never applied, yet {newest} was"))
        sound = False
    if sound and newest < code:
        found.append(Finding("wait", "schema", f"version {newest}, this icm writes {code}: `icm db init` (or any icm command) migrates it"))
    elif sound:
        found.append(Finding("ok", "schema", f"version {newest} ({len(applied)} migration(s) applied; this icm writes {code})"))
    return True


def _check_kind(conn: psycopg.Connection, kind: Kind, changes: int, counter: int | None) -> list[Finding]:
    """Every row of one kind, its counter; one Finding per problem, or one `ok`."""
    problems: list[Finding] = []
    prefix = kind.prefix
    extra = sql.SQL(", {}").format(sql.SQL(", ").join(map(sql.Identifier, ACTION_COLUMNS))) if kind is Kind.ACTIONS else sql.SQL("")
    query = sql.SQL("SELECT num, uid, rev, doc::text{} FROM {} ORDER BY num").format(extra, _table(kind))
    decoder = _DECODERS[kind]
    count, highest = 0, 0
    refs: set[str] = set()
    uids: dict[str, str] = {}
    with conn.cursor(name=f"icm_check_{kind.value}") as cursor:
        cursor.itersize = 2000
        cursor.execute(query)
        for row in cursor:
            num, uid, rev, doc = row[:4]
            count += 1
            highest = max(highest, num)
            ref = f"{prefix}-{num}"
            try:
                record = decoder.decode(doc)
            except msgspec.MsgspecError as error:
                problems.append(Finding("BAD", ref, f"its document does not decode as {kind.record_type.__name__}: {_why(error)}"))
                continue
            if record.ref != ref:
                problems.append(Finding("BAD", ref, f"its document says ref {record.ref!r}: a record's ref must be its row's number"))
            if record.ref in refs:
                problems.append(Finding("BAD", ref, f"ref {record.ref} is used twice"))
            refs.add(record.ref)
            if record.uid != uid:
                problems.append(Finding("BAD", ref, f"its document says uid {record.uid!r}, its row {uid!r}"))
            if record.uid in uids:
                problems.append(Finding("BAD", ref, f"uid {record.uid} is also {uids[record.uid]}'s"))
            uids[record.uid] = ref
            if rev > changes:
                problems.append(Finding("BAD", ref, f"its rev {rev} is past the change counter {changes}: the counter went back"))
            if kind is Kind.ACTIONS:
                problems.extend(Finding("BAD", ref, text) for text in _column_problems(record, row[4:]))
                problems.extend(Finding("BAD", ref, text) for text in history_problems(record))
    if counter is None:
        problems.append(Finding("BAD", f"counter {kind.value}", "is missing from icm_counters: the next add would fail"))
    elif counter < highest:
        problems.append(Finding(
            "BAD", f"counter {kind.value}",
            f"is at {counter}, below {prefix}-{highest}: new {kind.value} would be given refs already taken",
        ))
    if not problems:
        span = f" ({prefix}-1..{prefix}-{highest})" if count == highest and count else ""
        return [Finding("ok", kind.value, f"{count} records{span}, ref counter at {counter}")]
    if len(problems) > MAX_LINES:
        more = len(problems) - MAX_LINES
        return problems[:MAX_LINES] + [Finding("BAD", kind.value, f"and {more} more problem(s) like these")]
    return problems


def _column_problems(item: Any, columns: tuple) -> list[str]:
    """Where the filter columns of an action item's row disagree with its document."""
    return [
        f"column {name} says {value!r} but its document {says!r}: `icm actions --{name}` would list it wrongly"
        for name, value, says in zip(ACTION_COLUMNS, columns, action_columns(item))
        if value != says
    ]


def history_problems(item: Any) -> list[str]:
    """What is wrong with an action item's history: transitions that do not chain, or that the lifecycle forbids."""
    problems = []
    status: Status | None = None
    for n, event in enumerate(item.history, 1):
        if event.kind not in _MOVES:
            continue
        words = f"history event {n} ({event.kind} {event.old or '?'} -> {event.new or '?'})"
        try:
            old, new = Status(event.old), Status(event.new)
        except ValueError:
            problems.append(f"{words} names a status that does not exist")
            return problems
        if status is not None and old is not status:
            problems.append(f"{words} starts from {old}, but the event before left it {status}")
        if (old, new) not in _ALLOWED:
            problems.append(f"{words} is not a transition the lifecycle allows")
        if event.kind is EventKind.CONFIRMED and (new is not Status.CLOSED or event.score not in range(1, 6)):
            problems.append(f"{words} is a confirmation without closing the item with a score 1-5")
        if event.kind is EventKind.REOPENED and new is not Status.OPEN:
            problems.append(f"{words} is a reopening that does not reopen")
        status = new
    if status is not None and status is not item.status:
        problems.append(f"its history ends in {status}, but the item is {item.status}")
    return problems


def _check_attempts(conn: psycopg.Connection) -> list[Finding]:
    rows = conn.execute("SELECT op_id::text, attempted::text FROM icm_ops WHERE outcome = 'refused'").fetchall()
    problems, kept, older = [], 0, 0
    for op_id, doc in rows:
        if doc is None:
            older += 1  # logged before attempts were kept: a message only
            continue
        try:
            _ATTEMPT_DECODER.decode(doc)
            kept += 1
        except msgspec.MsgspecError as error:
            problems.append(Finding("BAD", f"icm_ops {op_id}", f"a refused attempt that does not decode: {_why(error)}"))
    if problems:
        return problems
    note = f"; {older} older refusal(s) kept as a message only" if older else ""
    return [Finding("ok", "icm_ops", f"{kept} refused attempt(s) of lost races{note}")]


def _check_spool(url: str, data_dir: Path) -> Finding:
    path = data_dir / SPOOL_FILE
    # The spool's own reader, without connecting: it needs only the URL and the file.
    probe = PgStore.__new__(PgStore)
    probe.url, probe.spool_path = url.strip(), path
    pending = probe.pending()
    if pending:
        return Finding(
            "wait", str(path),
            f"{pending} change(s) saved while the server was unreachable wait to be sent; "
            f"the meeting runner (icm) sends them when it next connects",
        )
    return Finding("ok", str(path), "no change saved offline waits to be sent")


def _why(error: Exception) -> str:
    if isinstance(error, msgspec.ValidationError):
        return f"unexpected content: {error}"
    return f"malformed JSON: {error}"


# ---------------------------------------------------------------- restore


def resolve_source(given: str, data_dir: Path) -> Path:
    """The folder `given` names: a folder, else a backup of this workspace's data/ (by name or unique prefix)."""
    from icm_tui.store.backups import Backups

    text = given.strip()
    if not text:
        raise BadInput("give the folder or backup to restore from (see `icm db restore --help`)")
    path = Path(text).expanduser()
    if path.is_dir():
        return path
    backups = Backups(data_dir)
    chosen = backups.find(text)
    if chosen is not None:
        return chosen.path
    known = ", ".join(g.name for g in backups.generations()) or "none"
    raise BadInput(f"{text}: no such folder, and no single backup of that name in {backups.folder} (there are: {known})")


def restore(url: str, register: Register, *, replace: bool, data_dir: Path) -> list[str]:
    """Put `register` in place of the records at `url` in one transaction (see the module doc); the report lines."""
    where = describe_url(url)
    label = f"postgresql://{where}"
    wanted = [records_hash(kind, register.records[kind]) for kind in Kind]
    aside: Path | None = None
    try:
        with connect(url) as conn:
            migrate(conn, where)
            with conn.transaction():
                conn.execute("SET LOCAL lock_timeout = '10s'")
                # The order writers take them in (counter row, record, change counter): no deadlock with them.
                tables = [sql.Identifier("icm_counters"), *map(_table, Kind), sql.Identifier("icm_state")]
                conn.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(sql.SQL(", ").join(tables)))
                held = {kind: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(_table(kind))).fetchone()[0] for kind in Kind}
                if any(held.values()):
                    if not replace:
                        what = ", ".join(f"{n} {kind.value}" for kind, n in held.items() if n)
                        raise BadInput(
                            f"{label} is not empty ({what}); `--replace` replaces them "
                            f"(they are kept in {data_dir / 'corrupt'} first), nothing was changed"
                        )
                    aside = keep_aside(conn, data_dir)
                changes = conn.execute(
                    "UPDATE icm_state SET changes = changes + 1, epoch = epoch + 1 RETURNING changes"
                ).fetchone()[0]
                for kind in Kind:
                    put_kind(conn, kind, register.records[kind], changes)
                added = insert_attempts(conn, register.attempts)
                got = [records_hash(kind, read_kind(conn, kind)) for kind in Kind]
                if got != wanted:
                    raise StoreError(f"the records read back from {label} differ from {register.folder}; nothing was changed")
                total = sum(line.count for line in wanted)
                conn.execute(
                    "INSERT INTO icm_ops (op_id, actor, kind, ref, op, outcome, message) VALUES (%s, %s, 'all', '', 'restore', 'ok', %s)",
                    (str(uuid.uuid4()), _actor(), f"{total} records from {register.folder}" + (f", replacing {sum(held.values())}" if aside else "")),
                )
                conn.execute("SELECT pg_notify('icm_changes.' || current_schema(), %s)", (str(changes),))
    except psycopg.Error as error:
        _drop(aside)
        raise StoreError(f"PostgreSQL at {where}: {_libpq_reason(error)}; nothing was changed") from None
    except BaseException:
        _drop(aside)
        raise
    lines = []
    for line, back in zip(wanted, got):
        lines.append(f"{line.kind.value:<9} {line.count:>8} records  sha256 {line.sha256[:16]}  (from)")
        lines.append(f"{back.kind.value:<9} {back.count:>8} records  sha256 {back.sha256[:16]}  (to)")
    lines.append(f"restored {total} records from {register.folder} into {label}: counts and content hashes equal")
    if register.attempts:
        lines.append(f"{added} refused attempt(s) added to its op log ({len(register.attempts) - added} were there already)")
    if aside is not None:
        lines.append(
            f"the {sum(held.values())} records it replaced are kept in {aside}; "
            f"`icm db restore {aside} --replace` puts them back"
        )
    return lines


def put_kind(conn: psycopg.Connection, kind: Kind, records: list, changes: int) -> None:
    """Replace every row of `kind` by `records` (inside the restore's transaction)."""
    table = _table(kind)
    conn.execute(sql.SQL("DELETE FROM {}").format(table))
    if records:
        names = sql.SQL("".join(f", {n}" for n in extra_columns(kind)))
        with conn.cursor().copy(sql.SQL("COPY {} (num, uid, rev, doc{}) FROM STDIN").format(table, names)) as copy:
            for record in records:
                number = int(record.ref.partition("-")[2])
                copy.write_row((number, record.uid, changes, _ENCODER.encode(record).decode(), *extra_values(kind, record)))
        highest = max(int(r.ref.partition("-")[2]) for r in records)
    else:
        highest = 0
    conn.execute(
        "INSERT INTO icm_counters (kind, last) VALUES (%s, %s)"
        " ON CONFLICT (kind) DO UPDATE SET last = greatest(icm_counters.last, EXCLUDED.last)",
        (kind.value, highest),
    )


def read_kind(conn: psycopg.Connection, kind: Kind) -> list:
    """Every record of `kind` as the transaction sees it."""
    rows = conn.execute(sql.SQL("SELECT doc::text FROM {} ORDER BY num").format(_table(kind))).fetchall()
    return [_DECODERS[kind].decode(doc) for (doc,) in rows]


def keep_aside(conn: psycopg.Connection, data_dir: Path) -> Path:
    """Write the records the register holds to a TinyDB folder in data/corrupt/ (rows that do not decode: as they are)."""
    folder = _aside_folder(data_dir, "replaced-postgresql")
    records: dict[Kind, list] = {}
    undecodable: list[bytes] = []
    for kind in Kind:
        records[kind] = []
        for num, doc in conn.execute(sql.SQL("SELECT num, doc::text FROM {} ORDER BY num").format(_table(kind))):
            try:
                records[kind].append(_DECODERS[kind].decode(doc))
            except msgspec.MsgspecError:
                undecodable.append(msgspec.json.encode({"kind": kind.value, "num": num, "doc": doc}))
    try:
        write_register(folder, records)
        if undecodable:
            (folder / "undecodable.jsonl").write_bytes(b"\n".join(undecodable) + b"\n")
    except OSError as error:
        _drop(folder)
        raise StoreError(
            f"cannot keep the register's records in {folder} before replacing them: {error.strerror}; nothing was changed"
        ) from None
    return folder


def _drop(folder: Path | None) -> None:
    """Remove a kept copy that was never needed (the transaction did not commit)."""
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
