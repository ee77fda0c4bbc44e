"""`icm validate`: one OK line per good file, located problems and exit 2 for bad ones, never a traceback."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from icm_tui.cli import main

REPO = Path(__file__).parents[2]
LOCATED = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): \S")

GOOD = """\
version: 1
series: weekly
title: Weekly coordination
cadence: weekly
facilitator: zhang-wei
duration: 30
attendees: [it, sales]
items:
  - title: Follow-ups
    kind: review
    timebox: 10
  - title: Laptops arrive late
    timebox: 15
    requester: sales
    supplier: it
    presenter: zhang-wei
"""


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the sample org.yaml and one good agenda, with the current folder at its root."""
    (tmp_path / "agendas").mkdir()
    shutil.copy(REPO / "agendas" / "org.yaml", tmp_path / "agendas" / "org.yaml")
    (tmp_path / "agendas" / "weekly.yaml").write_text(GOOD, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ICM_WORKSPACE", raising=False)
    return tmp_path


def icm(*args: str, cwd: Path | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The real command, in a fresh interpreter."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("ICM_WORKSPACE", None)
    return subprocess.run(
        [sys.executable, "-m", "icm_tui", *args], capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env
    )


def validate(*args: str):
    return CliRunner().invoke(main, ["validate", *args], catch_exceptions=False)


def test_the_sample_workspace_is_valid():
    result = icm("--workspace", str(REPO), "validate", cwd=REPO)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("agendas/org.yaml: OK  Example Co., ")
    assert "agendas/weekly-coordination.yaml: OK  Weekly cross-department coordination, 6 items, 60/60 min" in lines
    assert any(line.startswith("agendas/weekly-zh.yaml: OK  跨部门协调周会, 5 items") for line in lines)
    assert any(line.startswith("agendas/monthly-service-review.yaml: OK  ") for line in lines)
    assert result.stderr == ""


def test_ok_line_per_file(workspace: Path):
    result = validate()
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "agendas/org.yaml: OK  Example Co., 10 departments, 23 people, 8 services",
        "agendas/weekly.yaml: OK  Weekly coordination, 2 items, 25/30 min",
    ]


def test_timeboxes_over_the_duration_are_flagged_but_valid(workspace: Path):
    (workspace / "agendas" / "weekly.yaml").write_text(GOOD.replace("duration: 30", "duration: 20"), encoding="utf-8")
    result = validate("agendas/weekly.yaml")
    assert result.exit_code == 0
    assert result.stdout == "agendas/weekly.yaml: OK  Weekly coordination, 2 items, 25/20 min (timeboxes exceed the duration by 5 min)\n"


def test_org_yaml_given_as_a_path_is_validated_as_org(workspace: Path):
    result = validate("agendas/org.yaml")
    assert result.exit_code == 0 and result.stdout.startswith("agendas/org.yaml: OK  Example Co.")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("    kind: review", "    knid: review", "agendas/weekly.yaml:10:5: unknown key 'knid' in item 1; did you mean 'kind'?"),
        ("duration: 30", "duration: [30]", "agendas/weekly.yaml:6:11: duration must be a whole number of minutes, got a list"),
        ("    supplier: it", "    supplier: finanse", "agendas/weekly.yaml:15:15: unknown department 'finanse' in supplier; did you mean 'finance'?"),
        ("cadence: weekly\n", "cadence: weekly\ncadence: monthly\n", "agendas/weekly.yaml:5:1: duplicate key 'cadence' (first on line 4)"),
        ("title: Weekly coordination", "title: 10:30", "agendas/weekly.yaml:3:8: unquoted 10:30 is read by YAML as the number 630"),
    ],
    ids=["misspelt-key", "wrong-type", "unknown-department", "duplicate-key", "unquoted-10:30"],
)
def test_bad_agenda_exits_2_with_line_and_column(workspace: Path, old: str, new: str, expected: str):
    (workspace / "agendas" / "weekly.yaml").write_text(GOOD.replace(old, new), encoding="utf-8")
    result = validate()
    assert result.exit_code == 2
    assert result.stdout == "agendas/org.yaml: OK  Example Co., 10 departments, 23 people, 8 services\n"
    [line] = result.stderr.splitlines()
    assert line.startswith(expected), line


def test_bad_agenda_through_the_real_command(workspace: Path):
    (workspace / "agendas" / "weekly.yaml").write_text(GOOD.replace("    supplier: it", "    supplier: itt"), encoding="utf-8")
    result = icm("validate", cwd=workspace)
    assert result.returncode == 2
    assert result.stderr == "agendas/weekly.yaml:15:15: unknown department 'itt' in supplier; did you mean 'it'?\n"


def test_every_problem_of_every_file_is_reported(workspace: Path):
    (workspace / "agendas" / "weekly.yaml").write_text(GOOD.replace("    kind: review", "    kind: reveiw").replace("duration: 30", "duration: '30'"), encoding="utf-8")
    (workspace / "agendas" / "other.yaml").write_text("version: 1\n", encoding="utf-8")
    result = validate()
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert [LOCATED.match(line)["path"] for line in lines] == ["agendas/other.yaml"] * 3 + ["agendas/weekly.yaml"] * 2


def test_a_broken_org_fails_the_run_and_says_ids_were_not_checked(workspace: Path):
    (workspace / "agendas" / "org.yaml").write_text("version: 1\ndepartments: [{id: it}]\n", encoding="utf-8")
    result = validate()
    assert result.exit_code == 2
    assert result.stderr == "agendas/org.yaml:2:15: department on line 2 has no 'name'; add one, like 'name: Zhang Wei'\n"
    assert "(ids not checked: agendas/org.yaml has errors)" in result.stdout


def test_two_agendas_cannot_share_a_series(workspace: Path):
    (workspace / "agendas" / "zz.yaml").write_text(GOOD, encoding="utf-8")
    result = validate()
    assert result.exit_code == 2
    assert result.stderr == "agendas/zz.yaml: series 'weekly' is already the series of agendas/weekly.yaml; give each agenda its own\n"


def test_a_workspace_without_agendas_fails(tmp_path: Path):
    result = validate_in(tmp_path)
    assert result.exit_code == 2 and "no agendas in" in result.stderr


def validate_in(folder: Path, *args: str):
    return CliRunner().invoke(main, ["--workspace", str(folder), "validate", *args], catch_exceptions=False)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("missing.yaml", "missing.yaml: no such file; check the path"), (".", ".: is a folder, not a file; give a .yaml file")],
)
def test_unreadable_paths_are_one_line(workspace: Path, name: str, expected: str):
    result = validate(name)
    assert result.exit_code == 2 and result.stderr == expected + "\n"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_permission_denied_is_one_line(workspace: Path):
    path = workspace / "agendas" / "weekly.yaml"
    path.chmod(0)
    try:
        result = validate("agendas/weekly.yaml")
    finally:
        path.chmod(0o644)
    assert result.exit_code == 2 and result.stderr == "agendas/weekly.yaml: permission denied; check the file's permissions\n"


# --- hostile files, through the real command, each with a timeout --------------------------------


def _alias_bomb() -> bytes:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 12):
        name, previous = chr(ord("a") + level), chr(ord("a") + level - 1)
        lines.append(f"{name}: &{name} [{', '.join(['*' + previous] * 9)}]")
    return ("\n".join(lines) + "\n").encode()


HOSTILE = {
    "deep-flow": b"[" * 10_000,
    "deep-block": b"- " * 10_000 + b"x\n",
    "alias-bomb": _alias_bomb(),
    "impossible-date": GOOD.replace("title: Weekly coordination", "title: 2024-02-30").encode(),
    "tagged-int": GOOD.replace("duration: 30", "duration: !!int abc").encode(),
    "tabs": GOOD.replace("    kind: review", "\tkind: review").encode(),
    "empty": b"",
    "only-comments": b"# nothing\n# here\n",
    "binary": bytes(range(256)) * 8,
    "five-megabytes": b"title: " + b"x" * (5 * 1024 * 1024) + b"\n",
    "utf16": "version: 1\n".encode("utf-16"),
    "latin1": GOOD.replace("Follow-ups", "Suivi caf\u00e9").encode("latin-1"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_file_is_a_clean_exit_2(workspace: Path, name: str):
    path = workspace / f"{name}.yaml"
    path.write_bytes(HOSTILE[name])
    result = icm("validate", path.name, cwd=workspace, timeout=30)
    assert result.returncode == 2, result.stdout
    assert "Traceback" not in result.stderr and result.stdout == ""
    lines = result.stderr.splitlines()
    assert 1 <= len(lines) <= 101
    assert all(line.startswith(f"{path.name}:") for line in lines), lines
    if name != "five-megabytes":
        assert all(LOCATED.match(line) for line in lines), lines


@pytest.mark.parametrize("name", ["bom", "crlf", "bom-crlf"])
def test_bom_and_crlf_agendas_are_valid(workspace: Path, name: str):
    text = GOOD.replace("\n", "\r\n") if "crlf" in name else GOOD
    data = (b"\xef\xbb\xbf" if "bom" in name else b"") + text.encode()
    (workspace / "agendas" / "weekly.yaml").write_bytes(data)
    result = icm("validate", "agendas/weekly.yaml", cwd=workspace, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "agendas/weekly.yaml: OK  Weekly coordination, 2 items, 25/30 min\n"


def test_validate_does_not_import_textual(workspace: Path):
    code = textwrap.dedent(
        """
        import sys
        from icm_tui.cli import main
        try:
            main(["validate"], standalone_mode=False)
        finally:
            assert "textual" not in sys.modules, "icm validate imported textual"
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("ICM_WORKSPACE", None)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=workspace, env=env)
    assert result.returncode == 0, result.stderr
    assert "agendas/weekly.yaml: OK" in result.stdout


def test_the_readme_examples_are_valid(tmp_path: Path):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Agenda format", 1)[1].split("\n## ", 1)[0]
    agenda, org = re.findall(r"```yaml\n(.*?)```", section, re.S)[:2]
    (tmp_path / "agendas").mkdir()
    (tmp_path / "agendas" / "weekly-coordination.yaml").write_text(agenda, encoding="utf-8")
    (tmp_path / "agendas" / "org.yaml").write_text(org, encoding="utf-8")
    result = validate_in(tmp_path)
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.splitlines()) == 2
