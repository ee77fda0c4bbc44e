"""`icm export minutes|actions` and `icm import minutes` on real workspaces (TinyDB, and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import json

import icalendar
import pytest

import exportsamples as samples
from icm_tui.export.minutes_yaml import render_minutes
from storetools import Site, make_backend


@pytest.fixture
def workspace(register, tmp_path) -> Site:
    """A workspace with the weekly and Shanghai meetings in its register."""
    site = Site(samples.copy_agendas(tmp_path / "ws"), register)
    with site.open() as store:
        s = samples.services(store)
        samples.weekly(s)
        samples.shanghai(s)
    assert (site.root / "data" / "icm.json").exists() == (register.name == "tinydb"), "the register is where it should be"
    return site


def icm(workspace: Site, *args: str, code: int = 0):
    result = workspace.icm(*args)
    assert result.exit_code == code, (args, result.output, result.stderr, result.exception)
    return result


def expected(workspace: Site, ref: str, fmt: str = "yaml") -> str:
    with workspace.open() as store:
        return render_minutes(samples.services(store), ref, fmt)


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
    empty = Site(samples.copy_agendas(tmp_path / "empty"), make_backend(workspace.backend.name, request))
    result = icm(empty, "import", "minutes", str(minutes))
    assert result.stdout == "M-1: imported 1 meeting, 5 action items, 3 pulses\n"
    assert icm(empty, "export", "minutes", "M-1").stdout.encode() == minutes.read_bytes()
    before = empty.state()
    again = icm(empty, "import", "minutes", str(minutes))
    assert again.stdout == "M-1: already imported, nothing changed\n"
    assert empty.state() == before
    # The imported refs are taken: the next item is A-9, not A-1.
    assert icm(empty, "action", "add", "next one", "--owner", "li-lei").stdout == "A-9\n"
    # And importing into the workspace the minutes came from changes nothing either.
    before = workspace.state()
    assert icm(workspace, "import", "minutes", str(minutes)).stdout == "M-1: already imported, nothing changed\n"
    assert workspace.state() == before


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
        f"r = CliRunner().invoke(main, ['--workspace', {str(workspace.root)!r}, 'export', 'actions', '--format', 'ics']); "
        "assert r.exit_code == 0, r.output; "
        f"r = CliRunner().invoke(main, ['--workspace', {str(workspace.root)!r}, 'export', 'minutes', 'M-1', '--format', 'md']); "
        "assert r.exit_code == 0, r.output; "
        "assert not any(m == 'textual' or m.startswith('textual.') for m in sys.modules), 'textual imported'"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=workspace.env())
    assert result.returncode == 0, result.stderr
