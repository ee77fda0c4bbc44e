"""`icm export minutes|actions` and `icm import minutes` on real workspaces (TinyDB, and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import icalendar
import pytest
from click.testing import CliRunner

import exportsamples as samples
from icm_tui.cli import main
from icm_tui.export.minutes_yaml import render_minutes
from icm_tui.store import open_store


URLS: dict[Path, str] = {}
"""Workspace -> the PostgreSQL schema holding its register (absent: its TinyDB data/)."""


def env_for(workspace: Path) -> dict[str, str | None]:
    """The environment that points `icm` at this workspace's register."""
    return {"ICM_STORE": URLS.get(workspace)}


def icm(workspace: Path, *args: str, code: int = 0):
    result = CliRunner().invoke(main, ["--workspace", str(workspace), *args], env=env_for(workspace))
    assert result.exit_code == code, (args, result.output, result.stderr, result.exception)
    return result


def open_register(workspace: Path):
    """The store of a workspace, wherever its register lives."""
    return open_store(workspace / "data", url=URLS.get(workspace, ""))


def snapshot(workspace: Path) -> dict[str, str]:
    """'Unchanged' for either backend: file hashes on TinyDB, record hashes on PostgreSQL."""
    if workspace not in URLS:
        return samples.snapshot(workspace)
    import hashlib

    import msgspec

    from icm_tui.store.base import Kind

    with open_register(workspace) as store:
        return {kind.value: hashlib.sha256(msgspec.json.encode(store.all(kind))).hexdigest() for kind in Kind}


def new_workspace(root: Path, request: pytest.FixtureRequest) -> Path:
    """A copy of the sample agendas, its register in a fresh PostgreSQL schema for the postgresql runs."""
    workspace = samples.copy_agendas(root)
    if request.node.callspec.params.get("workspace") == "postgresql":
        URLS[workspace] = request.getfixturevalue("pg_server").new_schema()
    return workspace


@pytest.fixture(params=["tinydb", "postgresql"])
def workspace(request, tmp_path, monkeypatch) -> Path:
    """A workspace with the weekly and Shanghai meetings in its register."""
    monkeypatch.delenv("ICM_STORE", raising=False)
    if request.param == "postgresql":
        pytest.importorskip("psycopg")
    root = new_workspace(tmp_path / "ws", request)
    store = open_register(root)
    try:
        s = samples.services(store)
        samples.weekly(s)
        samples.shanghai(s)
    finally:
        store.close()
    assert (root / "data" / "icm.json").exists() == (request.param == "tinydb"), "the register is where it should be"
    return root


def expected(workspace: Path, ref: str, fmt: str = "yaml") -> str:
    store = open_register(workspace)
    try:
        return render_minutes(samples.services(store), ref, fmt)
    finally:
        store.close()


def test_export_minutes_to_stdout_and_to_a_file(workspace, tmp_path):
    out = icm(workspace, "export", "minutes", "M-1")
    assert out.stdout == expected(workspace, "M-1") and out.stderr == ""
    assert icm(workspace, "export", "minutes", "m-2", "--format", "md").stdout == expected(workspace, "M-2", "md")
    target = tmp_path / "out" / "m1.md"
    written = icm(workspace, "export", "minutes", "M-1", "-o", str(target))
    assert written.stdout == "" and str(target) in written.stderr
    assert target.read_text(encoding="utf-8") == expected(workspace, "M-1", "md"), "format follows the suffix"


def test_export_minutes_of_an_unknown_meeting_is_one_line(workspace):
    result = icm(workspace, "export", "minutes", "M-99", code=2)
    assert result.stdout == "" and len(result.stderr.splitlines()) == 1 and "M-99" in result.stderr
    assert "Traceback" not in result.stderr


def test_import_into_an_empty_workspace_round_trips_and_is_idempotent(workspace, tmp_path, request):
    minutes = tmp_path / "m1.yaml"
    icm(workspace, "export", "minutes", "M-1", "-o", str(minutes))
    empty = new_workspace(tmp_path / "empty", request)
    result = icm(empty, "import", "minutes", str(minutes))
    assert result.stdout == "M-1: imported 1 meeting, 5 action items, 3 pulses\n"
    assert icm(empty, "export", "minutes", "M-1").stdout.encode() == minutes.read_bytes()
    before = snapshot(empty)
    again = icm(empty, "import", "minutes", str(minutes))
    assert again.stdout == "M-1: already imported, nothing changed\n"
    assert snapshot(empty) == before
    # The imported refs are taken: the next item is A-9, not A-1.
    assert icm(empty, "action", "add", "next one", "--owner", "li-lei").stdout == "A-9\n"
    # And importing into the workspace the minutes came from changes nothing either.
    before = snapshot(workspace)
    assert icm(workspace, "import", "minutes", str(minutes)).stdout == "M-1: already imported, nothing changed\n"
    assert snapshot(workspace) == before


def test_export_actions_formats_and_filters(workspace, tmp_path):
    rows = json.loads(icm(workspace, "export", "actions", "--status", "open", "--supplier", "it", "--format", "json").stdout)
    assert [r["ref"] for r in rows] == ["A-6", "A-5"]
    csv_out = icm(workspace, "export", "actions", "--requester", "sh-sales", "--format", "csv").stdout_bytes
    assert csv_out.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(io.StringIO(csv_out.decode("utf-8-sig"))))
    assert [(r["ref"], r["title"], r["supplier_name"]) for r in table] == [("A-9", "为新员工提前配置电脑", "信息技术部")]
    searched = json.loads(icm(workspace, "export", "actions", "--search", "招聘", "--format", "json").stdout)
    assert [r["ref"] for r in searched] == ["A-8"]
    ics = tmp_path / "mine.ics"
    done = icm(workspace, "export", "actions", "--owner", "zhang-wei", "--status", "in_progress", "-o", str(ics))
    assert done.stdout == ""
    todos = icalendar.Calendar.from_ical(ics.read_bytes()).walk("VTODO")
    assert [str(t["SUMMARY"]) for t in todos] == ["A-4 Keep 5 configured laptops in stock"]
    tasks = json.loads(icm(workspace, "export", "actions", "--escalated", "--format", "taskwarrior").stdout)
    assert isinstance(tasks, list)
    yaml_out = icm(workspace, "export", "actions", "--overdue", "--format", "yaml").stdout
    assert yaml_out.startswith("- ref: ") or yaml_out == "[]\n"


def test_export_actions_needs_a_format_and_a_known_status(workspace):
    assert "give a format" in icm(workspace, "export", "actions", code=2).stderr
    assert "unknown status" in icm(workspace, "export", "actions", "--status", "finished", "--format", "csv", code=2).stderr
    assert icm(workspace, "export", "actions", "--format", "pdf", code=2).stdout == ""


def test_export_does_not_import_textual(workspace):
    import subprocess
    import sys

    code = (
        "import sys; from click.testing import CliRunner; from icm_tui.cli import main; "
        f"r = CliRunner().invoke(main, ['--workspace', {str(workspace)!r}, 'export', 'actions', '--format', 'ics']); "
        "assert r.exit_code == 0, r.output; "
        f"r = CliRunner().invoke(main, ['--workspace', {str(workspace)!r}, 'export', 'minutes', 'M-1', '--format', 'md']); "
        "assert r.exit_code == 0, r.output; "
        "assert not any(m == 'textual' or m.startswith('textual.') for m in sys.modules), 'textual imported'"
    )
    import os

    env = {k: v for k, v in {**os.environ, **env_for(workspace)}.items() if v is not None}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
