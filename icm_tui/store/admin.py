"""`icm db check` and `icm db restore` of a TinyDB register: work on the files directly, since the store refuses to open when one is bad.

`read_register` reads a whole TinyDB register from a folder (a data/ folder, a copy made by
`icm db copy`, a backup generation), every file verified first: what a PostgreSQL restore loads.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Iterable
from typing import Any

import msgspec

from icm_tui.errors import BadInput, StoreError
from icm_tui.store.backups import MANIFEST, Backups, Generation
from icm_tui.store.base import Attempt, Kind, Store, ref_number
from icm_tui.store.locking import LockTimeout, StoreLock
from icm_tui.store.storage import atomic_write, encode, read_bytes
from icm_tui.store.tinydb_store import (
    ATTEMPTS_FILE, DEFAULT_SHARD_SIZE, LOCK_FILE, LOCK_TIMEOUT, META_FILE, META_TABLE, SCHEMA, SHARD_NAME, Meta,
    decode_meta, decode_shard, encode_records, read_attempts, shard_name, verify_file, why,
)


@dataclass(frozen=True)
class FileCheck:
    """The verdict on one file."""

    path: Path
    ok: bool
    detail: str

    def line(self) -> str:
        """One line for `icm db check`."""
        return f"{'ok ' if self.ok else 'BAD'}  {self.path}  {self.detail}"


def live_files(data_dir: Path) -> list[str]:
    """Every store file present, relative to data/ (icm.json first)."""
    rels = [META_FILE] if (data_dir / META_FILE).exists() else []
    for kind in Kind:
        folder = data_dir / kind.value
        if folder.is_dir():
            rels += sorted(f"{kind.value}/{n}" for n in os.listdir(folder) if SHARD_NAME.match(n))
    return rels


def shard_sizes(data_dir: Path) -> dict[str, int] | None:
    """The shard sizes icm.json records, None when it cannot be read."""
    loaded = read_bytes(data_dir / META_FILE)
    if loaded is None:
        return None
    try:
        return decode_meta(loaded[0]).shard_size
    except Exception:
        return None


def check_file(path: Path, rel: str, sizes: dict[str, int] | None) -> FileCheck:
    """Parse one file fully."""
    loaded = read_bytes(path)
    if loaded is None:
        return FileCheck(path, False, "missing")
    try:
        count = verify_file(rel, loaded[0], sizes)
    except Exception as error:
        return FileCheck(path, False, why(error))
    return FileCheck(path, True, "store metadata" if rel == META_FILE else f"{count} records")


def bad_live_files(data_dir: Path) -> dict[str, FileCheck]:
    """The store files that do not parse (a missing icm.json beside records counts), by relative path."""
    sizes = shard_sizes(data_dir)
    rels = live_files(data_dir)
    if META_FILE not in rels and rels:
        rels.insert(0, META_FILE)
    bad = {}
    for rel in rels:
        verdict = check_file(data_dir / rel, rel, sizes)
        if not verdict.ok:
            bad[rel] = verdict
    return bad


def check(data_dir: Path) -> tuple[bool, list[str]]:
    """Verify every store file and every backup generation: (all good, one line per file)."""
    lines: list[str] = []
    ok = True
    if data_dir.exists() and not data_dir.is_dir():
        raise StoreError(f"{data_dir} is a file, not the store's folder; move it away and run icm again")
    if not data_dir.is_dir():
        return True, [f"no store in {data_dir} (nothing to check)"]
    sizes = shard_sizes(data_dir)
    rels = live_files(data_dir)
    if META_FILE not in rels and rels:
        rels.insert(0, META_FILE)
    for rel in rels:
        verdict = check_file(data_dir / rel, rel, sizes)
        ok &= verdict.ok
        lines.append(verdict.line())
    backups = Backups(data_dir)
    gens = backups.generations()
    for gen in gens:
        try:
            files = gen.manifest.files
        except Exception as error:
            ok = False
            lines.append(FileCheck(gen.path / "MANIFEST.json", False, why(error)).line())
            continue
        for rel, entry in files.items():
            verdict = check_file(gen.file(rel), rel, sizes)
            if verdict.ok and verdict.detail != "store metadata" and verdict.detail != f"{entry.records} records":
                verdict = FileCheck(verdict.path, False, f"{verdict.detail}, the manifest says {entry.records}")
            ok &= verdict.ok
            lines.append(verdict.line())
    if not gens:
        lines.append(f"(no backups in {backups.folder} yet)")
    attempts = data_dir / ATTEMPTS_FILE
    loaded = read_bytes(attempts)
    if loaded is not None:
        found, skipped = read_attempts(loaded[0])
        note = f"; {skipped} line(s) cut short by a crash are skipped" if skipped else ""
        lines.append(FileCheck(attempts, True, f"{len(found)} refused attempt(s) of lost races{note}").line())
    return ok, lines


def _lock(data_dir: Path) -> StoreLock:
    lock = StoreLock(data_dir / LOCK_FILE, LOCK_TIMEOUT)
    try:
        lock.acquire()
    except LockTimeout:
        raise StoreError(f"the store is locked by another process ({data_dir / LOCK_FILE}); try again") from None
    except OSError as error:
        raise StoreError(
            f"cannot lock {data_dir / LOCK_FILE}: {error.strerror or error}; restoring needs write access to {data_dir}"
        ) from None
    return lock


def _set_aside(data_dir: Path, rel: str, folder: Path) -> Path:
    """Keep the current file under `folder` (a hard link, else a copy) before it is replaced."""
    source = data_dir / rel
    target = folder / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
    return target


def _aside_folder(data_dir: Path, what: str) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    folder = data_dir / "corrupt" / f"{stamp}-{what}"
    n = 1
    while folder.exists():
        n += 1
        folder = data_dir / "corrupt" / f"{stamp}-{what}-{n}"
    return folder


def restore(data_dir: Path, name: str | None = None) -> list[str]:
    """Put good files back from a backup, keeping every replaced file in data/corrupt/.

    With bad files: each is replaced by its copy in `name`, else in the newest generation where
    it parses. With no bad file and a `name`: the whole store is rolled back to that generation.
    """
    if data_dir.exists() and not data_dir.is_dir():
        raise StoreError(f"{data_dir} is a file, not the store's folder; move it away (there is nothing to restore into)")
    if not data_dir.is_dir():
        raise StoreError(f"no store in {data_dir}")
    backups = Backups(data_dir)
    chosen: Generation | None = None
    if name is not None:
        if not name.strip():  # "" is a prefix of every name: it must not roll the store back
            raise BadInput("give the name of a backup (see `icm db check`), or no name to repair bad files only")
        chosen = backups.find(name.strip())
        if chosen is None:
            known = ", ".join(g.name for g in backups.generations()) or "none"
            raise BadInput(f"no single backup called {name!r} in {backups.folder} (there are: {known})")
    lock = _lock(data_dir)
    try:
        return _restore_locked(data_dir, backups, chosen)
    except OSError as error:
        where = error.filename or data_dir
        raise StoreError(f"cannot restore {where}: {error.strerror or error}; check the permissions of {data_dir}") from None
    finally:
        lock.release()


def _restore_locked(data_dir: Path, backups: Backups, chosen: Generation | None) -> list[str]:
    """The body of `restore`, under the store's lock."""
    bad = bad_live_files(data_dir)
    sizes = shard_sizes(data_dir)
    lines: list[str] = []
    if not bad and chosen is None:
        return [f"nothing to restore: every file in {data_dir} parses (see `icm db check`)"]
    if bad:
        plan: list[tuple[str, Generation]] = []
        for rel in bad:
            source = chosen if chosen is not None else backups.newest_good(
                rel, lambda r, d: verify_file(r, d, sizes if r != META_FILE else None)
            )
            if source is None or check_file(source.file(rel), rel, sizes if rel != META_FILE else None).ok is False:
                where = f"backup {chosen.name}" if chosen is not None else str(backups.folder)
                raise StoreError(f"no good copy of {data_dir / rel} in {where}; the file is left as it is")
            plan.append((rel, source))
        aside = _aside_folder(data_dir, "bad")
        for rel, source in plan:
            if (data_dir / rel).exists():
                kept = _set_aside(data_dir, rel, aside)
                lines.append(f"kept the bad {rel} as {kept}")
            atomic_write(data_dir / rel, source.file(rel).read_bytes())
            lines.append(f"restored {rel} from backup {source.name}")
        return lines
    assert chosen is not None
    files = chosen.manifest.files
    for rel in files:
        if not check_file(chosen.file(rel), rel, None).ok:
            raise StoreError(f"backup {chosen.name} has a bad {rel}; choose another (see `icm db check`)")
    aside = _aside_folder(data_dir, "replaced")
    current = live_files(data_dir)
    for rel in current:
        _set_aside(data_dir, rel, aside)
    for rel in files:
        atomic_write(data_dir / rel, chosen.file(rel).read_bytes())
    for rel in current:
        if rel not in files:
            os.unlink(data_dir / rel)  # a shard newer than the backup; its copy is in `aside`
    lines.append(f"rolled the store back to backup {chosen.name}; the files it replaced are in {aside}")
    return lines


@dataclass
class Register:
    """A whole TinyDB register read from a folder, every file verified."""

    folder: Path
    records: dict[Kind, list]
    """Each kind's records, in ref order."""
    attempts: list[Attempt]


def read_register(folder: Path) -> Register:
    """Read and verify every file of the TinyDB register in `folder` (holding its lock when it has one).

    BadInput when `folder` holds no register; StoreError when a file does not parse, a backup's
    manifest disagrees with its files, a uid is used twice, or the schema is not this icm's.
    """
    if not folder.is_dir():
        raise BadInput(f"{folder}: no such folder")
    meta_data = read_bytes(folder / META_FILE)
    if meta_data is None:
        raise BadInput(f"{folder} holds no icm register (there is no {META_FILE})")
    lock = None
    if (folder / LOCK_FILE).exists() and os.access(folder / LOCK_FILE, os.W_OK):
        lock = StoreLock(folder / LOCK_FILE, LOCK_TIMEOUT)
        try:
            lock.acquire()
        except (LockTimeout, OSError):
            lock = None  # read anyway: every write replaces one file whole
    try:
        return _read_register(folder, meta_data[0])
    finally:
        if lock is not None:
            lock.release()


def _read_register(folder: Path, meta_bytes: bytes) -> Register:
    def bad(rel: str, detail: str) -> StoreError:
        return StoreError(f"cannot restore from {folder}: {folder / rel} {detail}; nothing was changed")

    try:
        meta = decode_meta(meta_bytes)
    except Exception as error:
        raise bad(META_FILE, f"does not parse: {why(error)}") from None
    if meta.schema != SCHEMA:
        raise bad(META_FILE, f"has schema version {meta.schema}, this icm reads {SCHEMA}")
    counts: dict[str, int] = {}
    manifest = None
    if (folder / MANIFEST).exists():
        try:
            manifest = Generation(folder).manifest.files
        except Exception as error:
            raise bad(MANIFEST, f"does not parse: {why(error)}") from None
    records: dict[Kind, list] = {kind: [] for kind in Kind}
    for rel in live_files(folder):
        if rel == META_FILE:
            continue
        kind_name, _, name = rel.partition("/")
        kind = Kind(kind_name)
        loaded = read_bytes(folder / rel)
        if loaded is None:
            continue
        try:
            shard = decode_shard(kind, loaded[0], int(name[:6]), meta.shard_size.get(kind.value))
        except Exception as error:
            raise bad(rel, f"does not parse: {why(error)}") from None
        counts[rel] = len(shard)
        records[kind].extend(shard.values())
    if manifest is not None:
        for rel, entry in manifest.items():
            if rel != META_FILE and counts.get(rel) != entry.records:
                raise bad(rel, f"holds {counts.get(rel, 'no')} records, the backup's manifest says {entry.records}")
    for kind, found in records.items():
        uids: dict[str, str] = {}
        for record in found:
            if record.uid in uids:
                raise bad(kind.value, f"has uid {record.uid} twice ({uids[record.uid]} and {record.ref})")
            uids[record.uid] = record.ref
    attempts_data = read_bytes(folder / ATTEMPTS_FILE)
    attempts = read_attempts(attempts_data[0])[0] if attempts_data is not None else []
    return Register(folder, records, attempts)


def write_register(folder: Path, records: dict[Kind, list]) -> None:
    """Write `records` as a new TinyDB register in `folder` (which must not exist), each file atomically.

    What TinyDBStore.put_many would make, without its per-record work: a PostgreSQL restore keeps
    the register it replaces this way while writers wait.
    """
    import datetime as _dt

    folder.mkdir(parents=True)
    for kind, found in records.items():
        size = DEFAULT_SHARD_SIZE[kind]
        shards: dict[int, dict[int, object]] = {}
        for record in found:
            number = ref_number(record.ref)
            shards.setdefault(number // size, {})[number] = record
        if shards:
            (folder / kind.value).mkdir()
        for index, held in sorted(shards.items()):
            atomic_write(folder / kind.value / shard_name(index), encode_records(kind, dict(sorted(held.items()))))
    meta = Meta(
        schema=SCHEMA,
        shard_size={kind.value: DEFAULT_SHARD_SIZE[kind] for kind in Kind},
        created=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    )
    atomic_write(folder / META_FILE, encode({META_TABLE: {"1": msgspec.to_builtins(meta)}}))


# ------------------------------------------------------------ copying between any two stores


@dataclass(frozen=True)
class CopyLine:
    """One kind's figures in `icm db copy`: how many records, and a hash of their content."""

    kind: Kind
    count: int
    sha256: str


def content_hash(store: Store, kind: Kind) -> CopyLine:
    """How many records of `kind` a store holds and the SHA-256 of their JSON, in ref order."""
    return records_hash(kind, store.all(kind))


def records_hash(kind: Kind, records: Iterable[Any]) -> CopyLine:
    """How many `records` there are and the SHA-256 of their JSON, in ref order (what `content_hash` says of a store)."""
    digest = hashlib.sha256()
    count = 0
    for record in sorted(records, key=lambda r: ref_number(r.ref)):
        digest.update(msgspec.json.encode(record))
        digest.update(b"\n")
        count += 1
    return CopyLine(kind, count, digest.hexdigest())


def copy_register(source: Store, target: Store, *, batch: int = 10_000) -> list[CopyLine]:
    """Put every record of `source` into `target` (which must be empty), keeping uids and refs."""
    for kind in Kind:
        if target.all(kind):
            raise StoreError(f"the target already holds {kind.value}; copy into an empty register")
    for kind in Kind:
        records = source.all(kind)
        for start in range(0, len(records), batch):
            target.put_many(kind, records[start:start + batch])
    target.add_attempts(source.attempts())  # what `icm action show` lists with the histories
    return [content_hash(source, kind) for kind in Kind]
