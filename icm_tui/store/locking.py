"""The store's exclusive lock: flock on POSIX, the filelock package elsewhere.

On POSIX this is what filelock's UnixFileLock does (flock on a lock file, freed by the kernel
when the holder dies, so a killed writer never leaves the store locked), without importing
filelock, which costs ~20 ms of every `icm action add`. Both interoperate on the same file.
"""

from __future__ import annotations

import os
import time

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]


class LockTimeout(Exception):
    """The lock stayed taken by another process for the whole wait."""


class StoreLock:
    """An exclusive, reentrant (per instance) lock on `path`, waiting at most `timeout` seconds."""

    def __init__(self, path: str | os.PathLike[str], timeout: float) -> None:
        self.path = os.fspath(path)
        self.timeout = timeout
        self._fd: int | None = None
        self._depth = 0
        self._fallback = None

    def acquire(self, timeout: float | None = None) -> None:
        """Take the lock, waiting up to `timeout` (default: the instance's) seconds."""
        wait = self.timeout if timeout is None else timeout
        if self._depth:
            self._depth += 1
            return
        if fcntl is None:
            self._acquire_fallback(wait)
        else:
            self._acquire_flock(wait)
        self._depth = 1

    def _acquire_flock(self, wait: float) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + wait
        pause = 0.002
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._fd = fd
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise LockTimeout(self.path) from None
                time.sleep(pause)
                pause = min(pause * 2, 0.05)
            except BaseException:
                os.close(fd)
                raise

    def _acquire_fallback(self, wait: float) -> None:
        from filelock import FileLock, Timeout

        if self._fallback is None:
            self._fallback = FileLock(self.path)
        try:
            self._fallback.acquire(timeout=wait)
        except Timeout:
            raise LockTimeout(self.path) from None

    def release(self) -> None:
        """Give the lock back (the outermost release frees it)."""
        if not self._depth:
            return
        self._depth -= 1
        if self._depth:
            return
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)
        elif self._fallback is not None:
            self._fallback.release()
