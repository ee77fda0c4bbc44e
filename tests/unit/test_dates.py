"""Due dates as people type them."""

from __future__ import annotations

from datetime import date

import pytest

from icm_tui.domain.dates import parse_date, relative
from icm_tui.errors import BadInput

MONDAY = date(2026, 11, 30)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-12-04", date(2026, 12, 4)),
        ("today", MONDAY),
        ("Tomorrow", date(2026, 12, 1)),
        ("fri", date(2026, 12, 4)),
        ("friday", date(2026, 12, 4)),
        ("mon", date(2026, 12, 7)),  # a weekday is the next one, never today
        ("+3d", date(2026, 12, 3)),
        ("+2w", date(2026, 12, 14)),
        ("+1m", date(2026, 12, 30)),
        ("eow", date(2026, 12, 4)),
        ("eom", date(2026, 11, 30)),
        ("  +0d ", MONDAY),
    ],
)
def test_forms(text, expected):
    assert parse_date(text, MONDAY) == expected


def test_month_end_clamps():
    assert parse_date("+1m", date(2027, 1, 31)) == date(2027, 2, 28)
    assert parse_date("eow", date(2026, 12, 4)) == date(2026, 12, 4)  # on Friday, end of week is today


@pytest.mark.parametrize("text", ["", "2024-02-30", "someday", "+3x", "+d", "fr", "13/12/2026", "2026-13-01"])
def test_bad_dates_are_bad_input(text):
    with pytest.raises(BadInput, match="use YYYY-MM-DD"):
        parse_date(text, MONDAY)


def test_relative():
    assert [relative(d, MONDAY) for d in (None, MONDAY, date(2026, 12, 1), date(2026, 12, 3), date(2026, 11, 25))] == [
        "no due", "today", "tomorrow", "in 3d", "5d overdue",
    ]


def test_due_label_relative_while_owed_date_once_finished():
    from datetime import datetime, timezone

    from icm_tui.domain.lifecycle import due_label
    from icm_tui.domain.models import ActionItem, Status

    stamp = datetime(2026, 11, 1, tzinfo=timezone.utc)
    item = ActionItem(uid="u", ref="A-1", title="t", owner="o", due=date(2026, 11, 25), created=stamp, updated=stamp)
    assert due_label(item, MONDAY) == "5d overdue"
    import msgspec

    assert due_label(msgspec.structs.replace(item, status=Status.CLOSED), MONDAY) == "2026-11-25"
