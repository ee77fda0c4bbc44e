"""Filtering and sorting action items: one definition shared by the CLI, exports and the TUI."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from icm_tui.domain.lifecycle import awaiting_confirmation, is_escalated, is_overdue
from icm_tui.domain.models import ActionItem, Status
from icm_tui.domain.org import Org, Thresholds


@dataclass(frozen=True)
class ActionFilter:
    """What `icm actions` and the actions screen filter by; empty fields match everything."""

    status: frozenset[Status] = frozenset()
    owner: str = ""
    supplier: str = ""
    requester: str = ""
    department: str = ""
    """Either side: supplier or requester."""
    series: str = ""
    overdue: bool = False
    escalated: bool = False
    awaiting: bool = False
    """Done, waiting for the requester's confirmation."""
    search: str = ""
    """Case-insensitive text in ref, title, owner, departments or notes."""

    def matches(self, item: ActionItem, today: date, thresholds: Thresholds, org: Org | None = None) -> bool:
        """True when `item` passes every set criterion."""
        if self.status and item.status not in self.status:
            return False
        if self.owner and item.owner != self.owner:
            return False
        if self.supplier and item.supplier != self.supplier:
            return False
        if self.requester and item.requester != self.requester:
            return False
        if self.department and self.department not in (item.supplier, item.requester):
            return False
        if self.series and item.series != self.series:
            return False
        if self.overdue and not is_overdue(item, today):
            return False
        if self.escalated and not is_escalated(item, today, thresholds):
            return False
        if self.awaiting and not awaiting_confirmation(item):
            return False
        if self.search and self.search.casefold() not in search_text(item, org):
            return False
        return True


def search_text(item: ActionItem, org: Org | None = None, notes: str | None = None) -> str:
    """Everything filter-as-you-type looks in, case-folded (`notes`: the item's notes, if read apart)."""
    parts = [item.ref, item.title, item.owner, item.supplier, item.requester, item.service]
    if org is not None:
        parts += [org.person_name(item.owner), org.department_name(item.supplier), org.department_name(item.requester)]
    if notes is None:
        parts += [event.note for event in getattr(item, "history", ()) if event.note]
    elif notes:
        parts.append(notes)
    return "\n".join(parts).casefold()


def select(
    items: Iterable[ActionItem], wanted: ActionFilter, today: date, thresholds: Thresholds, org: Org | None = None
) -> Iterator[ActionItem]:
    """The items `wanted` lets through, in the order given."""
    return (item for item in items if wanted.matches(item, today, thresholds, org))


def by_due(item: ActionItem) -> tuple:
    """Sort key: earliest due first, undated last, then by ref number."""
    return (item.due is None, item.due or date.max, _ref_number(item.ref))


def _ref_number(ref: str) -> int:
    number = ref.partition("-")[2]
    return int(number) if number.isascii() and number.isdigit() else 0
