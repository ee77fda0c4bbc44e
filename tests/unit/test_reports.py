"""Every report figure on a small hand-made register whose right answers are written below.

The world (today is Monday 2026-11-30, the window starts 2026-11-01, times at +08:00):

  item        supplier  requester  created  due     what happened                           rating
  payroll     finance   hr         09-01    09-10   done 09-08, closed 09-09 (before window) 5 (outside)
  hiring      hr        sales      11-01    11-28   reviewed in M-1 and M-2: carried 2, open  -
  laptops     it        sales      11-02    11-05   done 11-04 (on time, 2 days), closed 11-06  4
  crm         it        sales      11-03    11-10   done 11-12 (late, 9 days), reopened 11-13 -
  wifi        it        -          11-05    -       done 11-05 (0 days, no due)               -
  monitors    it        sales      11-06    12-20   accepted from a request, open             -
  refund      finance   sales      11-15    11-30   dropped 11-16                             -
  hr-laptop   it        hr         11-20    11-23*  done 11-22 (on time, 2 days), closed 11-24  1
  projector   it        sales      11-25    12-02   open, due in 2 days                       -
  (* from the laptops service target, 3 days)

  pulses: sales->it 2 (11-02, in M-1), sales->hr 3 (11-20), hr->it 5 (10-01, outside),
          finance->it 4 (11-29)
  requests: finance->it 08-01 waiting; hr->finance 09-02 declined 09-03 (outside);
            sales->it 11-05 accepted; hr->it 11-10 declined; sales->it 11-12 merged into projector;
            sales->hr 11-27 waiting
  meetings: monthly-ops 10-15 (outside); weekly M-1 11-02 and M-2 11-16 ended; weekly 11-30 running
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import msgspec
import pytest

from backends import ALL
from icm_tui.cli import Context
from icm_tui.cli_report import md_text, sparkline, width
from icm_tui.domain.agenda import Agenda, AgendaItem, ItemKind
from icm_tui.domain.models import ActionItem, Status
from icm_tui.domain.org import Department, Org, Person, Service
from icm_tui.domain.reports import Report, build_report, parse_since, periods, report_from_store, strain
from icm_tui.errors import BadInput
from icm_tui.services import Services
from icm_tui.store import Store
from storetools import Site, make_backend

TZ = timezone(timedelta(hours=8))
TODAY = date(2026, 11, 30)
SINCE = date(2026, 11, 1)

ORG = Org(
    organization="Example Co.",
    departments=(
        Department(id="it", name="IT"),
        Department(id="sales", name="销售部"),
        Department(id="hr", name="HR"),
        Department(id="finance", name="Finance"),
    ),
    people=(
        Person(id="zhang", name="Zhang Wei", department="it"),
        Person(id="li", name="Li Lei", department="sales"),
        Person(id="wang", name="Wang Fang", department="hr"),
        Person(id="chen", name="Chen Jie", department="finance"),
    ),
    services=(Service(id="laptops", name="Laptop provisioning", provider="it", consumers=("sales", "hr"), target_days=3),),
    present=True,
)

WEEKLY = Agenda(
    series="weekly",
    title="Weekly coordination",
    attendees=("it", "sales", "hr", "finance"),
    items=(
        AgendaItem(title="Follow-ups", kind=ItemKind.REVIEW, timebox=10),
        AgendaItem(title="Laptops arrive late", kind=ItemKind.DISCUSSION, timebox=15, requester="sales", supplier="it"),
        AgendaItem(title="Pulse", kind=ItemKind.PULSE, timebox=5),
    ),
)
MONTHLY = Agenda(series="monthly-ops", title="Monthly operations", items=(AgendaItem(title="Numbers", timebox=30),))


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 8, 1, 9, 0, tzinfo=TZ)

    def at(self, month: int, day: int, hour: int = 9, minute: int = 0) -> None:
        self.now = datetime(2026, month, day, hour, minute, tzinfo=TZ)

    def __call__(self) -> datetime:
        return self.now


def build_world(store: Store) -> tuple[Services, dict[str, str]]:
    """The register described in the module docstring, in `store`; returns the services and the refs by name."""
    clock = Clock()
    svc = Services(store, ORG, clock=clock, actor="test")
    ref: dict[str, str] = {}

    clock.at(8, 1)
    ref["r_expense"] = svc.add_request("Expense tool access", requester="finance", supplier="it").ref
    clock.at(9, 1)
    ref["payroll"] = svc.add_action("Payroll export", owner="chen", requester="hr", due="2026-09-10").ref
    clock.at(9, 2)
    ref["r_dup"] = svc.add_request("Payroll report", requester="hr", supplier="finance").ref
    clock.at(9, 3)
    svc.decline_request(ref["r_dup"], "Duplicate of the payroll export")
    clock.at(9, 8)
    svc.transition(ref["payroll"], "done")
    clock.at(9, 9)
    svc.transition(ref["payroll"], "confirm", score=5)
    clock.at(10, 1)
    svc.record_pulse("hr", "it", 5)
    clock.at(10, 15, 10)
    monthly = svc.start_meeting(MONTHLY).ref
    svc.add_time(monthly, 0, 45 * 60)
    clock.at(10, 15, 11)
    svc.end_meeting(monthly)

    clock.at(11, 1, 8)
    ref["hiring"] = svc.add_action("Hiring plan for Q1", owner="wang", requester="sales", due="2026-11-28").ref

    clock.at(11, 2, 10)
    m1 = svc.start_meeting(WEEKLY, attendees=("it", "sales", "hr"), absent=("finance",)).ref
    svc.review(m1, ref["hiring"])
    ref["laptops"] = svc.capture_action(m1, 1, "Laptops for new hires", owner="zhang", due="2026-11-05").ref
    svc.add_decision(m1, 1, "Keep a buffer of 5 laptops")
    svc.record_pulse("sales", "it", 2, meeting=m1)
    svc.add_time(m1, 0, 12 * 60)  # 2 minutes over its 10
    svc.add_time(m1, 1, 20 * 60)  # 5 minutes over its 15
    svc.add_time(m1, 2, 5 * 60)
    clock.at(11, 2, 11)
    svc.end_meeting(m1)
    ref["m1"] = m1

    clock.at(11, 3)
    ref["crm"] = svc.add_action("CRM licence renewal", owner="zhang", requester="sales", due="2026-11-10").ref
    clock.at(11, 4, 15)
    svc.transition(ref["laptops"], "done")
    clock.at(11, 5, 9)
    ref["r_monitors"] = svc.add_request("Monitors for the sales floor", requester="sales", supplier="it").ref
    clock.at(11, 5, 10)
    ref["wifi"] = svc.add_action("Rotate the wifi password", owner="zhang").ref
    clock.at(11, 5, 16)
    svc.transition(ref["wifi"], "done")
    clock.at(11, 6, 10)
    svc.transition(ref["laptops"], "confirm", score=4)
    clock.at(11, 6, 11)
    ref["monitors"] = svc.accept_request(ref["r_monitors"], owner="zhang", due="2026-12-20").ref
    clock.at(11, 10)
    ref["r_vpn"] = svc.add_request("VPN for contractors", requester="hr", supplier="it").ref
    clock.at(11, 11)
    svc.decline_request(ref["r_vpn"], "Out of scope: security owns the VPN")
    clock.at(11, 12, 9)
    ref["r_screen"] = svc.add_request("Second screen for the demo room", requester="sales", supplier="it").ref
    clock.at(11, 12, 17)
    svc.transition(ref["crm"], "done")
    clock.at(11, 13)
    svc.transition(ref["crm"], "reopen", note="Only half the licences renewed")
    clock.at(11, 15)
    ref["refund"] = svc.add_action("Refund travel costs", owner="chen", requester="sales", due="2026-11-30").ref
    clock.at(11, 16, 9)
    svc.transition(ref["refund"], "drop", note="Handled by the travel agency")

    clock.at(11, 16, 10)
    m2 = svc.start_meeting(WEEKLY).ref
    svc.review(m2, ref["hiring"])
    svc.add_decision(m2, 1, "Order laptops a month ahead")
    svc.add_decision(m2, 1, "IT joins the hiring kick-off")
    svc.add_time(m2, 0, 8 * 60)
    svc.add_time(m2, 1, 15 * 60)
    svc.add_time(m2, 2, 7 * 60)  # 2 minutes over its 5
    clock.at(11, 16, 11)
    svc.end_meeting(m2)

    clock.at(11, 20, 9)
    ref["hr_laptop"] = svc.add_action("Laptop for the new HR assistant", owner="zhang", requester="hr", service="laptops").ref
    clock.at(11, 20, 10)
    svc.record_pulse("sales", "hr", 3)
    clock.at(11, 22)
    svc.transition(ref["hr_laptop"], "done")
    clock.at(11, 24)
    svc.transition(ref["hr_laptop"], "confirm", score=1)
    clock.at(11, 25)
    ref["projector"] = svc.add_action("Projector in room 4", owner="zhang", requester="sales", due="2026-12-02").ref
    clock.at(11, 26)
    svc.merge_request(ref["r_screen"], ref["projector"])
    clock.at(11, 27)
    ref["r_rooms"] = svc.add_request("Interview room bookings", requester="sales", supplier="hr").ref
    clock.at(11, 29)
    svc.record_pulse("finance", "it", 4)
    clock.at(11, 30, 9)
    svc.start_meeting(WEEKLY)
    clock.at(11, 30, 12)
    return svc, ref


@pytest.fixture(scope="module", params=ALL)
def site(request, tmp_path_factory) -> Site:
    """Where the world is kept: memory, TinyDB, PostgreSQL (built once per module and backend: the tests only read)."""
    return Site(tmp_path_factory.mktemp(request.param), make_backend(request.param, request))


@pytest.fixture(scope="module")
def world(site) -> tuple[Services, dict[str, str]]:
    store = site.open()
    yield build_world(store)
    store.close()


@pytest.fixture(scope="module")
def rep(world) -> Report:
    svc, _ = world
    return report_from_store(svc.store, ORG, TODAY, SINCE)


def row(rows, dept):
    return next(r for r in rows if r.department == dept)


def pair(report: Report, requester: str, supplier: str):
    return next(p for p in report.pairs if (p.requester, p.supplier) == (requester, supplier))


def test_world_is_as_described(world):
    svc, ref = world
    assert svc.action(ref["hr_laptop"]).due == date(2026, 11, 23)
    assert svc.action(ref["hiring"]).carry == 2
    assert svc.action(ref["crm"]).status is Status.OPEN and svc.action(ref["crm"]).reopened == 1


def test_window_and_periods(rep):
    # 30 days, cut in 4-week periods back from today: a 2-day one, then 11-03..11-30.
    assert rep.since == SINCE and rep.today == TODAY
    assert rep.period_days == 28
    assert rep.periods == (date(2026, 11, 1), date(2026, 11, 3))


def test_default_window_is_24_weeks():
    report = build_report(actions=[], requests=[], pulses=[], meetings=[], org=ORG, today=TODAY)
    assert report.since == date(2026, 6, 16)
    assert len(report.periods) == 6 and report.periods[-1] == date(2026, 11, 3)


def test_long_windows_keep_at_most_26_periods():
    size, starts = periods(date(2020, 1, 1), TODAY)
    assert size == 28 * 4 and len(starts) <= 26 and starts[0] == date(2020, 1, 1)


def test_supplier_it(rep):
    it = row(rep.suppliers, "it")
    assert it.name == "IT"
    # Owed today: crm (reopened, 20 days overdue, so escalated), monitors, projector.
    assert (it.open, it.overdue, it.escalated) == (3, 1, 1)
    # First delivered in the window: laptops, crm, wifi, hr-laptop; wifi has no due date.
    assert (it.delivered, it.with_due, it.on_time) == (4, 3, 2)
    assert it.on_time_rate == pytest.approx(2 / 3)
    assert it.median_days == 2.0  # days 2, 9, 0, 2
    assert (it.reopened, it.reopen_rate) == (1, 0.25)
    # Ratings about IT in the window: 2 (pulse 11-02), 4 (laptops), 1 (hr-laptop), 4 (pulse 11-29).
    assert (it.satisfaction, it.ratings) == (2.75, 4)
    assert it.trend == (2.0, 3.0)


def test_supplier_hr_finance_sales(rep):
    hr = row(rep.suppliers, "hr")
    assert (hr.open, hr.overdue, hr.escalated, hr.delivered) == (1, 1, 0, 0)
    assert hr.on_time_rate is None and hr.median_days is None and hr.reopen_rate is None
    assert (hr.satisfaction, hr.ratings, hr.trend) == (3.0, 1, (None, 3.0))
    finance = row(rep.suppliers, "finance")
    # Payroll was delivered and rated before the window; the refund was dropped.
    assert (finance.open, finance.delivered, finance.ratings, finance.satisfaction) == (0, 0, 0, None)
    sales = row(rep.suppliers, "sales")
    assert (sales.open, sales.delivered, sales.trend) == (0, 0, (None, None))
    assert [r.department for r in rep.suppliers] == ["it", "sales", "hr", "finance"]


def test_overall(rep):
    o = rep.overall
    assert (o.open, o.overdue, o.escalated, o.delivered, o.with_due, o.on_time) == (4, 2, 1, 4, 3, 2)
    assert o.median_days == 2.0 and o.reopen_rate == 0.25
    assert (o.satisfaction, o.ratings) == (pytest.approx(14 / 5), 5)


def test_customers(rep):
    sales = row(rep.customers, "sales")
    assert sales.name == "销售部"
    assert (sales.raised, sales.accepted, sales.declined, sales.merged, sales.waiting) == (3, 1, 0, 1, 1)
    assert (sales.satisfaction_given, sales.ratings_given) == (3.0, 3)  # 2, 4, 3
    hr = row(rep.customers, "hr")
    # The payroll request was declined before the window; the VPN one inside it.
    assert (hr.raised, hr.declined, hr.waiting) == (1, 1, 0)
    assert (hr.satisfaction_given, hr.ratings_given) == (1.0, 1)
    finance = row(rep.customers, "finance")
    # Raised in August, still waiting: waiting requests count whatever their age.
    assert (finance.raised, finance.waiting, finance.satisfaction_given) == (1, 1, 4.0)
    it = row(rep.customers, "it")
    assert (it.raised, it.ratings_given, it.satisfaction_given) == (0, 0, None)


def test_matrix(rep):
    sales_it = pair(rep, "sales", "it")
    assert (sales_it.items, sales_it.open, sales_it.overdue) == (4, 3, 1)
    assert (sales_it.satisfaction, sales_it.ratings) == (3.0, 2)
    assert sales_it.strain == pytest.approx((0.25 + 0.5) / 2)
    sales_hr = pair(rep, "sales", "hr")
    assert (sales_hr.items, sales_hr.open, sales_hr.overdue, sales_hr.satisfaction) == (1, 1, 1, 3.0)
    assert sales_hr.strain == 0.75
    hr_it = pair(rep, "hr", "it")
    assert (hr_it.items, hr_it.open, hr_it.satisfaction, hr_it.strain) == (1, 0, 1.0, 0.5)
    finance_it = pair(rep, "finance", "it")  # a rating, no items
    assert (finance_it.items, finance_it.satisfaction, finance_it.strain) == (0, 4.0, 0.25)
    sales_finance = pair(rep, "sales", "finance")  # the dropped refund
    assert (sales_finance.items, sales_finance.open, sales_finance.strain) == (1, 0, 0.0)
    # hr -> finance: payroll and its rating are both before the window.
    assert [(p.requester, p.supplier) for p in rep.pairs] == [
        ("sales", "hr"), ("hr", "it"), ("sales", "it"), ("finance", "it"), ("sales", "finance"),
    ]
    assert rep.worst_pair() == sales_hr
    assert sales_hr.requester_name == "销售部" and sales_hr.supplier_name == "HR"


def test_meeting_health(rep):
    assert [m.series for m in rep.meetings] == ["weekly"]  # monthly-ops is before the window
    weekly = rep.meetings[0]
    assert weekly.title == "Weekly coordination"
    assert weekly.meetings == 2  # the running one is not counted
    # Overruns over 6 timeboxed items: 2 + 5 + 0, 0 + 0 + 2 minutes.
    assert (weekly.timeboxed_items, weekly.overrun_items) == (6, 3)
    assert weekly.mean_overrun == pytest.approx(1.5)
    assert (weekly.decisions, weekly.actions) == (3, 1)
    assert (weekly.decisions_per_meeting, weekly.actions_per_meeting) == (1.5, 0.5)
    assert weekly.attendance_rate == pytest.approx(7 / 8)


def test_at_risk(rep, world):
    _, ref = world
    assert [r.ref for r in rep.at_risk] == [ref["hiring"], ref["projector"]]
    hiring, projector = rep.at_risk
    assert hiring.reasons == ("carried 2 times",)
    assert projector.due == date(2026, 12, 2)
    assert projector.reasons == ("due in 2d; IT delivers 67% on time (below 70%)",)


def test_at_risk_needs_a_low_rate(world):
    svc, ref = world
    report = build_report(
        actions=svc.store.actions(), requests=[], pulses=[], meetings=[], org=ORG, today=TODAY, since=SINCE,
        on_time_floor=0.6,
    )
    assert [r.ref for r in report.at_risk] == [ref["hiring"]]


def test_ratings_agree_with_all_pulses(world, rep):
    svc, _ = world
    in_window = [p for p in svc.all_pulses() if SINCE <= p.at.date() <= TODAY]
    assert rep.overall.ratings == len(in_window)
    assert rep.overall.satisfaction == pytest.approx(sum(p.score for p in in_window) / len(in_window))


def test_series_limits_items_meetings_and_ratings(world):
    svc, ref = world
    report = report_from_store(svc.store, ORG, TODAY, SINCE, series="weekly")
    # Only the laptops item was captured in the weekly series; ratings: its confirmation and the M-1 pulse.
    assert (report.overall.open, report.overall.delivered, report.overall.ratings) == (0, 1, 2)
    assert [(p.requester, p.supplier, p.items) for p in report.pairs] == [("sales", "it", 1)]
    assert [m.series for m in report.meetings] == ["weekly"]
    # The inbox is shared by all series: waiting requests still show; settled ones only if settled in it.
    assert row(report.customers, "sales").raised == 1 and row(report.customers, "sales").waiting == 1


def test_service_target_stands_in_for_a_missing_due():
    created = datetime(2026, 11, 2, 9, tzinfo=TZ)
    item = ActionItem(
        uid="u1", ref="A-1", title="Imported", owner="zhang", supplier="it", requester="hr", service="laptops",
        status=Status.DONE, created=created, updated=created, done_at=created + timedelta(days=4),
    )
    report = build_report(actions=[item], requests=[], pulses=[], meetings=[], org=ORG, today=TODAY, since=SINCE)
    it = row(report.suppliers, "it")
    # Due 11-05 from the 3-day target; delivered 11-06 from done_at (no history): late.
    assert (it.delivered, it.with_due, it.on_time, it.median_days) == (1, 1, 0, 4.0)


def test_strain():
    assert strain(0, 0, None) == 0.0
    assert strain(4, 2, None) == 0.5
    assert strain(0, 0, 1.0) == 1.0
    assert strain(2, 1, 3.0) == 0.5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-30d", date(2026, 10, 31)),
        ("-4w", date(2026, 11, 2)),
        ("-3m", date(2026, 8, 30)),
        ("2026-11-01", date(2026, 11, 1)),
        ("today", TODAY),
    ],
)
def test_parse_since(text, expected):
    assert parse_since(text, TODAY) == expected


def test_parse_since_month_end_clamps():
    assert parse_since("-1m", date(2026, 3, 31)) == date(2026, 2, 28)


@pytest.mark.parametrize("text", ["+3d", "tomorrow", "2027-01-01", "soon", "-5x"])
def test_parse_since_refuses_the_future_and_nonsense(text):
    with pytest.raises(BadInput):
        parse_since(text, TODAY)


def test_sparkline():
    assert sparkline([1.0, 3.0, 5.0, None, 2.0]) == "▁▅█·▃"


def test_markdown_escapes_user_text():
    assert md_text("fix [/] | parser *now*") == "fix \\[/\\] \\| parser \\*now\\*"


# ------------------------------------------------------------------------- CLI


@pytest.fixture
def cli(site, world, monkeypatch):
    """Run `icm report ...` on the hand-made world: the CLI opens the register itself, only the org is injected."""
    svc, _ = world
    monkeypatch.setattr(Context, "org", property(lambda self: ORG))
    if not site.backend.persistent:  # a MemoryStore lives in this process only
        monkeypatch.setattr(Context, "store", property(lambda self: svc.store))

    def run(*args: str):
        return site.icm("report", "--today", "2026-11-30", *args)

    return run


def test_cli_json(cli, world):
    _, ref = world
    result = cli("--since", "2026-11-01", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["since"] == "2026-11-01" and data["today"] == "2026-11-30"
    it = next(r for r in data["suppliers"] if r["department"] == "it")
    assert (it["open"], it["overdue"], it["delivered"], it["on_time"], it["with_due"]) == (3, 1, 4, 2, 3)
    assert it["trend"] == [2.0, 3.0]
    assert data["pairs"][0]["requester"] == "sales" and data["pairs"][0]["supplier"] == "hr"
    assert [r["ref"] for r in data["at_risk"]] == [ref["hiring"], ref["projector"]]
    assert data["meetings"][0]["attendance_rate"] == 0.875


def test_cli_json_round_trips_into_the_typed_report(cli):
    result = cli("--since", "-29d", "--format", "json")
    report = msgspec.json.decode(result.stdout.encode(), type=Report)
    assert report.since == SINCE and row(report.suppliers, "it").median_days == 2.0


def test_cli_markdown(cli):
    result = cli("--since", "2026-11-01", "--format", "md")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith("# Example Co.: internal service report\n")
    for heading in (
        "## Departments as suppliers", "## Departments as internal customers",
        "## The department wall: requester x supplier", "## Meeting health", "## Items at risk",
        "## Where the wall is highest",
    ):
        assert heading in text
    assert "| IT | 3 | 1 | 1 | 4 | 67% (2/3) | 2.0 | 25% (1/4) | 2.8 (4) | ▃▅ |" in text
    assert "| 销售部 | HR | 1 | 1 | 1 | 3.0 (1) | 0.75 |" in text
    assert "销售部 asking HR (strain 0.75): 1 item, 1 overdue, satisfaction 3.0 (1)." in text
    assert "carried 2 times" in text


def test_cli_table(cli):
    result = cli("--since", "2026-11-01")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Example Co.: internal service report, 2026-11-01 to 2026-11-30 (30 days)"
    header = lines[lines.index("Departments as suppliers") + 1]
    assert header.split() == [
        "Department", "Open", "Overdue", "Escalated", "Delivered", "On", "time", "Median", "days", "Reopened",
        "Satisfaction", "(n)", "Trend",
    ]
    it_line = next(line for line in lines if line.startswith("IT "))
    assert "67% (2/3)" in it_line and it_line.endswith("▃▅")
    # Wide characters take two columns: the 销售部 customer row ends in the same column as Finance's.
    sales_line = next(line for line in lines if line.startswith("销售部 ") and line.endswith("3.0 (3)"))
    finance_line = next(line for line in lines if line.startswith("Finance ") and line.endswith("4.0 (1)"))
    assert width(sales_line) == width(finance_line)


def test_cli_series_and_output_file(cli, tmp_path):
    out = tmp_path / "report.md"
    result = cli("--since", "2026-11-01", "--series", "weekly", "--format", "md", "-o", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    assert "series weekly" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("since", ["soon", "+1w"])
def test_cli_bad_since_is_one_line_exit_2(cli, since):
    result = cli("--since", since)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output


def test_cli_leaves_the_garbage_collector_as_it_found_it(cli):
    import gc

    assert gc.isenabled()
    assert cli("--format", "json").exit_code == 0
    assert gc.isenabled()


def test_cli_unwritable_output_is_one_line_exit_2(cli, tmp_path):
    result = cli("-o", str(tmp_path / "missing" / "report.md"))
    assert result.exit_code == 2 and "cannot write" in result.stderr
