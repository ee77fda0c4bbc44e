"""The embedded default store: TinyDB files in a workspace's data/ folder.

Layout::

    data/icm.json              TinyDB file, table `_meta`: schema version and shard sizes
    data/icm.lock              the lock every write takes (flock on POSIX, see locking.py)
    data/actions/000000.json   TinyDB file, table `actions`: refs A-0 .. A-999
    data/actions/000001.json   refs A-1000 .. A-1999, and so on; likewise meetings/,
    data/requests/, data/pulses/ (meetings 100 refs a file: they are big and rewritten often)
    data/backups/<UTC time>/   rotating generations (see backups.py)
    data/corrupt/              files moved aside by `icm db restore`, never deleted
    data/attempts.jsonl        refused attempts of lost races (base.py), one fsynced JSON line each

Why shards: at 50,000 action items a single file is ~40 MB; rewriting it for every `icm action
add` would cost far more than Taskwarrior's append. Here an add rewrites one file of at most
1,000 items (~1 MB, a few ms), and an update rewrites the one file its ref lives in. The TinyDB
doc_id of a record is its ref number, so a ref names its file and its document without an index,
doc_ids are never reused and never leave this module.

Writes (insert, update, put_many) take the exclusive file lock (bounded wait, then StoreError),
read the shard they touch through `AtomicJSONStorage` (which re-reads only when the file's stat
signature differs from what this process last read), run the caller's function on the fresh
record, let TinyDB apply the change in memory and write the file once, atomically (storage.py).
The next ref is the highest shard's largest doc_id + 1, computed under the lock: there is no
separate counter that could drift from the data.

Reads decode a shard's bytes straight into the msgspec Structs (no TinyDB documents in between;
50,000 items with their histories, 46 MB, in ~0.35 s with the cyclic GC paused) and keep them,
keyed by the file's stat signature: a shard is parsed once per process until another process
replaces it, and `version()` is a few dozen stat calls (one per file). Writes never parse the
other shards: an add reads and rewrites only the last one. TinyDB and the lock are imported only
by writes. Measured next to Taskwarrior by benchmarks/bench_store.py.
Opening is lazy: it reads icm.json (a few hundred bytes) and checks the first and last byte of
every shard, so a truncated or garbage-tailed file is refused at once; a file is fully parsed
before any of its data is used or rewritten, and a file that does not parse is never written:
StoreError names it, why, and the newest backup holding a good copy.

Lost races: an update that finds the lock taken reads the record before it waits; if `change`
then refuses the record it finds under the lock but accepts the one read before, another process
got in first, and the Attempt is appended to attempts.jsonl under the lock. That file is a side
log: appended only, never rewritten, outside the shards, their backups and their rollbacks (a
line cut short by a crash is skipped when read). An update that gets the lock at once reads
nothing extra: no other process was writing, so any refusal is the caller's own.

Schema: `_meta.schema` is SCHEMA for new stores; an older store is migrated forward at open
by MIGRATIONS[v] (v -> v+1) under the lock after a backup; a newer one is refused.
"""

from __future__ import annotations

import gc
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from icm_tui.domain.models import ActionItem, ActionSummary
from icm_tui.errors import IcmError, StoreError, UnknownRef
from icm_tui.store.backups import BadFile, Backups, Generation
from icm_tui.store.base import Attempt, Kind, R, Store, lost_race, lost_race_error, ref_number
from icm_tui.store.locking import LockTimeout, StoreLock
from icm_tui.store.storage import (
    TEMP_SUFFIX, Sig, atomic_write, clean_temp_files, encode, fsync_dir, read_bytes, stat_sig,
)

if TYPE_CHECKING:
    from tinydb import TinyDB
    from tinydb.table import Table

    from icm_tui.store.jsonstorage import AtomicJSONStorage

SCHEMA = 1
"""The schema version this code writes."""

META_FILE = "icm.json"
LOCK_FILE = "icm.lock"
ATTEMPTS_FILE = "attempts.jsonl"
META_TABLE = "_meta"
LOCK_TIMEOUT = 10.0
DEFAULT_SHARD_SIZE = {Kind.ACTIONS: 1000, Kind.MEETINGS: 100, Kind.REQUESTS: 1000, Kind.PULSES: 1000}
SHARD_NAME = re.compile(r"^(\d{6})\.json$")
OPEN_DBS = 4
FULL_ACTION_SHARDS = 4
"""Actions shards kept parsed with their histories (LRU; ~2.5 MB each at 1,000 items): the detail
panel's and the writes' recent ones. Lists and reports stream the shards (iter_action_summaries)."""
"""TinyDB files kept open (with their parsed documents) between writes: the hot shards."""

Migration = Callable[["TinyDBStore"], None]
MIGRATIONS: dict[int, Migration] = {}
"""MIGRATIONS[v] turns a schema-v store into a schema-v+1 one (use `TinyDBStore.map_documents`)."""


class Meta(msgspec.Struct, kw_only=True):
    """The store's own record in icm.json."""

    schema: int
    shard_size: dict[str, int]
    created: str = ""


_META_DECODER = msgspec.json.Decoder(dict[str, dict[str, Meta]])
_DECODERS = {kind: msgspec.json.Decoder(dict[str, dict[str, kind.record_type]]) for kind in Kind}
_SUMMARY_DECODER = msgspec.json.Decoder(dict[str, dict[str, ActionSummary]])
"""Skips each item's history without building it: half the time and memory of a full read."""


class _NoteEvent(msgspec.Struct, gc=False):
    note: str = ""


class _Notes(msgspec.Struct, gc=False):
    ref: str
    history: tuple[_NoteEvent, ...] = ()


_NOTES_DECODER = msgspec.json.Decoder(dict[str, dict[str, _Notes]])
"""Only the notes of each item's history: what filter-as-you-type searches."""


class _SummaryNotes(ActionSummary, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """An action item without its history but for its notes: a list's row and its search text, in one parse."""

    history: tuple[_NoteEvent, ...] = ()


_SUMMARY_NOTES_DECODER = msgspec.json.Decoder(dict[str, dict[str, _SummaryNotes]])


def notes_of(history: Iterable[Any]) -> str:
    """An item's notes, one per line."""
    return "\n".join(event.note for event in history if event.note)


def shard_name(index: int) -> str:
    """The file name of shard `index`."""
    return f"{index:06d}.json"


def decode_meta(data: bytes) -> Meta:
    """The Meta record of icm.json bytes (msgspec errors or ValueError when it is not one)."""
    tables = _META_DECODER.decode(data)
    if set(tables) != {META_TABLE} or set(tables[META_TABLE]) != {"1"}:
        raise ValueError(f"expected exactly one `{META_TABLE}` document")
    return tables[META_TABLE]["1"]


def decode_shard(
    kind: Kind, data: bytes, index: int | None = None, size: int | None = None, decoder: msgspec.json.Decoder | None = None
) -> dict[int, Any]:
    """Records of a shard's bytes by ref number, in ref order; ValueError/msgspec errors when bad.

    With `index` and `size`, also checks that every ref belongs in this shard and matches its doc_id.
    """
    # Decoding makes ~10 objects a record and no cycles; with the cyclic GC on, its repeated
    # passes over them cost 4x the decoding itself (1.6 s instead of 0.33 s for 50,000 items).
    paused = gc.isenabled()
    gc.disable()
    try:
        tables = (decoder or _DECODERS[kind]).decode(data)
    finally:
        if paused:
            gc.enable()
    if set(tables) - {kind.value}:
        raise ValueError(f"unexpected tables {sorted(set(tables) - {kind.value})}")
    docs = tables.get(kind.value, {})
    numbers = [int(k) for k in docs]
    records = dict(zip(numbers, docs.values()))
    if any(a > b for a, b in zip(numbers, numbers[1:])):
        records = dict(sorted(records.items()))
    if index is not None and size is not None:
        prefix = kind.prefix + "-"
        for number, record in records.items():
            if number // size != index:
                raise ValueError(f"doc {number} does not belong in shard {index}")
            if record.ref != f"{prefix}{number}":
                raise ValueError(f"doc {number} has ref {record.ref!r}")
    return records


def verify_file(rel: str, data: bytes, shard_sizes: dict[str, int] | None) -> int:
    """Parse the bytes of store file `rel` (relative to data/) fully; its record count.

    Raises msgspec errors or ValueError when the file is bad. Without `shard_sizes` (icm.json
    unreadable) a shard's refs are not checked against its range.
    """
    if rel == META_FILE:
        decode_meta(data)
        return 1
    kind_name, _, name = rel.partition("/")
    match = SHARD_NAME.match(name)
    if kind_name not in Kind._value2member_map_ or match is None:
        raise ValueError(f"{rel} is not a store file")
    kind = Kind(kind_name)
    size = shard_sizes.get(kind.value) if shard_sizes else None
    return len(decode_shard(kind, data, int(match.group(1)), size))


def why(error: Exception) -> str:
    """A reader's explanation of why a file did not parse."""
    return _why(error)


def _why(error: Exception) -> str:
    text = str(error)
    if isinstance(error, msgspec.DecodeError):
        if "truncated" in text:
            return f"the file ends too early (truncated or empty): {text}"
        if "trailing characters" in text.lower():
            return f"there is garbage after the data: {text}"
        if "utf-8" in text.lower():
            return f"the file is not valid UTF-8: {text}"
        return f"malformed JSON: {text}"
    if isinstance(error, msgspec.ValidationError):
        return f"unexpected content: {text}"
    return text


class TinyDBStore(Store):
    """Action items, meetings, requests and pulses in sharded TinyDB files under `data_dir`."""

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        *,
        create: bool = True,
        shard_size: int | dict[Kind, int] | None = None,
        backup_interval: float = 600.0,
        backup_keep: int = 10,
        lock_timeout: float = LOCK_TIMEOUT,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.backups = Backups(self.data_dir, interval=backup_interval, keep=backup_keep)
        self._mutex = threading.RLock()
        self._lock_timeout = lock_timeout
        self._lock: StoreLock | None = None
        self._typed: OrderedDict[Path, tuple[Sig, dict[int, Any]]] = OrderedDict()
        """Parsed shards by path with the stat signature they were read at; actions shards LRU-bounded."""
        self._notes: dict[Path, tuple[Sig, dict[int, str]]] = {}
        """Actions shards' notes (action_notes), by the same signatures."""
        self._dbs: OrderedDict[Path, TinyDB] = OrderedDict()
        self._seen: Hashable = None
        self._meta_sig: Sig | None = None
        self.meta = self._open(create, shard_size)
        self._seen = self.version()

    # Opening.

    def _open(self, create: bool, shard_size: int | dict[Kind, int] | None) -> Meta:
        if self.data_dir.exists() and not self.data_dir.is_dir():
            raise StoreError(f"{self.data_dir} is a file, not the store's folder; move it away and run icm again")
        if not self.data_dir.is_dir():
            if not create:
                raise StoreError(f"no store in {self.data_dir} (run a command that writes, or check --workspace)")
            try:
                self.data_dir.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise StoreError(f"cannot create {self.data_dir}: {error.strerror}") from None
        self._clean_leftovers()
        meta = self._read_meta()
        if meta is None:
            if any(self._shards(kind) for kind in Kind):
                raise StoreError(
                    f"{self.data_dir / META_FILE} is missing but {self.data_dir} holds records; "
                    f"restore it with `icm db restore`"
                )
            if not create:
                raise StoreError(f"no store in {self.data_dir}")
            meta = self._create(shard_size)
        if meta.schema > SCHEMA:
            raise StoreError(
                f"{self.data_dir / META_FILE} has schema version {meta.schema}, this icm knows up to "
                f"{SCHEMA}: upgrade icm to use this store"
            )
        self.meta = meta
        if meta.schema < SCHEMA:
            meta = self._migrate(meta)
        self._quick_check()
        return meta

    def _clean_leftovers(self) -> None:
        """Remove temp files of interrupted writes, if no other process is writing right now."""
        folders = [self.data_dir, *(self.data_dir / kind.value for kind in Kind)]
        if not any(_has_temp_files(folder) for folder in folders) and not self.backups.has_temp():
            return  # the common case: no lock taken
        lock = self._file_lock()
        try:
            lock.acquire(timeout=0)
        except LockTimeout:
            return  # a writer's temp files are in use; whoever opens next cleans up
        except OSError as error:
            raise StoreError(f"cannot lock {self.data_dir / LOCK_FILE}: {error.strerror}") from None
        try:
            for folder in folders:
                clean_temp_files(folder)
            self.backups.clean_temp()
        finally:
            lock.release()

    def _file_lock(self) -> StoreLock:
        """The lock every write takes."""
        if self._lock is None:
            self._lock = StoreLock(self.data_dir / LOCK_FILE, self._lock_timeout)
        return self._lock

    def _read_meta(self) -> Meta | None:
        path = self.data_dir / META_FILE
        loaded = read_bytes(path)
        if loaded is None:
            return None
        data, sig = loaded
        try:
            meta = decode_meta(data)
        except (msgspec.MsgspecError, ValueError) as error:
            raise self.corrupt(META_FILE, _why(error)) from None
        self._meta_sig = sig
        return meta

    def _create(self, shard_size: int | dict[Kind, int] | None) -> Meta:
        if isinstance(shard_size, int):
            sizes = {kind: shard_size for kind in Kind}
        else:
            sizes = {**DEFAULT_SHARD_SIZE, **(shard_size or {})}
        import datetime as _dt

        meta = Meta(
            schema=SCHEMA,
            shard_size={kind.value: sizes[kind] for kind in Kind},
            created=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        )
        with self._locked():
            existing = self._read_meta()  # another process may have created it meanwhile
            if existing is not None:
                return existing
            self._write_meta(meta)
        return meta

    def _write_meta(self, meta: Meta) -> None:
        path = self.data_dir / META_FILE
        db = _tinydb(path)
        storage: AtomicJSONStorage = db.storage  # type: ignore[assignment]
        storage.begin()
        try:
            table = db.table(META_TABLE, cache_size=0)
            table.truncate()
            table.insert(_document(msgspec.to_builtins(meta), 1))
            self._meta_sig = storage.commit()
        except BaseException:
            storage.discard()
            raise
        finally:
            db.close()

    def _migrate(self, meta: Meta) -> Meta:
        with self._locked():
            current = self._read_meta() or meta
            if current.schema >= SCHEMA:
                return current
            try:
                self.backups.snapshot(self.data_dir, self.files(), self.verify, current.schema)
            except BadFile as bad:
                raise self.corrupt(bad.rel, _why(bad.error)) from None
            while current.schema < SCHEMA:
                step = MIGRATIONS.get(current.schema)
                if step is None:
                    raise StoreError(f"no migration from schema {current.schema} to {current.schema + 1}")
                self.meta = current
                step(self)
                current = msgspec.structs.replace(current, schema=current.schema + 1)
                self._write_meta(current)
            self.meta = current
            return current

    def _quick_check(self) -> None:
        """Refuse at once a shard whose first or last byte shows it cut short or padded."""
        for kind in Kind:
            for index in self._shards(kind):
                path = self._shard_path(kind, index)
                try:
                    with open(path, "rb") as handle:
                        head = handle.read(1)
                        size = handle.seek(0, os.SEEK_END)
                        handle.seek(max(0, size - 64))
                        tail = handle.read().rstrip()
                except FileNotFoundError:
                    continue
                except OSError as error:
                    raise StoreError(f"cannot read {path}: {error.strerror}") from None
                if head != b"{" or not tail.endswith(b"}"):
                    why = "the file is empty" if size == 0 else "the file is cut short or has garbage at its end"
                    raise self.corrupt(self._rel(path), why)

    # Files.

    def _shard_dir(self, kind: Kind) -> Path:
        return self.data_dir / kind.value

    def _shard_path(self, kind: Kind, index: int) -> Path:
        return self._shard_dir(kind) / shard_name(index)

    def _shards(self, kind: Kind) -> list[int]:
        """Indexes of the kind's shard files, ascending."""
        try:
            names = os.listdir(self._shard_dir(kind))
        except FileNotFoundError:
            return []
        return sorted(int(m.group(1)) for name in names if (m := SHARD_NAME.match(name)))

    def shard_size(self, kind: Kind) -> int:
        """How many refs one file of `kind` holds."""
        return self.meta.shard_size[kind.value]

    def _rel(self, path: Path) -> str:
        return path.relative_to(self.data_dir).as_posix()

    def files(self) -> list[str]:
        """Every store file, relative to data/ (icm.json first)."""
        rels = [META_FILE] if (self.data_dir / META_FILE).exists() else []
        for kind in Kind:
            rels += [f"{kind.value}/{shard_name(i)}" for i in self._shards(kind)]
        return rels

    def verify(self, rel: str, data: bytes) -> int:
        """Parse the bytes of store file `rel` fully; its record count (raises when it is bad)."""
        meta = getattr(self, "meta", None)
        return verify_file(rel, data, meta.shard_size if meta is not None else None)

    def corrupt(self, rel: str, why: str) -> StoreError:
        """The error for a store file that does not parse: which, why, and the way back."""
        path = self.data_dir / rel
        lines = [f"{path} cannot be read: {why}", "the file was left exactly as it is"]
        try:
            good = self.backups.newest_good(rel, self.verify)
        except Exception:
            good = None
        if good is not None:
            lines.append(f"newest good backup: {good.path} (taken {good.manifest.created})")
            lines.append(f"restore it with: icm db restore {good.name}")
        else:
            lines.append(f"no good backup of it in {self.backups.folder}; see `icm db check`")
        return StoreError("\n".join(lines))

    # Locking.

    @contextmanager
    def _locked(self, before_wait: Callable[[], None] | None = None) -> Iterator[None]:
        """Hold this process's mutex and the store's file lock (`before_wait()` runs when another process holds it)."""
        lock = self._file_lock()
        with self._mutex:
            try:
                if before_wait is None:
                    lock.acquire()
                else:
                    try:
                        lock.acquire(timeout=0)
                    except LockTimeout:
                        before_wait()
                        lock.acquire()
            except LockTimeout:
                raise StoreError(
                    f"the store is locked by another process (waited {self._lock_timeout:g} s for "
                    f"{self.data_dir / LOCK_FILE}); try again when the other icm has finished"
                ) from None
            except OSError as error:
                raise StoreError(
                    f"cannot lock {self.data_dir / LOCK_FILE}: {error.strerror}; changes need write access to {self.data_dir}"
                ) from None
            try:
                yield
            finally:
                lock.release()

    @contextmanager
    def _writing(self, before_wait: Callable[[], None] | None = None) -> Iterator[None]:
        """The frame of every write: the lock, a current schema, a backup when one is due."""
        with self._locked(before_wait):
            if stat_sig(self.data_dir / META_FILE) != self._meta_sig:
                meta = self._read_meta()
                if meta is None:
                    raise StoreError(f"{self.data_dir / META_FILE} has disappeared")
                if meta.schema != SCHEMA:
                    raise StoreError(
                        f"{self.data_dir / META_FILE} now has schema version {meta.schema}; "
                        f"this icm writes {SCHEMA}: upgrade icm"
                    )
                self.meta = meta
            if self.backups.due():
                try:
                    self.backups.snapshot(self.data_dir, self.files(), self.verify, SCHEMA)
                except BadFile as bad:
                    raise self.corrupt(bad.rel, _why(bad.error)) from None
                except OSError as error:
                    raise StoreError(f"cannot write a backup in {self.backups.folder}: {error.strerror}") from None
            yield

    # TinyDB files (write path).

    def _db(self, path: Path) -> TinyDB:
        db = self._dbs.get(path)
        if db is None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise StoreError(
                    f"cannot create {path.parent}: {error.strerror}; changes need write access to {self.data_dir}"
                ) from None
            db = _tinydb(path, describe=self._describe)
            self._dbs[path] = db
            while len(self._dbs) > OPEN_DBS:
                self._dbs.popitem(last=False)[1].close()
        self._dbs.move_to_end(path)
        return db

    def _describe(self, path: Path, why: str) -> str:
        return str(self.corrupt(self._rel(Path(path)), _why_text(why)))

    def _keep_typed(self, path: Path, old_sig: Sig | None, new_sig: Sig, number: int, record: Any) -> None:
        """Patch the parsed shard with the one record written, if it was parsed from the file replaced."""
        cached = self._typed.get(path)
        if cached is not None and old_sig is not None and cached[0] == old_sig:
            records = cached[1]
            records[number] = record
            self._typed[path] = (new_sig, records)
        else:
            self._typed.pop(path, None)
        # The notes view of an actions shard follows the same write, so it is never re-read for it.
        notes = self._notes.get(path)
        if notes is not None and old_sig is not None and notes[0] == old_sig and isinstance(record, ActionItem):
            notes[1][number] = notes_of(record.history)
            self._notes[path] = (new_sig, notes[1])
        else:
            self._notes.pop(path, None)

    # Reads.

    def _records(self, kind: Kind, index: int, keep: bool = True) -> dict[int, Any]:
        """The parsed records of one shard, re-parsed only when the file changed (and kept, unless not `keep`)."""
        path = self._shard_path(kind, index)
        cached = self._typed.get(path)
        if cached is not None and stat_sig(path) == cached[0]:
            self._typed.move_to_end(path)
            return cached[1]
        loaded = read_bytes(path)
        if loaded is None:
            self._typed.pop(path, None)
            return {}
        data, sig = loaded
        try:
            records = decode_shard(kind, data)
        except (msgspec.MsgspecError, ValueError) as error:
            raise self.corrupt(self._rel(path), _why(error)) from None
        if not keep:
            return records
        self._typed[path] = (sig, records)
        self._typed.move_to_end(path)
        if kind is Kind.ACTIONS:
            self._evict_full_actions()
        return records

    def _evict_full_actions(self) -> None:
        """Keep at most FULL_ACTION_SHARDS actions shards parsed with histories (most recent)."""
        actions_dir = self.data_dir / Kind.ACTIONS.value
        held = [path for path in self._typed if path.parent == actions_dir]
        for path in held[: max(0, len(held) - FULL_ACTION_SHARDS)]:
            del self._typed[path]

    def iter_actions(self) -> Iterator[ActionItem]:
        # A streamed pass (a report) parses every shard: it uses the cache but adds nothing to it,
        # or it would leave FULL_ACTION_SHARDS shards of histories behind (~20 MB at 50,000 items).
        with self._mutex:
            indexes = self._shards(Kind.ACTIONS)
        for index in indexes:
            with self._mutex:
                records = list(self._records(Kind.ACTIONS, index, keep=False).values())
            yield from records

    def iter_action_summaries(self, notes: bool = False) -> Iterator[ActionSummary]:
        # Shard by shard, from a cache when it is fresh, else parsed light and not kept: the home
        # and actions screens read every item without holding 50,000 summaries (~50 MB) afterwards.
        with self._mutex:
            indexes = self._shards(Kind.ACTIONS)
        for index in indexes:
            with self._mutex:
                records = self._streamed(index, notes)
            yield from records

    def _streamed(self, index: int, notes: bool) -> list[Any]:
        """One actions shard's summaries (with notes: and their notes as `history`), adding nothing to the caches."""
        path = self._shard_path(Kind.ACTIONS, index)
        sig = stat_sig(path)
        full = self._typed.get(path)
        if full is not None and full[0] == sig:
            return list(full[1].values())
        loaded = read_bytes(path)
        if loaded is None:
            return []
        try:
            decoder = _SUMMARY_NOTES_DECODER if notes else _SUMMARY_DECODER
            return list(decode_shard(Kind.ACTIONS, loaded[0], decoder=decoder).values())
        except (msgspec.MsgspecError, ValueError) as error:
            raise self.corrupt(self._rel(path), _why(error)) from None

    def action_notes(self) -> dict[str, str]:
        with self._mutex:
            out: dict[str, str] = {}
            prefix = Kind.ACTIONS.prefix + "-"
            for index in self._shards(Kind.ACTIONS):
                for number, text in self._shard_notes(index).items():
                    if text:
                        out[f"{prefix}{number}"] = text
            return out

    def _shard_notes(self, index: int) -> dict[int, str]:
        """One actions shard's notes by ref number: from the full parse when fresh, else notes alone."""
        return self._light_view(
            index, self._notes, lambda item: notes_of(item.history), _NOTES_DECODER, lambda doc: notes_of(doc.history)
        )

    def action_summaries(self) -> list[ActionSummary]:
        # Not cached: 50,000 summaries are ~50 MB of RSS, and a cache would hold them for the
        # session for whichever caller asked once (a review queue, an export). A light parse of
        # every shard costs ~0.2 s; callers that need one pass stream (iter_action_summaries).
        return list(self.iter_action_summaries())

    def _light_view(
        self,
        index: int,
        cache: dict[Path, tuple[Sig, dict[int, Any]]],
        from_full: Callable[[Any], Any],
        decoder: msgspec.json.Decoder,
        from_doc: Callable[[Any], Any],
    ) -> dict[int, Any]:
        """A cached per-record view of one actions shard, derived from its full parse or decoded light."""
        path = self._shard_path(Kind.ACTIONS, index)
        sig = stat_sig(path)
        cached = cache.get(path)
        if cached is not None and cached[0] == sig:
            return cached[1]
        full = self._typed.get(path)
        if full is not None and full[0] == sig:
            view = {number: from_full(item) for number, item in full[1].items()}
        else:
            loaded = read_bytes(path)
            if loaded is None:
                return {}
            data, sig = loaded
            try:
                view = {number: from_doc(doc) for number, doc in decode_shard(Kind.ACTIONS, data, decoder=decoder).items()}
            except (msgspec.MsgspecError, ValueError) as error:
                raise self.corrupt(self._rel(path), _why(error)) from None
        cache[path] = (sig, view)
        return view

    def all(self, kind: Kind) -> list:
        with self._mutex:
            out: list = []
            for index in self._shards(kind):
                out.extend(self._records(kind, index).values())
            return out

    def _parse_ref(self, kind: Kind, key: str) -> int | None:
        text = key.strip()
        prefix, dash, number = text.partition("-")
        if dash and prefix.upper() == kind.prefix and number.isascii() and number.isdigit():
            return int(number)
        return None

    def _find_uid(self, kind: Kind, uid: str) -> int | None:
        for index in self._shards(kind):
            for number, record in self._records(kind, index).items():
                if record.uid == uid:
                    return number
        return None

    def _number(self, kind: Kind, key: str) -> int:
        number = self._parse_ref(kind, key)
        if number is None:
            number = self._find_uid(kind, key.strip())
        if number is None:
            raise UnknownRef(f"no {kind.value[:-1]} {key!r}")
        return number

    def get(self, kind: Kind, key: str):
        with self._mutex:
            number = self._number(kind, key)
            index = number // self.shard_size(kind)
            record = self._records(kind, index).get(number)
            if record is None:
                raise UnknownRef(f"no {kind.value[:-1]} {key!r}")
            return record

    # Writes.

    def insert(self, kind: Kind, build: Callable[[str], R]) -> R:
        size = self.shard_size(kind)
        with self._writing():
            shards = self._shards(kind)
            last = shards[-1] if shards else 0
            path = self._shard_path(kind, last)
            db = self._db(path)
            storage: AtomicJSONStorage = db.storage  # type: ignore[assignment]
            storage.begin()
            try:
                data = storage.read() or {}
                docs = data.get(kind.value, {})
                highest = max(map(int, docs), default=0)
                number = max(highest + 1, last * size, 1)
                ref = f"{kind.prefix}-{number}"
                record = build(ref)
                if record.ref != ref:
                    raise ValueError(f"build() must keep the ref {ref}, it made {record.ref}")
                doc = _document(msgspec.to_builtins(record), number)
                if number // size != last:
                    storage.discard()
                    path = self._shard_path(kind, number // size)
                    db = self._db(path)
                    storage = db.storage  # type: ignore[assignment]
                    storage.begin()
                old_sig = storage.sig
                db.table(kind.value, cache_size=0).insert(doc)
                new_sig = storage.commit()
            except BaseException:
                storage.discard()
                raise
            if new_sig is not None:
                self._keep_typed(path, old_sig, new_sig, number, record)
            return record

    def update(self, kind: Kind, key: str, change: Callable[[R], R], *, seen: Any = None) -> R:
        before: list[Any] = [seen]

        def read_before_waiting() -> None:
            if before[0] is None:
                try:
                    before[0] = self.get(kind, key)
                except IcmError:
                    pass  # the read under the lock reports it

        with self._writing(read_before_waiting):
            number = self._number(kind, key)
            path = self._shard_path(kind, number // self.shard_size(kind))
            if not path.exists():
                raise UnknownRef(f"no {kind.value[:-1]} {key!r}")
            db = self._db(path)
            storage: AtomicJSONStorage = db.storage  # type: ignore[assignment]
            storage.begin()
            try:
                table = db.table(kind.value, cache_size=0)
                old_sig = None
                doc = table.get(doc_id=number)
                old_sig = storage.sig
                if doc is None:
                    raise UnknownRef(f"no {kind.value[:-1]} {key!r}")
                try:
                    current = msgspec.convert(dict(doc), kind.record_type)
                except msgspec.MsgspecError as error:
                    raise self.corrupt(self._rel(path), f"{kind.prefix}-{number}: {error}") from None
                try:
                    record = change(current)
                except IcmError as error:
                    attempt = lost_race(kind, change, before[0], current, error)
                    if attempt is None:
                        raise
                    self._keep_attempts([attempt])
                    raise lost_race_error(error, attempt) from error
                if record.uid != current.uid or record.ref != current.ref:
                    raise ValueError("update must keep the record's uid and ref")
                _replace_docs(table, {number: msgspec.to_builtins(record)})
                new_sig = storage.commit()
            except BaseException:
                storage.discard()
                raise
            if new_sig is not None:
                self._keep_typed(path, old_sig, new_sig, number, record)
            return record

    def put_many(self, kind: Kind, records: Iterable[R]) -> int:
        size = self.shard_size(kind)
        incoming: dict[int, Any] = {}
        for record in records:
            number = ref_number(record.ref)
            if number <= 0 or not record.ref.upper().startswith(kind.prefix + "-"):
                raise ValueError(f"{record.ref!r} is not a {kind.value[:-1]} ref")
            incoming[number] = record
        if not incoming:
            return 0
        with self._writing():
            where: dict[str, int] = {}
            for index in self._shards(kind):
                for number, existing in self._records(kind, index).items():
                    where[existing.uid] = number
            moves: dict[int, list[int]] = {}
            for number, record in incoming.items():
                at = where.get(record.uid)
                if at is None:
                    holder = self._records(kind, number // size).get(number)
                    if holder is not None and holder.uid != record.uid and holder.uid not in {
                        r.uid for r in incoming.values()
                    }:
                        raise ValueError(f"{record.ref} already belongs to another record ({holder.uid})")
                elif at != number:
                    moves.setdefault(at // size, []).append(at)
            by_shard: dict[int, dict[int, Any]] = {}
            for number, record in incoming.items():
                by_shard.setdefault(number // size, {})[number] = record
            for index in sorted(set(by_shard) | set(moves)):
                path = self._shard_path(kind, index)
                with self._table(kind, path) as table:
                    if index in moves:
                        table.remove(doc_ids=moves[index])
                    batch = by_shard.get(index, {})
                    present = {n for n in batch if table.contains(doc_id=n)}
                    _replace_docs(table, {n: msgspec.to_builtins(batch[n]) for n in present})
                    table.insert_multiple(
                        _document(msgspec.to_builtins(r), n) for n, r in batch.items() if n not in present
                    )
        return len(incoming)

    @contextmanager
    def _table(self, kind: Kind, path: Path) -> Iterator[Table]:
        """A TinyDB table of one file; its changes are written once when the block succeeds."""
        db = self._db(path)
        storage: AtomicJSONStorage = db.storage  # type: ignore[assignment]
        storage.begin()
        try:
            yield db.table(kind.value, cache_size=0)
            storage.commit()
        except BaseException:
            storage.discard()
            raise
        finally:
            self._typed.pop(path, None)

    def map_documents(self, kind: Kind, change: Callable[[dict], dict]) -> None:
        """Rewrite every stored document of `kind` with `change` (for migrations; lock held)."""
        for index in self._shards(kind):
            path = self._shard_path(kind, index)
            with self._table(kind, path) as table:
                docs = {doc.doc_id: change(dict(doc)) for doc in table.all()}
                _replace_docs(table, docs)

    # Refused attempts of lost races (a side log; see the module doc).

    def attempts(self, kind: Kind | None = None, ref: str = "") -> list[Attempt]:
        path = self.data_dir / ATTEMPTS_FILE
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as error:
            raise StoreError(f"cannot read {path}: {error.strerror}") from None
        wanted = ref.strip().upper()
        found = []
        for attempt in read_attempts(data)[0]:
            if (kind is None or attempt.kind == kind.value) and (not wanted or attempt.ref.upper() == wanted):
                found.append(attempt)
        return sorted(found, key=lambda a: a.at)  # appended in time order, except what add_attempts copied in

    def add_attempts(self, attempts: Iterable[Attempt]) -> int:
        incoming = list(attempts)
        if not incoming:
            return 0
        with self._locked():
            known = {msgspec.json.encode(a) for a in self.attempts()}
            fresh = []
            for attempt in incoming:
                line = msgspec.json.encode(attempt)
                if line not in known:
                    known.add(line)
                    fresh.append(attempt)
            self._keep_attempts(fresh)
        return len(fresh)

    def _keep_attempts(self, attempts: list[Attempt]) -> None:
        """Append attempts to the side log, durably (lock held)."""
        if not attempts:
            return
        path = self.data_dir / ATTEMPTS_FILE
        lines = b"".join(msgspec.json.encode(a) + b"\n" for a in attempts)
        try:
            created = not path.exists()
            fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    lines = b"\n" + lines  # a line cut short by a crash stays alone, and is skipped
                os.write(fd, lines)
                os.fsync(fd)
            finally:
                os.close(fd)
            if created:
                fsync_dir(self.data_dir)
        except OSError as error:
            raise StoreError(f"cannot record the refused attempt in {path}: {error.strerror}") from None

    # Polling.

    def version(self) -> Hashable:
        stamps: list[Any] = [stat_sig(self.data_dir / META_FILE)]
        for kind in Kind:
            try:
                with os.scandir(self._shard_dir(kind)) as entries:
                    for entry in entries:
                        if SHARD_NAME.match(entry.name):
                            st = entry.stat()
                            stamps.append((kind.value, entry.name, st.st_ino, st.st_size, st.st_mtime_ns))
            except FileNotFoundError:
                continue
        return tuple(sorted(stamps, key=repr))

    def refresh(self) -> bool:
        with self._mutex:
            current = self.version()
            changed = current != self._seen
            self._seen = current
            if changed:
                for cache in (self._typed, self._notes):
                    for path, (sig, _) in list(cache.items()):
                        if stat_sig(path) != sig:
                            del cache[path]
            return changed

    def close(self) -> None:
        with self._mutex:
            for db in self._dbs.values():
                db.close()
            self._dbs.clear()
            self._typed.clear()
            self._notes.clear()

    def newest_backup(self) -> Generation | None:
        """The newest completed backup generation."""
        gens = self.backups.generations()
        return gens[0] if gens else None

    def write_raw(self, rel: str, data: bytes) -> None:
        """Replace store file `rel` by `data` atomically (restore; the caller holds the lock)."""
        path = self.data_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, data)
        self._typed.pop(path, None)
        db = self._dbs.pop(path, None)
        if db is not None:
            db.close()

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the store's lock (for admin operations such as restore)."""
        with self._locked():
            yield


_ATTEMPT_DECODER = msgspec.json.Decoder(Attempt)


def read_attempts(data: bytes) -> tuple[list[Attempt], int]:
    """The attempts of attempts.jsonl bytes, and how many lines did not parse (skipped)."""
    found, bad = [], 0
    for line in data.splitlines():
        if not line.strip():
            continue
        try:
            found.append(_ATTEMPT_DECODER.decode(line))
        except msgspec.MsgspecError:
            bad += 1
    return found, bad


def _tinydb(path: Path, **kwargs: Any) -> TinyDB:
    """A TinyDB on one store file through the atomic storage (TinyDB is imported for writes only)."""
    from tinydb import TinyDB

    from icm_tui.store.jsonstorage import AtomicJSONStorage

    return TinyDB(path, storage=AtomicJSONStorage, **kwargs)


def _document(doc: dict, doc_id: int) -> dict:
    """A TinyDB Document with an explicit doc_id (the ref number)."""
    from tinydb.table import Document

    return Document(doc, doc_id=doc_id)


def _has_temp_files(folder: Path) -> bool:
    try:
        return any(n.startswith(".") and n.endswith(TEMP_SUFFIX) for n in os.listdir(folder))
    except FileNotFoundError:
        return False


def _why_text(why: str) -> str:
    lowered = why.lower()
    if "truncated" in lowered:
        return f"the file ends too early (truncated or empty): {why}"
    if "trailing" in lowered:
        return f"there is garbage after the data: {why}"
    if "utf-8" in lowered:
        return f"the file is not valid UTF-8: {why}"
    return why


def _replace_docs(table: Table, docs: dict[int, dict]) -> None:
    """Replace whole documents, matched by uid (TinyDB's update merges fields, keeping removed ones)."""
    if not docs:
        return
    by_uid = {doc["uid"]: doc for doc in docs.values()}

    def replace(doc: dict) -> None:
        new = by_uid[doc["uid"]]
        doc.clear()
        doc.update(new)

    table.update(replace, doc_ids=list(docs))


def encode_records(kind: Kind, records: dict[int, Any]) -> bytes:
    """The bytes of a shard file holding `records` (for tools and tests)."""
    return encode({kind.value: {str(n): msgspec.to_builtins(r) for n, r in records.items()}})
