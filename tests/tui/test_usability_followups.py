"""Follow-ups of the new-user bug hunt: names that fit several people, attendance without colour, one accept path."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from textual import events
from textual.widgets import Input

from icm_tui.cli import main
from icm_tui.store.base import Kind
from icm_tui.tui.dialogs.capture import CaptureDialog
from icm_tui.tui.screens.runner import RunnerScreen

from runner_helpers import Clock, make_app, make_workspace, settle, text_of

LI = "Li Na (li-na, HR), Li Lei (li-lei, Sales) or Liu Yang (liu-yang, Procurement)"
"""Everyone `li` may mean in the sample org.yaml, as both the dialog and the CLI name them."""


@asynccontextmanager
async def running(backend, root: Path, agenda: str = "weekly-coordination", size=(80, 24)):
    """The app straight into `agenda` on the backend's register: everyone present, the runner showing."""
    workspace = make_workspace(root)
    store = backend.open(root)
    app = make_app(workspace, store, Clock(), agenda=agenda)
    try:
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot)
            await pilot.press("s")
            await settle(app, pilot)
            assert isinstance(app.screen, RunnerScreen)
            yield app, pilot
    finally:
        if backend.persistent:
            store.close()


def field(app, name: str) -> Input:
    return app.screen.query_one(f"#capture-{name}", Input)


def burst(app, text: str) -> None:
    """Post every key of `text` at once, as a fast typist or a terminal's single read does (`\\r` is Enter)."""
    for char in text:
        if char == "\r":
            app.post_message(events.Key("enter", "\r"))
        elif char == " ":
            app.post_message(events.Key("space", " "))
        else:
            app.post_message(events.Key(char, char))


def shown(app, selector: str) -> str:
    """A label's text on one line (it wraps at 80 columns)."""
    return " ".join(text_of(app, selector).split())


async def test_an_owner_prefix_of_several_people_is_not_guessed(backend, tmp_path):
    """`li` is Li Na, Li Lei or Liu Yang: the dialog names them, stays on Owner, saves nothing until one is picked."""
    async with running(backend, tmp_path) as (app, pilot):
        await pilot.press("c")
        await settle(app, pilot)
        assert isinstance(app.screen, CaptureDialog)
        await pilot.press(*"Spare laptops", "enter", *"li")
        await settle(app, pilot)
        assert field(app, "owner")._suggestion == ""  # no ghost completion to accept by accident
        assert shown(app, "#capture-derived") == f"owner could be {LI}"

        await pilot.press("enter")
        await settle(app, pilot)
        assert app.focused is field(app, "owner") and field(app, "owner").value == "li"
        assert shown(app, "#capture-error") == f"owner 'li' could be {LI}; type more of the name, or the id"
        assert shown(app, "#capture-derived") == ""  # the candidates are named once, in the refusal
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, CaptureDialog)
        assert app.services.store.action_summaries() == []

        await pilot.press(*" l")  # "li l": only Li Lei's name starts so
        await settle(app, pilot)
        assert shown(app, "#capture-derived") == "owner Li Lei, supplier Sales"
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.focused is field(app, "requester") and shown(app, "#capture-error") == ""
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, RunnerScreen)
        [saved] = app.services.store.actions()
        assert (saved.title, saved.owner, saved.supplier) == ("Spare laptops", "li-lei", "sales")


async def test_the_refusal_stays_when_li_and_enter_arrive_together(backend, tmp_path):
    """Typed in one burst, the changes queued before Enter must not wipe the refusal they led to."""
    async with running(backend, tmp_path) as (app, pilot):
        await pilot.press("c")
        await settle(app, pilot)
        burst(app, "Spare laptops\rli\r")
        await settle(app, pilot)
        assert app.focused is field(app, "owner")
        assert shown(app, "#capture-error").startswith(f"owner 'li' could be {LI}")
        burst(app, "u\r\r\r\r")  # "liu": Liu Yang alone
        await settle(app, pilot)
        assert isinstance(app.screen, RunnerScreen)
        assert [a.owner for a in app.services.store.actions()] == ["liu-yang"]


async def test_an_id_a_name_or_a_unique_prefix_still_resolves(backend, tmp_path):
    """Typed fast, each followed by Enter: an exact id, an exact name, a prefix only one person has."""
    async with running(backend, tmp_path, size=(120, 40)) as (app, pilot):
        for title, owner in (("By id", "li-na"), ("By name", "liu yang"), ("By prefix", "zhan")):
            await pilot.press("c")
            await settle(app, pilot)
            await pilot.press(*title, "enter", *owner, "enter", *"sales", "enter", "enter", "enter")
            await settle(app, pilot)
            assert isinstance(app.screen, RunnerScreen), title
        owners = {a.title: (a.owner, a.requester) for a in app.services.store.actions()}
        assert owners == {
            "By id": ("li-na", "sales"), "By name": ("liu-yang", "sales"), "By prefix": ("zhang-wei", "sales"),
        }


async def test_a_unique_prefix_completes_and_a_department_prefix_of_several_is_refused(backend, tmp_path):
    async with running(backend, tmp_path) as (app, pilot):
        await pilot.press("c")
        await settle(app, pilot)
        await pilot.press(*"Desk phones", "enter", *"Zhan")
        await settle(app, pilot)
        assert field(app, "owner")._suggestion == "Zhang Wei"  # one person: the completion is offered
        await pilot.press("enter", *"sh", "enter")
        await settle(app, pilot)
        assert field(app, "owner").value == "Zhang Wei"
        assert app.focused is field(app, "requester")
        assert shown(app, "#capture-error") == (
            "requester 'sh' could be 销售部 (sh-sales), 信息技术部 (sh-it), 人事行政部 (sh-hr) or 运营部 (sh-ops); "
            "type more of the name, or the id"
        )
        await pilot.press(*"-it", "enter")
        await settle(app, pilot)
        assert app.focused is field(app, "due")


async def test_the_cli_gives_the_same_answer_for_li(register, tmp_path):
    """`icm action add --owner li`: exit 2, one line naming the same three people, nothing written."""
    make_workspace(tmp_path)
    args = ["--workspace", str(tmp_path), "action", "add", "Spare laptops"]
    result = CliRunner().invoke(main, [*args, "--owner", "li"], env=register.env())
    assert result.exit_code == 2
    assert result.stderr == f"icm: owner 'li' could be {LI}; give the id\n" and result.stdout == ""
    store = register.open(tmp_path)
    try:
        assert store.all(Kind.ACTIONS) == []
    finally:
        store.close()
    # An exact display name is one person in the CLI too.
    result = CliRunner().invoke(main, [*args, "--owner", "Li Lei", "--requester", "销售部"], env=register.env())
    assert (result.exit_code, result.stdout) == (0, "A-1\n")


async def test_triage_accept_is_prefilled_with_the_service_target_and_the_addressed_supplier(backend, tmp_path):
    """In the meeting: the request's title, requester, supplier and its service's due date, saved as shown."""
    workspace = make_workspace(tmp_path)
    store = backend.open(tmp_path)
    app = make_app(workspace, store, Clock(), agenda="weekly-coordination")
    app.services.add_request("Two more monitors for the sales floor", requester="sales", supplier="it", service="laptops")
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            await pilot.press("s")
            await settle(app, pilot)
            await pilot.press("n", "a")
            await settle(app, pilot)
            assert isinstance(app.screen, CaptureDialog)
            assert shown(app, ".capture-title") == "Accept R-1: Sales asks IT"
            assert field(app, "requester").value == "Sales" and field(app, "requester").disabled
            assert shown(app, "#capture-derived") == (
                "owner Zhang Wei, supplier IT · due Thu 2026-12-03 (the Laptop provisioning target, 3 days)"
            )
            await pilot.press("tab", "ctrl+u", *"li-na")  # someone from HR: IT still delivers, as asked
            await settle(app, pilot)
            assert shown(app, "#capture-derived").startswith("owner Li Na (HR), supplier IT · ")
            await pilot.press("ctrl+s")
            await settle(app, pilot)
        action = store.action("A-1")
        assert (action.title, action.owner, action.supplier, action.requester, str(action.due), action.request) == (
            "Two more monitors for the sales floor", "li-na", "it", "sales", "2026-12-03", "R-1",
        )
    finally:
        if backend.persistent:
            store.close()


@asynccontextmanager
async def requests_screen(backend, root: Path, size=(80, 24)):
    """The requests screen on the sample workspace, two requests waiting (one names the laptops service)."""
    from icm_tui.tui.screens.requests import RequestsScreen

    workspace = make_workspace(root)
    store = backend.open(root)
    clock = Clock()
    app = make_app(workspace, store, clock)
    app.services.add_request("Two more monitors for the sales floor", requester="sales", supplier="it", service="laptops")
    clock.advance(minutes=1)
    app.services.add_request("Interview rooms on Fridays [b]", requester="sales", supplier="hr")
    clock.advance(minutes=1)
    try:
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot)
            app.push_screen(RequestsScreen())
            await settle(app, pilot)
            assert isinstance(app.screen, RequestsScreen) and app.screen.loaded
            yield app, pilot
    finally:
        if backend.persistent:
            store.close()


async def test_a_new_request_names_the_departments_a_prefix_could_be(backend, tmp_path):
    from icm_tui.tui.dialogs.request import RequestDialog

    async with requests_screen(backend, tmp_path) as (app, pilot):
        await pilot.press("n")
        await settle(app, pilot)
        await pilot.press(*"Laptop for the intern", "enter", *"sh")
        await settle(app, pilot)
        assert app.screen.query_one("#request-from", Input)._suggestion == ""  # four departments: no ghost
        await pilot.press("enter", *"it", "enter", "enter", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, RequestDialog)
        assert shown(app, "#request-error") == (
            "from: asking department 'sh' could be 销售部 (sh-sales), 信息技术部 (sh-it), 人事行政部 (sh-hr) or "
            "运营部 (sh-ops); type more of the name, or the id"
        )
        assert app.focused is app.screen.query_one("#request-from", Input)
        assert len(app.services.requests()) == 2


def list_lines(app) -> list[str]:
    """The attendance list as drawn, one string per line, without colour."""
    from icm_tui.tui.screens.attendance import AttendanceList

    widget = app.screen.query_one(AttendanceList)
    return ["".join(s.text for s in widget.render_line(y)).rstrip() for y in range(widget.content_size.height)]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_attendance_reads_without_colour(backend, tmp_path, size):
    """`[x]`/`[ ]` on every line, 'N of M present' and who is absent; the count and Start stay on screen."""
    from icm_tui.tui.screens.attendance import AttendanceScreen

    workspace = make_workspace(tmp_path)
    store = backend.open(tmp_path)
    app = make_app(workspace, store, Clock(), agenda="weekly-coordination")
    try:
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot)
            assert isinstance(app.screen, AttendanceScreen)
            lines = list_lines(app)
            assert lines[0].startswith("[x] IT  (it)")
            assert lines[6].startswith("[ ] 销售部  (sh-sales)") and lines[6].endswith("not on the agenda")
            assert sum(line.startswith("[x] ") for line in lines) == 6
            assert shown(app, "#attendance-summary") == "6 of 10 present · absent: nobody"

            await pilot.press("down", "down", "down", "space")  # Finance did not come
            await settle(app, pilot)
            assert list_lines(app)[3].startswith("[ ] Finance  (finance)")
            assert shown(app, "#attendance-summary") == "5 of 10 present · absent: Finance"
            for selector in ("#attendance-summary", "#attendance-start"):
                region = app.screen.query_one(selector).region
                assert region.height and region.bottom <= size[1] - 1, selector  # above the footer

            await pilot.press("s")
            await settle(app, pilot)
        [meeting] = store.meetings()
        assert meeting.absent == ("finance",) and "finance" not in meeting.attendees
    finally:
        if backend.persistent:
            store.close()


def fits(table) -> bool:
    """Every column of the table is drawn whole inside it."""
    return sum(c.get_render_width(table) for c in table.columns.values()) <= table.scrollable_content_region.width


def headers(table) -> list[str]:
    return [c.label.plain for c in table.columns.values()]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_lists_fit_their_columns_at_80_and_120(backend, tmp_path, size):
    """The picker, the requests screen and the triage inbox: no column cut to 'I' or 'Outco'."""
    from textual.widgets import DataTable

    from icm_tui.tui.screens.picker import AgendaPickerScreen

    async with requests_screen(backend, tmp_path, size=size) as (app, pilot):
        table = app.screen.query_one("#requests-table", DataTable)
        assert headers(table) == ["Ref", "From", "To", "Request", "Raised", "Outcome"] and fits(table)
        assert table.get_row_at(1)[3].plain == "Interview rooms on Fridays [b]"  # literal, not markup

        app.switch_screen(AgendaPickerScreen())
        await settle(app, pilot)
        table = app.screen.query_one("#agenda-table", DataTable)
        wide = ["Agenda", "OK", "Items", "Min"]
        assert headers(table) == (wide if size[0] >= 100 else wide[:2]) and fits(table)
        detail = text_of(app, "#agenda-detail")
        assert "agendas/monthly-service-review.yaml\n" in detail  # the path is not run on with the series

        await pilot.press("down", "enter")
        await settle(app, pilot)
        await pilot.press("s")
        await settle(app, pilot)
        await pilot.press("n")  # the triage item
        await settle(app, pilot)
        table = app.screen.query_one("#triage-table", DataTable)
        assert headers(table) == ["Ref", "From", "To", "Request", "Waiting", "Outcome"] and fits(table)
        assert "service Laptop provisioning" in text_of(app, "#triage-detail")


async def test_the_requests_cursor_stays_on_its_request_when_one_arrives_above_it(backend, tmp_path):
    async with requests_screen(backend, tmp_path) as (app, pilot):
        for _ in range(4):  # all, newest first
            await pilot.press("t")
        await settle(app, pilot)
        await pilot.press("down")
        assert [r.ref for r in app.screen.shown] == ["R-2", "R-1"] and app.screen.current.ref == "R-1"
        app.services.add_request("Badge printer", requester="hr", supplier="it")  # as another process would
        app.screen.reload()
        await settle(app, pilot)
        assert [r.ref for r in app.screen.shown] == ["R-3", "R-2", "R-1"]
        assert app.screen.current.ref == "R-1"  # it was R-2, the request now at the cursor's old row


async def test_accepting_on_the_requests_screen_is_the_capture_dialog_of_the_triage(backend, tmp_path):
    """Same dialog, same prefill, same action item: from the requests screen and from a meeting's triage."""
    from icm_tui.tui.screens.requests import RequestsScreen

    async with requests_screen(backend, tmp_path, size=(80, 24)) as (app, pilot):
        app.services.add_request("Two more monitors for the sales floor", requester="sales", supplier="it", service="laptops")
        await pilot.press("a")  # R-1, the oldest waiting
        await settle(app, pilot)
        assert isinstance(app.screen, CaptureDialog)
        assert shown(app, ".capture-title") == "Accept R-1: Sales asks IT"
        assert [field(app, name).value for name in CaptureDialog.FIELDS] == [
            "Two more monitors for the sales floor", "zhang-wei", "Sales", "2026-12-03", "normal",
        ]
        assert field(app, "requester").disabled
        await pilot.press("tab", "tab", "tab", "ctrl+u", *"hi")  # priority, on the last field
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, RequestsScreen)
        assert "accepted → A-1" in text_of(app, "#requests-detail-text")

        # Then R-3, the same need, in a meeting's triage.
        app.open_agenda(str(app.workspace.agendas_dir / "weekly-coordination.yaml"))
        await settle(app, pilot)
        await pilot.press("s")
        await settle(app, pilot)
        await pilot.press("n")
        await settle(app, pilot)
        await pilot.press("down", "a")  # below R-2 (to HR)
        await settle(app, pilot)
        assert shown(app, ".capture-title") == "Accept R-3: Sales asks IT"
        await pilot.press("tab", "tab", "tab", "ctrl+u", *"hi", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, RunnerScreen)

        store = app.store
        screen_made, triage_made = (store.action(ref) for ref in ("A-1", "A-2"))

        def what(item):
            return (item.title, item.owner, item.supplier, item.requester, str(item.due), item.priority.value, item.service)

        assert what(screen_made) == what(triage_made) == (
            "Two more monitors for the sales floor", "zhang-wei", "it", "sales", "2026-12-03", "high", "laptops",
        )
        assert (screen_made.request, triage_made.request) == ("R-1", "R-3")
        assert {r.ref: r.action for r in store.requests() if r.action} == {"R-1": "A-1", "R-3": "A-2"}
