"""`icm actions`, `icm action ...`, `icm request ...`, `icm meetings` on a real workspace."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from icm_tui.cli import main
from storetools import Site

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def workspace(register, tmp_path) -> Site:
    """The sample workspace, its register in data/ (TinyDB) or in a fresh PostgreSQL schema."""
    shutil.copytree(ROOT / "agendas", tmp_path / "agendas")
    return Site(tmp_path, register)


@pytest.fixture
def agendas(tmp_path, monkeypatch) -> Path:
    """The sample workspace with no register chosen: for tests of agendas and org.yaml, which run once."""
    monkeypatch.delenv("ICM_STORE", raising=False)
    shutil.copytree(ROOT / "agendas", tmp_path / "agendas")
    return tmp_path


def icm(workspace: Site, *args: str, code: int = 0) -> str:
    result = workspace.icm(*args, catch_exceptions=False)
    assert result.exit_code == code, (args, result.output, result.stderr)
    return result.stdout


def test_add_prints_ref_alone_and_actions_filters(workspace):
    assert icm(workspace, "action", "add", "Laptops for 6 new hires", "--owner", "zhang-wei", "--requester", "sales", "--due", "2026-12-04") == "A-1\n"
    assert icm(workspace, "action", "add", "采购流程说明", "--owner", "liu-yang", "--requester", "it", "--due", "+1w") == "A-2\n"
    out = icm(workspace, "actions", "--status", "open", "--supplier", "it", "--format", "json")
    rows = json.loads(out)
    assert [r["ref"] for r in rows] == ["A-1"] and rows[0]["supplier"] == "it" and rows[0]["due"] == "2026-12-04"
    table = icm(workspace, "actions")
    assert "采购流程说明" in table and "A-1" in table.splitlines()[1]
    data = list(csv.DictReader(io.StringIO(icm(workspace, "actions", "--format", "csv"))))
    assert {r["title"] for r in data} == {"Laptops for 6 new hires", "采购流程说明"}
    assert yaml.safe_load(icm(workspace, "actions", "--format", "yaml", "--search", "采购"))[0]["ref"] == "A-2"


def test_lifecycle_through_the_cli(workspace):
    icm(workspace, "action", "add", "VPN", "--owner", "zhang-wei", "--requester", "sales")
    icm(workspace, "action", "start", "A-1")
    icm(workspace, "action", "note", "A-1", "licences ordered")
    icm(workspace, "action", "done", "a-1")
    assert icm(workspace, "actions", "--awaiting", "--format", "json").count('"ref"') == 1
    icm(workspace, "action", "reopen", "A-1", "--note", "two people still cannot connect")
    icm(workspace, "action", "done", "A-1")
    assert "closed" in icm(workspace, "action", "confirm", "A-1", "--score", "5", "--note", "all good")
    shown = icm(workspace, "action", "show", "A-1")
    assert "reopened 1x" in shown and "score 5/5" in shown and "two people still cannot connect" in shown
    icm(workspace, "action", "edit", "A-2", code=2)


@pytest.mark.parametrize(
    "args",
    [
        ["action", "confirm", "A-1", "--score", "4"],  # not done yet
        ["action", "confirm", "A-1", "--score", "9"],
        ["action", "reopen", "A-1", "--note", "x"],  # only done items
        ["action", "block", "A-1"],  # reason required (usage error)
        ["action", "drop", "A-1", "--note", " "],
        ["action", "start", "A-99"],
        ["action", "add", "x", "--owner", "nobody"],
        ["action", "add", "x", "--owner", "zhang-wei", "--due", "2024-02-30"],
        ["action", "add", "x", "--owner", "zhang-wei", "--due", "someday"],
        ["action", "add", "x", "--owner", "zhang-wei", "--requester", "salse"],
        ["action", "add", "  ", "--owner", "zhang-wei"],
        ["action", "edit", "A-1", "--due", "yesterday-ish"],
        ["actions", "--status", "finished"],
        ["request", "add", "x", "--from", "sales", "--to", "nowhere"],
        ["request", "accept", "R-9", "--owner", "zhang-wei"],
    ],
)
def test_bad_input_exits_2_with_one_line_and_store_unchanged(workspace, args):
    icm(workspace, "action", "add", "Existing", "--owner", "zhang-wei")
    before = workspace.state()
    result = workspace.icm(*args)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert workspace.state() == before


def test_requests_and_meetings(workspace):
    assert icm(workspace, "request", "add", "Three laptops", "--from", "sales", "--to", "it", "--service", "laptops") == "R-1\n"
    assert icm(workspace, "request", "accept", "R-1", "--owner", "tom-becker") == "A-1\n"
    rows = json.loads(icm(workspace, "requests", "--format", "json"))
    assert rows[0]["status"] == "accepted" and rows[0]["action"] == "A-1"
    assert "no meetings yet" in icm(workspace, "meetings")
    assert json.loads(icm(workspace, "meetings", "--format", "json")) == []


def test_org_yaml_store_line_picks_the_shared_register(agendas):
    workspace = agendas
    org = workspace / "agendas" / "org.yaml"
    text = org.read_text(encoding="utf-8")
    org.write_text(text.replace("organization:", "store: postgresql://icm@127.0.0.1:1/nowhere\norganization:", 1), encoding="utf-8")
    result = CliRunner().invoke(main, ["--workspace", str(workspace), "actions"])
    assert result.exit_code == 3, result.output
    assert "PostgreSQL" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (workspace / "data" / "icm.json").exists()  # nothing fell back to a local store
    org.write_text(text.replace("organization:", "store: data2\norganization:", 1), encoding="utf-8")
    result = CliRunner().invoke(main, ["--workspace", str(workspace), "validate"])
    assert result.exit_code == 2 and "store must be a postgresql:// URL" in result.stderr


@pytest.mark.parametrize("name, message", [("nope", "no agenda 'nope'"), ("weekly-coordinatoin", "did you mean 'weekly-coordination'")])
def test_run_an_unknown_agenda_is_bad_input_before_the_tui(agendas, name, message):
    result = CliRunner().invoke(main, ["--workspace", str(agendas), "run", name])
    assert result.exit_code == 2 and message in result.stderr


def test_run_an_invalid_agenda_prints_located_problems(agendas):
    bad = agendas / "agendas" / "broken.yaml"
    bad.write_text("version: 1\nseries: broken\ntitle: Broken\nitems:\n  - title: A\n    timebox: 10:30\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["--workspace", str(agendas), "run", "broken"])
    assert result.exit_code == 2
    assert ":6:14: unquoted 10:30" in result.stderr
