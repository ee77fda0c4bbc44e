"""Reports: how each department serves and is served, and how the meetings go (DESIGN.md §8).

Pure functions over the stored records. Every figure is defined in README.md ("Reports: what every figure means"); the
definitions below are the executable form of that page, so change both together.

One pass over the action items (and their histories) gathers everything; a second pass over
the few at-risk candidates needs the suppliers' on-time rates. 50,000 items take well under
a second.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import msgspec

from icm_tui.domain.dates import parse_date
from icm_tui.domain.lifecycle import FINISHED
from icm_tui.domain.models import (
    ActionItem,
    EventKind,
    Meeting,
    MeetingState,
    Pulse,
    Request,
    RequestStatus,
    Status,
)
from icm_tui.domain.org import Org
from icm_tui.errors import BadInput

DEFAULT_WINDOW_DAYS = 168
"""Without `--since`, the window is the last 24 weeks: six 4-week trend periods."""

BUCKET_DAYS = 28
"""A trend period is 4 weeks, counted back from today."""

MAX_BUCKETS = 26
"""Longer windows use longer periods (multiples of 4 weeks) so a trend has at most this many points."""

RISK_DAYS = 3
"""An item due within this many days is checked for risk."""

ON_TIME_FLOOR = 0.7
"""A supplier below this on-time rate puts its items due soon at risk."""

CARRY_FLOOR = 2
"""An item carried this many times is at risk whatever its due date."""

DELIVERED = frozenset({Status.DONE, Status.CLOSED})

_SINCE_AGO = re.compile(r"^-(\d{1,4})([dwm])$")


def parse_since(text: str, today: date) -> date:
    """The start of a report window: `-30d`, `-4w`, `-3m`, or any date form `parse_date` takes."""
    word = text.strip().lower()
    if match := _SINCE_AGO.match(word):
        count, unit = int(match[1]), match[2]
        if unit == "d":
            since = today - timedelta(days=count)
        elif unit == "w":
            since = today - timedelta(weeks=count)
        else:
            total = today.year * 12 + today.month - 1 - count
            year, month = divmod(total, 12)
            since = _clamp_day(year, month + 1, today.day)
    else:
        try:
            since = parse_date(word, today)
        except BadInput:
            raise BadInput(f"not a date: {text!r} (use YYYY-MM-DD, -30d, -4w, -3m, today)") from None
    if since > today:
        raise BadInput(f"--since {text} is in the future ({since.isoformat()}); a report looks back")
    return since


def _clamp_day(year: int, month: int, day: int) -> date:
    while True:
        try:
            return date(year, month, day)
        except ValueError:
            day -= 1


# ----------------------------------------------------------------------- results


class SupplierRow(msgspec.Struct, frozen=True, kw_only=True):
    """How one department serves its internal customers."""

    department: str
    name: str
    open: int
    """Items it owes today (open, in progress or blocked), whatever their age."""
    overdue: int
    """Owed items past their due date today."""
    escalated: int
    """Owed items carried or overdue past the org's thresholds."""
    delivered: int
    """Items first marked done inside the window."""
    with_due: int
    """Delivered items that had a due date (explicit, or from the service target)."""
    on_time: int
    """Delivered items first marked done on or before their due date."""
    on_time_rate: float | None
    """on_time / with_due; None when nothing delivered had a due date."""
    median_days: float | None
    """Median calendar days from creation to first done, over delivered items."""
    reopened: int
    """Delivered items the requester reopened at least once."""
    reopen_rate: float | None
    """reopened / delivered."""
    satisfaction: float | None
    """Mean 1-5 rating received inside the window."""
    ratings: int
    trend: tuple[float | None, ...]
    """Mean rating received per trend period, oldest first (None: no rating that period)."""


class CustomerRow(msgspec.Struct, frozen=True, kw_only=True):
    """How one department fares as an internal customer."""

    department: str
    name: str
    raised: int
    """Requests raised inside the window, plus any older still waiting."""
    accepted: int
    declined: int
    merged: int
    waiting: int
    """Requests still without an answer, whatever their age."""
    satisfaction_given: float | None
    """Mean 1-5 rating it gave inside the window."""
    ratings_given: int


class PairRow(msgspec.Struct, frozen=True, kw_only=True):
    """One cell of the requester x supplier matrix: the department wall."""

    requester: str
    supplier: str
    requester_name: str
    supplier_name: str
    items: int
    """Items between the pair touched in the window: created or first delivered in it, or still owed."""
    open: int
    overdue: int
    satisfaction: float | None
    """Mean rating the requester gave the supplier inside the window."""
    ratings: int
    strain: float
    """0 (fine) to 1 (worst): the mean of overdue/items and (5 - satisfaction) / 4, of those known."""


class SeriesHealth(msgspec.Struct, frozen=True, kw_only=True):
    """How the meetings of one series go."""

    series: str
    title: str
    meetings: int
    """Meetings of the series started inside the window and ended."""
    mean_overrun: float | None
    """Mean minutes over the timebox per timeboxed item (an item on time counts 0)."""
    overrun_items: int
    """Timeboxed items that ran over."""
    timeboxed_items: int
    decisions: int
    actions: int
    decisions_per_meeting: float | None
    actions_per_meeting: float | None
    attendance_rate: float | None
    """Present / (present + absent), over all its meetings."""


class AtRisk(msgspec.Struct, frozen=True, kw_only=True):
    """An owed item likely to be late, with why it is flagged."""

    ref: str
    title: str
    owner: str
    supplier: str
    requester: str
    due: date | None
    carry: int
    reasons: tuple[str, ...]


class Report(msgspec.Struct, frozen=True, kw_only=True):
    """Everything `icm report` and the reports screen show."""

    organization: str
    today: date
    since: date
    series: str
    """The series the report is limited to ('' for all)."""
    periods: tuple[date, ...]
    """The first day of each trend period, oldest first."""
    period_days: int
    overall: SupplierRow
    """Every item and rating, whatever the departments."""
    suppliers: tuple[SupplierRow, ...]
    customers: tuple[CustomerRow, ...]
    pairs: tuple[PairRow, ...]
    """Worst first (highest strain)."""
    meetings: tuple[SeriesHealth, ...]
    at_risk: tuple[AtRisk, ...]

    def worst_pair(self) -> PairRow | None:
        """The pair with the highest strain, if any pair has one above 0."""
        return self.pairs[0] if self.pairs and self.pairs[0].strain > 0 else None


# ------------------------------------------------------------------- computing


@dataclass(slots=True)
class _Tally:
    """Running counts for one department (as supplier), or for all of them."""

    open: int = 0
    overdue: int = 0
    escalated: int = 0
    delivered: int = 0
    with_due: int = 0
    on_time: int = 0
    reopened: int = 0
    days: list[int] = field(default_factory=list)
    score_sum: int = 0
    scores: int = 0
    trend_sum: list[int] = field(default_factory=list)
    trend_n: list[int] = field(default_factory=list)


@dataclass(slots=True)
class _Custom:
    raised: int = 0
    accepted: int = 0
    declined: int = 0
    merged: int = 0
    waiting: int = 0
    score_sum: int = 0
    scores: int = 0


@dataclass(slots=True)
class _Pair:
    items: int = 0
    open: int = 0
    overdue: int = 0
    score_sum: int = 0
    scores: int = 0


def periods(since: date, today: date) -> tuple[int, tuple[date, ...]]:
    """The trend period length in days and each period's first day, cut back from today."""
    window = (today - since).days + 1
    size = BUCKET_DAYS * max(1, math.ceil(window / (BUCKET_DAYS * MAX_BUCKETS)))
    count = max(1, math.ceil(window / size))
    # A period reaching back past `since` starts at `since` (and never computes a date before year 1).
    starts = tuple(
        since if size * (count - i) - 1 >= window else today - timedelta(days=size * (count - i) - 1)
        for i in range(count)
    )
    return size, starts


def first_done(item: ActionItem) -> datetime | None:
    """When the supplier first said it delivered: the first move to done in the history."""
    for event in item.history:
        if event.kind is EventKind.STATUS and event.new == "done":
            return event.at
    # Records imported without a full history still carry their delivery time.
    if item.done_at is not None:
        return item.done_at
    if item.status in DELIVERED:
        return item.closed_at or item.updated
    return None


def build_report(
    *,
    actions: Iterable[ActionItem],
    requests: Iterable[Request],
    pulses: Iterable[Pulse],
    meetings: Iterable[Meeting],
    org: Org,
    today: date,
    since: date | None = None,
    series: str = "",
    risk_days: int = RISK_DAYS,
    on_time_floor: float = ON_TIME_FLOOR,
    carry_floor: int = CARRY_FLOOR,
) -> Report:
    """Every report figure over these records, as of `today`, for the window `since`..`today`.

    `pulses` are the stored pulses only: the scores given when confirming items are read from
    the items' histories here, so nothing is counted twice.
    """
    if since is None:
        since = today - timedelta(days=DEFAULT_WINDOW_DAYS - 1)
    if since > today:
        raise BadInput(f"the report window starts after today ({since} > {today})")
    size, starts = periods(since, today)
    nbuckets = len(starts)
    targets = {s.id: s.target_days for s in org.services if s.target_days}
    esc_carries = org.thresholds.escalate_after_carries
    esc_days = org.thresholds.escalate_after_overdue_days
    soon = today + timedelta(days=risk_days)

    meetings = list(meetings)
    series_meetings = {m.ref for m in meetings if m.series == series} if series else set()

    def tally() -> _Tally:
        return _Tally(trend_sum=[0] * nbuckets, trend_n=[0] * nbuckets)

    # Keyed by supplier id, '' for items and ratings without one; the overall row is their sum,
    # so each item updates one tally.
    suppliers: dict[str, _Tally] = {}
    customers: dict[str, _Custom] = {}
    pairs: dict[tuple[str, str], _Pair] = {}
    candidates: list[tuple[ActionItem, date | None]] = []
    series_actions: set[str] = set()
    last = nbuckets - 1

    def rate(rater: str, about: str, at: datetime, score: int) -> None:
        day = at.date()
        if day < since or day > today:
            return
        bucket = last - (today - day).days // size
        sup = suppliers.get(about)
        if sup is None:
            sup = suppliers[about] = tally()
        sup.score_sum += score
        sup.scores += 1
        sup.trend_sum[bucket] += score
        sup.trend_n[bucket] += 1
        if rater:
            cust = customers.get(rater)
            if cust is None:
                cust = customers[rater] = _Custom()
            cust.score_sum += score
            cust.scores += 1
            if about:
                pair = pairs.get((rater, about))
                if pair is None:
                    pair = pairs[(rater, about)] = _Pair()
                pair.score_sum += score
                pair.scores += 1

    owed_statuses = frozenset(Status) - FINISHED
    STATUS, CONFIRMED = EventKind.STATUS, EventKind.CONFIRMED  # noqa: N806 - locals for the hot loop
    for item in actions:
        if series:
            if item.series != series:
                continue
            series_actions.add(item.ref)
        supplier, requester = item.supplier, item.requester
        sup = suppliers.get(supplier)
        if sup is None:
            sup = suppliers[supplier] = tally()
        owed = item.status in owed_statuses
        due = item.due
        if due is None and item.service in targets:
            due = item.created.date() + timedelta(days=targets[item.service])
        overdue = owed and due is not None and due < today
        touched = owed

        if owed:
            sup.open += 1
            if overdue:
                sup.overdue += 1
            if item.carry >= esc_carries or (overdue and (today - due).days > esc_days):
                sup.escalated += 1
            if item.carry >= carry_floor or (due is not None and today <= due <= soon):
                candidates.append((item, due))

        # One walk of the history finds the first delivery and the confirming scores.
        delivered_at = None
        for event in item.history:
            kind = event.kind
            if kind is STATUS:
                if delivered_at is None and event.new == "done":
                    delivered_at = event.at
            elif kind is CONFIRMED and event.score is not None:
                rate(requester, supplier, event.at, event.score)
        if delivered_at is None and (item.done_at is not None or item.status in DELIVERED):
            delivered_at = first_done(item)
        if delivered_at is not None:
            day = delivered_at.date()
            if since <= day <= today:
                touched = True
                sup.delivered += 1
                sup.days.append((day - item.created.date()).days)
                if item.reopened:
                    sup.reopened += 1
                if due is not None:
                    sup.with_due += 1
                    if day <= due:
                        sup.on_time += 1
        if not touched and since <= item.created.date() <= today:
            touched = True

        if touched and supplier and requester:
            pair = pairs.get((requester, supplier))
            if pair is None:
                pair = pairs[(requester, supplier)] = _Pair()
            pair.items += 1
            pair.open += owed
            pair.overdue += overdue

    for pulse in pulses:
        if series and pulse.meeting not in series_meetings and pulse.action not in series_actions:
            continue
        rate(pulse.rater, pulse.about, pulse.at, pulse.score)

    for request in requests:
        waiting = request.status is RequestStatus.NEW
        if series and not waiting and not _request_in_series(request, series_actions, series_meetings):
            continue
        if not waiting and not since <= request.created.date() <= today:
            continue
        cust = customers.setdefault(request.requester, _Custom())
        cust.raised += 1
        if waiting:
            cust.waiting += 1
        elif request.status is RequestStatus.ACCEPTED:
            cust.accepted += 1
        elif request.status is RequestStatus.DECLINED:
            cust.declined += 1
        elif request.status is RequestStatus.MERGED:
            cust.merged += 1

    overall = _total(suppliers.values(), tally())
    names = {d.id: d.name for d in org.departments}
    order = _department_order(org, suppliers.keys() | customers.keys())

    supplier_rows = tuple(
        _supplier_row(dept, names.get(dept, dept), suppliers.get(dept) or tally()) for dept in order
    )
    on_time = {row.department: row.on_time_rate for row in supplier_rows}
    customer_rows = tuple(
        _customer_row(dept, names.get(dept, dept), customers.get(dept) or _Custom()) for dept in order
    )
    pair_rows = sorted(
        (_pair_row(req, sup, names, pair) for (req, sup), pair in pairs.items()),
        key=lambda row: (-row.strain, -row.overdue, row.requester_name, row.supplier_name),
    )
    at_risk = _at_risk(candidates, on_time, names, today, on_time_floor, carry_floor, soon)
    health = _meeting_health(meetings, since, today, series)

    return Report(
        organization=org.organization,
        today=today,
        since=since,
        series=series,
        periods=starts,
        period_days=size,
        overall=_supplier_row("", "All departments", overall),
        suppliers=supplier_rows,
        customers=customer_rows,
        pairs=tuple(pair_rows),
        meetings=health,
        at_risk=at_risk,
    )


def _total(tallies: Iterable[_Tally], into: _Tally) -> _Tally:
    """The sum of supplier tallies: the overall row."""
    for t in tallies:
        into.open += t.open
        into.overdue += t.overdue
        into.escalated += t.escalated
        into.delivered += t.delivered
        into.with_due += t.with_due
        into.on_time += t.on_time
        into.reopened += t.reopened
        into.days.extend(t.days)
        into.score_sum += t.score_sum
        into.scores += t.scores
        into.trend_sum = [a + b for a, b in zip(into.trend_sum, t.trend_sum)]
        into.trend_n = [a + b for a, b in zip(into.trend_n, t.trend_n)]
    return into


def _request_in_series(request: Request, actions: set[str], meetings: set[str]) -> bool:
    """A settled request belongs to a series when its action, or the meeting that settled it, does."""
    if request.action and request.action in actions:
        return True
    return any(event.meeting in meetings for event in request.history if event.meeting)


def _department_order(org: Org, seen: Iterable[str]) -> list[str]:
    """Departments in org.yaml order, then any other id met in the data, sorted."""
    known = [d.id for d in org.departments]
    extra = sorted(d for d in set(seen) - set(known) if d)
    return known + extra


def _mean(total: float, count: int) -> float | None:
    return total / count if count else None


def _supplier_row(dept: str, name: str, t: _Tally) -> SupplierRow:
    return SupplierRow(
        department=dept,
        name=name,
        open=t.open,
        overdue=t.overdue,
        escalated=t.escalated,
        delivered=t.delivered,
        with_due=t.with_due,
        on_time=t.on_time,
        on_time_rate=_mean(t.on_time, t.with_due),
        median_days=float(statistics.median(t.days)) if t.days else None,
        reopened=t.reopened,
        reopen_rate=_mean(t.reopened, t.delivered),
        satisfaction=_mean(t.score_sum, t.scores),
        ratings=t.scores,
        trend=tuple(_mean(s, n) for s, n in zip(t.trend_sum, t.trend_n)),
    )


def _customer_row(dept: str, name: str, c: _Custom) -> CustomerRow:
    return CustomerRow(
        department=dept,
        name=name,
        raised=c.raised,
        accepted=c.accepted,
        declined=c.declined,
        merged=c.merged,
        waiting=c.waiting,
        satisfaction_given=_mean(c.score_sum, c.scores),
        ratings_given=c.scores,
    )


def strain(items: int, overdue: int, satisfaction: float | None) -> float:
    """How badly a pair works: the mean of the overdue share and the dissatisfaction, of those known."""
    parts = []
    if items:
        parts.append(overdue / items)
    if satisfaction is not None:
        parts.append((5.0 - satisfaction) / 4.0)
    return sum(parts) / len(parts) if parts else 0.0


def _pair_row(requester: str, supplier: str, names: dict[str, str], p: _Pair) -> PairRow:
    satisfaction = _mean(p.score_sum, p.scores)
    return PairRow(
        requester=requester,
        supplier=supplier,
        requester_name=names.get(requester, requester),
        supplier_name=names.get(supplier, supplier),
        items=p.items,
        open=p.open,
        overdue=p.overdue,
        satisfaction=satisfaction,
        ratings=p.scores,
        strain=strain(p.items, p.overdue, satisfaction),
    )


def _at_risk(
    candidates: list[tuple[ActionItem, date | None]],
    on_time: dict[str, float | None],
    names: dict[str, str],
    today: date,
    floor: float,
    carry_floor: int,
    soon: date,
) -> tuple[AtRisk, ...]:
    flagged = []
    for item, due in candidates:
        reasons = []
        if due is not None and today <= due <= soon:
            rate = on_time.get(item.supplier)
            if rate is not None and rate < floor:
                when = "today" if due == today else f"in {(due - today).days}d"
                supplier = names.get(item.supplier, item.supplier)
                reasons.append(f"due {when}; {supplier} delivers {rate:.0%} on time (below {floor:.0%})")
        if item.carry >= carry_floor:
            reasons.append(f"carried {item.carry} times")
        if reasons:
            flagged.append(
                AtRisk(
                    ref=item.ref, title=item.title, owner=item.owner, supplier=item.supplier,
                    requester=item.requester, due=due, carry=item.carry, reasons=tuple(reasons),
                )
            )
    flagged.sort(key=lambda r: (r.due is None, r.due or date.max, _ref_number(r.ref)))
    return tuple(flagged)


def _ref_number(ref: str) -> int:
    number = ref.partition("-")[2]
    return int(number) if number.isascii() and number.isdigit() else 0


def _meeting_health(meetings: list[Meeting], since: date, today: date, series: str) -> tuple[SeriesHealth, ...]:
    by_series: dict[str, list[Meeting]] = {}
    for meeting in meetings:
        if series and meeting.series != series:
            continue
        if meeting.state is not MeetingState.ENDED or not since <= meeting.started.date() <= today:
            continue
        by_series.setdefault(meeting.series, []).append(meeting)
    rows = []
    for name in sorted(by_series):
        held = sorted(by_series[name], key=lambda m: m.started)
        overrun_total = 0.0
        timeboxed = over = decisions = actions = present = invited = 0
        for meeting in held:
            present += len(meeting.attendees)
            invited += len(meeting.attendees) + len(meeting.absent)
            for item in meeting.items:
                decisions += len(item.decisions)
                actions += len(item.actions)
                if item.timebox > 0:
                    timeboxed += 1
                    overrun = max(0.0, item.spent / 60.0 - item.timebox)
                    overrun_total += overrun
                    over += overrun > 0
        count = len(held)
        rows.append(
            SeriesHealth(
                series=name,
                title=held[-1].title,
                meetings=count,
                mean_overrun=_mean(overrun_total, timeboxed),
                overrun_items=over,
                timeboxed_items=timeboxed,
                decisions=decisions,
                actions=actions,
                decisions_per_meeting=_mean(decisions, count),
                actions_per_meeting=_mean(actions, count),
                attendance_rate=_mean(present, invited),
            )
        )
    return tuple(rows)


def report_from_store(store, org: Org, today: date, since: date | None = None, series: str = "") -> Report:
    """The report over everything in `store` (one read of each collection)."""
    return build_report(
        actions=store.iter_actions(),  # streamed: one pass, never all histories in memory at once
        requests=store.requests(),
        pulses=store.pulses(),
        meetings=store.meetings(),
        org=org,
        today=today,
        since=since,
        series=series,
    )
