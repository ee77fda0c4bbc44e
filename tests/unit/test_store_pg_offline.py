"""The server stops mid-meeting and comes back: the meeting runner keeps working and nothing captured is lost."""

from __future__ import annotations

import pytest

from icm_tui.domain.agenda import Agenda, AgendaItem, ItemKind
from icm_tui.domain.models import EventKind, Status
from icm_tui.domain.org import Department, Org, Person
from icm_tui.errors import StoreError
from icm_tui.services import Services
from icm_tui.store import Kind

pytest.importorskip("psycopg")

from icm_tui.store.pg_store import SPOOL_FILE, PgStore  # noqa: E402

ORG = Org(
    present=True,
    departments=(Department(id="it", name="IT"), Department(id="sales", name="Sales")),
    people=(Person(id="zhang-wei", name="Zhang Wei", department="it"), Person(id="li-lei", name="Li Lei", department="sales")),
)
AGENDA = Agenda(
    series="weekly", title="Weekly", attendees=("it", "sales"),
    items=(
        AgendaItem(title="Follow-ups", kind=ItemKind.REVIEW, timebox=10),
        AgendaItem(title="Laptops late", kind=ItemKind.DISCUSSION, timebox=15, requester="sales", supplier="it"),
    ),
)


@pytest.fixture(scope="module")
def cluster(pg_server):
    """A server of this module's own, to stop and start."""
    if not hasattr(pg_server, "clone"):
        pytest.skip("needs the throwaway cluster")
    own = pg_server.clone()
    yield own
    own.destroy()


def start_meeting(url, data_dir):
    """A facilitator's store (offline spool on) with one delivered item and a running meeting, all loaded."""
    store = PgStore(url, spool_dir=data_dir, offline=True, retry_interval=0)
    services = Services(store, ORG, actor="wang-fang")
    services.add_action("VPN for sales", owner="zhang-wei", requester="sales")
    services.done("A-1")
    meeting = services.start_meeting(AGENDA)
    services.set_notes(meeting.ref, 1, "before the cut")
    for kind in Kind:  # what the TUI's screens have loaded
        store.all(kind)
    return store, services, meeting.ref


def capture_offline(services, ref):
    """What a facilitator does while the server is down."""
    captured = services.capture_action(ref, 1, "Keep 5 spare laptops", owner="zhang-wei", due="2026-12-04")
    services.add_decision(ref, 1, "Order monthly")
    services.set_notes(ref, 1, "before the cut; during the cut")
    services.add_time(ref, 1, 90)
    services.confirm("A-1", 4, "works now", meeting=ref)
    services.record_pulse("sales", "it", 4, "better", meeting=ref)
    return captured


def test_the_meeting_goes_on_while_the_server_is_down_and_everything_arrives(cluster, tmp_path):
    url = cluster.new_schema()
    store, services, ref = start_meeting(url, tmp_path / "data")
    store.notices()
    cluster.stop()
    try:
        captured = capture_offline(services, ref)
        assert captured.ref == "A-2"
        told = store.notices()
        assert told and all("on this machine only" in line for line in told)
        assert store.pending() == 8 and (tmp_path / "data" / SPOOL_FILE).exists()
        # The runner reads back what it wrote, from what it holds.
        assert store.meeting(ref).items[1].decisions == ("Order monthly",)
        assert [a.ref for a in store.actions()] == ["A-1", "A-2"]
        before = store.version()
        assert store.version() == before
    finally:
        cluster.start()
    # Meanwhile an owner on another machine takes the next ref and notes A-1.
    with PgStore(url) as other:
        elsewhere = Services(other, ORG, actor="zhang-wei")
        assert elsewhere.add_action("Printer toner", owner="zhang-wei").ref == "A-2"
        elsewhere.note("A-1", "licences renewed too")
    assert store.version() != before, "the poll replays the spool once the server is back"
    told = " / ".join(store.notices())
    assert "sent 8 change(s)" in told and "A-2 saved offline is A-3" in told
    assert store.pending() == 0 and not (tmp_path / "data" / SPOOL_FILE).exists()
    store.close()

    with PgStore(url) as fresh:
        meeting = fresh.meeting(ref)
        item = meeting.items[1]
        assert item.actions == ("A-3",) and item.decisions == ("Order monthly",)
        assert item.notes == "before the cut; during the cut" and item.spent == 90
        assert fresh.action("A-3").title == "Keep 5 spare laptops" and fresh.action("A-3").meeting == ref
        assert fresh.action("A-2").title == "Printer toner"
        first = fresh.action("A-1")
        assert first.status is Status.CLOSED and first.score == 4
        kinds = [e.kind for e in first.history]
        assert kinds == [EventKind.CREATED, EventKind.STATUS, EventKind.NOTE, EventKind.CONFIRMED], "both sides' events kept"
        assert [(p.rater, p.about, p.score) for p in fresh.pulses()] == [("sales", "it", 4)]
        outcomes = [o["message"] for o in fresh.ops() if "offline" in o["message"]]
        assert len(outcomes) == 8


def test_a_restarted_runner_sends_what_a_closed_one_kept_and_reports_conflicts(cluster, tmp_path):
    url = cluster.new_schema()
    store, services, ref = start_meeting(url, tmp_path / "data")
    cluster.stop()
    try:
        capture_offline(services, ref)
        with pytest.raises(StoreError, match="cannot reach PostgreSQL at icm@127.0.0.1"):
            PgStore(url, spool_dir=tmp_path / "data")  # the CLI: no spool, one clear error
        store.close()  # the terminal is closed before the server is back
    finally:
        cluster.start()
    with PgStore(url) as other:
        Services(other, ORG, actor="li-lei").reopen("A-1", "not fixed for everyone")  # conflicts with the offline confirm
    cli = PgStore(url, spool_dir=tmp_path / "data")
    assert "8 change(s) saved while" in " ".join(cli.notices()) and cli.pending() == 8
    cli.close()

    runner = PgStore(url, spool_dir=tmp_path / "data", offline=True)
    told = " / ".join(runner.notices())
    assert "sent 8 change(s)" in told and "A-1: the change made offline was not applied" in told
    assert runner.pending() == 0
    first = runner.action("A-1")
    assert first.status is Status.OPEN and first.history[-1].kind is EventKind.REOPENED, "the server's outcome stands"
    conflict = [o for o in runner.ops(Kind.ACTIONS, "A-1") if o["outcome"] == "conflict"]
    assert len(conflict) == 1 and '"confirmed"' in conflict[0]["attempted"], "the offline change is kept, not lost"
    assert runner.meeting(ref).items[1].actions == ("A-2",), "nobody took A-2 meanwhile: the ref stays"
    assert runner.action("A-2").title == "Keep 5 spare laptops"
    runner.close()
