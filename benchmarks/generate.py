"""Generate a realistic synthetic workspace: org.yaml, agendas, and N action items with history.

Run: python benchmarks/generate.py --workspace DIR --actions N [--seed S]

Items spread over a year between the departments of org.yaml, captured in weekly meetings, with
histories (notes, status changes, reviews that carried them, confirmations with scores,
reopenings); about a third closed, some dropped, some overdue, some done awaiting confirmation,
Chinese names and titles mixed in. Plus meetings, requests and pulses. Written with `put_many`.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from icm_tui.domain.models import (  # noqa: E402
    ActionItem,
    Event,
    EventKind,
    Meeting,
    MeetingItem,
    MeetingState,
    Priority,
    Pulse,
    Request,
    RequestStatus,
    Status,
    new_uid,
)
from icm_tui.store.base import Kind  # noqa: E402

SMALL_ORG = """\
version: 1
organization: Bench Co.
departments:
  - {id: it, name: IT, lead: zhang-wei}
  - {id: sales, name: 销售部, lead: li-lei}
  - {id: hr, name: HR, lead: anna-schmidt}
  - {id: finance, name: 财务部, lead: chen-jie}
people:
  - {id: zhang-wei, name: Zhang Wei, department: it}
  - {id: li-lei, name: 李雷, department: sales}
  - {id: anna-schmidt, name: Anna Schmidt, department: hr}
  - {id: chen-jie, name: 陈杰, department: finance}
thresholds: {escalate_after_carries: 3, escalate_after_overdue_days: 14}
"""

SUBJECTS = [
    "Laptops for new hires", "VPN access for the Shanghai office", "Invoice approval backlog",
    "Onboarding checklist", "入职电脑配置", "报销流程太慢", "Purchase order for monitors",
    "Access badge for contractors", "季度预算审批", "Payroll correction for October",
    "CRM licences", "会议室投影仪维修", "Supplier contract renewal", "Expense policy update",
    "Hiring plan for Q1", "新员工账号开通", "Fix [/] parser in the ticket form", "Printer on floor 3",
]
NOTES = ["Waiting for the vendor", "已联系供应商", "Half delivered", "Needs a budget decision",
         "Escalated to the lead", "客户部门确认中", "Ordered, arrives next week"]
REASONS = ["Superseded by the new policy", "No longer needed", "重复的需求", "Budget cut"]


def write_org(workspace: Path) -> dict:
    """Copy the project's agendas/ (org.yaml and agendas) into the workspace, or write a small org."""
    target = workspace / "agendas"
    source = REPO / "agendas"
    if source.is_dir() and (source / "org.yaml").exists():
        shutil.copytree(source, target, dirs_exist_ok=True)
    else:
        target.mkdir(parents=True, exist_ok=True)
        (target / "org.yaml").write_text(SMALL_ORG, encoding="utf-8")
    return yaml.safe_load((target / "org.yaml").read_text(encoding="utf-8"))


def generate(workspace: Path, actions: int, seed: int = 42, now: datetime | None = None) -> dict[Kind, list]:
    """Build the records of a workspace of `actions` action items (nothing written)."""
    rng = random.Random(seed)
    org = write_org(workspace)
    people = [(p["id"], p["department"]) for p in org["people"]]
    departments = [d["id"] for d in org["departments"]]
    now = now or datetime.now(timezone(timedelta(hours=8))).replace(microsecond=0)
    today = now.date()
    start = now - timedelta(days=365)

    meetings: list[Meeting] = []
    weeks = max(1, actions // 25)
    for n in range(1, weeks + 1):
        started = start + timedelta(days=365 * (n - 1) / weeks)
        items = tuple(
            MeetingItem(title=rng.choice(SUBJECTS), kind="discussion", timebox=10, spent=rng.uniform(300, 900),
                        notes=rng.choice(NOTES), decisions=(f"Decision {n}.{i}",))
            for i in range(3)
        )
        meetings.append(Meeting(
            uid=new_uid(), ref=f"M-{n}", series="weekly-coordination", title="Weekly cross-department coordination",
            facilitator="wang-fang", started=started, ended=started + timedelta(minutes=62),
            state=MeetingState.ENDED, attendees=tuple(rng.sample(departments, min(4, len(departments)))), items=items,
        ))

    records: list[ActionItem] = []
    for n in range(1, actions + 1):
        owner, supplier = rng.choice(people)
        requester = rng.choice([d for d in departments if d != supplier] or departments)
        created = start + timedelta(days=365 * n / (actions + 1), minutes=rng.randrange(600))
        meeting = meetings[min(len(meetings) - 1, int((created - start).days / 365 * len(meetings)))]
        due = created.date() + timedelta(days=rng.choice([3, 7, 14, 21, 30, 45]))
        roll = rng.random()
        status = (Status.CLOSED if roll < 0.32 else Status.DROPPED if roll < 0.40 else
                  Status.DONE if roll < 0.50 else Status.BLOCKED if roll < 0.55 else
                  Status.IN_PROGRESS if roll < 0.70 else Status.OPEN)
        history = [Event(at=created, kind=EventKind.CREATED, by="wang-fang", meeting=meeting.ref)]
        at = created
        carry = 0
        for _ in range(rng.randrange(0, 3)):
            at += timedelta(days=rng.randrange(1, 6))
            history.append(Event(at=at, kind=EventKind.NOTE, by=owner, note=rng.choice(NOTES)))
        for _ in range(rng.randrange(0, 3)):
            at += timedelta(days=7)
            carry += 1
            history.append(Event(at=at, kind=EventKind.REVIEWED, meeting=rng.choice(meetings).ref, note="carried"))
        reopened = 0
        done_at = closed_at = None
        score = None
        path = {Status.OPEN: [], Status.IN_PROGRESS: ["in_progress"], Status.BLOCKED: ["in_progress", "blocked"],
                Status.DONE: ["in_progress", "done"], Status.CLOSED: ["in_progress", "done", "closed"],
                Status.DROPPED: ["dropped"]}[status]
        old = "open"
        for new in path:
            at += timedelta(days=rng.randrange(1, 10))
            note = rng.choice(REASONS) if new in ("dropped", "blocked") else ""
            if new == "closed":
                if rng.random() < 0.1:
                    reopened = 1
                    history.append(Event(at=at, kind=EventKind.REOPENED, by=requester, note="Still broken"))
                    at += timedelta(days=2)
                score = rng.randint(1, 5)
                history.append(Event(at=at, kind=EventKind.CONFIRMED, by=requester, score=score))
                closed_at = at
            if new == "done":
                done_at = at
            history.append(Event(at=at, kind=EventKind.STATUS, by=owner, old=old, new=new, note=note))
            old = new
        if status in (Status.OPEN, Status.IN_PROGRESS, Status.BLOCKED) and rng.random() < 0.3:
            due = today - timedelta(days=rng.randrange(1, 40))  # overdue
        title = rng.choice(SUBJECTS) + (f" ({rng.choice(['急', 'urgent', 'Q4', '第二批'])})" if rng.random() < 0.3 else "")
        records.append(ActionItem(
            uid=new_uid(), ref=f"A-{n}", title=title, owner=owner, supplier=supplier, requester=requester,
            due=due, priority=rng.choice(list(Priority)), status=status, carry=carry, reopened=reopened,
            score=score, created=created, updated=at, done_at=done_at, closed_at=closed_at,
            series="weekly-coordination", meeting=meeting.ref, item=meeting.items[0].title, history=tuple(history),
        ))

    requests = []
    for n in range(1, max(1, actions // 10) + 1):
        created = start + timedelta(days=rng.randrange(365))
        status = rng.choice(list(RequestStatus))
        requests.append(Request(
            uid=new_uid(), ref=f"R-{n}", title=rng.choice(SUBJECTS), requester=rng.choice(departments),
            supplier=rng.choice(departments), status=status, created=created, updated=created,
            action=f"A-{rng.randrange(1, actions + 1)}" if status in ("accepted", "merged") else "",
            reason=rng.choice(REASONS) if status == "declined" else "",
        ))
    pulses = [
        Pulse(uid=new_uid(), ref=f"P-{n}", at=start + timedelta(days=rng.randrange(365)),
              rater=rng.choice(departments), about=rng.choice(departments), score=rng.randint(1, 5),
              comment=rng.choice(["", "Faster than last month", "还需改进"]))
        for n in range(1, max(1, actions // 10) + 1)
    ]
    return {Kind.ACTIONS: records, Kind.MEETINGS: meetings, Kind.REQUESTS: requests, Kind.PULSES: pulses}


def write(workspace: Path, records: dict[Kind, list]) -> None:
    """Store the records in the workspace's TinyDB store."""
    from icm_tui.store.tinydb_store import TinyDBStore

    with TinyDBStore(workspace / "data") as store:
        for kind, items in records.items():
            store.put_many(kind, items)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", required=True, type=Path)
    parser.add_argument("--actions", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    if (args.workspace / "data").exists():
        parser.error(f"{args.workspace / 'data'} exists; choose an empty workspace")
    args.workspace.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    records = generate(args.workspace, args.actions, args.seed)
    write(args.workspace, records)
    counts = ", ".join(f"{len(v)} {k.value}" for k, v in records.items())
    print(f"{args.workspace}: {counts} in {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
