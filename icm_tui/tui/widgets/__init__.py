"""Reusable widgets."""

from icm_tui.tui.widgets.action_detail import ActionDetail
from icm_tui.tui.widgets.action_table import ActionRow, ActionTable, RowSet, SortKey

__all__ = ["ActionDetail", "ActionRow", "ActionTable", "RowSet", "SortKey"]
