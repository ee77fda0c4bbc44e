"""The actions screen's columns (RowSet) find, order and change exactly what the domain's definitions say.

The rows keep only each item's own text (ref, title, notes) and match people, departments and
services once per word through the org's names: these tests hold that to `query.search_text`.
The store's streamed views keep nothing behind (the memory target of DESIGN.md §10).
"""

from __future__ import annotations

import dataclasses
import random
from datetime import date, datetime, timedelta, timezone

import msgspec
import pytest

from icm_tui.domain.models import ActionItem, Event, EventKind, Priority, Status
from icm_tui.domain.org import Department, Org, Person, Service
from icm_tui.domain.query import ActionFilter, by_due, search_text
from icm_tui.store.base import Kind
from icm_tui.tui.widgets.action_table import RowList, RowSet, SortKey, search_words

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=timezone(timedelta(hours=8)))
TODAY = NOW.date()

ORG = Org(
    departments=(Department(id="it", name="IT"), Department(id="sales", name="销售部"), Department(id="hr", name="HR")),
    people=(
        Person(id="zhang-wei", name="Zhang Wei", department="it"),
        Person(id="li-lei", name="李雷", department="sales"),
        Person(id="anna", name="Anna Schmidt", department="hr"),
    ),
    services=(Service(id="laptops", name="Laptops", provider="it"),),
    present=True,
)

WORDS = ["laptop", "VPN", "报销", "invoice", "Straße", "printer", "approval", "急"]
NOTES = ["waiting for the vendor", "已联系供应商", "STRASSE closed", ""]


def items(count: int = 300, seed: int = 3) -> list[ActionItem]:
    """Items with every field filter and search look at, some owners and departments unknown to the org."""
    rng = random.Random(seed)
    people = ["zhang-wei", "li-lei", "anna", "ghost"]
    depts = ["it", "sales", "hr", "legal", ""]
    out = []
    for n in range(1, count + 1):
        history = tuple(
            Event(at=NOW, kind=EventKind.NOTE, note=rng.choice(NOTES)) for _ in range(rng.randrange(3))
        )
        due = None if rng.random() < 0.1 else TODAY + timedelta(days=rng.randrange(-40, 40))
        out.append(ActionItem(
            uid=f"U{n}", ref=f"A-{n}", title=" ".join(rng.sample(WORDS, 2)), owner=rng.choice(people),
            supplier=rng.choice(depts), requester=rng.choice(depts), service=rng.choice(["", "laptops"]),
            due=due, priority=rng.choice(list(Priority)), status=rng.choice(list(Status)),
            carry=rng.choice([0, 0, 1, 3, 5]), created=NOW - timedelta(minutes=rng.randrange(10_000)),
            updated=NOW, history=history,
        ))
    return out


def expected(records: list[ActionItem], wanted: ActionFilter) -> list[str]:
    """The refs the domain lets through: every criterion but the search, then every search word in search_text."""
    plain = dataclasses.replace(wanted, search="")
    words = search_words(wanted.search)
    return [
        item.ref for item in records
        if plain.matches(item, TODAY, ORG.thresholds, ORG) and all(w in search_text(item, ORG) for w in words)
    ]


@pytest.mark.parametrize("search", [
    "", "laptop", "LAPTOP vpn", "zhang", "wei", "李", "销售", "it", "sales", "hr", "laptops", "ghost", "legal",
    "a-1", "a-12", "strasse", "straße", "vendor 已联系", "schmidt anna", "nothing-like-this", "e", "\n", "-",
])
@pytest.mark.parametrize("criteria", [
    {}, {"status": frozenset({Status.OPEN, Status.BLOCKED})}, {"owner": "zhang-wei"}, {"supplier": "it"},
    {"requester": "sales"}, {"department": "hr"}, {"overdue": True}, {"escalated": True}, {"awaiting": True},
])
def test_filter_finds_what_the_domain_defines(search, criteria):
    records = items()
    rowset = RowSet.build(records, TODAY, ORG)
    wanted = ActionFilter(search=search, **criteria)
    got = [rowset.refs[i] for i in rowset.filter(range(len(rowset)), wanted)]
    assert got == expected(records, wanted)


def test_orders_are_the_domains():
    records = items()
    rowset = RowSet.build(records, TODAY, ORG)
    refs = lambda sort: [rowset.refs[i] for i in rowset.order(sort)]  # noqa: E731
    assert refs(SortKey.DUE) == [item.ref for item in sorted(records, key=by_due)]
    assert refs(SortKey.AGE) == [item.ref for item in sorted(records, key=lambda a: (a.created, int(a.ref[2:])))]
    assert refs(SortKey.CARRY) == [item.ref for item in sorted(records, key=lambda a: (-a.carry, *by_due(a)))]


def test_rows_show_the_items_fields():
    records = items(20)
    rowset = RowSet.build(records, TODAY, ORG)
    shown = RowList(rowset, list(rowset.order(SortKey.DUE)))
    for row, item in zip(shown, sorted(records, key=by_due)):
        assert (row.ref, row.title, row.owner, row.status, row.due, row.carry) == (
            item.ref, item.title, item.owner, item.status, item.due, item.carry
        )
        assert row.item.status is item.status
    assert shown.index(shown[5]) == 5 and shown.position(shown[7].ref.lower()) == 7
    assert shown.refs == [row.ref for row in shown]


def test_replaced_changes_one_item_in_place_and_keeps_every_order():
    records = items(50)
    rowset = RowSet.build(records, TODAY, ORG)
    for sort in SortKey:
        rowset.order(sort)
    changed = msgspec.structs.replace(
        records[9], title="Quarterly 预算 review", due=date(2020, 1, 1), status=Status.OPEN, carry=9,
        history=(*records[9].history, Event(at=NOW, kind=EventKind.NOTE, note="escalated to the CFO")),
    )
    new = ActionItem(uid="U99", ref="A-99", title="Brand new", owner="anna", created=NOW, updated=NOW)
    assert rowset.replaced(changed) is rowset
    rowset.replaced(new)
    records[9] = changed
    records.append(new)
    assert len(rowset) == 51
    assert [rowset.refs[i] for i in rowset.order(SortKey.DUE)] == [a.ref for a in sorted(records, key=by_due)]
    assert [rowset.refs[i] for i in rowset.order(SortKey.CARRY)] == [
        a.ref for a in sorted(records, key=lambda a: (-a.carry, *by_due(a)))
    ]
    row = rowset.get("a-10")
    assert row is not None and row.title == "Quarterly 预算 review" and row.overdue and row.escalated
    assert [rowset.refs[i] for i in rowset.filter(range(len(rowset)), ActionFilter(search="cfo"))] == ["A-10"]


def test_keep_stays_whatever_the_filter():
    rowset = RowSet.build(items(40), TODAY, ORG)
    keep = rowset.find("A-3")
    shown = rowset.filter(rowset.order(SortKey.DUE), ActionFilter(search="nothing-like-this"), keep=keep)
    assert shown == [keep]


def test_streamed_views_match_full_reads_and_keep_nothing(tmp_path):
    from icm_tui.store.tinydb_store import TinyDBStore

    store = TinyDBStore(tmp_path / "data", shard_size=10)
    store.put_many(Kind.ACTIONS, items(45))  # 5 shards
    store.close()
    store = TinyDBStore(tmp_path / "data", shard_size=10)
    full = list(store.iter_actions())
    light = list(store.iter_action_summaries())
    with_notes = list(store.iter_action_summaries(notes=True))
    assert [a.ref for a in store.action_summaries()] == [a.ref for a in light]
    open_only = ActionFilter(status=frozenset({Status.OPEN}))
    assert [a.ref for a in store.action_candidates(open_only)] == [a.ref for a in light if a.status is Status.OPEN]
    assert not store._typed and not store._notes  # streamed: nothing kept (no summary cache either)
    assert [a.ref for a in light] == [a.ref for a in with_notes] == [a.ref for a in full]
    assert not any(hasattr(a, "history") for a in light)
    for item, summary in zip(full, with_notes):
        assert [e.note for e in summary.history if e.note] == [e.note for e in item.history if e.note]
        assert search_text(summary, ORG) == search_text(item, ORG)
    rows = RowSet.build(store.iter_action_summaries(notes=True), TODAY, ORG)
    assert rows.search == RowSet.build(full, TODAY, ORG).search
    store.close()


def test_streamed_views_on_every_backend(store):
    store.put_many(Kind.ACTIONS, items(12))
    full = store.actions()
    assert [a.ref for a in store.iter_action_summaries()] == [a.ref for a in full]
    noted = list(store.iter_action_summaries(notes=True))
    assert [[e.note for e in a.history if e.note] for a in noted] == [[e.note for e in a.history if e.note] for a in full]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_help_and_quit_fit_in_the_footer(tmp_path, size):
    from textual.widgets._footer import FooterKey

    from icm_tui.store import MemoryStore
    from icm_tui.tui.app import IcmApp
    from icm_tui.tui.dialogs.help import HelpScreen
    from icm_tui.tui.screens.actions import ActionsScreen
    from icm_tui.workspace import Workspace

    store = MemoryStore()
    store.put_many(Kind.ACTIONS, items(30))
    app = IcmApp(Workspace(tmp_path), store=store, org=ORG, clock=lambda: NOW, poll=False)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await app.push_screen(ActionsScreen())
        await app.settle()
        await pilot.pause()
        shown = {
            key.description for key in app.screen.query(FooterKey)
            if key.region.width and key.region.right <= size[0]
        }
        assert {"Filter", "Owner", "Status", "Help", "Quit"} <= shown
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


def test_a_rowset_goes_when_let_go_even_with_rows_made():
    import gc
    import weakref

    rowset = RowSet.build(items(30), TODAY, ORG)
    shown = RowList(rowset, list(rowset.order(SortKey.DUE)))
    rows = shown[:10]
    gone = weakref.ref(rowset)
    paused = gc.isenabled()
    gc.disable()  # freed by reference counting, not at some later full GC pass
    try:
        del rowset, shown
        assert gone() is None
        assert rows[0].rowset is None and rows[0].text("title") == rows[0].title  # a row outliving it still draws
    finally:
        if paused:
            gc.enable()
