"""Sample meetings for the export tests, built through Services (on any store, MemoryStore by default) with a frozen clock."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

from icm_tui.domain.loader import load_agenda, load_org
from icm_tui.domain.org import Org
from icm_tui.services import Services
from icm_tui.store import MemoryStore, Store

ROOT = Path(__file__).resolve().parents[2]
AGENDAS = ROOT / "agendas"
SHANGHAI = timezone(timedelta(hours=8))


class Clock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def org() -> Org:
    """The sample workspace's organisation."""
    return load_org(AGENDAS / "org.yaml")


def services(store: Store | None = None, clock: Clock | None = None, actor: str = "tester") -> Services:
    """Services over a fresh MemoryStore (or `store`) and the sample org, on a frozen clock."""
    clock = clock or Clock(datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI))
    return Services(store if store is not None else MemoryStore(), org(), clock=clock, actor=actor)


def copy_agendas(workspace: Path) -> Path:
    """A workspace folder with the sample agendas and org.yaml."""
    shutil.copytree(AGENDAS, workspace / "agendas")
    return workspace


def weekly(s: Services) -> str:
    """A week of follow-ups, then a weekly coordination meeting with every kind of content; its ref."""
    clock: Clock = s.clock  # type: ignore[assignment]
    o = s.org
    agenda = load_agenda(AGENDAS / "weekly-coordination.yaml", o)
    old = s.add_action("VPN for the sales floor", owner="zhang-wei", requester="sales", due="2026-11-20")
    late = s.add_action("Approve Q1 requisitions", owner="anna-schmidt", requester="sales", due="2026-11-10")
    redo = s.add_action("Expense tool training", owner="chen-jie", requester="operations", due="2026-11-25")
    s.start(old.ref)
    s.done(old.ref)
    s.done(redo.ref)
    clock.advance(days=7, hours=1)  # Monday 30 November, 10:00

    m = s.start_meeting(agenda, absent=["finance"]).ref
    s.review(m, old.ref, "confirm", score=4, note="Works now")
    s.review(m, late.ref, note="waiting for the budget")
    s.review(m, redo.ref, "reopen", note="only half the team came")
    s.go_to(m, 1, spent_on_current=11 * 60 + 30)
    s.go_to(m, 2, spent_on_current=8 * 60)
    s.capture_action(m, 2, "Keep 5 configured laptops in stock", owner="zhang-wei", due="2026-12-04", priority="high")
    s.capture_action(m, 2, "no", owner="tom-becker", due="fri")
    s.capture_action(m, 2, "fix [/] parser | pipes *and* _stars_ <b>", owner="priya-nair", service="laptops")
    s.set_notes(
        m, 2,
        "Sales hired 6 people; 4 waited > 3 days.\n  - indented line\n\n# not a heading\n10:30 is a time, no is text\n",
    )
    s.add_decision(m, 2, "Keep a buffer of 5 laptops")
    s.add_decision(m, 2, "10:30")
    s.add_decision(m, 2, "2024-01-01")
    s.go_to(m, 3, spent_on_current=17 * 60 + 30)
    s.capture_action(m, 3, "Pay supplier invoices within 7 days", owner="david-miller", requester="procurement", priority="urgent", due="2026-12-11")
    s.set_notes(m, 3, "Invoices wait for two signatures: 'yes' & \"no\"")
    s.go_to(m, 4, spent_on_current=6 * 60)
    s.capture_action(m, 4, "招聘审批：两个销售职位", owner="anna-schmidt", requester="sales", due="+2w")
    s.record_pulse("sales", "it", 4, "Faster than last month", meeting=m)
    s.record_pulse("procurement", "finance", 2, "Invoices: still late; see A-4", meeting=m)
    s.record_pulse("sales", "hr", 3, meeting=m)
    clock.advance(minutes=62)
    s.end_meeting(m, spent_on_current=4 * 60)
    clock.advance(days=1)
    s.start("A-4")
    s.note("A-4", "ordered from the usual vendor")
    return m


def shanghai(s: Services) -> str:
    """The Chinese weekly meeting, Chinese notes and decisions throughout; its ref."""
    clock: Clock = s.clock  # type: ignore[assignment]
    agenda = load_agenda(AGENDAS / "weekly-zh.yaml", s.org)
    m = s.start_meeting(agenda).ref
    s.go_to(m, 1, spent_on_current=9 * 60)
    s.capture_action(m, 1, "为新员工提前配置电脑", owner="huang-wei", due="2026-12-02", service="sh-laptops")
    s.set_notes(m, 1, "销售部本月新入职 5 人，其中 3 人等电脑超过 2 天。\n需求：入职当天可用。🎉")
    s.add_decision(m, 1, "信息技术部保留 3 台备用电脑")
    s.record_pulse("sh-sales", "sh-it", 5, "很满意", meeting=m)
    clock.advance(minutes=25)
    s.end_meeting(m, spent_on_current=16 * 60 + 6)
    return m


def running(s: Services) -> str:
    """A meeting still running: no end time, nothing captured yet; its ref."""
    agenda = load_agenda(AGENDAS / "monthly-service-review.yaml", s.org)
    return s.start_meeting(agenda, attendees=["it", "hr", "wang-fang"]).ref
