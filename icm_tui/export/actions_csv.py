"""Action items as CSV for spreadsheets: UTF-8 with a BOM, so Excel shows 销售部 rather than mojibake."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

from icm_tui.domain.models import ActionItem
from icm_tui.export.actions import COLUMNS, Names, row_values

if TYPE_CHECKING:
    from icm_tui.services import Services

BOM = "\ufeff"

# A cell starting with one of these is run as a formula by spreadsheets (CSV injection):
# such text gets a leading apostrophe, which spreadsheets show as plain text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """A value as spreadsheet text: ISO times, yes/no, empty for nothing, formulas defused."""
    if value is None:
        return ""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA_START) else value
    return str(value)


def actions_csv(services: Services, items: Sequence[ActionItem]) -> bytes:
    """The items as CSV bytes: a BOM, a header of `COLUMNS`, one row per item, CRLF line ends."""
    names = Names(services.org)
    today = services.today()
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows([cell(v) for v in row_values(item, names, today, services)] for item in items)
    return out.getvalue().encode("utf-8")
