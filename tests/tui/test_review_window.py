"""The review queue draws only the rows on screen, and keeps every behaviour of the table it replaced.

A series that never met reviews every escalated item: ~20,000 rows at 50,000 items. The panel
holds them in columns and makes the cells of the visible rows only.
"""

from __future__ import annotations

from datetime import timedelta

from runner_helpers import NOW, Clock, make_app, make_workspace, settle, text_of
from runner_helpers import workspace_store  # noqa: F401 (a fixture)

from icm_tui.domain.loader import load_agenda, load_workspace_org
from icm_tui.services import Services
from icm_tui.tui.screens.runner import RunnerScreen
from icm_tui.tui.widgets.line_table import LineTable
from icm_tui.tui.widgets.review_panel import ReviewPanel

SERIES = "monthly-service-review"
ITEMS = 120
"""Three screenfuls of queue at 120x40."""


def seed_queue(store, workspace) -> None:
    """ITEMS open items of the series, created a minute apart two weeks ago (the queue walks them oldest first)."""
    org = load_workspace_org(workspace)
    earlier = Clock(NOW - timedelta(days=14))
    services = Services(store, org, clock=earlier, actor="tester")
    for number in range(ITEMS):
        services.add_action(f"Queued item {number + 1}", owner="zhang-wei", requester="sales", due="+4w", series=SERIES)
        earlier.advance(minutes=1)


def table_lines(table: LineTable) -> list[str]:
    """The text of each line the table draws now."""
    return [table.render_line(y).text for y in range(table.scrollable_content_region.height)]


async def test_a_long_queue_is_drawn_a_window_at_a_time(tmp_path, workspace_store, monkeypatch):
    workspace = make_workspace(tmp_path)
    seed_queue(workspace_store, workspace)
    clock = Clock()
    services = Services(workspace_store, load_workspace_org(workspace), clock=clock, actor="tester")
    agenda = load_agenda(workspace.agendas_dir / f"{SERIES}.yaml", load_workspace_org(workspace))
    meeting = services.start_meeting(agenda, absent=())
    made: list[int] = []
    cells = ReviewPanel._cells

    def counting(self, index):
        made.append(index)
        return cells(self, index)

    monkeypatch.setattr(ReviewPanel, "_cells", counting)
    app = make_app(workspace, workspace_store, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.push_screen(RunnerScreen(meeting.ref))
        await settle(app, pilot)
        panel = app.screen.query_one(ReviewPanel)
        table = panel.table
        assert table.row_count() == ITEMS and len(panel.queue) == ITEMS
        height = table.scrollable_content_region.height
        assert height < ITEMS
        # Only the rows on screen had their cells made.
        assert made and max(made) <= height
        assert "A-1 " in table_lines(table)[1] and "Queued item 1\n" in text_of(app, "#review-detail")

        # Carry the first: its row says so in place, the cursor goes to the next, whose story shows.
        await pilot.press("k")
        await settle(app, pilot)
        assert "seen (carried)" in panel._cells(0)[6].plain
        assert panel.current.ref == "A-2" and table.cursor == 1
        assert "Queued item 2\n" in text_of(app, "#review-detail")

        # The last row: the table scrolls to it and draws it; nothing in between was made.
        made.clear()
        await pilot.press("ctrl+end")
        await settle(app, pilot)
        assert panel.current.ref == f"A-{ITEMS}"
        assert any(f"A-{ITEMS} " in line for line in table_lines(table))
        assert min(made) >= ITEMS - height - 1
        assert f"Queued item {ITEMS}\n" in text_of(app, "#review-detail")

        # Done on the last one: updated in place, the cursor wraps to the first unreviewed.
        await pilot.press("x")
        await settle(app, pilot)
        assert panel._cells(ITEMS - 1)[1].plain == "done"
        assert panel.current.ref == "A-2"
    reviewed = {o.ref: (o.old, o.new) for o in workspace_store.meeting(meeting.ref).reviewed}
    assert reviewed == {"A-1": ("open", "open"), f"A-{ITEMS}": ("open", "done")}
