"""Minutes YAML and Markdown for the sample meetings: round trip, idempotent import, fixed shape."""

from __future__ import annotations

import os
import re

import pytest
import yaml

import exportsamples as samples
from icm_tui.domain.loader import LoadError
from icm_tui.domain.models import EventKind, MeetingState
from icm_tui.errors import UnknownRef
from icm_tui.export.minutes_import import IMPORT_NOTE, import_minutes, load_minutes
from icm_tui.export.minutes_yaml import minutes_filename, render_minutes, write_minutes
from backends import ALL
from storetools import Site, make_backend

BUILDERS = {"weekly": samples.weekly, "shanghai": samples.shanghai, "running": samples.running}


@pytest.fixture(scope="module", params=ALL)
def site(request, tmp_path_factory) -> Site:
    """The backend of this round: memory, TinyDB, PostgreSQL."""
    return Site(tmp_path_factory.mktemp(request.param), make_backend(request.param, request))


@pytest.fixture(scope="module")
def world(site):
    """One register holding all three sample meetings; their refs by name.

    Built once per backend: the tests only read it (those that import into it check nothing was written).
    """
    store = site.open()
    s = samples.services(store)
    yield s, {name: build(s) for name, build in BUILDERS.items()}
    store.close()


@pytest.fixture
def fresh(site, request, tmp_path):
    """New empty registers of the world's backend, as Services: `fresh(actor=...)`."""
    stores = []

    def make(actor: str = "tester"):
        store = Site(tmp_path / f"fresh{len(stores)}", make_backend(site.backend.name, request)).open()
        stores.append(store)
        return samples.services(store, actor=actor)

    yield make
    for store in stores:
        store.close()


@pytest.mark.parametrize("name", list(BUILDERS))
def test_export_import_export_gives_the_same_bytes(world, fresh, tmp_path, name):
    s, refs = world
    first = render_minutes(s, refs[name])
    path = tmp_path / "minutes.yaml"
    path.write_text(first, encoding="utf-8")

    empty = fresh(actor="someone-else")
    summary = import_minutes(empty, path)
    assert summary.changed and summary.meeting == refs[name]
    assert render_minutes(empty, refs[name]) == first

    version = empty.store.version()
    again = import_minutes(empty, path)
    assert not again.changed and again.differing == []
    assert empty.store.version() == version, "a second import must not write"


def test_minutes_have_the_documented_shape(world):
    s, refs = world
    text = render_minutes(s, refs["weekly"])
    data = yaml.safe_load(text)
    assert list(data) == ["version", "meeting", "items", "actions", "reviewed", "pulse"]
    assert list(data["meeting"]) == [
        "ref", "uid", "series", "title", "facilitator", "started", "ended", "attendees", "absent",
    ]
    assert data["meeting"]["absent"] == ["finance"]
    started = data["meeting"]["started"]
    assert started.utcoffset().total_seconds() == 8 * 3600
    assert "started: 2026-11-30T10:00:00+08:00\n" in text and "ended: 2026-11-30T11:02:00+08:00\n" in text
    laptops = data["items"][2]
    assert list(laptops)[:7] == ["title", "kind", "timebox", "spent", "notes", "decisions", "actions"]
    assert laptops["spent"] == 17.5 and laptops["timebox"] == 15
    assert laptops["actions"] == ["A-4", "A-5", "A-6"]
    assert "    notes: |\n      Sales hired 6 people" in text, "multi-line notes use a literal block"
    # YAML 1.1 would read these as a boolean, a base-60 number and a date: they must stay text.
    assert laptops["decisions"] == ["Keep a buffer of 5 laptops", "10:30", "2024-01-01"]
    assert [a["title"] for a in data["actions"]][1] == "no"
    assert list(data["actions"][0]) == ["ref", "uid", "title", "owner", "supplier", "requester", "due", "priority", "status"]
    assert "招聘审批：两个销售职位" in text and "\\u" not in text
    assert data["reviewed"][0] == {"ref": "A-1", "from": "done", "to": "closed", "score": 4, "note": "Works now"}
    assert data["reviewed"][1]["carried"] is True
    assert data["pulse"][0] == {"ref": "P-1", "uid": data["pulse"][0]["uid"], "from": "sales", "about": "it", "score": 4, "comment": "Faster than last month"}
    events = list(yaml.parse(text))
    assert not any(getattr(e, "anchor", None) or getattr(e, "tag", None) for e in events), "no anchors, no tags"


def test_actions_are_shown_as_they_stand_at_export(world):
    s, refs = world
    data = yaml.safe_load(render_minutes(s, refs["weekly"]))
    assert {a["ref"]: a["status"] for a in data["actions"]}["A-4"] == "in_progress"


def test_reimporting_into_the_original_workspace_changes_nothing(world, tmp_path):
    s, refs = world
    path = tmp_path / "m.yaml"
    path.write_text(render_minutes(s, refs["weekly"]), encoding="utf-8")
    history = s.action("A-4").history
    version = s.store.version()
    summary = import_minutes(s, path)
    assert not summary.changed and "A-4" in summary.kept
    assert s.store.version() == version
    assert s.action("A-4").history == history


def test_a_differing_record_is_reported_and_not_overwritten(world, tmp_path):
    s, refs = world
    text = render_minutes(s, refs["weekly"]).replace("title: Keep 5 configured laptops in stock", "title: Edited")
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    version = s.store.version()
    summary = import_minutes(s, path)
    assert summary.differing == ["A-4"]
    assert "A-4: the store's version differs" in str(summary)
    assert s.action("A-4").title == "Keep 5 configured laptops in stock"
    assert s.store.version() == version


def test_a_ref_taken_by_another_record_is_refused_and_nothing_is_written(world, fresh, tmp_path):
    s, refs = world
    path = tmp_path / "m.yaml"
    path.write_text(render_minutes(s, refs["weekly"]), encoding="utf-8")
    other = fresh()
    for _ in range(5):
        other.add_action("their own item", owner="li-lei")
    version = other.store.version()
    with pytest.raises(LoadError) as caught:
        import_minutes(other, path)
    lines = str(caught.value).splitlines()
    assert lines and all(re.match(rf"{re.escape(str(path))}:\d+:\d+: A-\d is already a different record", line) for line in lines)
    assert len(lines) == 2  # clash; A-6.. do not
    assert other.store.version() == version


def test_imported_records_keep_refs_and_get_a_minimal_history(world, fresh, tmp_path):
    s, refs = world
    path = tmp_path / "m.yaml"
    path.write_text(render_minutes(s, refs["weekly"]), encoding="utf-8")
    empty = fresh(actor="importer")
    import_minutes(empty, path)
    meeting = empty.store.meeting("M-1")
    original = s.store.meeting("M-1")
    assert meeting.uid == original.uid and meeting.state is MeetingState.ENDED
    assert meeting.pulses == ("P-1", "P-2", "P-3") and meeting.reviewed == original.reviewed
    item = empty.action("A-4")
    assert item.uid == s.action("A-4").uid and item.meeting == "M-1" and item.series == "weekly-coordination"
    assert item.item == "Onboarding laptops arrive late"
    assert [(e.kind, e.by, e.note) for e in item.history] == [
        (EventKind.CREATED, "importer", IMPORT_NOTE.format(ref="M-1"))
    ]
    assert item.created == original.started
    pulse = empty.store.pulses()[1]
    assert pulse.at == original.ended and pulse.meeting == "M-1"
    # Refs put by the import are never handed out again.
    assert empty.add_action("next", owner="li-lei").ref == "A-9"
    assert empty.store.meeting("M-1") == meeting


def test_a_running_meeting_round_trips_as_running(world, fresh, tmp_path):
    s, refs = world
    text = render_minutes(s, refs["running"])
    assert "ended: null\n" in text and "attendees: [it, hr, wang-fang]" in text
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    empty = fresh()
    import_minutes(empty, path)
    assert empty.store.meeting(refs["running"]).state is MeetingState.RUNNING


def test_write_minutes_names_the_file_and_writes_it_whole(world, tmp_path):
    s, refs = world
    path = write_minutes(s, refs["weekly"], tmp_path / "minutes")
    assert path.name == "2026-11-30-weekly-coordination-M-1.yaml"
    assert path.read_text(encoding="utf-8") == render_minutes(s, refs["weekly"])
    assert os.stat(path).st_mode & 0o777 == 0o644
    md = write_minutes(s, refs["shanghai"], tmp_path / "minutes", fmt="md")
    assert md.name == "2026-12-01-weekly-zh-M-2.md" and "跨部门协调周会" in md.read_text(encoding="utf-8")
    assert sorted(p.name for p in (tmp_path / "minutes").iterdir()) == sorted([path.name, md.name])
    assert load_minutes(path, s.org).meeting.ref == "M-1"


def test_file_name_is_safe_whatever_the_series(world):
    s, refs = world
    meeting = s.store.meeting(refs["weekly"])
    import msgspec

    odd = msgspec.structs.replace(meeting, series="../../etc/pass wd")
    name = minutes_filename(odd, "md")
    assert "/" not in name and name.endswith("-M-1.md") and not name.startswith(".")


def test_unknown_meeting_and_format(world):
    s, _ = world
    with pytest.raises(UnknownRef):
        render_minutes(s, "M-99")
    with pytest.raises(Exception, match="unknown minutes format"):
        render_minutes(s, "M-1", "pdf")


# --- Markdown -------------------------------------------------------------------------------------


def _cells(row: str) -> list[str]:
    """Cells of a Markdown table row, honouring `\\|` escapes."""
    return re.split(r"(?<!\\)\|", row.strip())[1:-1]


def test_markdown_minutes_are_complete_and_escaped(world):
    s, refs = world
    md = render_minutes(s, refs["weekly"], "md")
    assert md.startswith("# Weekly cross-department coordination (M-1)\n")
    assert "Mon 2026-11-30, 10:00–11:02 (UTC+08:00), 62 min" in md
    assert "**Facilitator:** Wang Fang" in md and "**Absent:** Finance" in md
    assert "| 3 | Onboarding laptops arrive late | discussion | 17.5 min | 15 min | **over by 2.5 min** |" in md
    assert "| 4 | Supplier invoices paid after the due date | discussion | 6 min | 10 min |   |" in md
    assert "- Keep a buffer of 5 laptops" in md
    # User text cannot break the tables or turn into markup.
    assert "fix \\[/\\] parser \\| pipes \\*and\\* \\_stars\\_ \\<b\\>" in md
    assert "\\# not a heading" in md and "\n# not a heading" not in md
    for block in md.split("\n\n"):
        rows = [line for line in block.splitlines() if line.startswith("|")]
        if rows:
            assert len({len(_cells(r)) for r in rows}) == 1, block
    assert "| A-8 | 招聘审批：两个销售职位 | Anna Schmidt (HR) | Sales | 2026-12-14 | normal | open |" in md
    assert "| A-1 | VPN for the sales floor | done | closed | 4 | Works now |" in md
    assert "| A-2 | Approve Q1 requisitions | open | open (carried) |" in md
    assert "- **Finance:** 2.0 / 5 (1 rating)" in md
    assert "| Procurement | Finance | 2 | Invoices: still late; see A-4 |" in md


def test_markdown_in_chinese_and_for_a_running_meeting(world):
    s, refs = world
    md = render_minutes(s, refs["shanghai"], "md")
    assert "**Attendees:** 销售部, 信息技术部, 人事行政部, 运营部" in md
    assert "销售部本月新入职 5 人，其中 3 人等电脑超过 2 天。  \n需求：入职当天可用。🎉" in md
    assert "| A-9 | 为新员工提前配置电脑 | 黄伟 (信息技术部) | 销售部 |" in md
    running = render_minutes(s, refs["running"], "md")
    assert "still running" in running and "No action items were captured." in running
