"""Rotating backup generations of the store in data/backups/.

A generation is a folder named by its UTC time (`20261130-101500`) holding a copy of every store
file and a MANIFEST.json written last, after each copy was verified to parse: a folder without a
manifest is an interrupted backup and is removed at start. A file unchanged since the previous
generation is a hard link to that generation's copy (never to the live file, so damage done in
place to a live file cannot reach a backup), so a generation costs only the files that changed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import msgspec

from icm_tui.store.storage import Sig, atomic_write, fsync_dir, read_bytes, stat_sig

MANIFEST = "MANIFEST.json"
TEMP_PREFIX = ".tmp-"
NAME_FORMAT = "%Y%m%d-%H%M%S"

Verify = Callable[[str, bytes], int]
"""Checks the bytes of a store file (named by its path relative to data/); returns its record count."""


class BadFile(Exception):
    """A store file that does not parse, found while taking a backup."""

    def __init__(self, rel: str, error: Exception) -> None:
        super().__init__(f"{rel}: {error}")
        self.rel = rel
        self.error = error


class FileEntry(msgspec.Struct, kw_only=True):
    """One file of a generation, with the signature the live file had when it was copied."""

    ino: int
    size: int
    mtime_ns: int
    records: int = 0


class Manifest(msgspec.Struct, kw_only=True):
    """What a generation holds."""

    created: str
    schema: int
    files: dict[str, FileEntry] = {}


class Generation:
    """One completed backup generation."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name
        self._manifest: Manifest | None = None

    @property
    def created(self) -> float:
        """When it was taken (seconds since the epoch, from its name)."""
        import calendar

        return float(calendar.timegm(time.strptime(self.name[:15], NAME_FORMAT)))

    @property
    def order(self) -> tuple[str, int]:
        """Sort key: the time, then the counter of generations taken within one second."""
        counter = self.name.partition("-")[2].partition("-")[2]
        return (self.name[:15], int(counter) if counter.isdigit() else 1)

    @property
    def manifest(self) -> Manifest:
        """Its manifest (raises msgspec errors when it does not parse)."""
        if self._manifest is None:
            self._manifest = msgspec.json.decode((self.path / MANIFEST).read_bytes(), type=Manifest)
        return self._manifest

    def file(self, rel: str) -> Path:
        """Where this generation keeps its copy of `rel`."""
        return self.path / rel

    def __repr__(self) -> str:
        return f"Generation({self.name})"


class Backups:
    """The generations of one store, taken at most every `interval` seconds, `keep` of them."""

    def __init__(self, data_dir: Path, *, interval: float = 600.0, keep: int = 10) -> None:
        self.folder = data_dir / "backups"
        self.interval = interval
        self.keep = keep

    def generations(self) -> list[Generation]:
        """Completed generations, newest first."""
        if not self.folder.is_dir():
            return []
        found = [
            Generation(Path(e.path))
            for e in os.scandir(self.folder)
            if not e.name.startswith(".") and e.is_dir() and os.path.exists(os.path.join(e.path, MANIFEST))
        ]
        return sorted(found, key=lambda g: g.order, reverse=True)

    def due(self) -> bool:
        """True when the newest generation is older than the interval (or there is none)."""
        gens = self.generations()
        if not gens:
            return True
        try:
            return time.time() - gens[0].created >= self.interval
        except ValueError:
            return True

    def newest_good(self, rel: str, verify: Verify) -> Generation | None:
        """The newest generation whose copy of `rel` parses."""
        for gen in self.generations():
            loaded = read_bytes(gen.file(rel))
            if loaded is None:
                continue
            try:
                verify(rel, loaded[0])
            except Exception:
                continue
            return gen
        return None

    def find(self, name: str) -> Generation | None:
        """The completed generation called `name` (or a unique prefix of it)."""
        gens = [g for g in self.generations() if g.name == name]
        if not gens:
            gens = [g for g in self.generations() if g.name.startswith(name)]
        return gens[0] if len(gens) == 1 else None

    def snapshot(self, data_dir: Path, files: list[str], verify: Verify, schema: int) -> Generation:
        """Take a generation of `files` (paths relative to data/); the caller holds the lock."""
        self.folder.mkdir(parents=True, exist_ok=True)
        previous = self.generations()
        prev = previous[0] if previous else None
        try:
            prev_files = prev.manifest.files if prev else {}
        except (OSError, msgspec.MsgspecError):
            prev_files = {}
        name = time.strftime(NAME_FORMAT, time.gmtime())
        # Names sort by time then counter, and are never reused, even after pruning.
        n = max((g.order[1] for g in previous if g.order[0] == name), default=0) + 1
        final = name if n == 1 else f"{name}-{n}"
        while (self.folder / final).exists():
            n += 1
            final = f"{name}-{n}"
        tmp = self.folder / f"{TEMP_PREFIX}{final}-{os.getpid()}"
        import shutil

        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        entries: dict[str, FileEntry] = {}
        try:
            for rel in files:
                live = data_dir / rel
                target = tmp / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                sig = stat_sig(live)
                if sig is None:
                    continue
                old = prev_files.get(rel)
                if prev is not None and old is not None and Sig(old.ino, old.size, old.mtime_ns) == sig:
                    try:
                        os.link(prev.file(rel), target)
                        entries[rel] = old
                        continue
                    except OSError:
                        pass
                loaded = read_bytes(live)
                if loaded is None:
                    continue
                data, sig = loaded
                try:
                    records = verify(rel, data)
                except Exception as error:
                    raise BadFile(rel, error) from None
                _write_durably(target, data)
                entries[rel] = FileEntry(ino=sig.ino, size=sig.size, mtime_ns=sig.mtime_ns, records=records)
            manifest = Manifest(
                created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), schema=schema, files=entries
            )
            atomic_write(tmp / MANIFEST, msgspec.json.encode(manifest))
            for folder in {(tmp / rel).parent for rel in entries} | {tmp}:
                fsync_dir(folder)
            os.replace(tmp, self.folder / final)
            fsync_dir(self.folder)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self.prune()
        return Generation(self.folder / final)

    def prune(self) -> None:
        """Remove the generations beyond the newest `keep`."""
        import shutil

        for gen in self.generations()[self.keep :]:
            shutil.rmtree(gen.path, ignore_errors=True)

    def has_temp(self) -> bool:
        """True when an interrupted generation is lying around."""
        try:
            return any(n.startswith(TEMP_PREFIX) for n in os.listdir(self.folder))
        except FileNotFoundError:
            return False

    def clean_temp(self) -> None:
        """Remove interrupted generations (call only while holding the lock)."""
        import shutil

        if not self.folder.is_dir():
            return
        for entry in os.scandir(self.folder):
            if entry.is_dir() and entry.name.startswith(TEMP_PREFIX):
                shutil.rmtree(entry.path, ignore_errors=True)


def _write_durably(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
