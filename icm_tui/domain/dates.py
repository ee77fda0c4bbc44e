"""Due dates as people type them: ISO `2026-12-04`, `today`, `tomorrow`, `fri`, `+3d`, `+2w`, `eow`, `eom`."""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from icm_tui.errors import BadInput

_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_RELATIVE = re.compile(r"^\+(\d{1,4})([dwm])$")

DATE_FORMS = "YYYY-MM-DD, today, tomorrow, a weekday (fri), +3d, +2w, +1m, eow, eom"


def parse_date(text: str, today: date) -> date:
    """The date `text` means, counted from `today`; BadInput with the accepted forms otherwise."""
    word = text.strip().lower()
    if not word:
        raise BadInput(f"empty date (use {DATE_FORMS})")
    if word == "today":
        return today
    if word == "tomorrow":
        return today + timedelta(days=1)
    if word in ("eow", "end of week"):
        return today + timedelta(days=(4 - today.weekday()) % 7)
    if word in ("eom", "end of month"):
        return today.replace(day=calendar.monthrange(today.year, today.month)[1])
    if match := _RELATIVE.match(word):
        count, unit = int(match[1]), match[2]
        if unit == "d":
            return today + timedelta(days=count)
        if unit == "w":
            return today + timedelta(weeks=count)
        return _add_months(today, count)
    if len(word) >= 3:
        for index, name in enumerate(_WEEKDAYS):
            if name.startswith(word):
                ahead = (index - today.weekday()) % 7 or 7
                return today + timedelta(days=ahead)
    try:
        return date.fromisoformat(word)
    except ValueError:
        pass
    raise BadInput(f"not a date: {text!r} (use {DATE_FORMS})")


def _add_months(day: date, months: int) -> date:
    """Same day `months` later, clamped to the month's end."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def relative(due: date | None, today: date) -> str:
    """A due date for humans: `today`, `in 3d`, `5d overdue`."""
    if due is None:
        return "no due"
    delta = (due - today).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "tomorrow"
    if delta > 0:
        return f"in {delta}d"
    return f"{-delta}d overdue"
