"""Crash-safe file primitives and the TinyDB Storage built on them.

A file is only ever replaced whole: serialise, write a temp file in the same folder, flush,
fsync, `os.replace`, fsync the folder. Files are never modified in place, so a file's stat
signature (inode, size, mtime) identifies its content, which is how readers notice changes
without reading anything.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, NamedTuple

import msgspec
import orjson
from tinydb.storages import Storage

from icm_tui.errors import StoreError

TEMP_SUFFIX = ".tmp"


class Sig(NamedTuple):
    """What identifies one version of a file: a new write always gives a new signature."""

    ino: int
    size: int
    mtime_ns: int


def stat_sig(path: Path) -> Sig | None:
    """The signature of the file at `path`, None when there is none."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return Sig(st.st_ino, st.st_size, st.st_mtime_ns)


def read_bytes(path: Path) -> tuple[bytes, Sig] | None:
    """The content of `path` with the signature of exactly that content; None when missing."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        st = os.fstat(fd)
        chunks = []
        while chunk := os.read(fd, max(st.st_size, 1 << 16)):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks), Sig(st.st_ino, st.st_size, st.st_mtime_ns)


def checkpoint(step: str) -> None:
    """A named point of a write; tests replace this to kill the writer exactly there."""


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new entry in `folder` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_path(path: Path) -> Path:
    """The temp file a write of `path` by this process goes through."""
    return path.with_name(f".{path.name}.{os.getpid()}{TEMP_SUFFIX}")


def atomic_write(path: Path, data: bytes) -> Sig:
    """Replace `path` by `data` so that a crash leaves the old or the new file; return its Sig."""
    previous = stat_sig(path)
    tmp = temp_path(path)
    checkpoint("before_temp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            half = len(data) // 2
            _write_all(fd, data[:half])
            checkpoint("mid_write")
            _write_all(fd, data[half:])
            # mtime only ever grows per path: with the inode and size it can never repeat, so
            # a reader comparing signatures cannot miss a change made within one clock tick.
            now = time.time_ns()
            if previous is not None and now <= previous.mtime_ns:
                now = previous.mtime_ns + 1
            os.utime(fd, ns=(now, now))
            checkpoint("before_fsync")
            os.fsync(fd)
            st = os.fstat(fd)
        finally:
            os.close(fd)
        checkpoint("before_replace")
        os.replace(tmp, path)
        checkpoint("before_dir_fsync")
        fsync_dir(path.parent)
    except OSError as error:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise StoreError(f"cannot write {path}: {error.strerror or error}") from error
    return Sig(st.st_ino, st.st_size, st.st_mtime_ns)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def clean_temp_files(folder: Path) -> list[Path]:
    """Remove leftover temp files of interrupted writes (call only while holding the lock)."""
    removed = []
    if not folder.is_dir():
        return removed
    for entry in os.scandir(folder):
        if entry.name.startswith(".") and entry.name.endswith(TEMP_SUFFIX) and entry.is_file():
            os.unlink(entry.path)
            removed.append(Path(entry.path))
    return removed


def encode(data: Any) -> bytes:
    """The bytes stored for `data` (UTF-8 JSON, compact)."""
    return orjson.dumps(data)


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
