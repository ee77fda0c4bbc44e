"""`icm import minutes`: read Minutes YAML v1 back into the store, strictly, and idempotently.

The file is read with the agenda loader's strict reader (`icm_tui.domain.yamlsafe`: one document,
no anchors, aliases or tags, no duplicate keys, bounded nesting) and checked against org.yaml;
every problem is reported at once as `PATH:LINE:COL: message`, and nothing is written unless
the whole file is good.

What an import creates. The minutes hold a meeting, the action items captured in it as they stood
at export, the review outcomes and the pulses, each with its uid and ref; the import stores them
under the same uids and refs (`Store.put_many`, so later refs never reuse them). The minutes do
not carry an item's history, so an imported action item gets a minimal one: a single `created`
event at the meeting's start, by whoever imports, noting that it came from the minutes. It is
created and updated at the meeting's start, its carry and reopen counts start at 0, and `done_at`
/ `closed_at` stay unknown. Everything the minutes show is rebuilt exactly, which is what makes
export -> import -> export give the same file.

Importing twice changes nothing: a record whose uid is already stored is left as it is (the store
may know more than the minutes, such as a full history); a differing one is reported, not
overwritten. A ref already used by a different record is an error, not a silent renumbering.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from icm_tui.domain.agenda import ItemKind
from icm_tui.domain.loader import LoadError, did_you_mean, display_path
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
from icm_tui.domain.org import Org
from icm_tui.domain.yamlsafe import Mapping, Node, Problem, Scalar, Sequence, decode, parse_yaml, plain_surprise
from icm_tui.export.minutes_yaml import (
    VERSION,
    action_entry,
    item_entry,
    meeting_entry,
    pulse_entry,
    review_entry,
)
from icm_tui.store.base import Kind

if TYPE_CHECKING:
    from icm_tui.services import Services

MAX_BYTES = 4 * 1024 * 1024
"""Minutes larger than this are refused unread (a year of weekly minutes is far smaller)."""

MAX_SPENT_MINUTES = 100_000.0
MAX_TIMEBOX = 24 * 60

TOP_KEYS = ("version", "meeting", "items", "actions", "reviewed", "pulse")
MEETING_KEYS = ("ref", "uid", "series", "title", "facilitator", "started", "ended", "attendees", "absent")
ITEM_KEYS = ("title", "kind", "timebox", "spent", "notes", "decisions", "actions", "requester", "supplier", "presenter")
ACTION_KEYS = ("ref", "uid", "title", "owner", "supplier", "requester", "due", "priority", "status", "service", "score")
REVIEW_KEYS = ("ref", "from", "to", "score", "note", "carried")
PULSE_KEYS = ("ref", "uid", "from", "about", "score", "comment")

STATUSES = tuple(s.value for s in Status)
PRIORITIES = tuple(p.value for p in Priority)
KINDS = tuple(k.value for k in ItemKind)

_UID = re.compile(r"[0-9A-Za-z][0-9A-Za-z._:-]{5,63}\Z")
_INTEGER = re.compile(r"[-+]?[0-9]+\Z")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?\Z")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_NULLS = ("", "~", "null", "Null", "NULL")

IMPORT_NOTE = "imported from the minutes of {ref}; earlier history stays in the workspace they came from"


@dataclass(frozen=True)
class ParsedMinutes:
    """The records a minutes file describes, with where each ref was written (for later errors)."""

    display: str
    meeting: Meeting
    actions: tuple[ActionItem, ...]
    pulses: tuple[Pulse, ...]
    where: dict[str, Node]
    """Ref -> the node of its `ref:` value."""


@dataclass
class ImportSummary:
    """What an import did: refs created, refs already stored (and which of those differ)."""

    meeting: str
    created: dict[Kind, list[str]] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)
    differing: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when the import wrote anything."""
        return any(self.created.values())

    def lines(self) -> list[str]:
        """The summary for people, one line each."""
        counts = [
            _count(len(self.created.get(kind, ())), noun)
            for kind, noun in ((Kind.MEETINGS, "meeting"), (Kind.ACTIONS, "action item"), (Kind.PULSES, "pulse"))
        ]
        if self.changed:
            lines = [f"{self.meeting}: imported {', '.join(counts)}"]
            if self.kept:
                lines[0] += f"; {len(self.kept)} already in the store"
        else:
            lines = [f"{self.meeting}: already imported, nothing changed"]
        lines += [f"{ref}: the store's version differs from the minutes; kept the store's" for ref in self.differing]
        return lines

    def __str__(self) -> str:
        return "\n".join(self.lines())


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


# --- reading ------------------------------------------------------------------------------------


def read_minutes_text(path: str | os.PathLike[str], display: str) -> str:
    """The text of a minutes file; LoadError when it cannot be read as UTF-8 YAML text."""

    def whole(message: str) -> LoadError:
        return LoadError([Problem(display, 0, 0, message)])

    try:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            raise whole("is a folder; give a minutes .yaml file")
        if not stat.S_ISREG(st.st_mode):
            raise whole("is not a regular file; give a minutes .yaml file")
        if st.st_size > MAX_BYTES:
            raise whole(f"is {st.st_size:,} bytes, over the {MAX_BYTES // (1024 * 1024)} MiB limit for minutes")
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise whole("no such file; check the path") from None
    except PermissionError:
        raise whole("permission denied; check the file's permissions") from None
    except IsADirectoryError:
        raise whole("is a folder; give a minutes .yaml file") from None
    except OSError as error:
        raise whole(f"cannot read it ({error.strerror or error})") from None
    if len(data) > MAX_BYTES:
        raise whole(f"is over the {MAX_BYTES // (1024 * 1024)} MiB limit for minutes")
    text, problems = decode(data, display)
    if text is None:
        raise LoadError(problems)
    return text


def _reword(problem: Problem) -> Problem:
    """The shared reader speaks of agendas; say minutes."""
    message = problem.message
    if message.startswith("the file is empty"):
        message = "the file is empty; it should hold minutes written by `icm export minutes`"
    elif message.startswith("a second YAML document"):
        message = "a second YAML document; a minutes file holds one meeting: remove this '---' and what follows"
    else:
        message = message.replace("an agenda needs only a few levels", "minutes need only a few levels")
    return Problem(problem.path, problem.line, problem.col, message)


def parse_minutes(text: str, display: str, org: Org, actor: str = "") -> ParsedMinutes:
    """The records described by minutes text; LoadError with every problem found otherwise."""
    root, problems = parse_yaml(text, display)
    problems = [_reword(p) for p in problems]
    chk = _Check(display, problems, org)
    parsed = _minutes(chk, root, actor) if root is not None else None
    if chk.problems or parsed is None:
        raise LoadError(sorted(chk.problems or [Problem(display, 1, 1, "not valid minutes")], key=_position))
    return parsed


def load_minutes(path: str | os.PathLike[str], org: Org, actor: str = "", display: str | None = None) -> ParsedMinutes:
    """The records described by a minutes file; LoadError with every problem found otherwise."""
    display = display if display is not None else display_path(Path(path))
    return parse_minutes(read_minutes_text(path, display), display, org, actor)


def _position(problem: Problem) -> tuple[int, int]:
    return (problem.line, problem.col)


# --- checking -----------------------------------------------------------------------------------


def _describe(node: Node) -> str:
    if isinstance(node, Scalar):
        text = node.text if len(node.text) <= 40 else node.text[:37] + "..."
        return f"'{text}'"
    return f"a {node.kind}"


class _Check:
    """Checks nodes against the minutes schema, collecting every problem; on a problem it returns a stand-in."""

    def __init__(self, display: str, problems: list[Problem], org: Org) -> None:
        self.display = display
        self.problems = problems
        self.org = org
        self.departments = {d.id for d in org.departments}
        self.people = {p.id for p in org.people}
        self.services = {s.id for s in org.services}

    def at(self, node: Node, message: str) -> None:
        self.problems.append(Problem(self.display, node.line, node.col, message))

    def _bad(self, node: Node) -> bool:
        return isinstance(node, Scalar) and node.bad

    def mapping(self, node: Node, what: str) -> Mapping | None:
        if isinstance(node, Mapping):
            return node
        if not self._bad(node):
            self.at(node, f"{what} must be a mapping of keys, got {_describe(node)}")
        return None

    def fields(self, node: Mapping, allowed: tuple[str, ...], required: tuple[str, ...], what: str) -> dict[str, Node]:
        found: dict[str, Node] = {}
        for key, (key_node, value) in node.pairs.items():
            if key in allowed:
                found[key] = value
            else:
                hint = did_you_mean(key, allowed) or f"; allowed keys: {', '.join(allowed)}"
                self.at(key_node, f"unknown key '{key}' in {what}{hint}")
        for key in required:
            if key not in node.pairs:
                self.at(node, f"{what} has no '{key}'; add a '{key}:' line")
        return found

    def sequence(self, node: Node | None, field: str) -> list[Node]:
        if node is None or self.is_null(node):
            return []
        if isinstance(node, Sequence):
            return node.items
        if not self._bad(node):
            self.at(node, f"{field} must be a list, got {_describe(node)}")
        return []

    @staticmethod
    def is_null(node: Node | None) -> bool:
        return node is None or (isinstance(node, Scalar) and node.plain and not node.bad and node.text in _NULLS)

    def text(self, node: Node | None, field: str, *, required: bool = False) -> str:
        if node is None:
            return ""
        if not isinstance(node, Scalar):
            self.at(node, f"{field} must be text, got {_describe(node)}")
            return ""
        if node.bad:
            return ""
        if node.plain:
            surprise = plain_surprise(node.text)
            if surprise == "empty (null)":
                if required:
                    self.at(node, f"{field} is empty; give it a value")
                return ""
            if surprise is not None:
                self.at(node, f"unquoted {node.text} is read by YAML as {surprise}; put it in quotes: '{node.text}'")
                return ""
        if required and not node.text.strip():
            self.at(node, f"{field} is empty; give it a value")
        return node.text

    def texts(self, node: Node | None, field: str) -> list[str]:
        return [self.text(item, f"an entry of {field}", required=True) for item in self.sequence(node, field)]

    def ref(self, node: Node | None, prefix: str, field: str = "ref") -> str:
        text = self.text(node, field, required=True)
        if text and not re.fullmatch(rf"{prefix}-[1-9][0-9]{{0,8}}", text):
            self.at(node, f"{field} '{text}' is not a ref like {prefix}-12")  # type: ignore[arg-type]
            return ""
        return text

    def uid(self, node: Node | None) -> str:
        text = self.text(node, "uid", required=True)
        if text and not _UID.match(text):
            self.at(node, f"uid '{text}' is not a uid (6 to 64 letters, digits and . _ : -)")  # type: ignore[arg-type]
            return ""
        return text

    def integer(self, node: Node | None, field: str, low: int, high: int, *, nullable: bool = False) -> int | None:
        if node is None or (nullable and self.is_null(node)):
            return None
        if not isinstance(node, Scalar) or node.bad or not node.plain or not _INTEGER.match(node.text):
            if not self._bad(node):
                self.at(node, f"{field} must be a whole number from {low} to {high}, got {_describe(node)}")
            return None
        value = int(node.text)
        if not low <= value <= high:
            self.at(node, f"{field} must be a whole number from {low} to {high}, got {value}")
            return None
        return value

    def minutes(self, node: Node | None, field: str) -> float:
        if node is None:
            return 0.0
        if not isinstance(node, Scalar) or node.bad or not node.plain or not _NUMBER.match(node.text):
            if not self._bad(node):
                self.at(node, f"{field} must be minutes as a number like 17.5, got {_describe(node)}")
            return 0.0
        value = float(node.text)
        if value > MAX_SPENT_MINUTES:
            self.at(node, f"{field} of {node.text} minutes is more than {MAX_SPENT_MINUTES:,.0f}; check the number")
            return 0.0
        return value

    def day(self, node: Node | None, field: str) -> date | None:
        if self.is_null(node):
            return None
        assert node is not None
        if not isinstance(node, Scalar) or node.bad:
            if not self._bad(node):
                self.at(node, f"{field} must be a date like 2026-12-04, got {_describe(node)}")
            return None
        if not _DAY.match(node.text):
            self.at(node, f"{field} must be a date like 2026-12-04, got {_describe(node)}")
            return None
        try:
            return date.fromisoformat(node.text)
        except ValueError:
            self.at(node, f"{field} {node.text} is not a real day (check the month and the day)")
            return None

    def moment(self, node: Node | None, field: str, *, nullable: bool = False) -> datetime | None:
        if node is None or (nullable and self.is_null(node)):
            return None
        if not isinstance(node, Scalar) or node.bad:
            if not self._bad(node):
                self.at(node, f"{field} must be a time like 2026-11-30T10:00:00+08:00, got {_describe(node)}")
            return None
        text = node.text
        try:
            if not _DAY.match(text[:10]):
                raise ValueError
            value = datetime.fromisoformat(text)
        except ValueError:
            self.at(node, f"{field} {_describe(node)} is not a real time like 2026-11-30T10:00:00+08:00")
            return None
        if value.tzinfo is None:
            self.at(node, f"{field} {text} has no UTC offset; add it, like {text}+08:00")
            return None
        return value

    def boolean(self, node: Node | None, field: str) -> bool:
        if node is None:
            return False
        if isinstance(node, Scalar) and node.plain and node.text in ("true", "false"):
            return node.text == "true"
        if not self._bad(node):
            self.at(node, f"{field} must be true or false, got {_describe(node)}")
        return False

    def choice(self, node: Node | None, field: str, choices: tuple[str, ...], default: str) -> str:
        text = self.text(node, field)
        if not text:
            return default
        if text not in choices:
            self.at(node, f"unknown {field} '{text}'{did_you_mean(text, choices)} ({field} is one of {', '.join(choices)})")  # type: ignore[arg-type]
            return default
        return text

    def department(self, node: Node | None, field: str, *, required: bool = False) -> str:
        text = self.text(node, field, required=required)
        if text and self.org.present and text not in self.departments:
            self.at(
                node,  # type: ignore[arg-type]
                f"org.yaml has no department '{text}' ({field}); add it to agendas/org.yaml or fix the minutes"
                f"{did_you_mean(text, self.departments)}",
            )
        return text

    def person(self, node: Node | None, field: str) -> str:
        text = self.text(node, field, required=True)
        if text and self.org.present and text not in self.people:
            self.at(
                node,  # type: ignore[arg-type]
                f"org.yaml has no person '{text}' ({field}); add them to agendas/org.yaml or fix the minutes"
                f"{did_you_mean(text, self.people)}",
            )
        return text

    def attendees(self, node: Node | None, field: str) -> tuple[str, ...]:
        found: list[str] = []
        for item in self.sequence(node, field):
            text = self.text(item, f"an entry of {field}", required=True)
            if not text:
                continue
            if self.org.present and text not in self.departments and text not in self.people:
                self.at(
                    item,
                    f"org.yaml has no department or person '{text}' ({field}); add it to agendas/org.yaml or fix "
                    f"the minutes{did_you_mean(text, self.departments | self.people)}",
                )
            elif text in found:
                self.at(item, f"'{text}' is listed twice in {field}; remove one")
            else:
                found.append(text)
        return tuple(found)

    def service(self, node: Node | None) -> str:
        text = self.text(node, "service")
        if text and self.org.present and text not in self.services:
            self.at(
                node,  # type: ignore[arg-type]
                f"org.yaml has no service '{text}'; add it to agendas/org.yaml or fix the minutes"
                f"{did_you_mean(text, self.services)}",
            )
        return text


# --- building the records -----------------------------------------------------------------------


def _minutes(chk: _Check, root: Node, actor: str) -> ParsedMinutes | None:
    top = chk.mapping(root, "minutes")
    if top is None:
        return None
    f = chk.fields(top, TOP_KEYS, ("version", "meeting"), "the file")
    version = f.get("version")
    if version is not None and not (isinstance(version, Scalar) and version.plain and version.text == str(VERSION)):
        if not chk._bad(version):
            chk.at(version, f"version must be {VERSION}, got {_describe(version)}; this icm reads Minutes YAML v{VERSION}")
    where: dict[str, Node] = {}

    m = chk.mapping(f["meeting"], "meeting") if "meeting" in f else None
    mf = chk.fields(m, MEETING_KEYS, ("ref", "uid", "series", "title", "started"), "meeting") if m else {}
    ref = chk.ref(mf.get("ref"), "M") if m else ""
    uid = chk.uid(mf.get("uid")) if m else ""
    series = chk.text(mf.get("series"), "series", required=True)
    title = chk.text(mf.get("title"), "title", required=True)
    facilitator = chk.text(mf.get("facilitator"), "facilitator")
    started = chk.moment(mf.get("started"), "started") if "started" in mf else None
    ended = chk.moment(mf.get("ended"), "ended", nullable=True)
    if started and ended and ended < started:
        chk.at(mf["ended"], f"ended {ended.isoformat()} is before started {started.isoformat()}")
    attendees = chk.attendees(mf.get("attendees"), "attendees")
    absent = chk.attendees(mf.get("absent"), "absent")
    if ref:
        where[ref] = mf["ref"]
    at = started or datetime.now().astimezone()
    settled = ended or at

    # Actions first: the items' `actions:` lists are checked against them.
    actions: list[ActionItem] = []
    action_uids: dict[str, Node] = {}
    for node in chk.sequence(f.get("actions"), "actions"):
        am = chk.mapping(node, "an action")
        if am is None:
            continue
        af = chk.fields(am, ACTION_KEYS, ("ref", "uid", "title", "owner"), f"the action on line {am.line}")
        a_ref = chk.ref(af.get("ref"), "A")
        a_uid = chk.uid(af.get("uid"))
        if a_ref in where:
            chk.at(af["ref"], f"{a_ref} is listed twice in actions (first on line {where[a_ref].line}); remove one")
        elif a_ref:
            where[a_ref] = af["ref"]
        if a_uid in action_uids:
            chk.at(af["uid"], f"uid {a_uid} is used twice (first on line {action_uids[a_uid].line}); uids are unique")
        elif a_uid:
            action_uids[a_uid] = af["uid"]
        score = chk.integer(af.get("score"), "score", 1, 5, nullable=True)
        actions.append(
            ActionItem(
                uid=a_uid,
                ref=a_ref,
                title=chk.text(af.get("title"), "title", required=True),
                owner=chk.person(af.get("owner"), "owner"),
                supplier=chk.department(af.get("supplier"), "supplier"),
                requester=chk.department(af.get("requester"), "requester"),
                due=chk.day(af.get("due"), "due"),
                priority=Priority(chk.choice(af.get("priority"), "priority", PRIORITIES, Priority.NORMAL.value)),
                status=Status(chk.choice(af.get("status"), "status", STATUSES, Status.OPEN.value)),
                service=chk.service(af.get("service")),
                score=score,
                created=at,
                updated=at,
                series=series,
                meeting=ref,
                history=(
                    Event(at=at, kind=EventKind.CREATED, by=actor, meeting=ref, note=IMPORT_NOTE.format(ref=ref)),
                ),
            )
        )
    captured = {a.ref for a in actions}

    items: list[MeetingItem] = []
    under: dict[str, str] = {}  # action ref -> title of the item it was captured under
    for number, node in enumerate(chk.sequence(f.get("items"), "items"), start=1):
        im = chk.mapping(node, f"item {number}")
        if im is None:
            continue
        itf = chk.fields(im, ITEM_KEYS, ("title",), f"item {number}")
        item_title = chk.text(itf.get("title"), "title", required=True)
        refs: list[str] = []
        for ref_node in chk.sequence(itf.get("actions"), "actions"):
            a_ref = chk.ref(ref_node, "A", "an action ref")
            if not a_ref:
                continue
            if a_ref not in captured:
                chk.at(ref_node, f"{a_ref} is not in the minutes' actions list; add it there or remove it here")
            elif a_ref in under:
                chk.at(ref_node, f"{a_ref} is already listed under item '{under[a_ref]}'; an action belongs to one item")
            else:
                under[a_ref] = item_title
                refs.append(a_ref)
        items.append(
            MeetingItem(
                title=item_title,
                kind=chk.choice(itf.get("kind"), "kind", KINDS, ItemKind.DISCUSSION.value),
                timebox=chk.integer(itf.get("timebox"), "timebox", 0, MAX_TIMEBOX) or 0,
                spent=round(chk.minutes(itf.get("spent"), "spent") * 60, 1),
                notes=chk.text(itf.get("notes"), "notes"),
                decisions=tuple(chk.texts(itf.get("decisions"), "decisions")),
                actions=tuple(refs),
                requester=chk.department(itf.get("requester"), "requester"),
                supplier=chk.department(itf.get("supplier"), "supplier"),
                presenter=chk.text(itf.get("presenter"), "presenter"),
            )
        )
    actions = [_with_item(a, under.get(a.ref, "")) for a in actions]

    reviewed: list[ReviewOutcome] = []
    seen_reviews: dict[str, Node] = {}
    for node in chk.sequence(f.get("reviewed"), "reviewed"):
        rm = chk.mapping(node, "a review outcome")
        if rm is None:
            continue
        rf = chk.fields(rm, REVIEW_KEYS, ("ref", "from", "to"), f"the review outcome on line {rm.line}")
        r_ref = chk.ref(rf.get("ref"), "A")
        if r_ref in seen_reviews:
            chk.at(rf["ref"], f"{r_ref} is reviewed twice (first on line {seen_reviews[r_ref].line}); keep one entry")
        elif r_ref:
            seen_reviews[r_ref] = rf["ref"]
        reviewed.append(
            ReviewOutcome(
                ref=r_ref,
                old=chk.choice(rf.get("from"), "from", STATUSES, "") if "from" in rf else "",
                new=chk.choice(rf.get("to"), "to", STATUSES, "") if "to" in rf else "",
                score=chk.integer(rf.get("score"), "score", 1, 5, nullable=True),
                note=chk.text(rf.get("note"), "note"),
                carried=chk.boolean(rf.get("carried"), "carried"),
            )
        )

    pulses: list[Pulse] = []
    pulse_uids: dict[str, Node] = {}
    for node in chk.sequence(f.get("pulse"), "pulse"):
        pm = chk.mapping(node, "a pulse")
        if pm is None:
            continue
        pf = chk.fields(pm, PULSE_KEYS, ("ref", "uid", "from", "about", "score"), f"the pulse on line {pm.line}")
        p_ref = chk.ref(pf.get("ref"), "P")
        p_uid = chk.uid(pf.get("uid"))
        if p_ref in where:
            chk.at(pf["ref"], f"{p_ref} is listed twice in pulse (first on line {where[p_ref].line}); remove one")
        elif p_ref:
            where[p_ref] = pf["ref"]
        if p_uid in pulse_uids:
            chk.at(pf["uid"], f"uid {p_uid} is used twice (first on line {pulse_uids[p_uid].line}); uids are unique")
        elif p_uid:
            pulse_uids[p_uid] = pf["uid"]
        rater = chk.department(pf.get("from"), "from", required=True)
        about = chk.department(pf.get("about"), "about", required=True)
        if rater and rater == about:
            chk.at(pf["about"], f"'{rater}' rates itself; a pulse is one department rating another")
        pulses.append(
            Pulse(
                uid=p_uid,
                ref=p_ref,
                at=settled,
                rater=rater,
                about=about,
                score=chk.integer(pf.get("score"), "score", 1, 5) or 0,
                comment=chk.text(pf.get("comment"), "comment"),
                meeting=ref,
            )
        )

    if chk.problems or started is None:
        return None
    meeting = Meeting(
        uid=uid,
        ref=ref,
        series=series,
        title=title,
        facilitator=facilitator,
        started=started,
        ended=ended,
        state=MeetingState.ENDED if ended is not None else MeetingState.RUNNING,
        attendees=attendees,
        absent=absent,
        items=tuple(items),
        reviewed=tuple(reviewed),
        pulses=tuple(p.ref for p in pulses),
    )
    return ParsedMinutes(
        display=chk.display, meeting=meeting, actions=tuple(actions), pulses=tuple(pulses), where=where
    )


def _with_item(action: ActionItem, item: str) -> ActionItem:
    return msgspec.structs.replace(action, item=item) if item else action


# --- writing ------------------------------------------------------------------------------------


def _view(kind: Kind, record: object) -> object:
    """What the minutes show of a record: two records the minutes cannot tell apart are the same here."""
    if kind is Kind.ACTIONS:
        return action_entry(record)  # type: ignore[arg-type]
    if kind is Kind.PULSES:
        return pulse_entry(record)  # type: ignore[arg-type]
    meeting: Meeting = record  # type: ignore[assignment]
    return (
        meeting_entry(meeting),
        [item_entry(i) for i in meeting.items],
        [review_entry(o) for o in meeting.reviewed],
    )


def apply_minutes(services: Services, parsed: ParsedMinutes) -> ImportSummary:
    """Store what the minutes describe that the store lacks; LoadError (nothing written) on a ref clash."""
    store = services.store
    summary = ImportSummary(meeting=parsed.meeting.ref)
    plan: list[tuple[Kind, list]] = [
        (Kind.ACTIONS, list(parsed.actions)),
        (Kind.PULSES, list(parsed.pulses)),
        (Kind.MEETINGS, [parsed.meeting]),
    ]
    problems: list[Problem] = []
    writes: list[tuple[Kind, list]] = []
    for kind, records in plan:
        stored = store.all(kind)
        by_uid = {r.uid: r for r in stored}
        by_ref = {r.ref.upper(): r for r in stored}
        new = []
        for record in records:
            node = parsed.where[record.ref]
            same_uid = by_uid.get(record.uid)
            same_ref = by_ref.get(record.ref.upper())
            if same_uid is not None and same_uid.ref.upper() != record.ref.upper():
                problems.append(
                    Problem(
                        parsed.display, node.line, node.col,
                        f"{record.ref} has uid {record.uid}, which this store knows as {same_uid.ref}; "
                        "these minutes do not match this workspace",
                    )
                )
            elif same_uid is None and same_ref is not None:
                problems.append(
                    Problem(
                        parsed.display, node.line, node.col,
                        f"{record.ref} is already a different record in this store (uid {same_ref.uid}); "
                        "import these minutes into the workspace they came from, or an empty one",
                    )
                )
            elif same_uid is not None:
                summary.kept.append(record.ref)
                if _view(kind, same_uid) != _view(kind, record):
                    summary.differing.append(record.ref)
            else:
                new.append(record)
        writes.append((kind, new))
    if problems:
        raise LoadError(sorted(problems, key=_position))
    for kind, new in writes:
        # The meeting goes last: if the import is interrupted, running it again completes it.
        if new:
            store.put_many(kind, new)
        summary.created[kind] = [r.ref for r in new]
    return summary


def import_minutes(services: Services, path: str | os.PathLike[str]) -> ImportSummary:
    """Import a Minutes YAML v1 file into the services' store; LoadError (exit 2, nothing written) if bad."""
    parsed = load_minutes(path, services.org, actor=services.actor)
    return apply_minutes(services, parsed)
