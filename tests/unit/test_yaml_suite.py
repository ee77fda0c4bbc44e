"""Every input of the YAML test suite gives a loaded agenda or located `PATH:LINE:COL:` problems."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from icm_tui.domain import yamlsafe
from icm_tui.domain.loader import LoadError, load_agenda, load_org
from icm_tui.domain.org import Org

SUITE = Path(__file__).parents[2].parent / "shared" / "yaml-suite"
CASES = sorted((SUITE / "cases").glob("*.yaml")) if SUITE.is_dir() else []
ERROR_CASES = (
    {line.split("\t")[0] for line in (SUITE / "index.tsv").read_text().splitlines()[1:] if line.split("\t")[1] == "1"}
    if SUITE.is_dir()
    else set()
)
LOCATED = re.compile(r"^(?P<path>.+):(?P<line>[1-9][0-9]*):(?P<col>[1-9][0-9]*): \S")

pytestmark = pytest.mark.skipif(not CASES, reason=f"the YAML suite is not at {SUITE}")


def assert_loads_or_located(path: Path, load) -> None:
    """The file loads, or every problem is a one-line `PATH:LINE:COL: message` inside the file."""
    try:
        load(path)
    except LoadError as error:
        lines = str(error).splitlines()
        assert lines and len(lines) == len(error.problems)
        text_lines = max(1, path.read_bytes().count(b"\n") + 1)
        for line in lines:
            match = LOCATED.match(line)
            assert match, line
            assert match["path"] == str(path)
            assert int(match["line"]) <= text_lines, line
    else:
        assert path.stem.split("-")[0] not in ERROR_CASES, "an invalid YAML document was accepted"


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_case_as_agenda(path: Path):
    assert_loads_or_located(path, lambda p: load_agenda(p, Org()))


def test_whole_suite_as_org_and_with_the_pure_python_parser(monkeypatch: pytest.MonkeyPatch):
    for path in CASES:
        assert_loads_or_located(path, load_org)
    monkeypatch.setattr(yamlsafe, "_Loader", yaml.SafeLoader)
    for path in CASES:
        assert_loads_or_located(path, lambda p: load_agenda(p, Org()))


@pytest.mark.parametrize("case", ["236B", "2JQS", "4ABK", "6BCT", "C4HZ", "X4QW", "ZH7C", "SY6V"])
def test_case_through_the_real_cli(case: str, tmp_path: Path):
    path = SUITE / "cases" / f"{case}.yaml"
    if not path.exists():
        pytest.skip(f"{path.name} not in this copy of the suite")
    result = subprocess.run(
        [sys.executable, "-m", "icm_tui", "--workspace", str(tmp_path), "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines and all(LOCATED.match(line) and line.startswith(f"{path}:") for line in lines), lines
