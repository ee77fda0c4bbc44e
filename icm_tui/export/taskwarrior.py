"""Action items as Taskwarrior JSON for `task import`, so owners can follow their items in their own tool.

Only core attributes are written (no UDAs), so `task import` needs no configuration. Each task's
uuid is derived from the item's uid (uuid5), so importing a newer export updates the same tasks
instead of adding copies.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING

import msgspec

from icm_tui.domain.models import ActionItem, EventKind, Priority, Status
from icm_tui.export.actions import Names

if TYPE_CHECKING:
    from icm_tui.services import Services

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://icm-tui.invalid/actions")
"""Fixed forever: changing it would make every owner's tasks duplicate on the next import."""

STATUS = {
    Status.OPEN: "pending",
    Status.IN_PROGRESS: "pending",
    Status.BLOCKED: "pending",
    Status.DONE: "completed",
    Status.CLOSED: "completed",
    Status.DROPPED: "deleted",
}
PRIORITY = {Priority.URGENT: "H", Priority.HIGH: "H", Priority.NORMAL: "M", Priority.LOW: "L"}

_TAG_CHARS = re.compile(r"[^0-9A-Za-z_]+")
_ANNOTATED = frozenset({EventKind.NOTE, EventKind.STATUS, EventKind.REOPENED, EventKind.CONFIRMED})


def task_uuid(uid: str) -> str:
    """The Taskwarrior uuid of an action item: the same uid always gives the same uuid."""
    return str(uuid.uuid5(NAMESPACE, uid))


def tw_time(moment: datetime) -> str:
    """`20261130T020000Z`, Taskwarrior's date format (UTC)."""
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def tag(text: str) -> str:
    """A word Taskwarrior takes as a tag: letters, digits and underscores."""
    return _TAG_CHARS.sub("_", text).strip("_")


def _due(day: date, zone: tzinfo) -> str:
    # Local midnight, as `task add due:2026-12-04` would store it.
    return tw_time(datetime.combine(day, time(0, 0), zone))


def task(item: ActionItem, names: Names, zone: tzinfo) -> dict:
    """One action item as a Taskwarrior task object."""
    data: dict = {
        "uuid": task_uuid(item.uid),
        "description": f"{item.ref} {' '.join(item.title.split())}",
        "status": STATUS[item.status],
        "entry": tw_time(item.created),
        "modified": tw_time(item.updated),
    }
    if item.due is not None:
        data["due"] = _due(item.due, zone)
    if item.status is Status.IN_PROGRESS:
        started = next(
            (e.at for e in reversed(item.history) if e.kind is EventKind.STATUS and e.new == Status.IN_PROGRESS.value),
            item.updated,
        )
        data["start"] = tw_time(started)
    if data["status"] != "pending":
        data["end"] = tw_time(item.done_at or item.closed_at or item.updated)
    if item.series:
        data["project"] = item.series
    tags = ["icm"]
    if item.supplier and tag(item.supplier):
        tags.append(tag(item.supplier))
    if item.requester and tag(item.requester):
        tags.append(f"for_{tag(item.requester)}")
    if item.status is Status.BLOCKED:
        tags.append("blocked")
    data["tags"] = list(dict.fromkeys(tags))
    data["priority"] = PRIORITY[item.priority]
    annotations = [
        (item.created, f"owner {names.person(item.owner)}"
         + (f" ({names.department(item.supplier)})" if item.supplier else "")
         + (f", for {names.department(item.requester)}" if item.requester else ""))
    ]
    annotations += [
        (e.at, f"{e.kind.value}: {e.note}" if e.kind is not EventKind.NOTE else e.note)
        for e in item.history
        if e.note and e.kind in _ANNOTATED
    ]
    data["annotations"] = _distinct_entries(annotations)
    return data


def _distinct_entries(annotations: list[tuple[datetime, str]]) -> list[dict]:
    # Taskwarrior keys annotations by their second: two in the same second would overwrite each other.
    used: set[str] = set()
    out = []
    for moment, text in annotations:
        stamp = tw_time(moment)
        while stamp in used:
            moment += timedelta(seconds=1)
            stamp = tw_time(moment)
        used.add(stamp)
        out.append({"entry": stamp, "description": " ".join(text.split())})
    return out


def actions_taskwarrior(services: Services, items: Sequence[ActionItem]) -> bytes:
    """A JSON array of tasks that `task import` accepts."""
    names = Names(services.org)
    zone = services.now().tzinfo or timezone.utc
    tasks = [task(item, names, zone) for item in items]
    return msgspec.json.format(msgspec.json.encode(tasks), indent=1) + b"\n"
