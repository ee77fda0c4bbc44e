"""The strict agenda and org.yaml loader: typed records from good files, located problems from bad ones."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from icm_tui.domain import yamlsafe
from icm_tui.domain.agenda import Agenda, Cadence, ItemKind
from icm_tui.domain.loader import LoadError, did_you_mean, load_agenda, load_org, load_workspace_org
from icm_tui.domain.org import Org
from icm_tui.errors import BadInput
from icm_tui.workspace import Workspace

REPO = Path(__file__).parents[2]
SAMPLE = Workspace(REPO)

ORG = """\
version: 1
organization: Test Co.
departments:
  - {id: it, name: IT, lead: zhang-wei}
  - {id: sales, name: 销售部}
  - {id: hr, name: HR}
people:
  - {id: zhang-wei, name: Zhang Wei, department: it}
  - {id: li-lei, name: Li Lei, department: sales}
services:
  - {id: laptops, name: Laptop provisioning, provider: it, consumers: [sales, hr], target_days: 3}
thresholds: {escalate_after_carries: 3, escalate_after_overdue_days: 14}
"""

AGENDA = """\
version: 1
series: weekly
title: Weekly coordination
cadence: weekly
facilitator: zhang-wei
duration: 60
attendees: [it, sales]
items:
  - title: Follow-ups
    kind: review
    timebox: 10
  - title: Laptops arrive late
    kind: discussion
    timebox: 15
    requester: sales
    supplier: it
    presenter: li-lei
    prompt: |
      Four people waited more than 3 days.
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def org(tmp_path: Path) -> Org:
    return load_org(write(tmp_path, "org.yaml", ORG))


def problems_of(path: Path, org: Org | None = None) -> list[tuple[int, int, str]]:
    """(line, col, message) of every problem loading `path` as an agenda."""
    with pytest.raises(LoadError) as caught:
        load_agenda(path, org or Org())
    return [(p.line, p.col, p.message) for p in caught.value.problems]


def org_problems_of(path: Path) -> list[tuple[int, int, str]]:
    with pytest.raises(LoadError) as caught:
        load_org(path)
    return [(p.line, p.col, p.message) for p in caught.value.problems]


# --- good files ---------------------------------------------------------------------------------


def test_sample_org_is_the_source_of_truth():
    org = load_workspace_org(SAMPLE)
    assert org.present
    assert {"it", "hr", "finance", "sales", "operations", "procurement"} <= {d.id for d in org.departments}
    assert org.department_name("sh-sales") == "销售部"
    assert all(org.department(p.department) for p in org.people)
    assert all(org.person(d.lead) for d in org.departments if d.lead)
    assert org.thresholds.escalate_after_carries == 3


@pytest.mark.parametrize("path", SAMPLE.agenda_paths(), ids=lambda p: p.name)
def test_every_sample_agenda_loads_against_the_sample_org(path: Path):
    agenda = load_agenda(path, load_workspace_org(SAMPLE))
    assert agenda.items and agenda.total_timebox <= agenda.planned_minutes


def test_sample_agendas_cover_the_meeting_kinds():
    org = load_workspace_org(SAMPLE)
    by_name = {p.stem: load_agenda(p, org) for p in SAMPLE.agenda_paths()}
    assert {"weekly-coordination", "monthly-service-review", "weekly-zh"} <= set(by_name)
    assert ItemKind.PULSE in {i.kind for i in by_name["monthly-service-review"].items}
    assert by_name["monthly-service-review"].cadence is Cadence.MONTHLY
    zh = by_name["weekly-zh"]
    assert zh.title == "跨部门协调周会"
    assert [i.title for i in zh.items][-4:] == ["需求分析", "沟通策略", "协调机制", "反馈改进"]
    assert all(org.department_name(a) != a for a in zh.attendees)  # every attendee has a (Chinese) name


def test_agenda_becomes_typed_records(tmp_path: Path, org: Org):
    agenda = load_agenda(write(tmp_path, "weekly.yaml", AGENDA), org)
    assert isinstance(agenda, Agenda)
    assert (agenda.series, agenda.cadence, agenda.duration, agenda.attendees) == ("weekly", Cadence.WEEKLY, 60, ("it", "sales"))
    laptops = agenda.items[1]
    assert (laptops.kind, laptops.timebox, laptops.requester, laptops.supplier) == (ItemKind.DISCUSSION, 15, "sales", "it")
    assert laptops.prompt == "Four people waited more than 3 days."
    assert agenda.path.endswith("weekly.yaml") and agenda.name == "weekly"


def test_without_org_yaml_people_and_departments_go_by_plain_name(tmp_path: Path):
    path = write(
        tmp_path,
        "a.yaml",
        """\
        version: 1
        series: ad-hoc
        title: Ad hoc
        facilitator: Wang Fang
        attendees: [Sales, 销售部, it]
        items:
          - {title: Anything, timebox: 5, requester: Sales team, supplier: IT, presenter: 李雷}
        """,
    )
    agenda = load_agenda(path, Org())
    assert agenda.facilitator == "Wang Fang" and agenda.attendees == ("Sales", "销售部", "it")
    assert agenda.duration is None and agenda.planned_minutes == 5


def test_a_plain_name_facilitator_is_fine_even_with_org(tmp_path: Path, org: Org):
    path = write(tmp_path, "a.yaml", AGENDA.replace("facilitator: zhang-wei", "facilitator: Guest Speaker"))
    assert load_agenda(path, org).facilitator == "Guest Speaker"


def test_missing_org_yaml_gives_an_empty_org(tmp_path: Path):
    org = load_workspace_org(Workspace(tmp_path))
    assert org == Org() and not org.present


def test_bom_and_crlf_load(tmp_path: Path, org: Org):
    path = tmp_path / "crlf.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + AGENDA.replace("\n", "\r\n").encode())
    agenda = load_agenda(path, org)
    assert agenda.title == "Weekly coordination" and agenda.items[1].prompt == "Four people waited more than 3 days."


# --- located problems ---------------------------------------------------------------------------


def test_misspelt_key_points_at_the_key_with_a_suggestion(tmp_path: Path, org: Org):
    path = write(tmp_path, "a.yaml", AGENDA.replace("    timebox: 15", "    timebx: 15"))
    assert (14, 5, "unknown key 'timebx' in item 2; did you mean 'timebox'?") in problems_of(path, org)


def test_wrong_type_points_at_the_value(tmp_path: Path, org: Org):
    path = write(tmp_path, "a.yaml", AGENDA.replace("duration: 60", "duration: an hour"))
    [(line, col, message)] = problems_of(path, org)
    assert (line, col) == (6, 11) and message.startswith("duration must be a whole number of minutes")


@pytest.mark.parametrize(
    ("old", "new", "where", "start"),
    [
        ("attendees: [it, sales]", "attendees: it", (7, 12), "attendees must be a list"),
        ("title: Weekly coordination", "title: [a, b]", (3, 8), "title must be text"),
        ("    timebox: 10", "    timebox: '10'", (11, 14), "timebox must be a number, not quoted text"),
        ("    timebox: 10", "    timebox: 0", (11, 14), "timebox must be a positive number"),
        ("    timebox: 10", "    timebox: 10.5", (11, 14), "timebox must be a whole number"),
        ("    timebox: 10", "    timebox: 010", (11, 14), "010 is read by YAML as the octal number 8"),
        ("    timebox: 10", "    timebox: 0:10", (11, 14), "unquoted 0:10 is read by YAML 1.1 as the number 10"),
        ("    timebox: 10", "    timebox:", (11, 13), "timebox is empty"),
        ("version: 1", "version: 2", (1, 10), "version must be 1"),
        ("cadence: weekly", "cadence: Weekly", (4, 10), "unknown cadence 'Weekly'; did you mean 'weekly'?"),
        ("    kind: review", "    kind: reveiw", (10, 11), "unknown kind 'reveiw'; did you mean 'review'?"),
        ("series: weekly", "series: Weekly Sync", (2, 9), "series 'Weekly Sync' is not an id"),
        ("title: Weekly coordination", "title: no", (3, 8), "unquoted no is read by YAML as the boolean false"),
        ("title: Weekly coordination", "title: 2024-02-30", (3, 8), "unquoted 2024-02-30 is read by YAML as a date, and there is no such day"),
        ("title: Weekly coordination", "title: 2024-02-03", (3, 8), "unquoted 2024-02-03 is read by YAML as a date"),
        ("title: Weekly coordination", "title: 1e3", (3, 8), "unquoted 1e3 is read by YAML as a number"),
        ("title: Weekly coordination", "title:", (3, 7), "title is empty"),
    ],
)
def test_wrong_values_are_located(tmp_path: Path, org: Org, old: str, new: str, where: tuple[int, int], start: str):
    assert old in AGENDA
    found = problems_of(write(tmp_path, "a.yaml", AGENDA.replace(old, new, 1)), org)
    assert any((line, col) == where and message.startswith(start) for line, col, message in found), found


def test_unquoted_10_30_is_reported_not_read_as_630(tmp_path: Path, org: Org):
    path = write(tmp_path, "a.yaml", AGENDA.replace("title: Weekly coordination", "title: 10:30"))
    [(line, col, message)] = problems_of(path, org)
    assert (line, col) == (3, 8)
    assert "630" in message and "put it in quotes: title: '10:30'" in message
    quoted = write(tmp_path, "b.yaml", AGENDA.replace("title: Weekly coordination", "title: '10:30'"))
    assert load_agenda(quoted, org).title == "10:30"


def test_unknown_department_with_did_you_mean(tmp_path: Path, org: Org):
    path = write(tmp_path, "a.yaml", AGENDA.replace("    supplier: it", "    supplier: iit"))
    assert problems_of(path, org) == [(16, 15, "unknown department 'iit' in supplier; did you mean 'it'?")]


def test_a_department_name_suggests_its_id(tmp_path: Path, org: Org):
    path = write(tmp_path, "a.yaml", AGENDA.replace("attendees: [it, sales]", "attendees: [it, 销售部]"))
    [(line, col, message)] = problems_of(path, org)
    assert (line, col) == (7, 17) and "use the id sales" in message


def test_unknown_person_and_person_used_as_department(tmp_path: Path, org: Org):
    text = AGENDA.replace("presenter: li-lei", "presenter: li-lie").replace("requester: sales", "requester: li-lei")
    found = problems_of(write(tmp_path, "a.yaml", text), org)
    assert (15, 16, "unknown department 'li-lei' in requester; 'li-lei' is a person, not a department (their department is 'sales')") in found
    assert (17, 16, "unknown person 'li-lie' in presenter; did you mean 'li-lei'?") in found


def test_attendee_listed_twice(tmp_path: Path, org: Org):
    path = write(tmp_path, "a.yaml", AGENDA.replace("attendees: [it, sales]", "attendees: [it, sales, it]"))
    assert problems_of(path, org) == [(7, 24, "attendee 'it' is listed twice; remove one")]


def test_duplicate_key_points_at_the_second(tmp_path: Path, org: Org):
    path = write(tmp_path, "a.yaml", AGENDA.replace("cadence: weekly\n", "cadence: weekly\ncadence: monthly\n"))
    assert (5, 1, "duplicate key 'cadence' (first on line 4); remove one of them") in problems_of(path, org)


def test_missing_required_keys_point_at_the_mapping(tmp_path: Path):
    found = problems_of(write(tmp_path, "a.yaml", "version: 1\ntitle: T\nitems:\n  - title: x\n"))
    assert (1, 1, "the agenda has no 'series'; add one, like 'series: weekly-coordination'") in found
    assert any(p[:2] == (4, 5) and "item 1 has no 'timebox'" in p[2] for p in found)


def test_all_problems_of_a_file_are_reported_at_once_in_file_order(tmp_path: Path, org: Org):
    text = (
        AGENDA.replace("cadence: weekly", "cadance: weekly")
        .replace("    timebox: 10", "    timebox: ten")
        .replace("    supplier: it", "    supplier: itt")
        .replace("title: Follow-ups", "title: &x Follow-ups")
    )
    found = problems_of(write(tmp_path, "a.yaml", text), org)
    assert [(line, col) for line, col, _ in found] == [(4, 1), (9, 12), (11, 14), (16, 15)]


def test_anchors_aliases_and_tags_are_refused(tmp_path: Path):
    path = write(tmp_path, "a.yaml", "version: !!int 1\nseries: &s weekly\ntitle: *s\n")
    found = problems_of(path)
    assert (1, 10, "tags (!!int) are not allowed; remove the tag (quote the value for text)") in found
    assert (2, 9, "anchors (&s) are not allowed; write the value out in full") in found
    assert (3, 8, "aliases (*s) are not allowed; write the value out in full") in found


def test_a_second_document_is_refused(tmp_path: Path, org: Org):
    found = problems_of(write(tmp_path, "a.yaml", AGENDA + "---\nversion: 1\n"), org)
    assert found == [(20, 1, "a second YAML document; keep one agenda per file and remove this '---'")]


def test_a_root_that_is_not_a_mapping(tmp_path: Path):
    [(line, col, message)] = problems_of(write(tmp_path, "a.yaml", "- a\n- b\n"))
    assert (line, col) == (1, 1) and message.startswith("an agenda must be a mapping of keys, got a list")


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n", "--- # x\n...\n"])
def test_empty_files(tmp_path: Path, text: str):
    assert problems_of(write(tmp_path, "a.yaml", text)) == [
        (1, 1, "the file is empty; write an agenda (see the README's agenda format)")
    ]


def test_an_empty_item(tmp_path: Path):
    found = problems_of(write(tmp_path, "a.yaml", "version: 1\nseries: s\ntitle: T\nitems:\n  -\n  - {title: a, timebox: 1}\n"))
    assert found == [(5, 4, "item 1 must be a mapping of keys, got nothing; write it like '- title: ...' with 'kind:' and 'timebox:' below it")]


def test_syntax_error_is_located(tmp_path: Path):
    [(line, col, message)] = problems_of(write(tmp_path, "a.yaml", "version: 1\ntitle: a: b\n"))
    assert (line, col) == (2, 9) and message.startswith("invalid YAML: mapping values are not allowed")


def test_tab_indentation_is_located(tmp_path: Path):
    [(line, col, message)] = problems_of(write(tmp_path, "a.yaml", "version: 1\nitems:\n\t- title: a\n"))
    assert (line, col) == (3, 1) and "tab" in message


def test_columns_count_characters_not_bytes(tmp_path: Path, org: Org):
    path = write(tmp_path, "a.yaml", AGENDA.replace("title: Follow-ups", "title: 回顾 回顾\n    titel: x"))
    assert (10, 5, "unknown key 'titel' in item 1; did you mean 'title'?") in problems_of(path, org)
    path = write(tmp_path, "b.yaml", "title: 回顾回顾, foo: x\n")
    assert problems_of(path)[0][:2] == (1, 17)  # the second colon, counted in characters (bytes: 25)


def test_problem_lines_stay_one_line(tmp_path: Path):
    error = None
    try:
        load_agenda(write(tmp_path, "a.yaml", '"two\\nlines": 1\n'), Org())
    except LoadError as caught:
        error = caught
    assert error is not None
    assert all(line.startswith(f"{tmp_path / 'a.yaml'}:") for line in str(error).splitlines())
    assert "'two\\nlines'" in str(error)


def test_load_error_is_bad_input_with_one_line_per_problem(tmp_path: Path):
    with pytest.raises(BadInput) as caught:
        load_agenda(write(tmp_path, "a.yaml", "version: 1\n"), Org())
    assert caught.value.exit_code == 2
    assert str(caught.value).splitlines() == [str(p) for p in caught.value.problems]


def test_problem_floods_are_capped(tmp_path: Path):
    text = "version: 1\n" + "".join(f"key{n}: x\n" for n in range(300))
    with pytest.raises(LoadError) as caught:
        load_agenda(write(tmp_path, "a.yaml", text), Org())
    assert len(caught.value.problems) == 101 and "more problems" in caught.value.problems[-1].message


def test_did_you_mean():
    assert did_you_mean("Weekly", ["weekly", "monthly"]) == "; did you mean 'weekly'?"
    assert did_you_mean("zzz", ["weekly"]) == ""


# --- org.yaml -----------------------------------------------------------------------------------


def test_org_yaml_internal_references(tmp_path: Path):
    text = (
        ORG.replace("lead: zhang-wei", "lead: zhang-wie")
        .replace("department: sales}", "department: sale}")
        .replace("provider: it", "provider: itt")
        .replace("consumers: [sales, hr]", "consumers: [sales, hrr]")
    )
    found = org_problems_of(write(tmp_path, "org.yaml", text))
    assert (4, 30, "lead 'zhang-wie' of it is not in people; did you mean 'zhang-wei'?") in found
    assert (9, 44, "unknown department 'sale' for li-lei; did you mean 'sales'?") in found
    assert (11, 56, "unknown department 'itt' in provider; did you mean 'it'?") in found
    assert (11, 80, "unknown department 'hrr' in a consumer; did you mean 'hr'?") in found


def test_org_ids_are_unique_slugs(tmp_path: Path):
    text = ORG.replace("{id: hr, name: HR}", "{id: it, name: HR}").replace("id: li-lei", "id: Li Lei")
    found = org_problems_of(write(tmp_path, "org.yaml", text))
    assert (6, 10, "id 'it' is already used by a department on line 4; ids must be unique") in found
    assert any(p[:2] == (9, 10) and p[2].startswith("id 'Li Lei' is not an id") and "'li-lei'" in p[2] for p in found)


def test_a_person_cannot_reuse_a_department_id(tmp_path: Path):
    text = ORG.replace("id: li-lei", "id: hr")
    assert (9, 10, "id 'hr' is already used by a department on line 6; ids must be unique") in org_problems_of(
        write(tmp_path, "org.yaml", text)
    )


@pytest.mark.parametrize(
    ("old", "new", "start"),
    [
        ("escalate_after_carries: 3", "escalate_after_carries: 0", "escalate_after_carries must be a positive number"),
        ("escalate_after_overdue_days: 14", "escalate_after_overdue_days: two weeks", "escalate_after_overdue_days must be a whole number"),
        ("escalate_after_carries: 3", "escalate_after_carries: -1", "escalate_after_carries must be a positive number"),
        ("target_days: 3", "target_days: '3'", "target_days must be a number"),
        ("thresholds: {", "thresholds: {escalate_after_carry: 1, ", "unknown key 'escalate_after_carry' in thresholds; did you mean"),
        ("organization: Test Co.", "organisation: Test Co.", "unknown key 'organisation' in org.yaml; did you mean 'organization'?"),
    ],
)
def test_org_values(tmp_path: Path, old: str, new: str, start: str):
    assert old in ORG
    found = org_problems_of(write(tmp_path, "org.yaml", ORG.replace(old, new)))
    assert any(message.startswith(start) for _, _, message in found), found


def test_org_thresholds_are_read(tmp_path: Path):
    org = load_org(write(tmp_path, "org.yaml", ORG.replace("escalate_after_overdue_days: 14", "escalate_after_overdue_days: 7")))
    assert (org.thresholds.escalate_after_carries, org.thresholds.escalate_after_overdue_days) == (3, 7)
    assert org.service("laptops").consumers == ("sales", "hr") and org.service("laptops").target_days == 3


def test_broken_workspace_org_raises_load_error(tmp_path: Path):
    (tmp_path / "agendas").mkdir()
    write(tmp_path / "agendas", "org.yaml", "version: 1\ndepartments: x\n")
    with pytest.raises(LoadError) as caught:
        load_workspace_org(Workspace(tmp_path))
    assert caught.value.problems[0].line == 2


# --- the reader itself --------------------------------------------------------------------------


def test_read_refuses_before_reading_a_large_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "big.yaml"
    path.write_bytes(b"#" * (yamlsafe.MAX_BYTES + 1))
    monkeypatch.setattr(yamlsafe, "open", lambda *a, **k: pytest.fail("read a file over the limit"), raising=False)
    root, problems = yamlsafe.read_yaml(path)
    assert root is None and "1 MiB" in problems[0].message


def test_permission_denied_is_one_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = write(tmp_path, "a.yaml", AGENDA)

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(yamlsafe, "open", denied, raising=False)
    assert problems_of(path) == [(0, 0, "permission denied; check the file's permissions")]


def test_non_utf8_is_located(tmp_path: Path):
    path = tmp_path / "a.yaml"
    path.write_bytes(b"version: 1\ntitle: caf\xe9\n")
    assert problems_of(path) == [(2, 11, "byte 0xE9 is not UTF-8; save the file as UTF-8")]


def test_control_characters_are_located(tmp_path: Path):
    path = tmp_path / "a.yaml"
    path.write_bytes(b"version: 1\ntitle: a\x07b\n")
    assert problems_of(path) == [(2, 9, "control character U+0007 is not allowed in YAML; remove it")]


def test_nodes_keep_their_positions():
    root, problems = yamlsafe.parse_yaml("a:\n  - x\n  - {b: 'c'}\n", "t.yaml")
    assert not problems and yamlsafe.to_python(root) == {"a": ["x", {"b": "c"}]}
    key, seq = root.pairs["a"]
    assert (key.line, key.col, seq.line, seq.col) == (1, 1, 2, 3)
    inner = seq.items[1].pairs["b"][1]
    assert (inner.line, inner.col, inner.plain) == (3, 9, False)


@pytest.mark.parametrize("loader", [yaml.SafeLoader, getattr(yaml, "CSafeLoader", yaml.SafeLoader)], ids=["python", "c"])
def test_deep_nesting_is_a_clean_problem_with_either_parser(loader, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(yamlsafe, "_Loader", loader)
    for text in ("[" * 10_000, "- " * 10_000 + "x\n", "a:\n" + "".join(" " * n + "a:\n" for n in range(1, 2000))):
        root, problems = yamlsafe.parse_yaml(text, "deep.yaml")
        assert root is None and len(problems) == 1 and problems[0].line >= 1
        assert "nested" in problems[0].message or "invalid YAML" in problems[0].message


def test_the_pure_python_parser_loads_the_samples_the_same(monkeypatch: pytest.MonkeyPatch):
    org = load_workspace_org(SAMPLE)
    fast = [load_agenda(p, org) for p in SAMPLE.agenda_paths()]
    monkeypatch.setattr(yamlsafe, "_Loader", yaml.SafeLoader)
    assert [load_agenda(p, load_workspace_org(SAMPLE)) for p in SAMPLE.agenda_paths()] == fast
