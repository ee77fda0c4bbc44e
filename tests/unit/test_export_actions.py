"""Action exports: CSV for spreadsheets, JSON/YAML, iCalendar VTODOs, Taskwarrior JSON."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
from datetime import date

import icalendar
import msgspec
import pytest
import yaml

import exportsamples as samples
from backends import ALL
from icm_tui.domain.query import ActionFilter
from icm_tui.domain.models import Status
from icm_tui.export.actions import COLUMNS, export_actions, render_actions
from icm_tui.export.ics import LINE_OCTETS, escape_text, fold
from icm_tui.export.taskwarrior import task_uuid
from icm_tui.store import Kind
from storetools import Site, make_backend

TRICKY = "Semi;colon, comma \\ back\nslash 销售部 🎉 " + "长" * 40


@pytest.fixture(scope="module", params=ALL)
def s(request, tmp_path_factory):
    """Services holding the sample meetings and one item with every character an exporter must escape.

    One register per backend (memory, TinyDB, PostgreSQL), built once: the tests only read it.
    """
    store = Site(tmp_path_factory.mktemp(request.param), make_backend(request.param, request)).open()
    services = samples.services(store)
    samples.weekly(services)
    samples.shanghai(services)
    tricky = services.add_action("tricky", owner="chen-jing", requester="sh-it", due="2026-12-24")
    # Services collapse whitespace in titles; an imported record may still hold a line break.
    services.store.put_many(Kind.ACTIONS, [msgspec.structs.replace(tricky, title=TRICKY)])
    services.add_action("=HYPERLINK(\"http://x\")", owner="li-lei", requester="it")
    services.drop("A-11", "not ours")
    yield services
    store.close()


# --- CSV --------------------------------------------------------------------------------------------


def test_csv_has_a_bom_a_header_and_keeps_chinese(s):
    data = render_actions(s, s.actions(), "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert tuple(rows[0]) == COLUMNS
    by_ref = {row[0]: dict(zip(COLUMNS, row)) for row in rows[1:]}
    assert len(by_ref) == len(s.actions()) == 11
    assert by_ref["A-8"]["title"] == "招聘审批：两个销售职位"
    assert by_ref["A-9"]["owner_name"] == "黄伟" and by_ref["A-9"]["supplier_name"] == "信息技术部"
    assert by_ref["A-10"]["title"] == TRICKY, "newlines, commas and quotes survive a CSV round trip"
    assert by_ref["A-4"]["status"] == "in_progress" and by_ref["A-4"]["due"] == "2026-12-04"
    assert by_ref["A-2"]["overdue"] == "yes" and by_ref["A-4"]["overdue"] == "no"
    assert by_ref["A-5"]["score"] == "" and by_ref["A-1"]["score"] == "4"
    # A title a spreadsheet would run as a formula is shown as text.
    assert by_ref["A-11"]["title"] == "'=HYPERLINK(\"http://x\")"
    assert data.count(b"\r\n") == len(rows)  # CRLF ends rows; the break inside a quoted title stays as it is


# --- JSON and YAML ----------------------------------------------------------------------------------


def test_json_and_yaml_are_lists_of_objects_with_fixed_keys(s):
    items = s.actions(ActionFilter(status=frozenset({Status.OPEN, Status.IN_PROGRESS}), supplier="it"))
    rows = json.loads(render_actions(s, items, "json"))
    assert [r["ref"] for r in rows] == ["A-6", "A-4", "A-5"]  # by due date
    assert all(tuple(r) == COLUMNS for r in rows)
    assert rows[1]["due"] == "2026-12-04" and rows[1]["carry"] == 0 and rows[1]["overdue"] is False
    loaded = yaml.safe_load(render_actions(s, items, "yaml"))
    assert [tuple(r) for r in loaded] == [COLUMNS] * 3
    assert loaded[1]["due"] == date(2026, 12, 4) and loaded[1]["title"] == "Keep 5 configured laptops in stock"
    assert yaml.safe_load(render_actions(s, [], "yaml")) == [] and json.loads(render_actions(s, [], "json")) == []
    assert "招聘审批" in render_actions(s, s.actions(), "json").decode("utf-8")


def test_filters_are_those_of_icm_actions(s):
    wanted = ActionFilter(status=frozenset({Status.OPEN}), requester="sales", search="laptop")
    rows = json.loads(export_actions(s, wanted, "json"))
    assert [r["ref"] for r in rows] == ["A-6"]  # its service is `laptops`
    rows = json.loads(export_actions(s, ActionFilter(overdue=True), "json"))
    assert {r["ref"] for r in rows} == {"A-2", "A-3"}  # A-3 was reopened past its due date
    with pytest.raises(Exception, match="unknown format"):
        render_actions(s, [], "xlsx")


# --- iCalendar --------------------------------------------------------------------------------------


def test_ics_parses_with_a_real_parser(s):
    data = render_actions(s, s.actions(), "ics")
    calendar = icalendar.Calendar.from_ical(data)
    todos = calendar.walk("VTODO")
    assert len(todos) == len(s.actions())
    by_summary = {str(t["SUMMARY"]): t for t in todos}
    laptops = by_summary["A-4 Keep 5 configured laptops in stock"]
    assert laptops["STATUS"] == "IN-PROCESS" and laptops["PRIORITY"] == 3
    assert laptops.decoded("DUE") == date(2026, 12, 4)
    assert str(laptops["UID"]) == f"{s.action('A-4').uid}@icm-tui"
    description = str(laptops["DESCRIPTION"])
    assert "Owner: Zhang Wei (zhang-wei)" in description and "Requester: Sales (sales)" in description
    tricky = by_summary[f"A-10 {TRICKY}"]
    assert "Requester: 信息技术部 (sh-it)" in str(tricky["DESCRIPTION"])
    statuses = {str(t["SUMMARY"]).split()[0]: str(t["STATUS"]) for t in todos}
    assert statuses["A-1"] == "COMPLETED" and statuses["A-11"] == "CANCELLED" and statuses["A-5"] == "NEEDS-ACTION"
    assert "COMPLETED" in by_summary["A-1 VPN for the sales floor"]
    assert [str(c) for c in laptops["CATEGORIES"].cats] == ["icm", "IT", "Sales", "weekly-coordination"]


def test_ics_lines_are_crlf_and_folded_within_75_octets_on_character_boundaries(s):
    data = render_actions(s, s.actions(), "ics")
    assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    lines = data.split(b"\r\n")[:-1]
    assert max(len(line) for line in lines) <= LINE_OCTETS
    assert any(line.startswith(b" ") for line in lines), "the long lines were folded"
    for line in lines:
        line.decode("utf-8")  # a fold never splits a multibyte character


def test_fold_and_escape():
    line = "SUMMARY:" + "销🎉a" * 60
    folded = fold(line)
    pieces = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in pieces)
    assert all(p.startswith(" ") for p in pieces[1:])
    assert "".join(p[1:] if i else p for i, p in enumerate(pieces)) == line
    assert fold("short") == "short"
    assert escape_text("a\\b;c,d\ne\r\nf\x07g\th") == "a\\\\b\\;c\\,d\\ne\\nfg\th"


# --- Taskwarrior ------------------------------------------------------------------------------------


def test_taskwarrior_json_shape(s):
    tasks = json.loads(render_actions(s, s.actions(), "taskwarrior"))
    by_ref = {t["description"].split()[0]: t for t in tasks}
    laptops = by_ref["A-4"]
    assert laptops["uuid"] == task_uuid(s.action("A-4").uid) == task_uuid(s.action("A-4").uid)
    assert laptops["status"] == "pending" and laptops["priority"] == "H" and "start" in laptops
    assert laptops["project"] == "weekly-coordination" and laptops["tags"] == ["icm", "it", "for_sales"]
    assert laptops["due"] == "20261203T160000Z"  # midnight in Shanghai, as `task add due:2026-12-04` would
    assert by_ref["A-1"]["status"] == "completed" and "end" in by_ref["A-1"]
    assert by_ref["A-11"]["status"] == "deleted"
    assert any(a["description"] == "ordered from the usual vendor" for a in laptops["annotations"])
    allowed = {"uuid", "description", "status", "entry", "modified", "due", "start", "end", "project", "tags",
               "priority", "annotations"}
    assert all(set(t) <= allowed for t in tasks), "core attributes only: no UDAs"


def _task(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["task", "rc.confirmation=off", "rc.hooks=off", *args], env=env, capture_output=True,
                          text=True, timeout=60)


@pytest.mark.skipif(shutil.which("task") is None, reason="Taskwarrior is not installed")
def test_task_import_accepts_the_export(s, tmp_path):
    (tmp_path / "data").mkdir()
    rc = tmp_path / "taskrc"
    rc.write_text(f"data.location={tmp_path / 'data'}\n", encoding="utf-8")
    env = {**os.environ, "TASKRC": str(rc), "TASKDATA": str(tmp_path / "data"), "HOME": str(tmp_path)}
    exported = tmp_path / "tasks.json"
    exported.write_bytes(render_actions(s, s.actions(), "taskwarrior"))
    result = _task(env, "import", str(exported))
    assert result.returncode == 0, result.stderr
    assert "Imported 11 tasks" in result.stderr
    again = _task(env, "import", str(exported))
    assert again.returncode == 0, again.stderr
    tasks = json.loads(_task(env, "export").stdout)
    assert len(tasks) == 11, "importing the same export twice adds nothing"
    by_uuid = {t["uuid"]: t for t in tasks}
    mine = by_uuid[task_uuid(s.action("A-8").uid)]
    assert mine["description"] == "A-8 招聘审批：两个销售职位" and mine["status"] == "pending"
    assert by_uuid[task_uuid(s.action("A-10").uid)]["description"].startswith("A-10 Semi;colon, comma \\ back slash")
    pending = _task(env, "rc.verbose=nothing", "status:pending", "count")
    assert pending.stdout.strip() == str(sum(a.status.value in ("open", "in_progress", "blocked") for a in s.actions()))


def test_the_unrolled_csv_row_matches_the_generic_row(s):
    from icm_tui.export.actions import Names, row_values
    from icm_tui.export.actions_csv import cell

    data = render_actions(s, s.actions(), "csv").decode("utf-8-sig")
    written = list(csv.reader(io.StringIO(data, newline="")))[1:]
    names = Names(s.org)
    reference = [[cell(v) for v in row_values(item, names, s.today(), s)] for item in s.actions()]
    assert written == reference
