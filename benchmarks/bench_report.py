"""`icm report` over a 50,000-item register: the figures in-process, and the whole command.

Target (issue 7): under 1 s for `icm report` at 50,000 action items. Prints medians.

Run: python benchmarks/bench_report.py [--items 50000] [--runs 7] [--no-cli]

Wall times on a machine busy with other work run high; the CPU column says what the command
itself costs.

The register is generated here (seeded, so runs compare): items spread over a year between
seven departments, with realistic histories (about half delivered, a tenth reopened, a third of
those confirmed with a score), pulses, requests and weekly meetings. The CLI part writes it into
a TinyDB workspace in a temporary folder and times `icm -w DIR report --format F` end to end.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from icm_tui.domain.models import (
    ActionItem,
    Event,
    EventKind,
    Meeting,
    MeetingItem,
    MeetingState,
    Priority,
    Pulse,
    Request,
    RequestEvent,
    RequestStatus,
    Status,
)
from icm_tui.domain.org import Department, Org, Person, Service
from icm_tui.domain.reports import build_report

DEPARTMENTS = ["it", "hr", "finance", "sales", "operations", "procurement", "legal"]
TZ = timezone(timedelta(hours=8))
TODAY = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 12, tzinfo=TZ)

ORG = Org(
    organization="Bench Co.",
    departments=tuple(Department(id=d, name=d.title()) for d in DEPARTMENTS),
    people=tuple(Person(id=f"{d}-{n}", name=f"Person {n} of {d}", department=d) for d in DEPARTMENTS for n in range(4)),
    services=tuple(
        Service(id=f"svc-{d}", name=f"Service of {d}", provider=d, consumers=("sales", "hr"), target_days=5)
        for d in DEPARTMENTS
    ),
    present=True,
)

ORG_YAML = "\n".join(
    ["version: 1", "organization: Bench Co.", "departments:"]
    + [f"  - {{id: {d}, name: {d.title()}}}" for d in DEPARTMENTS]
    + ["people:"]
    + [f"  - {{id: {d}-{n}, name: Person {n} of {d}, department: {d}}}" for d in DEPARTMENTS for n in range(4)]
    + ["services:"]
    + [f"  - {{id: svc-{d}, name: Service of {d}, provider: {d}, consumers: [sales, hr], target_days: 5}}" for d in DEPARTMENTS]
    + ["thresholds: {escalate_after_carries: 3, escalate_after_overdue_days: 14}", ""]
)


def generate(items: int, seed: int = 7) -> dict[str, list]:
    """A register of `items` action items with pulses, requests and meetings, as of 2026-11-30."""
    rng = random.Random(seed)
    actions, pulses, requests, meetings = [], [], [], []
    start = NOW - timedelta(days=365)
    for n in range(1, items + 1):
        supplier, requester = rng.sample(DEPARTMENTS, 2)
        created = start + timedelta(minutes=rng.randrange(365 * 24 * 60))
        due = created.date() + timedelta(days=rng.randrange(1, 30))
        history = [Event(at=created, kind=EventKind.CREATED, by="bench")]
        fields: dict = {}
        status = Status.OPEN
        carry = rng.choice((0, 0, 0, 1, 2, 3))
        for c in range(carry):
            history.append(Event(at=created + timedelta(days=7 * (c + 1)), kind=EventKind.REVIEWED, note="carried"))
        if rng.random() < 0.55:
            done = created + timedelta(hours=rng.randrange(1, 40 * 24))
            if done < NOW:
                history.append(Event(at=done, kind=EventKind.STATUS, old="open", new="done"))
                status, fields["done_at"] = Status.DONE, done
                if rng.random() < 0.1 and done + timedelta(days=1) < NOW:
                    history.append(Event(at=done + timedelta(days=1), kind=EventKind.REOPENED, old="done", new="open", note="not yet"))
                    status, fields["done_at"], fields["reopened"] = Status.OPEN, None, 1
                elif rng.random() < 0.35 and done + timedelta(days=2) < NOW:
                    score = rng.randint(1, 5)
                    at = done + timedelta(days=2)
                    history.append(Event(at=at, kind=EventKind.CONFIRMED, old="done", new="closed", score=score))
                    status, fields["closed_at"], fields["score"] = Status.CLOSED, at, score
        elif rng.random() < 0.05:
            history.append(Event(at=created + timedelta(days=1), kind=EventKind.STATUS, old="open", new="dropped", note="no longer needed"))
            status, fields["closed_at"] = Status.DROPPED, created + timedelta(days=1)
        actions.append(
            ActionItem(
                uid=f"A{n:012d}", ref=f"A-{n}", title=f"Generated item {n}", owner=f"{supplier}-{n % 4}",
                supplier=supplier, requester=requester, due=due, priority=Priority.NORMAL,
                service=f"svc-{supplier}" if n % 5 == 0 else "", status=status, carry=carry, created=created,
                updated=history[-1].at, series="weekly" if n % 3 else "monthly", history=tuple(history), **fields,
            )
        )
    for n in range(1, items // 5 + 1):
        rater, about = rng.sample(DEPARTMENTS, 2)
        at = start + timedelta(minutes=rng.randrange(365 * 24 * 60))
        pulses.append(Pulse(uid=f"P{n:012d}", ref=f"P-{n}", at=at, rater=rater, about=about, score=rng.randint(1, 5)))
    for n in range(1, items // 10 + 1):
        requester, supplier = rng.sample(DEPARTMENTS, 2)
        at = start + timedelta(minutes=rng.randrange(365 * 24 * 60))
        status = rng.choice(list(RequestStatus))
        history = [RequestEvent(at=at, kind="created")]
        if status is not RequestStatus.NEW:
            history.append(RequestEvent(at=at + timedelta(days=2), kind=status.value, note="bench"))
        requests.append(
            Request(uid=f"R{n:012d}", ref=f"R-{n}", title=f"Request {n}", requester=requester, supplier=supplier,
                    status=status, created=at, updated=history[-1].at, history=tuple(history))
        )
    for n in range(1, 53):
        started = start + timedelta(days=7 * n)
        items_ = tuple(
            MeetingItem(title=f"Item {i}", timebox=10, spent=rng.randrange(300, 900), decisions=("d",) * (i % 2))
            for i in range(8)
        )
        meetings.append(
            Meeting(uid=f"M{n:012d}", ref=f"M-{n}", series="weekly", title="Weekly", started=started,
                    ended=started + timedelta(hours=1), state=MeetingState.ENDED, attendees=tuple(DEPARTMENTS[:6]),
                    absent=(DEPARTMENTS[6],), items=items_)
        )
    return {"actions": actions, "pulses": pulses, "requests": requests, "meetings": meetings}


def median_ms(func, runs: int) -> float:
    """The median wall time of `func()` over `runs` runs, in milliseconds."""
    times = []
    for _ in range(runs):
        begin = time.perf_counter()
        func()
        times.append((time.perf_counter() - begin) * 1000)
    return statistics.median(times)


def write_workspace(folder: Path, data: dict[str, list]) -> None:
    """The generated register as a TinyDB workspace (org.yaml included)."""
    from icm_tui.store import open_store
    from icm_tui.store.base import Kind

    (folder / "agendas").mkdir(parents=True)
    (folder / "agendas" / "org.yaml").write_text(ORG_YAML, encoding="utf-8")
    store = open_store(folder / "data")
    try:
        for kind in Kind:
            store.put_many(kind, data[kind.value])
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-cli", action="store_true", help="only the in-process figures")
    args = parser.parse_args()

    data = generate(args.items)
    print(f"register: {len(data['actions'])} items, {len(data['pulses'])} pulses, "
          f"{len(data['requests'])} requests, {len(data['meetings'])} meetings")

    def compute(since: date | None = None, series: str = "") -> None:
        build_report(**data, org=ORG, today=TODAY, since=since, series=series)

    print(f"build_report, 24-week window      median {median_ms(compute, args.runs):7.1f} ms")
    print(f"build_report, whole year          median {median_ms(lambda: compute(date(2025, 11, 30)), args.runs):7.1f} ms")
    print(f"build_report, one series          median {median_ms(lambda: compute(series='weekly'), args.runs):7.1f} ms")
    if args.no_cli:
        return

    with tempfile.TemporaryDirectory(prefix="icm-bench-report-") as tmp:
        folder = Path(tmp) / "own"
        begin = time.perf_counter()
        write_workspace(folder, data)
        print(f"(workspace written in {time.perf_counter() - begin:.1f} s)")
        time_cli(folder, args.runs, ("table", "md", "json"))
        # The shared generator's workspace (org.yaml, agendas, histories with notes, Chinese names).
        shared = Path(tmp) / "generated"
        generator = Path(__file__).with_name("generate.py")
        subprocess.run([sys.executable, str(generator), "--workspace", str(shared), "--actions", str(args.items)],
                       check=True, stdout=subprocess.DEVNULL)
        print(f"benchmarks/generate.py workspace, {args.items} items:")
        time_cli(shared, args.runs, ("table", "md"))


def time_cli(folder: Path, runs: int, formats: tuple[str, ...]) -> None:
    """Median wall and mean CPU time of `icm report` in each format on the workspace `folder`."""
    env = {**os.environ, "ICM_WORKSPACE": str(folder)}
    for fmt in formats:
        command = [sys.executable, "-m", "icm_tui", "report", "--format", fmt]

        def run() -> None:
            subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)

        run()  # warm the OS file cache, as a second call in a session would
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        ms = median_ms(run, runs)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        # CPU time is what the command costs; wall time also counts waiting on a busy machine.
        cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / runs * 1000
        verdict = "ok" if ms < 1000 else "OVER the 1 s target"
        print(f"icm report --format {fmt:<5}          median {ms:7.1f} ms wall, mean {cpu:6.1f} ms CPU  ({verdict})")
    version = [sys.executable, "-m", "icm_tui", "--version"]
    ms = median_ms(lambda: subprocess.run(version, env=env, check=True, stdout=subprocess.DEVNULL), runs)
    print(f"icm --version (start-up floor)     median {ms:7.1f} ms")


if __name__ == "__main__":
    main()
