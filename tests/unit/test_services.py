"""The use cases over both store backends: lifecycle, history, checks against org.yaml."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from icm_tui.domain.agenda import Agenda, AgendaItem, ItemKind
from icm_tui.domain.lifecycle import Verb, allowed_verbs, is_escalated, is_overdue
from icm_tui.domain.models import EventKind, MeetingState, RequestStatus, Status
from icm_tui.domain.org import Department, Org, Person, Service, Thresholds
from icm_tui.domain.query import ActionFilter
from icm_tui.errors import BadInput, LifecycleError, UnknownRef
from icm_tui.services import Services

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=timezone(timedelta(hours=8)))

ORG = Org(
    present=True,
    departments=(Department(id="it", name="IT"), Department(id="sales", name="销售部"), Department(id="hr", name="HR")),
    people=(
        Person(id="zhang-wei", name="Zhang Wei", department="it"),
        Person(id="li-lei", name="李雷", department="sales"),
        Person(id="ann", name="Ann", department="hr"),
    ),
    services=(Service(id="laptops", name="Laptops", provider="it", consumers=("sales",), target_days=3),),
    thresholds=Thresholds(escalate_after_carries=3, escalate_after_overdue_days=14),
)


@pytest.fixture
def services(store) -> Services:
    return Services(store, ORG, clock=lambda: NOW, actor="tester")


def test_add_defaults_supplier_to_owner_department_and_due_to_service_target(services):
    item = services.add_action("Laptops for new hires", owner="zhang-wei", requester="sales", service="laptops")
    assert (item.ref, item.supplier, item.due, item.status) == ("A-1", "it", date(2026, 12, 3), Status.OPEN)
    assert [e.kind for e in item.history] == [EventKind.CREATED]
    assert services.add_action("Second", owner="li-lei", due="+2w").ref == "A-2"
    assert services.action("a-2").due == date(2026, 12, 14)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"owner": "zhang-we"}, "did you mean 'zhang-wei'"),
        ({"owner": "zhang-wei", "requester": "sale"}, "did you mean 'sales'"),
        ({"owner": "zhang-wei", "due": "2024-02-30"}, "not a date"),
        ({"owner": "zhang-wei", "priority": "huge"}, "unknown priority"),
        ({"owner": "zhang-wei", "service": "laptop"}, "did you mean 'laptops'"),
    ],
)
def test_add_rejects_bad_input_and_writes_nothing(services, kwargs, message):
    with pytest.raises(BadInput, match=message):
        services.add_action("Something", **kwargs)
    assert services.store.actions() == []


def test_full_loop_done_confirm_records_history_and_pulse(services):
    services.add_action("VPN for sales", owner="zhang-wei", requester="sales", due="2026-12-02")
    services.start("A-1")
    services.note("A-1", "ordered the licences")
    services.done("A-1")
    closed = services.confirm("A-1", 4, "works now")
    assert closed.status is Status.CLOSED and closed.score == 4 and closed.closed_at == NOW
    kinds = [e.kind for e in closed.history]
    assert kinds == [EventKind.CREATED, EventKind.STATUS, EventKind.NOTE, EventKind.STATUS, EventKind.CONFIRMED]
    pulse = services.all_pulses()[-1]
    assert (pulse.rater, pulse.about, pulse.score, pulse.comment) == ("sales", "it", 4, "works now")


def test_reopen_counts_and_requires_reason(services):
    services.add_action("Payroll fix", owner="ann", requester="it")
    services.done("A-1")
    with pytest.raises(BadInput, match="needs a reason"):
        services.reopen("A-1", "  ")
    item = services.reopen("A-1", "still wrong for two people")
    assert item.status is Status.OPEN and item.reopened == 1 and item.done_at is None
    assert item.history[-1].kind is EventKind.REOPENED and item.history[-1].note == "still wrong for two people"


@pytest.mark.parametrize(
    "setup, verb",
    [
        ([], Verb.CONFIRM),
        ([], Verb.REOPEN),
        ([Verb.DONE], Verb.START),
        ([Verb.DONE], Verb.BLOCK),
        ([Verb.DONE, Verb.CONFIRM], Verb.REOPEN),
        ([Verb.DROP], Verb.START),
        ([Verb.DROP], Verb.DONE),
        ([Verb.START], Verb.START),
    ],
)
def test_forbidden_transitions_change_nothing(services, setup, verb):
    services.add_action("Thing", owner="zhang-wei")
    for step in setup:
        services.transition("A-1", step, note="because", score=5 if step is Verb.CONFIRM else None)
    before = services.action("A-1")
    with pytest.raises(LifecycleError):
        services.transition("A-1", verb, note="because", score=3 if verb is Verb.CONFIRM else None)
    assert services.action("A-1") == before


def test_allowed_verbs_follow_the_diagram():
    assert allowed_verbs(Status.OPEN) == [Verb.START, Verb.DONE, Verb.BLOCK, Verb.DROP]
    assert allowed_verbs(Status.DONE) == [Verb.CONFIRM, Verb.REOPEN]
    assert allowed_verbs(Status.CLOSED) == [] == allowed_verbs(Status.DROPPED)


@pytest.mark.parametrize("score", [0, 6, -1])
def test_confirm_score_outside_range(services, score):
    services.add_action("Thing", owner="zhang-wei")
    services.done("A-1")
    with pytest.raises(BadInput, match="1 to 5"):
        services.confirm("A-1", score)
    assert services.action("A-1").status is Status.DONE


def test_unknown_ref(services):
    with pytest.raises(UnknownRef):
        services.done("A-404")


def test_edit_reassign_moves_supplier_and_records_each_change(services):
    services.add_action("Thing", owner="zhang-wei", due="2026-12-01")
    item = services.edit("A-1", owner="ann", due="2026-12-10", title="Better thing", note="HR takes it")
    assert (item.owner, item.supplier, item.due, item.title) == ("ann", "hr", date(2026, 12, 10), "Better thing")
    kinds = [e.kind for e in item.history[1:]]
    assert kinds == [EventKind.EDITED, EventKind.REASSIGNED, EventKind.EDITED, EventKind.DUE_CHANGED]
    with pytest.raises(BadInput, match="nothing to change"):
        services.edit("A-1", owner="ann")


def test_overdue_and_escalation_from_thresholds(services):
    services.add_action("Late", owner="zhang-wei", due=date(2026, 11, 10))
    services.add_action("Slightly late", owner="zhang-wei", due=date(2026, 11, 29))
    late, slightly = services.actions()
    today = NOW.date()
    assert is_overdue(late, today) and is_overdue(slightly, today)
    assert is_escalated(late, today, ORG.thresholds) and not is_escalated(slightly, today, ORG.thresholds)
    assert [a.ref for a in services.actions(ActionFilter(escalated=True))] == ["A-1"]
    services.done("A-1")
    assert not services.is_overdue(services.action("A-1"))


AGENDA = Agenda(
    series="weekly",
    title="Weekly",
    attendees=("it", "sales"),
    items=(
        AgendaItem(title="Follow-ups", kind=ItemKind.REVIEW, timebox=10),
        AgendaItem(title="Laptops late", kind=ItemKind.DISCUSSION, timebox=15, requester="sales", supplier="it"),
    ),
)


def test_meeting_capture_review_carry_and_end(services):
    old_meeting = services.start_meeting(AGENDA)
    services.capture_action(old_meeting.ref, 1, "Buffer of laptops", owner="zhang-wei", due="fri")
    services.capture_action(old_meeting.ref, 1, "Send hiring plan", owner="li-lei")
    services.end_meeting(old_meeting.ref)

    meeting = services.start_meeting(AGENDA, attendees=["it"], absent=["sales"])
    assert meeting.ref == "M-2" and meeting.absent == ("sales",)
    queue = services.review_queue(meeting.ref)
    assert [a.ref for a in queue] == ["A-1", "A-2"]
    assert queue[0].requester == "sales"  # captured under an item defaults to its requester
    services.review(meeting.ref, "A-1")  # looked at, still open: carried
    services.review(meeting.ref, "A-1")  # a second look in the same meeting does not carry again
    services.review(meeting.ref, "A-2", Verb.DONE)
    assert services.action("A-1").carry == 1 and services.action("A-2").carry == 0
    services.add_decision(meeting.ref, 1, "Keep five spare laptops")
    services.set_notes(meeting.ref, 1, "IT orders monthly")
    services.go_to(meeting.ref, 1, spent_on_current=65)
    ended = services.end_meeting(meeting.ref, spent_on_current=30)
    assert ended.state is MeetingState.ENDED and ended.items[0].spent == 65 and ended.items[1].spent == 30
    assert [(o.ref, o.old, o.new, o.carried) for o in ended.reviewed] == [("A-1", "open", "open", True), ("A-2", "open", "done", False)]
    assert ended.items[1].decisions == ("Keep five spare laptops",)
    with pytest.raises(BadInput, match="has ended"):
        services.add_decision(meeting.ref, 0, "too late")


def test_pulse_and_requests(services):
    meeting = services.start_meeting(AGENDA)
    pulse = services.record_pulse("sales", "it", 4, "faster", meeting=meeting.ref)
    assert services.store.meeting(meeting.ref).pulses == (pulse.ref,)
    with pytest.raises(BadInput, match="itself"):
        services.record_pulse("it", "it", 3)
    request = services.add_request("Two monitors", requester="sales", supplier="it", service="laptops")
    action = services.accept_request(request.ref, owner="zhang-wei")
    assert (action.requester, action.supplier, action.request, action.due) == ("sales", "it", "R-1", date(2026, 12, 3))
    assert services.store.request("R-1").status is RequestStatus.ACCEPTED
    with pytest.raises(LifecycleError):
        services.decline_request("R-1", "no")
    services.add_request("Chairs", requester="hr", supplier="it")
    declined = services.decline_request("R-2", "Facilities handles chairs")
    assert declined.reason == "Facilities handles chairs" and declined.history[-1].kind == "declined"
    services.add_request("More monitors", requester="sales", supplier="it")
    merged = services.merge_request("R-3", "A-1")
    assert merged.status is RequestStatus.MERGED and "R-3" in services.action("A-1").history[-1].note


@pytest.mark.parametrize(
    "wanted",
    [
        ActionFilter(),
        ActionFilter(status=frozenset({Status.OPEN}), supplier="it"),
        ActionFilter(department="sales"),
        ActionFilter(owner="ann", overdue=True),
        ActionFilter(search="licence"),
    ],
)
def test_list_actions_agrees_with_full_reads(services, wanted):
    services.add_action("VPN", owner="zhang-wei", requester="sales", due=date(2026, 11, 1))
    services.add_action("Payroll", owner="ann", requester="it", due=date(2026, 11, 2))
    services.add_action("Onboarding", owner="li-lei", requester="hr")
    services.note("A-1", "licences ordered")
    services.done("A-3")
    listed = services.list_actions(wanted)
    assert [a.ref for a in listed] == [a.ref for a in services.actions(wanted)]
    assert all(not hasattr(a, "history") or a.history is not None for a in listed)


def test_meeting_keeps_the_planned_duration(services):
    planned = services.start_meeting(msgspec_replace(AGENDA, duration=90))
    assert planned.planned_minutes == 90
    assert services.start_meeting(AGENDA).planned_minutes == 25  # no duration: the timeboxes


def msgspec_replace(struct, **changes):
    import msgspec

    return msgspec.structs.replace(struct, **changes)


@pytest.mark.parametrize(
    "title, message",
    [("x" * 301, "keep it under 300"), ("bell\x07here", "control characters"), ("   ", "needs a title")],
)
def test_titles_are_one_plain_line(services, title, message):
    with pytest.raises(BadInput, match=message):
        services.add_action(title, owner="zhang-wei")
    with pytest.raises(BadInput, match=message):
        services.add_request(title, requester="sales", supplier="it")
    assert services.store.actions() == [] and services.store.requests() == []


def test_implausible_due_years_and_self_requests(services):
    with pytest.raises(BadInput, match="plausible"):
        services.add_action("Typo", owner="zhang-wei", due="0202-12-04")
    with pytest.raises(BadInput, match="itself"):
        services.add_request("Loop", requester="it", supplier="it")
