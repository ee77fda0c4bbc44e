"""Helpers for the store tests: records to insert, scripts to run in other processes."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime, timezone
from pathlib import Path

from icm_tui.domain.models import ActionItem, Event, EventKind, Meeting, Pulse, Request, new_uid

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
