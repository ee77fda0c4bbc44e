"""Bad minutes files: `icm import minutes` exits 2 with located one-line problems and writes nothing."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import exportsamples as samples
from backends import PERSISTENT
from icm_tui.domain.loader import LoadError
from icm_tui.export.minutes_import import load_minutes
from icm_tui.export.minutes_yaml import render_minutes
from storetools import Site, make_backend

LOCATED = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): \S")
SUITE = Path(__file__).parents[2].parent / "shared" / "yaml-suite" / "cases"


@pytest.fixture(scope="module")
def good_minutes() -> str:
    """Valid minutes of the sample weekly meeting."""
    s = samples.services()
    return render_minutes(s, samples.weekly(s))


@pytest.fixture(scope="module", params=PERSISTENT)
def workspace(request, tmp_path_factory) -> Site:
    """A workspace whose register already holds a meeting and some items of its own (M-1, A-1..A-3).

    Built once per backend: every test that uses it is a refusal that checks the register is unchanged.
    """
    site = Site(samples.copy_agendas(tmp_path_factory.mktemp("ws")), make_backend(request.param, request))
    with site.open() as store:
        s = samples.services(store)
        samples.shanghai(s)
        s.add_action("one", owner="li-lei")
        s.add_action("two", owner="li-lei")
    return site


def run_import(workspace: Site, path: Path, code: int):
    result = workspace.icm("import", "minutes", str(path))
    assert result.exit_code == code, (result.output, result.stderr, result.exception)
    return result


def assert_refused(workspace: Site, path: Path, *expected: str) -> list[str]:
    """Import exits 2, prints only one-line problems (no traceback), and the register is unchanged."""
    before = workspace.state()
    result = run_import(workspace, path, 2)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines and "Traceback" not in result.stderr
    for line in lines:
        assert LOCATED.match(line) or line.startswith(f"{path}: ") or line.startswith("icm: "), line
    for text in expected:
        assert any(text in line for line in lines), (text, lines)
    assert workspace.state() == before
    return lines


HOSTILE: dict[str, bytes] = {
    "empty": b"",
    "blank": b"   \n\n",
    "comments only": b"# nothing here\n",
    "deep nesting": b"version: 1\nmeeting: " + b"[" * 200_000 + b"]" * 200_000 + b"\n",
    "deep block nesting": b"version: 1\nmeeting:\n" + b"".join(b"  " * i + b"k:\n" for i in range(1, 60)),
    "alias bomb": (
        b'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
        b"b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        b"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
        b"f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    ),
    "python tag": b"version: 1\nmeeting: !!python/object/apply:os.system ['echo pwned']\n",
    "str tag": b"version: !!str 1\nmeeting: {}\n",
    "binary": bytes(range(256)) * 8,
    "utf-16": "version: 1\n".encode("utf-16"),
    "latin-1": "version: 1\nmeeting: {title: Caf\xe9}\n".encode("latin-1"),
    "bom then garbage": b"\xef\xbb\xbf: : :\n\t- [\n",
    "tabs": b"version: 1\nmeeting:\n\tref: M-1\n",
    "two documents": b"version: 1\n---\nversion: 1\n",
    "a list": b"- version: 1\n",
    "a scalar": b"just some text\n",
    "over 4 MiB": b"version: 1\nnotes: '" + b"x" * (5 * 1024 * 1024) + b"'\n",
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_files_are_refused_and_change_nothing(workspace, tmp_path, name):
    path = tmp_path / "bad.yaml"
    path.write_bytes(HOSTILE[name])
    assert_refused(workspace, path)


def test_alias_bomb_is_reported_without_expanding(workspace, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_bytes(HOSTILE["alias bomb"])
    lines = assert_refused(workspace, path, "anchors (&a) are not allowed", "aliases (*a) are not allowed")
    assert len(lines) < 40


def test_a_missing_file_and_a_folder(workspace, tmp_path):
    assert_refused(workspace, tmp_path / "nope.yaml", "no such file")
    assert_refused(workspace, tmp_path, "is a folder")


def _bad(good: str, old: str, new: str, count: int = 1) -> str:
    assert old in good, old
    return good.replace(old, new, count)


CASES = {
    "score 9": (("    score: 4\n    comment: Faster", "    score: 9\n    comment: Faster"),
                "score must be a whole number from 1 to 5, got 9"),
    "impossible due date": (("due: 2026-12-04", "due: 2026-02-30"), "due 2026-02-30 is not a real day"),
    "impossible start": (("started: 2026-11-30T10:00:00+08:00", "started: 2026-13-30T10:00:00+08:00"),
                         "is not a real time"),
    "no offset": (("started: 2026-11-30T10:00:00+08:00", "started: 2026-11-30T10:00:00"), "has no UTC offset"),
    "ends before it starts": (("ended: 2026-11-30T11:02:00+08:00", "ended: 2026-11-30T09:02:00+08:00"),
                              "is before started"),
    "bad meeting ref": (("  ref: M-1\n", "  ref: X-1\n"), "ref 'X-1' is not a ref like M-12"),
    "bad action ref": (("  - ref: A-5\n", "  - ref: A5\n"), "ref 'A5' is not a ref like A-12"),
    "item lists an unknown action": (("actions: [A-7]", "actions: [A-77]"), "A-77 is not in the minutes' actions list"),
    "action listed under two items": (("actions: [A-7]", "actions: [A-7, A-4]"), "A-4 is already listed under item"),
    "unknown department": (("    requester: procurement\n    due", "    requester: marketing\n    due"),
                           "org.yaml has no department 'marketing' (requester); add it to agendas/org.yaml or fix the minutes"),
    "unknown person": (("owner: zhang-wei", "owner: zhang-wie"), "org.yaml has no person 'zhang-wie' (owner)"),
    "unknown status": (("status: in_progress", "status: in-progress"), "unknown status 'in-progress'; did you mean 'in_progress'?"),
    "misspelt key": (("    priority: urgent", "    priorty: urgent"), "unknown key 'priorty' in the action on line"),
    "duplicate key": (("    priority: urgent", "    priority: urgent\n    priority: low"), "duplicate key 'priority'"),
    "unquoted no": (("title: 'no'", "title: no"), "unquoted no is read by YAML as the boolean false"),
    "unquoted time": (("- '10:30'", "- 10:30"), "unquoted 10:30 is read by YAML as the number 630"),
    "spent as text": (("spent: 17.5", "spent: 17:30"), "spent must be minutes as a number"),
    "version 2": (("version: 1", "version: 2"), "version must be 1"),
    "self rating": (("    from: sales\n    about: it", "    from: it\n    about: it"), "'it' rates itself"),
    "anchor inside": (("  - Keep a buffer of 5 laptops", "  - &x Keep a buffer of 5 laptops"), "anchors (&x) are not allowed"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_wrong_values_are_located_and_change_nothing(workspace, tmp_path, good_minutes, name):
    (old, new), message = CASES[name]
    path = tmp_path / "bad.yaml"
    path.write_text(_bad(good_minutes, old, new), encoding="utf-8")
    lines = assert_refused(workspace, path, message)
    assert all(LOCATED.match(line) for line in lines), lines


def test_a_uid_used_twice_is_refused(workspace, tmp_path, good_minutes):
    uids = re.findall(r"^    uid: (\S+)$", good_minutes, flags=re.M)
    path = tmp_path / "bad.yaml"
    path.write_text(good_minutes.replace(uids[1], uids[0]), encoding="utf-8")
    assert_refused(workspace, path, f"uid {uids[0]} is used twice (first on line")


def test_every_problem_is_reported_at_once(workspace, tmp_path, good_minutes):
    text = _bad(good_minutes, "    score: 4\n    comment: Faster", "    score: 9\n    comment: Faster")
    text = _bad(text, "due: 2026-12-04", "due: 2026-02-30")
    text = _bad(text, "owner: zhang-wei", "owner: nobody")
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    lines = assert_refused(workspace, path, "score must be", "not a real day", "org.yaml has no person 'nobody'")
    assert len(lines) == 3
    numbers = [int(LOCATED.match(line)["line"]) for line in lines]
    assert numbers == sorted(numbers), "problems come in file order"


def test_a_ref_clash_with_the_workspace_is_refused(workspace, tmp_path, good_minutes):
    # The workspace already has its own M-1 and A-1..A-3; these minutes' M-1 is another meeting.
    path = tmp_path / "other.yaml"
    path.write_text(good_minutes, encoding="utf-8")
    assert_refused(workspace, path, "M-1 is already a different record in this store")


def test_a_bom_from_a_windows_editor_is_fine(register, tmp_path, good_minutes):
    empty = Site(samples.copy_agendas(tmp_path / "ws"), register)
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + good_minutes.replace("\n", "\r\n").encode("utf-8"))
    result = run_import(empty, path, 0)
    assert result.stdout == "M-1: imported 1 meeting, 5 action items, 3 pulses\n"


def test_org_without_the_department_says_so(register, tmp_path, good_minutes):
    empty = Site(samples.copy_agendas(tmp_path / "ws"), register)
    org = empty.root / "agendas" / "org.yaml"
    org.write_text(org.read_text(encoding="utf-8").replace("  - {id: procurement, name: Procurement, lead: liu-yang}\n", "")
                   .replace("  - {id: liu-yang, name: Liu Yang, department: procurement}\n", "")
                   .replace("  - {id: james-wilson, name: James Wilson, department: procurement}\n", "")
                   .replace(", procurement]", "]").replace("provider: procurement", "provider: it")
                   .replace("consumers: [procurement]", "consumers: [it]"), encoding="utf-8")
    path = tmp_path / "m.yaml"
    path.write_text(good_minutes, encoding="utf-8")
    result = run_import(empty, path, 2)
    assert "org.yaml has no department 'procurement' (requester); add it to agendas/org.yaml or fix the minutes" in result.stderr
    with empty.open() as store:
        assert store.actions() == [] and store.meetings() == [] and store.pulses() == []


@pytest.mark.skipif(not SUITE.is_dir(), reason="the YAML suite is not available")
def test_every_yaml_suite_case_is_refused_with_located_problems(tmp_path):
    org = samples.org()
    for case in sorted(SUITE.glob("*.yaml")):
        with pytest.raises(LoadError) as caught:
            load_minutes(case, org, display="case.yaml")
        for line in str(caught.value).splitlines():
            assert LOCATED.match(line) or line.startswith("case.yaml: "), (case.name, line)


def test_unreadable_file(workspace, tmp_path, good_minutes):
    if os.geteuid() == 0:
        pytest.skip("root reads everything")
    path = tmp_path / "locked.yaml"
    path.write_text(good_minutes, encoding="utf-8")
    path.chmod(0)
    assert_refused(workspace, path, "permission denied")
