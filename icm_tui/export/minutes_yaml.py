"""Minutes YAML, version 1 (DESIGN.md §6): what `icm export minutes` writes and `icm import minutes` reads.

The document is a projection of the stored records: every value in it is rebuilt exactly by the
import, so export -> import -> export gives the same bytes. Keys keep a fixed order, text stays
in its own script (`allow_unicode`), times are ISO 8601 with their UTC offset (to the second)
and `spent` is minutes with one decimal (the record keeps seconds).

The pure-Python SafeDumper is used on purpose, not libyaml's CSafeDumper: the bytes of a file
must not depend on whether PyYAML was built with libyaml, and minutes are small.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from icm_tui.domain.models import ActionItem, Meeting, MeetingItem, Pulse, ReviewOutcome
from icm_tui.domain.yamlsafe import plain_surprise
from icm_tui.errors import BadInput
from icm_tui.export.files import atomic_write
from icm_tui.store.base import ref_number

if TYPE_CHECKING:
    from icm_tui.services import Services

VERSION = 1
FORMATS = ("yaml", "md")
EXTENSIONS = {"yaml": "yaml", "md": "md"}


@dataclass(frozen=True)
class Minutes:
    """A meeting with the action items captured in it and the pulses given in it, as they stand now."""

    meeting: Meeting
    actions: tuple[ActionItem, ...]
    pulses: tuple[Pulse, ...]
    titles: dict[str, str] = field(default_factory=dict)
    """Titles of the items reviewed in the meeting (for Markdown; the YAML does not carry them)."""


def gather(services: Services, meeting_ref: str) -> Minutes:
    """The meeting `meeting_ref` and its captured actions and pulses (UnknownRef when there is none)."""
    store = services.store
    meeting = store.meeting(meeting_ref)
    listed = {ref.upper() for item in meeting.items for ref in item.actions}
    # Items captured under an agenda item are listed there; others (an accepted request in triage)
    # only carry the meeting's ref. Both belong to the minutes.
    reviewed = {outcome.ref.upper() for outcome in meeting.reviewed}
    actions, titles = [], {}
    for a in store.iter_action_summaries():  # list fields, never histories; one pass, nothing held
        ref = a.ref.upper()
        if ref in listed or a.meeting == meeting.ref:
            actions.append(a)
        if ref in reviewed:
            titles[a.ref] = a.title
    pulse_refs = {ref.upper() for ref in meeting.pulses}
    pulses = [p for p in store.pulses() if p.ref.upper() in pulse_refs or p.meeting == meeting.ref]
    return Minutes(
        meeting=meeting,
        actions=tuple(sorted(actions, key=lambda a: ref_number(a.ref))),
        pulses=tuple(sorted(pulses, key=lambda p: ref_number(p.ref))),
        titles=titles,
    )


# --- the document -------------------------------------------------------------------------------


class Flow(list):
    """A list written inline, `[it, sales, hr]` (short lists of ids)."""


class Spent(float):
    """Minutes with one decimal, always written as `17.5` / `0.0`."""


def timestamp(value: datetime) -> datetime:
    """A time as the minutes keep it: to the second, with a whole-minute UTC offset."""
    if value.tzinfo is None:
        value = value.astimezone()
    offset = value.utcoffset()
    if offset is not None and offset.total_seconds() % 60:
        value = value.astimezone(timezone.utc)
    return value.replace(microsecond=0)


def spent_minutes(seconds: float) -> Spent:
    """Seconds as minutes with one decimal."""
    return Spent(round(seconds / 60, 1))


def meeting_entry(meeting: Meeting) -> dict:
    """The `meeting:` mapping."""
    return {
        "ref": meeting.ref,
        "uid": meeting.uid,
        "series": meeting.series,
        "title": meeting.title,
        "facilitator": meeting.facilitator,
        "started": timestamp(meeting.started),
        "ended": timestamp(meeting.ended) if meeting.ended is not None else None,
        "attendees": Flow(meeting.attendees),
        "absent": Flow(meeting.absent),
    }


def item_entry(item: MeetingItem) -> dict:
    """One entry of `items:`; the agenda's requester/supplier/presenter only when set."""
    entry: dict = {
        "title": item.title,
        "kind": item.kind,
        "timebox": item.timebox,
        "spent": spent_minutes(item.spent),
        "notes": item.notes,
        "decisions": list(item.decisions),
        "actions": Flow(item.actions),
    }
    for key in ("requester", "supplier", "presenter"):
        if getattr(item, key):
            entry[key] = getattr(item, key)
    return entry


def action_entry(action: ActionItem) -> dict:
    """One entry of `actions:`; service and score only when set."""
    entry: dict = {
        "ref": action.ref,
        "uid": action.uid,
        "title": action.title,
        "owner": action.owner,
        "supplier": action.supplier,
        "requester": action.requester,
        "due": action.due,
        "priority": action.priority.value,
        "status": action.status.value,
    }
    if action.service:
        entry["service"] = action.service
    if action.score is not None:
        entry["score"] = action.score
    return entry


def review_entry(outcome: ReviewOutcome) -> dict:
    """One entry of `reviewed:`; `carried: true` only when the review carried the item."""
    entry: dict = {"ref": outcome.ref, "from": outcome.old, "to": outcome.new, "score": outcome.score, "note": outcome.note}
    if outcome.carried:
        entry["carried"] = True
    return entry


def pulse_entry(pulse: Pulse) -> dict:
    """One entry of `pulse:` (with its ref and uid, so that importing twice adds nothing)."""
    return {
        "ref": pulse.ref,
        "uid": pulse.uid,
        "from": pulse.rater,
        "about": pulse.about,
        "score": pulse.score,
        "comment": pulse.comment,
    }


def minutes_document(minutes: Minutes) -> dict:
    """The whole Minutes YAML v1 document, keys in their fixed order."""
    meeting = minutes.meeting
    return {
        "version": VERSION,
        "meeting": meeting_entry(meeting),
        "items": [item_entry(item) for item in meeting.items],
        "actions": [action_entry(action) for action in minutes.actions],
        "reviewed": [review_entry(outcome) for outcome in meeting.reviewed],
        "pulse": [pulse_entry(pulse) for pulse in minutes.pulses],
    }


# --- YAML ---------------------------------------------------------------------------------------

_STR = "tag:yaml.org,2002:str"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
# Line breaks other than \n: a block or single-quoted scalar cannot hold them faithfully (a reader
# turns \r and NEL into \n, and PyYAML's emitter mangles NEL in single quotes), so they are
# written double-quoted, as escapes.
_ESCAPED_BREAKS = re.compile("[\r\x85\u2028\u2029\ufeff]")


class _Dumper(yaml.SafeDumper):
    """Block style, list items indented under their key, `|` for multi-line text."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def ignore_aliases(self, data: object) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    # PyYAML quotes on its own any plain text that YAML 1.1 would read as something else
    # ('no', '10:30', '2024-01-01'), and falls back to quotes when a block cannot hold the text.
    if _ESCAPED_BREAKS.search(data):
        style = '"'
    elif "\n" in data:
        style = "|"
    elif data and plain_surprise(data) is not None:
        style = "'"  # the import's reader is stricter than PyYAML (it refuses a plain `.`, say)
    else:
        style = None
    return dumper.represent_scalar(_STR, data, style=style)


def _represent_flow(dumper: yaml.SafeDumper, data: Flow) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


def _represent_spent(dumper: yaml.SafeDumper, data: Spent) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:float", f"{data:.1f}")


def _represent_datetime(dumper: yaml.SafeDumper, data: datetime) -> yaml.ScalarNode:
    return dumper.represent_scalar(_TIMESTAMP, timestamp(data).isoformat())


def _represent_date(dumper: yaml.SafeDumper, data: date) -> yaml.ScalarNode:
    return dumper.represent_scalar(_TIMESTAMP, data.isoformat())


_FastDumper = type("_FastDumper", (getattr(yaml, "CSafeDumper", _Dumper),), {})
"""libyaml's emitter with the same representers, for long lists (50,000 exported action items)."""

for _dumper in {_Dumper, _FastDumper}:
    _dumper.add_representer(str, _represent_str)
    _dumper.add_representer(Flow, _represent_flow)
    _dumper.add_representer(Spent, _represent_spent)
    _dumper.add_representer(datetime, _represent_datetime)
    _dumper.add_representer(date, _represent_date)


def dump_yaml(document: object, *, fast: bool = False) -> str:
    """A document as YAML text: fixed key order, block style, any script kept as it is.

    `fast` uses libyaml when present: much quicker, but its bytes may differ from the pure emitter's,
    so minutes (which must be the same file everywhere) never use it.
    """
    return yaml.dump(
        document,
        Dumper=_FastDumper if fast else _Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
        indent=2,
    )


def minutes_yaml(minutes: Minutes) -> str:
    """Minutes as Minutes YAML v1 text."""
    return dump_yaml(minutes_document(minutes))


# --- the public API -----------------------------------------------------------------------------


def check_format(fmt: str) -> str:
    """`yaml` or `md`; BadInput for anything else."""
    fmt = fmt.strip().lower()
    if fmt == "markdown":
        fmt = "md"
    if fmt not in FORMATS:
        raise BadInput(f"unknown minutes format {fmt!r} (use {' or '.join(FORMATS)})")
    return fmt


def render_minutes(services: Services, meeting_ref: str, fmt: str = "yaml") -> str:
    """The minutes of a meeting as text, in `yaml` or `md`."""
    fmt = check_format(fmt)
    minutes = gather(services, meeting_ref)
    if fmt == "md":
        from icm_tui.export.markdown import minutes_markdown

        return minutes_markdown(minutes, services.org)
    return minutes_yaml(minutes)


_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def minutes_filename(meeting: Meeting, fmt: str = "yaml") -> str:
    """`2026-11-30-weekly-coordination-M-12.yaml`: sorts by date, names the series and the meeting."""
    series = _UNSAFE_NAME.sub("-", meeting.series).strip("-.") or "meeting"
    return f"{timestamp(meeting.started).date().isoformat()}-{series}-{meeting.ref}.{EXTENSIONS[check_format(fmt)]}"


def write_minutes(services: Services, meeting_ref: str, minutes_dir: str | Path, fmt: str = "yaml") -> Path:
    """Write the minutes of a meeting into `minutes_dir` atomically; return the file written."""
    fmt = check_format(fmt)
    meeting = services.store.meeting(meeting_ref)
    text = render_minutes(services, meeting.uid, fmt)
    return atomic_write(Path(minutes_dir) / minutes_filename(meeting, fmt), text.encode("utf-8"))
