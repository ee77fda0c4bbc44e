"""Helpers for the store tests: records to insert, scripts to run in other processes."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from icm_tui.domain.models import ActionItem, Event, EventKind, Meeting, Pulse, Request, new_uid

if TYPE_CHECKING:
    from backends import Backend

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)
REPO = Path(__file__).resolve().parents[2]


def action(ref: str, title: str = "Laptops for new hires", **fields) -> ActionItem:
    """A plausible action item with the given ref."""
    base = dict(
        uid=new_uid(), ref=ref, title=title, owner="zhang-wei", supplier="it", requester="sales",
        due=date(2026, 12, 4), created=NOW, updated=NOW,
        history=(Event(at=NOW, kind=EventKind.CREATED, by="wang-fang"),),
    )
    base.update(fields)
    return ActionItem(**base)


def meeting(ref: str) -> Meeting:
    """A running meeting with the given ref."""
    return Meeting(uid=new_uid(), ref=ref, series="weekly", title="Weekly coordination", started=NOW)


def request(ref: str) -> Request:
    """A new request from sales to IT."""
    return Request(uid=new_uid(), ref=ref, title="VPN for 销售部", requester="sales", supplier="it",
                   created=NOW, updated=NOW)


def pulse(ref: str) -> Pulse:
    """A rating of IT by sales."""
    return Pulse(uid=new_uid(), ref=ref, at=NOW, rater="sales", about="it", score=4)


def run_python(code: str, *args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter with the repo importable."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env=full_env, timeout=timeout)


def snapshot(data_dir: Path) -> dict[str, bytes]:
    """Every file under data/ except backups and the lock, by relative path."""
    out = {}
    for path in sorted(data_dir.rglob("*")):
        rel = path.relative_to(data_dir).as_posix()
        if path.is_file() and not rel.startswith("backups/") and rel != "icm.lock":
            out[rel] = path.read_bytes()
    return out


# --- Workspaces on each backend (tests/backends.py) ------------------------------------------------


def make_backend(name: str, request) -> Backend:
    """A Backend outside the per-test `backend`/`register` fixtures (a module's shared register, a second
    workspace in one test): PostgreSQL gets a fresh schema of its own."""
    from backends import Backend

    return Backend(name, request.getfixturevalue("pg_server").new_schema() if name == "postgresql" else "")


@dataclass(frozen=True)
class Site:
    """A workspace folder and the register its `icm` uses: TinyDB files in data/, a PostgreSQL schema, or memory."""

    root: Path
    backend: Backend

    def icm(self, *args: str, **kwargs):
        """`icm --workspace ROOT ARGS` in this process (click's CliRunner), pointed at the register."""
        from click.testing import CliRunner

        from icm_tui.cli import main

        return CliRunner().invoke(main, ["--workspace", str(self.root), *args], env=self.backend.env(), **kwargs)

    def open(self):
        """The register, opened in this process (close it: a PostgreSQL store holds a connection)."""
        return self.backend.open(self.root)

    def state(self) -> dict:
        """What "unchanged" compares: TinyDB's file bytes (stronger than its records), else a hash of every record."""
        if self.backend.name == "tinydb":
            return snapshot(self.root / "data")
        return self.backend.records(self.root)

    def env(self) -> dict[str, str]:
        """The environment of an `icm` subprocess pointed at the register."""
        return {k: v for k, v in {**os.environ, **self.backend.env()}.items() if v is not None}
