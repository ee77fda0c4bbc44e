"""The actions screen at 1k, 10k and 50k items: first paint, data shown, filter keystroke latency.

Target (DESIGN.md §10): one filter keystroke under 150 ms at 50,000 items. Each keystroke is
measured from the key press (posted by Textual's pilot) to the table painting its first line of
the new result (throttle, filter, layout and render included), typing realistic queries one key
every 120 ms, in a headless app at 120x40. "first paint" is push_screen to the screen painted
(before the data arrives), "data shown" to the first rows painted.

The workspace comes from benchmarks/generate.py (org.yaml, items with histories) when it is
there, else from `make_items` below. The TinyDB store is opened afresh for every run, so "data
shown" includes reading and decoding every shard.

Run: python benchmarks/bench_actions_screen.py [--sizes 1000 10000 50000] [--runs 3] [--store tinydb|memory]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from icm_tui.domain.models import ActionItem, Event, EventKind, Priority, Status, new_uid
from icm_tui.domain.org import Department, Org, Person, Thresholds
from icm_tui.store import MemoryStore, Store
from icm_tui.store.base import Kind
from icm_tui.workspace import Workspace

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=timezone(timedelta(hours=8)))
QUERIES = ["laptop", "invoice approval", "zhang", "报销"]
"""Typed one key at a time; each run clears the line in between."""

WORDS = (
    "laptop onboarding invoice payment access badge vpn printer contract hiring budget report expense "
    "supplier licence server backup training desk phone monitor payroll audit quote renewal"
).split()

DEPTS = ["it", "hr", "finance", "sales", "operations", "procurement", "legal", "sh-sales", "sh-it"]
NAMES = {"sh-sales": "销售部", "sh-it": "信息技术部"}


def bench_org() -> Org:
    """Nine departments (two with Chinese names) with four people each."""
    departments = tuple(Department(id=d, name=NAMES.get(d, d.title())) for d in DEPTS)
    first = ["Zhang", "Anna", "David", "Li", "Priya", "Tom", "Emma", "Marco", "Chen"]
    people = tuple(
        Person(id=f"{first[i].lower()}-{d}-{n}", name=f"{first[i]} {d.title()} {n}", department=d)
        for i, d in enumerate(DEPTS)
        for n in range(4)
    )
    return Org(departments=departments, people=people, thresholds=Thresholds(), present=True)


def make_items(count: int, org: Org, now: datetime = NOW, seed: int = 7) -> list[ActionItem]:
    """`count` items spread over two years: most closed, some open, overdue, carried, with notes."""
    rng = random.Random(seed)
    statuses = [Status.CLOSED] * 10 + [Status.DROPPED, Status.OPEN, Status.OPEN, Status.IN_PROGRESS,
                                       Status.BLOCKED, Status.DONE]
    people = org.people
    depts = [d.id for d in org.departments] or DEPTS
    items = []
    for number in range(1, count + 1):
        person = people[rng.randrange(len(people))]
        requester = rng.choice(depts)
        created = now - timedelta(days=rng.randint(0, 730), minutes=rng.randint(0, 600))
        status = rng.choice(statuses)
        history = [Event(at=created, kind=EventKind.CREATED, by=person.id, meeting=f"M-{rng.randint(1, 200)}")]
        for k in range(rng.randint(0, 3)):
            history.append(Event(at=created + timedelta(days=k + 1), kind=EventKind.NOTE, by=person.id,
                                 note=" ".join(rng.sample(WORDS, 4))))
        items.append(ActionItem(
            uid=new_uid(), ref=f"A-{number}", title=" ".join(rng.sample(WORDS, 5)).capitalize(),
            owner=person.id, supplier=person.department, requester=requester,
            due=(created + timedelta(days=rng.randint(1, 45))).date(),
            priority=rng.choice(list(Priority)), status=status, carry=rng.choice([0, 0, 0, 1, 2, 3, 5]),
            created=created, updated=created, history=tuple(history),
        ))
    return items


def make_workspace(folder: Path, size: int) -> tuple[Org, list[ActionItem]]:
    """A workspace in `folder` with `size` items in its TinyDB store; its org and the items."""
    from icm_tui.domain.loader import load_workspace_org
    from icm_tui.store import open_store

    try:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import generate  # benchmarks/generate.py: the shared realistic workspace
    except ImportError:
        generate = None
    if generate is not None:
        records = generate.generate(folder, size, now=NOW)
        generate.write(folder, records)
        return load_workspace_org(Workspace(folder)), records[Kind.ACTIONS]
    org = bench_org()
    items = make_items(size, org)
    with open_store(folder / "data") as store:
        store.put_many(Kind.ACTIONS, items)
    return org, items


def open_bench_store(kind: str, folder: Path, items: list[ActionItem]) -> Store:
    """The workspace's TinyDB store opened afresh, or a memory store holding `items`."""
    if kind == "tinydb":
        from icm_tui.store import open_store

        return open_store(folder / "data")
    store = MemoryStore()
    store.put_many(Kind.ACTIONS, items)
    return store


async def measure(store: Store, org: Org, folder: Path) -> dict[str, object]:
    """Open the screen once and type the queries; timings in milliseconds."""
    from icm_tui.tui.app import IcmApp
    from icm_tui.tui.screens.actions import ActionsScreen
    from icm_tui.tui.widgets.action_table import ActionTable

    app = IcmApp(Workspace(folder), store=store, org=org, clock=lambda: NOW, poll=False)
    result: dict[str, object] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        painted: dict[str, float] = {}
        original = ActionTable.render_line

        def first_paints(table: ActionTable, y: int):
            now = time.perf_counter()
            painted.setdefault("screen", now)
            if table.rows:
                painted.setdefault("data", now)
            return original(table, y)

        ActionTable.render_line = first_paints  # type: ignore[method-assign]
        try:
            started = time.perf_counter()
            screen = ActionsScreen()
            await app.push_screen(screen)
            while "data" not in painted:
                await asyncio.sleep(0.001)
        finally:
            ActionTable.render_line = original  # type: ignore[method-assign]
        result["first_paint"] = (painted["screen"] - started) * 1000
        result["data_shown"] = (painted["data"] - started) * 1000
        await pilot.pause()
        table = screen.query_one(ActionTable)
        # Time stamps of the table getting new rows and of its lines being painted after that.
        stamps = {"set": 0.0, "paint": 0.0}
        set_rows, render_line = table.set_rows, table.render_line

        def timed_set_rows(*args, **kwargs):
            set_rows(*args, **kwargs)
            stamps["set"] = time.perf_counter()

        def timed_render_line(y):
            if stamps["set"] and not stamps["paint"]:
                stamps["paint"] = time.perf_counter()
            return render_line(y)

        table.set_rows, table.render_line = timed_set_rows, timed_render_line
        latencies: list[float] = []
        for query in QUERIES:
            await pilot.press("slash")
            await pilot.pause()
            for index, key in enumerate(query):
                typed = query[: index + 1]
                stamps["set"] = stamps["paint"] = 0.0
                pressed = time.perf_counter()
                await pilot.press("space" if key == " " else key)
                while screen.wanted.search != typed or not stamps["paint"]:
                    await asyncio.sleep(0.001)
                latencies.append((stamps["paint"] - pressed) * 1000)
                await asyncio.sleep(0.12)  # a fast typist: a key every 120 ms
            result.setdefault("matches", []).append((query, len(table.rows)))  # type: ignore[union-attr]
            await pilot.press("escape", "escape")  # leave the line, clear the filter
            await pilot.pause()
            while screen.wanted.search:
                await asyncio.sleep(0.001)
        result["keys"] = latencies
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--store", choices=["memory", "tinydb"], default="tinydb")
    parser.add_argument("--verbose", action="store_true", help="print every keystroke's latency")
    args = parser.parse_args(argv)
    print(f"actions screen, {args.store} store, 120x40, {args.runs} runs each, medians in ms")
    print(f"{'items':>7} {'first paint':>12} {'data shown':>11} {'key median':>11} {'key worst':>10}  matches")
    for size in args.sizes:
        paints, shown, medians, worsts = [], [], [], []
        matches = None
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            org, items = make_workspace(folder, size)
            for _ in range(args.runs):
                store = open_bench_store(args.store, folder, items)
                try:
                    r = asyncio.run(measure(store, org, folder))
                finally:
                    store.close()
                paints.append(r["first_paint"])
                shown.append(r["data_shown"])
                keys = r["keys"]
                medians.append(statistics.median(keys))
                worsts.append(max(keys))
                if args.verbose:
                    print(f"{size:>7} keys: " + " ".join(f"{k:.0f}" for k in keys))
                matches = r["matches"]
        print(
            f"{size:>7} {statistics.median(paints):>12.1f} {statistics.median(shown):>11.1f} "
            f"{statistics.median(medians):>11.1f} {statistics.median(worsts):>10.1f}  "
            + ", ".join(f"{q!r}: {n}" for q, n in matches or [])
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
