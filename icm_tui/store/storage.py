"""Crash-safe file primitives (the TinyDB Storage built on them is in jsonstorage.py).

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

import orjson

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
