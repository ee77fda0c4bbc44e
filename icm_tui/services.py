"""The use cases: every change to the register goes through here, whichever front end asks.

The CLI, the exporters and the TUI all call these; none of them holds a rule of its own.
Each use case checks its input against org.yaml, applies the lifecycle under the store's
lock (on the freshly re-read record), and appends to the record's history.
"""

from __future__ import annotations

import getpass
import os
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import msgspec

from icm_tui.domain import lifecycle
from icm_tui.domain.agenda import Agenda
from icm_tui.domain.dates import parse_date
from icm_tui.domain.lifecycle import FINISHED, NEEDS_REASON, Verb
from icm_tui.domain.models import (
    ActionItem,
    ActionSummary,
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
    ReviewOutcome,
    new_uid,
)
from icm_tui.domain.names import resolve_department, resolve_person, resolve_service
from icm_tui.domain.org import Org
from icm_tui.domain.query import ActionFilter, by_due, select
from icm_tui.errors import BadInput, LifecycleError
from icm_tui.store.base import Kind, Store

replace = msgspec.structs.replace

MAX_TITLE = 300
"""Characters in a title; details belong in notes."""
MIN_YEAR, MAX_YEAR = 1970, 2999
"""Due dates outside these years are typos (0202-12-04, 20266-01-01)."""


def local_now() -> datetime:
    """Now, with the local UTC offset (every stored time carries its offset)."""
    return datetime.now().astimezone()


def default_actor() -> str:
    """Who is making changes: $ICM_USER, else the login name."""
    try:
        return os.environ.get("ICM_USER") or getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"


@dataclass
class Services:
    """The use cases over one store and one organisation."""

    store: Store
    org: Org = field(default_factory=Org)
    clock: Callable[[], datetime] = local_now
    actor: str = field(default_factory=default_actor)

    # ----------------------------------------------------------------- helpers

    def now(self) -> datetime:
        """The current time, from the injected clock."""
        return self.clock()

    def today(self) -> date:
        """Today's date, from the injected clock."""
        return self.clock().date()

    def due_date(self, value: date | str | None) -> date | None:
        """A due date from a date or a typed form (`fri`, `+3d`); None stays None."""
        if value is None:
            return None
        if not isinstance(value, date):
            if not value.strip():
                return None
            value = parse_date(value, self.today())
        if not MIN_YEAR <= value.year <= MAX_YEAR:
            raise BadInput(f"{value.isoformat()} is not a plausible due date (years {MIN_YEAR}-{MAX_YEAR}); check the year")
        return value

    @staticmethod
    def check_title(text: str, what: str = "an action item") -> str:
        """One line of text, spaces folded, no control characters, at most MAX_TITLE characters."""
        title = " ".join(text.split())
        if not title:
            raise BadInput(f"{what} needs a title")
        if any(unicodedata.category(ch) == "Cc" for ch in title):
            raise BadInput(f"the title of {what} has control characters; type it as plain text")
        if len(title) > MAX_TITLE:
            raise BadInput(f"the title of {what} has {len(title)} characters; keep it under {MAX_TITLE} and put details in a note")
        return title

    # The dialogs resolve names with the same rules (domain/names.py), so a name means the same
    # person everywhere; only a bare prefix is not taken here, as nothing echoes the choice back.

    def check_person(self, person: str, what: str = "owner") -> str:
        """A person id from an id or exact name in org.yaml (any non-empty name when there is no org.yaml)."""
        return resolve_person(self.org, person, what=what, prefixes=False)

    def check_department(self, dept: str, what: str) -> str:
        """A department id from an id or exact name in org.yaml, or empty (any name when there is no org.yaml)."""
        return resolve_department(self.org, dept, required=False, what=f"{what} department", prefixes=False)

    def check_service(self, service: str) -> str:
        """A service id from an id or exact name in org.yaml, or empty."""
        return resolve_service(self.org, service, prefixes=False)

    @staticmethod
    def check_score(score: int) -> int:
        """A satisfaction score, 1 to 5."""
        if not isinstance(score, int) or not 1 <= score <= 5:
            raise BadInput(f"score must be a whole number from 1 to 5, not {score!r}")
        return score

    def _event(self, kind: EventKind, **fields) -> Event:
        return Event(at=self.now(), kind=kind, by=self.actor, **fields)

    # ----------------------------------------------------------------- queries

    def actions(self, wanted: ActionFilter | None = None) -> list[ActionItem]:
        """Action items passing `wanted`, sorted by due date."""
        if wanted is None:
            return sorted(self.store.actions(), key=by_due)
        # Streamed: only the matches are held with their histories, never all 50,000.
        return sorted(select(self.store.iter_actions(), wanted, self.today(), self.org.thresholds, self.org), key=by_due)

    def list_actions(self, wanted: ActionFilter | None = None) -> list[ActionSummary]:
        """Like `actions`, without histories unless the filter searches notes: for lists and exports."""
        if wanted is not None and wanted.search:
            return self.actions(wanted)
        if wanted is None:
            return sorted(self.store.action_summaries(), key=by_due)
        # Candidates are streamed or indexed (Store.action_candidates): only the matches are held.
        candidates = self.store.action_candidates(wanted)
        return sorted(select(candidates, wanted, self.today(), self.org.thresholds, self.org), key=by_due)

    def action(self, ref: str) -> ActionItem:
        """One action item by ref or uid."""
        return self.store.action(ref)

    def is_overdue(self, item: ActionItem) -> bool:
        """Past due and still owed."""
        return lifecycle.is_overdue(item, self.today())

    def is_escalated(self, item: ActionItem) -> bool:
        """Carried or overdue past the org's thresholds."""
        return lifecycle.is_escalated(item, self.today(), self.org.thresholds)

    def all_pulses(self) -> list[Pulse]:
        """Every satisfaction rating: pulses given, and the scores given when confirming items."""
        pulses = list(self.store.pulses())
        for item in self.store.iter_actions():
            for event in item.history:
                if event.kind is EventKind.CONFIRMED and event.score is not None:
                    pulses.append(
                        Pulse(
                            uid=f"{item.uid}:{event.at.isoformat()}",
                            ref=item.ref,
                            at=event.at,
                            rater=item.requester,
                            about=item.supplier,
                            score=event.score,
                            comment=event.note,
                            meeting=event.meeting,
                            action=item.ref,
                        )
                    )
        return sorted(pulses, key=lambda p: p.at)

    # ----------------------------------------------------------------- actions

    def add_action(
        self,
        title: str,
        *,
        owner: str,
        supplier: str | None = None,
        requester: str | None = None,
        due: date | str | None = None,
        priority: Priority | str = Priority.NORMAL,
        service: str = "",
        meeting: str = "",
        series: str = "",
        item: str = "",
        request: str = "",
        note: str = "",
    ) -> ActionItem:
        """Record a new commitment; supplier defaults to the owner's department, due to the service target."""
        title = self.check_title(title)
        owner = self.check_person(owner)
        service = self.check_service(service)
        svc = self.org.service(service) if service else None
        person = self.org.person(owner)
        if not supplier:
            supplier = (svc.provider if svc else "") or (person.department if person else "")
        supplier = self.check_department(supplier, "supplier")
        requester = self.check_department(requester or "", "requester")
        due_date = self.due_date(due)
        if due_date is None and svc is not None and svc.target_days:
            due_date = self.today() + timedelta(days=svc.target_days)
        priority = _priority(priority)
        now = self.now()
        created = Event(at=now, kind=EventKind.CREATED, by=self.actor, meeting=meeting, note=note)

        def build(ref: str) -> ActionItem:
            return ActionItem(
                uid=new_uid(),
                ref=ref,
                title=title,
                owner=owner,
                supplier=supplier,
                requester=requester,
                due=due_date,
                priority=priority,
                service=service,
                created=now,
                updated=now,
                series=series,
                meeting=meeting,
                item=item,
                request=request,
                history=(created,),
            )

        return self.store.insert(Kind.ACTIONS, build)

    def transition(
        self, ref: str, verb: Verb | str, *, note: str = "", score: int | None = None, meeting: str = ""
    ) -> ActionItem:
        """Apply a lifecycle verb (start, done, block, drop, confirm, reopen), checked on fresh data."""
        verb = Verb(verb)
        note = note.strip()
        if verb in NEEDS_REASON and not note:
            raise BadInput(f"{verb.value} needs a reason (--note REASON)")
        if verb is Verb.CONFIRM:
            if score is None:
                raise BadInput("confirm needs a score from 1 to 5 (--score N)")
            self.check_score(score)

        def change(item: ActionItem) -> ActionItem:
            to = lifecycle.target(item.status, verb)
            if to is None:
                raise LifecycleError(f"{item.ref}: {lifecycle.why_forbidden(item.status, verb)}")
            now = self.now()
            kind = {Verb.CONFIRM: EventKind.CONFIRMED, Verb.REOPEN: EventKind.REOPENED}.get(verb, EventKind.STATUS)
            event = Event(
                at=now, kind=kind, by=self.actor, meeting=meeting, old=item.status.value, new=to.value,
                note=note, score=score if verb is Verb.CONFIRM else None,
            )
            fields: dict = {"status": to, "updated": now, "history": (*item.history, event)}
            if verb is Verb.DONE:
                fields["done_at"] = now
            elif verb is Verb.CONFIRM:
                fields["score"] = score
                fields["closed_at"] = now
            elif verb is Verb.DROP:
                fields["closed_at"] = now
            elif verb is Verb.REOPEN:
                fields["reopened"] = item.reopened + 1
                fields["done_at"] = None
            return replace(item, **fields)

        return self.store.update(Kind.ACTIONS, ref, change)

    def start(self, ref: str, note: str = "", meeting: str = "") -> ActionItem:
        """open/blocked -> in_progress."""
        return self.transition(ref, Verb.START, note=note, meeting=meeting)

    def done(self, ref: str, note: str = "", meeting: str = "") -> ActionItem:
        """Delivered: now awaiting the requester's confirmation."""
        return self.transition(ref, Verb.DONE, note=note, meeting=meeting)

    def block(self, ref: str, reason: str, meeting: str = "") -> ActionItem:
        """Blocked, with the reason."""
        return self.transition(ref, Verb.BLOCK, note=reason, meeting=meeting)

    def drop(self, ref: str, reason: str, meeting: str = "") -> ActionItem:
        """Dropped, with the reason: a decision, not a silent delete."""
        return self.transition(ref, Verb.DROP, note=reason, meeting=meeting)

    def confirm(self, ref: str, score: int, note: str = "", meeting: str = "") -> ActionItem:
        """The requester confirms delivery and rates it 1-5: the loop is closed."""
        return self.transition(ref, Verb.CONFIRM, note=note, score=score, meeting=meeting)

    def reopen(self, ref: str, reason: str, meeting: str = "") -> ActionItem:
        """The requester is not served after all: back to open, reopen count +1."""
        return self.transition(ref, Verb.REOPEN, note=reason, meeting=meeting)

    def note(self, ref: str, text: str, meeting: str = "") -> ActionItem:
        """Append a note to an item's history."""
        text = text.strip()
        if not text:
            raise BadInput("a note needs some text")

        def change(item: ActionItem) -> ActionItem:
            event = self._event(EventKind.NOTE, meeting=meeting, note=text)
            return replace(item, updated=event.at, history=(*item.history, event))

        return self.store.update(Kind.ACTIONS, ref, change)

    def edit(
        self,
        ref: str,
        *,
        title: str | None = None,
        owner: str | None = None,
        due: date | str | None = None,
        priority: Priority | str | None = None,
        supplier: str | None = None,
        requester: str | None = None,
        note: str = "",
        meeting: str = "",
    ) -> ActionItem:
        """Change title, owner (reassign), due date, priority or departments, each change in the history."""
        new_title = self.check_title(title) if title is not None else None
        new_owner = self.check_person(owner) if owner is not None else None
        new_due = self.due_date(due) if due is not None else None
        new_priority = _priority(priority) if priority is not None else None
        new_supplier = self.check_department(supplier, "supplier") if supplier is not None else None
        new_requester = self.check_department(requester, "requester") if requester is not None else None

        def change(item: ActionItem) -> ActionItem:
            if item.status in lifecycle.ARCHIVED:
                raise LifecycleError(f"{item.ref}: cannot edit an item that is {item.status.value}; reopen is not possible, add a new item")
            now = self.now()
            events: list[Event] = []
            fields: dict = {}

            def record(kind: EventKind, name: str, old: object, new: object) -> None:
                if new is None or new == old:
                    return
                fields[name] = new
                events.append(Event(at=now, kind=kind, by=self.actor, meeting=meeting, old=_text(old), new=_text(new), note=note if not events else ""))

            record(EventKind.EDITED, "title", item.title, new_title)
            if new_owner is not None and new_owner != item.owner:
                record(EventKind.REASSIGNED, "owner", item.owner, new_owner)
                person = self.org.person(new_owner)
                if supplier is None and person and person.department and person.department != item.supplier:
                    record(EventKind.EDITED, "supplier", item.supplier, person.department)
            record(EventKind.DUE_CHANGED, "due", item.due, new_due)
            record(EventKind.EDITED, "priority", item.priority, new_priority)
            record(EventKind.EDITED, "supplier", fields.get("supplier", item.supplier), new_supplier)
            record(EventKind.EDITED, "requester", item.requester, new_requester)
            if not events:
                raise BadInput(f"{item.ref}: nothing to change")
            return replace(item, updated=now, history=(*item.history, *events), **fields)

        return self.store.update(Kind.ACTIONS, ref, change)

    def push_due(self, ref: str, due: date | str, note: str = "", meeting: str = "") -> ActionItem:
        """Move the due date (`+1w`, `fri`, an ISO date)."""
        return self.edit(ref, due=due, note=note, meeting=meeting)

    # ----------------------------------------------------------------- meetings

    def start_meeting(
        self, agenda: Agenda, attendees: Iterable[str] | None = None, absent: Iterable[str] = (), agenda_path: str = ""
    ) -> Meeting:
        """Begin a run of `agenda` (attendees default to the agenda's)."""
        now = self.now()
        present = tuple(attendees) if attendees is not None else tuple(agenda.attendees)
        items = tuple(
            MeetingItem(
                title=item.title, kind=item.kind.value, timebox=item.timebox, requester=item.requester,
                supplier=item.supplier, presenter=item.presenter, prompt=item.prompt,
            )
            for item in agenda.items
        )

        def build(ref: str) -> Meeting:
            return Meeting(
                uid=new_uid(), ref=ref, series=agenda.series, title=agenda.title,
                agenda=agenda_path or agenda.path, facilitator=agenda.facilitator, started=now,
                attendees=present, absent=tuple(absent), items=items, duration=agenda.duration,
            )

        return self.store.insert(Kind.MEETINGS, build)

    def running_meetings(self) -> list[Meeting]:
        """Meetings started and not ended (to offer resuming them)."""
        return [m for m in self.store.meetings() if m.state is MeetingState.RUNNING]

    def change_meeting(self, ref: str, change: Callable[[Meeting], Meeting]) -> Meeting:
        """Apply `change` to a running meeting under the store's lock."""

        def guarded(meeting: Meeting) -> Meeting:
            if meeting.state is not MeetingState.RUNNING:
                raise BadInput(f"{meeting.ref} has ended; it can no longer be changed")
            return change(meeting)

        return self.store.update(Kind.MEETINGS, ref, guarded)

    def change_item(self, ref: str, index: int, change: Callable[[MeetingItem], MeetingItem]) -> Meeting:
        """Apply `change` to item `index` of a running meeting."""

        def apply(meeting: Meeting) -> Meeting:
            if not 0 <= index < len(meeting.items):
                raise BadInput(f"{meeting.ref} has no item {index + 1}")
            items = list(meeting.items)
            items[index] = change(items[index])
            return replace(meeting, items=tuple(items))

        return self.change_meeting(ref, apply)

    def set_notes(self, ref: str, index: int, notes: str) -> Meeting:
        """Replace the notes of item `index`."""
        return self.change_item(ref, index, lambda item: replace(item, notes=notes))

    def add_decision(self, ref: str, index: int, text: str) -> Meeting:
        """Record a decision under item `index`."""
        text = " ".join(text.split())
        if not text:
            raise BadInput("a decision needs some text")
        return self.change_item(ref, index, lambda item: replace(item, decisions=(*item.decisions, text)))

    def add_time(self, ref: str, index: int, seconds: float) -> Meeting:
        """Add time spent on item `index` (the runner flushes its clock with this)."""
        return self.change_item(ref, index, lambda item: replace(item, spent=round(item.spent + max(seconds, 0.0), 1)))

    def go_to(self, ref: str, index: int, spent_on_current: float = 0.0) -> Meeting:
        """Move the meeting to item `index`, booking the time spent on the current one."""

        def apply(meeting: Meeting) -> Meeting:
            if not 0 <= index < len(meeting.items):
                raise BadInput(f"{meeting.ref} has no item {index + 1}")
            items = list(meeting.items)
            if spent_on_current > 0 and 0 <= meeting.current < len(items):
                cur = items[meeting.current]
                items[meeting.current] = replace(cur, spent=round(cur.spent + spent_on_current, 1))
            return replace(meeting, items=tuple(items), current=index)

        return self.change_meeting(ref, apply)

    def capture_action(self, ref: str, index: int, title: str, **fields) -> ActionItem:
        """Add an action item captured under item `index` of a running meeting."""
        meeting = self.store.meeting(ref)
        if not 0 <= index < len(meeting.items):
            raise BadInput(f"{meeting.ref} has no item {index + 1}")
        agenda_item = meeting.items[index]
        fields.setdefault("requester", agenda_item.requester or None)
        action = self.add_action(
            title, meeting=meeting.ref, series=meeting.series, item=agenda_item.title, **fields
        )
        self.change_item(ref, index, lambda item: replace(item, actions=(*item.actions, action.ref)))
        return action

    def review_queue(self, meeting_ref: str) -> list[ActionSummary]:
        """What a review item walks: open items of this series and any escalated ones, oldest first.

        Without histories (read one item at a time with `action`): at 50,000 items the escalated
        ones alone can be 20,000, and their histories would add ~30 MB to one pass over the shards.
        """
        meeting = self.store.meeting(meeting_ref)
        today = self.today()
        items = [
            item
            for item in self.store.iter_action_summaries()  # one pass: only the queue is held
            if item.status not in lifecycle.ARCHIVED
            and item.meeting != meeting.ref
            and (item.series == meeting.series or lifecycle.is_escalated(item, today, self.org.thresholds))
        ]
        return sorted(items, key=lambda item: (item.created, item.ref))

    def review(
        self,
        meeting_ref: str,
        action_ref: str,
        verb: Verb | str | None = None,
        *,
        note: str = "",
        score: int | None = None,
        due: date | str | None = None,
    ) -> ActionItem:
        """Review an item in a meeting: optionally act on it, count the carry, record the outcome.

        An item still not done after its review is carried (once per meeting).
        """
        before = self.store.action(action_ref)
        if verb is not None:
            self.transition(action_ref, verb, note=note, score=score, meeting=meeting_ref)
        elif due is not None:
            self.push_due(action_ref, due, note=note, meeting=meeting_ref)
        elif note:
            self.note(action_ref, note, meeting=meeting_ref)

        def mark(item: ActionItem) -> ActionItem:
            already = any(e.kind is EventKind.REVIEWED and e.meeting == meeting_ref for e in item.history)
            carried = item.status not in FINISHED and not already
            event = self._event(EventKind.REVIEWED, meeting=meeting_ref, new=item.status.value, note="carried" if carried else "")
            return replace(
                item, updated=event.at, carry=item.carry + (1 if carried else 0), history=(*item.history, event)
            )

        after = self.store.update(Kind.ACTIONS, action_ref, mark)
        carried = after.carry > before.carry
        outcome = ReviewOutcome(
            ref=after.ref, old=before.status.value, new=after.status.value, score=score if verb == Verb.CONFIRM else None,
            note=note, carried=carried,
        )

        def record(meeting: Meeting) -> Meeting:
            kept = tuple(o for o in meeting.reviewed if o.ref != after.ref)
            previous = next((o for o in meeting.reviewed if o.ref == after.ref), None)
            merged = outcome if previous is None else replace(outcome, old=previous.old, carried=previous.carried or carried)
            return replace(meeting, reviewed=(*kept, merged))

        self.change_meeting(meeting_ref, record)
        return after

    def end_meeting(self, ref: str, spent_on_current: float = 0.0) -> Meeting:
        """End a running meeting, booking the time of the current item."""

        def apply(meeting: Meeting) -> Meeting:
            items = list(meeting.items)
            if spent_on_current > 0 and 0 <= meeting.current < len(items):
                cur = items[meeting.current]
                items[meeting.current] = replace(cur, spent=round(cur.spent + spent_on_current, 1))
            return replace(meeting, items=tuple(items), ended=self.now(), state=MeetingState.ENDED)

        return self.change_meeting(ref, apply)

    # ----------------------------------------------------------------- pulses

    def record_pulse(self, rater: str, about: str, score: int, comment: str = "", meeting: str = "") -> Pulse:
        """One department rates how another served it (1-5)."""
        rater = self.check_department(rater, "rating")
        about = self.check_department(about, "rated")
        if not rater or not about:
            raise BadInput("a pulse needs the rating department and the rated department")
        if rater == about:
            raise BadInput("a department cannot rate itself")
        self.check_score(score)
        at = self.now()
        pulse = self.store.insert(
            Kind.PULSES,
            lambda ref: Pulse(uid=new_uid(), ref=ref, at=at, rater=rater, about=about, score=score, comment=comment.strip(), meeting=meeting),
        )
        if meeting:
            self.change_meeting(meeting, lambda m: replace(m, pulses=(*m.pulses, pulse.ref)))
        return pulse

    # ----------------------------------------------------------------- requests

    def add_request(self, title: str, *, requester: str, supplier: str, service: str = "", details: str = "") -> Request:
        """A department asks another for something between meetings."""
        title = self.check_title(title, "a request")
        requester = self.check_department(requester, "requesting")
        supplier = self.check_department(supplier, "supplier")
        if not requester or not supplier:
            raise BadInput("a request needs --from and --to departments")
        if requester == supplier:
            raise BadInput(f"{requester} cannot raise a request to itself; --to names the department asked to serve")
        service = self.check_service(service)
        now = self.now()
        event = RequestEvent(at=now, kind="created", by=self.actor)
        return self.store.insert(
            Kind.REQUESTS,
            lambda ref: Request(
                uid=new_uid(), ref=ref, title=title, requester=requester, supplier=supplier, service=service,
                details=details.strip(), created=now, updated=now, history=(event,),
            ),
        )

    def requests(self, status: RequestStatus | None = None) -> list[Request]:
        """Requests, newest last; only those in `status` when given."""
        return [r for r in self.store.requests() if status is None or r.status is status]

    def _settle_request(self, ref: str, status: RequestStatus, *, note: str = "", action: str = "", meeting: str = "") -> Request:
        def change(request: Request) -> Request:
            if request.status is not RequestStatus.NEW:
                raise LifecycleError(f"{request.ref} is already {request.status.value}")
            now = self.now()
            event = RequestEvent(at=now, kind=status.value, by=self.actor, meeting=meeting, note=note, action=action)
            return replace(
                request, status=status, action=action, reason=note, updated=now, history=(*request.history, event)
            )

        return self.store.update(Kind.REQUESTS, ref, change)

    def accept_request(
        self, ref: str, *, owner: str, due: date | str | None = None, priority: Priority | str = Priority.NORMAL,
        title: str | None = None, meeting: str = "", series: str = "",
    ) -> ActionItem:
        """Turn a new request into an action item; the request records which one."""
        request = self.store.request(ref)
        if request.status is not RequestStatus.NEW:
            raise LifecycleError(f"{request.ref} is already {request.status.value}")
        # Idempotent after a crash between the two writes: reuse the action already made.
        existing = next((a for a in self.store.iter_action_summaries() if a.request == request.ref), None)
        action = existing or self.add_action(
            title or request.title, owner=owner, supplier=request.supplier, requester=request.requester,
            due=due, priority=priority, service=request.service, request=request.ref, meeting=meeting,
            series=series, note=request.details,
        )
        self._settle_request(ref, RequestStatus.ACCEPTED, action=action.ref, meeting=meeting)
        return action

    def decline_request(self, ref: str, reason: str, meeting: str = "") -> Request:
        """Decline a request, with the reason the requester will read."""
        if not reason.strip():
            raise BadInput("declining needs a reason")
        return self._settle_request(ref, RequestStatus.DECLINED, note=reason.strip(), meeting=meeting)

    def merge_request(self, ref: str, into: str, meeting: str = "") -> Request:
        """Fold a request into an existing action item (noted on both)."""
        request = self.store.request(ref)
        action = self.store.action(into)
        if action.status in lifecycle.ARCHIVED:
            raise LifecycleError(f"{action.ref} is {action.status.value}; merge into an item still in progress")
        settled = self._settle_request(ref, RequestStatus.MERGED, action=action.ref, note=f"merged into {action.ref}", meeting=meeting)
        self.note(action.ref, f"{request.ref} from {request.requester} merged in: {request.title}", meeting=meeting)
        return settled


def _priority(value: Priority | str) -> Priority:
    try:
        return Priority(str(value).strip().lower())
    except ValueError:
        choices = [p.value for p in Priority]
        raise BadInput(f"unknown priority {value!r} (use {', '.join(choices)})") from None


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(getattr(value, "value", value))
