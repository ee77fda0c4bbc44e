"""Property: for any meeting, export -> import into an empty store -> export gives the same bytes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import exportsamples as samples
from icm_tui.domain.models import (
    ActionItem,
    Event,
    EventKind,
    Meeting,
    MeetingItem,
    MeetingState,
    Priority,
    Pulse,
    ReviewOutcome,
    Status,
)
from icm_tui.export.minutes_import import apply_minutes, parse_minutes
from icm_tui.export.minutes_yaml import action_entry, minutes_document, gather, minutes_yaml, pulse_entry
from icm_tui.store import Kind, MemoryStore
from storetools import make_backend

ORG = samples.org()
DEPARTMENTS = [d.id for d in ORG.departments]
PEOPLE = [p.id for p in ORG.people]
SERVICES = [s.id for s in ORG.services]
OFFSETS = [timezone(timedelta(minutes=m)) for m in (0, 60, 330, 345, 480, 840, -210, -600, -720)]

# Any Unicode text but lone surrogates (which cannot be written as UTF-8 at all): Chinese, emoji,
# control characters, NEL and line/paragraph separators, BOMs, tabs, CR.
anything = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
# min_size=1 and a pre-filtered list: the same values, without drawing (and discarding) empty ones.
nonblank = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40).filter(lambda t: t.strip())
TRICKY = [
    "no", "yes", "on", "~", "null", "10:30", "1:30:00", "2024-01-01", "0x1F", "1e3", "-", "- a", ": b", "#c",
     "'q'", '"d"', "a: b", "[x]", "{y}", "&a", "*b", "!t", "|", ">", "%", "@", "`", " lead", "trail ", "\ttab",
     "line\nbreak", "\n", "\r\n", "a\x85b", "a\u2028b", "\ufeffbom", "销售部", "🎉🎉", "ا", "x" * 500,
]
tricky = st.sampled_from(TRICKY)
text = st.one_of(anything, tricky)
title = st.one_of(nonblank, st.sampled_from([t for t in TRICKY if t.strip()]))
notes = st.one_of(
    st.just(""),
    anything,
    st.lists(st.one_of(anything, tricky), max_size=12).map("\n".join),
    st.text(st.characters(exclude_categories=("Cs",)), min_size=2000, max_size=6000),
)
moments = st.builds(
    lambda naive, tz: naive.replace(tzinfo=tz),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1)),
    st.sampled_from(OFFSETS),
)


@st.composite
def meetings(draw):
    """A meeting with its captured actions, review outcomes and pulses, as records."""
    started = draw(moments)
    ended = draw(st.one_of(st.none(), st.timedeltas(timedelta(0), timedelta(hours=30)).map(lambda d: started + d)))
    n_items = draw(st.integers(0, 30))
    n_actions = draw(st.integers(0, 25))
    action_refs = [f"A-{n}" for n in range(1, n_actions + 1)]
    placement = [draw(st.integers(-1, n_items - 1)) if n_items else -1 for _ in action_refs]
    items = []
    for index in range(n_items):
        items.append(
            MeetingItem(
                title=draw(title),
                kind=draw(st.sampled_from(["review", "triage", "discussion", "decision", "info", "pulse"])),
                timebox=draw(st.integers(0, 24 * 60)),
                spent=round(draw(st.floats(0, 6_000_000, allow_nan=False)), 1),
                notes=draw(notes),
                decisions=tuple(draw(st.lists(title, max_size=4))),
                actions=tuple(r for r, at in zip(action_refs, placement) if at == index),
                requester=draw(st.sampled_from(["", *DEPARTMENTS])),
                supplier=draw(st.sampled_from(["", *DEPARTMENTS])),
                presenter=draw(st.one_of(st.just(""), text)),
            )
        )
    ref = f"M-{draw(st.integers(1, 10**6))}"
    actions = []
    for number, a_ref in enumerate(action_refs):
        status = draw(st.sampled_from(list(Status)))
        actions.append(
            ActionItem(
                uid=f"01HYPOTHESISACTION{number:08d}",
                ref=a_ref,
                title=draw(title),
                owner=draw(st.sampled_from(PEOPLE)),
                supplier=draw(st.sampled_from(["", *DEPARTMENTS])),
                requester=draw(st.sampled_from(["", *DEPARTMENTS])),
                due=draw(st.one_of(st.none(), st.dates())),
                priority=draw(st.sampled_from(list(Priority))),
                service=draw(st.sampled_from(["", *SERVICES])),
                status=status,
                score=draw(st.integers(1, 5)) if status is Status.CLOSED else None,
                created=started,
                updated=started,
                meeting=ref,
                history=(Event(at=started, kind=EventKind.CREATED, note=draw(text)),),
            )
        )
    reviewed = tuple(
        ReviewOutcome(
            ref=f"A-{1000 + n}",
            old=draw(st.sampled_from(list(Status))).value,
            new=draw(st.sampled_from(list(Status))).value,
            score=draw(st.one_of(st.none(), st.integers(1, 5))),
            note=draw(text),
            carried=draw(st.booleans()),
        )
        for n in range(draw(st.integers(0, 6)))
    )
    pulses = []
    for n in range(draw(st.integers(0, 6))):
        rater, about = draw(st.lists(st.sampled_from(DEPARTMENTS), min_size=2, max_size=2, unique=True))
        pulses.append(
            Pulse(uid=f"01HYPOTHESISPULSE{n:09d}", ref=f"P-{n + 1}", at=ended or started, rater=rater, about=about,
                  score=draw(st.integers(1, 5)), comment=draw(text), meeting=ref)
        )
    meeting = Meeting(
        uid="01HYPOTHESISMEETING0000000",
        ref=ref,
        series=draw(title),
        title=draw(title),
        facilitator=draw(st.one_of(st.just(""), text, st.sampled_from(PEOPLE))),
        started=started,
        ended=ended,
        state=MeetingState.ENDED if ended else MeetingState.RUNNING,
        attendees=tuple(draw(st.lists(st.sampled_from(DEPARTMENTS + PEOPLE), unique=True, max_size=8))),
        absent=tuple(draw(st.lists(st.sampled_from(DEPARTMENTS), unique=True, max_size=3))),
        items=tuple(items),
        reviewed=reviewed,
        pulses=tuple(p.ref for p in pulses),
    )
    return meeting, actions, pulses


def round_trip(generated, original_store, empty_store) -> None:
    """Put the meeting in one store, export, import into the other, export again: the same bytes."""
    meeting, actions, pulses = generated
    original = samples.services(original_store)
    original.store.put_many(Kind.ACTIONS, actions)
    original.store.put_many(Kind.PULSES, pulses)
    original.store.put_many(Kind.MEETINGS, [meeting])
    minutes = gather(original, meeting.ref)
    first = minutes_yaml(minutes)

    # Any YAML reader sees the same data; only then does our strict import rebuild it.
    assert yaml.safe_load(first)["meeting"]["title"] == meeting.title
    empty = samples.services(empty_store)
    parsed = parse_minutes(first, "minutes.yaml", empty.org, actor="importer")
    apply_minutes(empty, parsed)
    again = minutes_yaml(gather(empty, meeting.ref))
    assert again == first
    assert [action_entry(a) for a in parsed.actions] == [action_entry(a) for a in minutes.actions]
    assert [pulse_entry(p) for p in parsed.pulses] == [pulse_entry(p) for p in minutes.pulses]
    assert minutes_document(gather(empty, meeting.ref)) == minutes_document(minutes)

    version = empty.store.version()
    assert not apply_minutes(empty, parse_minutes(again, "minutes.yaml", empty.org)).changed
    assert empty.store.version() == version


SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@settings(max_examples=60, **SETTINGS)
@given(meetings())
def test_any_meeting_round_trips_byte_for_byte(generated):
    round_trip(generated, MemoryStore(), MemoryStore())


@settings(max_examples=8, phases=(Phase.explicit, Phase.reuse, Phase.generate), **SETTINGS)
@given(meetings())
def test_any_meeting_round_trips_through_postgresql(pg_server, generated):
    # Few examples and no shrinking: each costs two fresh schemas and ~100 statements (about 0.3 s), shrinking a
    # failure took minutes. The breadth of text and shape is the memory test's job.
    from icm_tui.store.pg_store import PgStore

    meeting, actions, pulses = generated
    with PgStore(pg_server.new_schema()) as original, PgStore(pg_server.new_schema()) as empty:
        round_trip(generated, original, empty)


def test_a_nul_in_an_action_round_trips(backend, request, tmp_path):
    # Minutes can hold one (a "\\0" in double quotes), so can a TinyDB register copied to PostgreSQL, whose
    # JSON functions refuse \\u0000 anywhere in a document (hence schema 2's plain filter columns).
    meeting = Meeting(uid="01NULMEETING00000000000000", ref="M-1", series="s", title="t",
                      started=datetime(2026, 11, 30, 10, tzinfo=timezone.utc), items=(MeetingItem(title="i", actions=("A-1",)),))
    item = ActionItem(uid="01NULACTION000000000000000", ref="A-1", title="a\x00b", owner=PEOPLE[0],
                      created=meeting.started, updated=meeting.started, meeting="M-1",
                      history=(Event(at=meeting.started, kind=EventKind.CREATED, note="n\x00"),))
    with backend.open(tmp_path / "a") as original, make_backend(backend.name, request).open(tmp_path / "b") as empty:
        round_trip((meeting, [item], []), original, empty)
