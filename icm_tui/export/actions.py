"""`icm export actions`: action items as rows with fixed keys, in the format another tool reads.

CSV (`actions_csv`), ICS (`ics`) and Taskwarrior (`taskwarrior`) have their own modules; JSON and
YAML, which are the rows as they are, live here with the dispatch.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

import msgspec

from icm_tui.domain.lifecycle import is_escalated, is_overdue
from icm_tui.domain.models import ActionItem
from icm_tui.domain.org import Org
from icm_tui.errors import BadInput

if TYPE_CHECKING:
    from icm_tui.services import Services

FORMATS = ("csv", "json", "yaml", "ics", "taskwarrior")

COLUMNS = (
    # The columns of `icm actions --format json|csv`, in the same order...
    "ref",
    "uid",
    "title",
    "owner",
    "supplier",
    "requester",
    "due",
    "priority",
    "service",
    "status",
    "carry",
    "reopened",
    "score",
    "series",
    "meeting",
    "request",
    "created",
    "updated",
    # ...then what a spreadsheet reader needs without org.yaml at hand.
    "owner_name",
    "supplier_name",
    "requester_name",
    "overdue",
    "escalated",
    "item",
    "done_at",
    "closed_at",
)
"""The keys of every exported row, in order (the CSV header)."""


class Names:
    """Display names of departments and people, looked up once each (exports touch 50,000 rows)."""

    def __init__(self, org: Org) -> None:
        self.departments = {d.id: d.name for d in org.departments}
        self.people = {p.id: p.name for p in org.people}

    def department(self, dept_id: str) -> str:
        """The department's name, or its id when org.yaml does not know it."""
        return self.departments.get(dept_id, dept_id)

    def person(self, person_id: str) -> str:
        """The person's name, or their id when org.yaml does not know them."""
        return self.people.get(person_id, person_id)


def row_values(item: ActionItem, names: Names, today: date, services: Services) -> tuple:
    """One action item as typed values in `COLUMNS` order (None for what is not set)."""
    thresholds = services.org.thresholds
    return (
        item.ref,
        item.uid,
        item.title,
        item.owner,
        item.supplier,
        item.requester,
        item.due,
        item.priority.value,
        item.service,
        item.status.value,
        item.carry,
        item.reopened,
        item.score,
        item.series,
        item.meeting,
        item.request,
        item.created,
        item.updated,
        names.person(item.owner),
        names.department(item.supplier) if item.supplier else "",
        names.department(item.requester) if item.requester else "",
        is_overdue(item, today),
        is_escalated(item, today, thresholds),
        item.item,
        item.done_at,
        item.closed_at,
    )


def _json_value(value: object) -> object:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def rows(services: Services, items: Sequence[ActionItem]) -> list[dict]:
    """The items as dicts with the `COLUMNS` keys, times as ISO 8601 text."""
    names = Names(services.org)
    today = services.today()
    return [
        dict(zip(COLUMNS, (_json_value(v) for v in row_values(item, names, today, services)), strict=True))
        for item in items
    ]


def actions_json(services: Services, items: Sequence[ActionItem]) -> bytes:
    """A JSON list of row objects, UTF-8, any script kept as it is."""
    # msgspec rather than json.dumps: with indentation the stdlib falls back to its slow Python encoder.
    return msgspec.json.format(msgspec.json.encode(rows(services, items)), indent=2) + b"\n"


def actions_yaml(services: Services, items: Sequence[ActionItem]) -> bytes:
    """A YAML list of row mappings, keys in `COLUMNS` order."""
    from icm_tui.export.minutes_yaml import dump_yaml

    names = Names(services.org)
    today = services.today()
    data = [dict(zip(COLUMNS, row_values(item, names, today, services), strict=True)) for item in items]
    return dump_yaml(data, fast=True).encode("utf-8") if data else b"[]\n"


def check_format(fmt: str) -> str:
    """One of `FORMATS`; BadInput for anything else."""
    fmt = fmt.strip().lower()
    if fmt not in FORMATS:
        raise BadInput(f"unknown format {fmt!r} (use {', '.join(FORMATS)})")
    return fmt


def render_actions(services: Services, items: Sequence[ActionItem], fmt: str) -> bytes:
    """The items as the bytes of a file in `fmt` (csv, json, yaml, ics, taskwarrior)."""
    fmt = check_format(fmt)
    if fmt == "csv":
        from icm_tui.export.actions_csv import actions_csv

        return actions_csv(services, items)
    if fmt == "json":
        return actions_json(services, items)
    if fmt == "yaml":
        return actions_yaml(services, items)
    if fmt == "ics":
        from icm_tui.export.ics import actions_ics

        return actions_ics(services, items)
    from icm_tui.export.taskwarrior import actions_taskwarrior

    return actions_taskwarrior(services, items)


def export_actions(services: Services, wanted, fmt: str) -> bytes:
    """The action items passing `wanted` (an ActionFilter, or None for all), sorted by due, in `fmt`."""
    # Only ICS and Taskwarrior carry notes; the tabular formats read items without their histories.
    needs_history = check_format(fmt) in ("ics", "taskwarrior")
    items = services.actions(wanted) if needs_history else services.list_actions(wanted)
    return render_actions(services, items, fmt)
