"""The app shell: help, palette commands from bindings, background store work.

Store work off the event loop runs on each backend (`workspace_store`); the dialogs on memory.
"""

from __future__ import annotations

from runner_helpers import quick_idle, workspace_store  # noqa: F401 (fixtures)

from icm_tui.store import MemoryStore
from icm_tui.tui.app import IcmApp
from icm_tui.tui.dialogs import HelpScreen, PromptDialog, ScoreDialog
from icm_tui.workspace import Workspace


async def test_help_opens_and_closes(tmp_path):
    app = IcmApp(Workspace(tmp_path), store=MemoryStore(), poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_submit_runs_off_loop_and_reports_errors(tmp_path, workspace_store):
    app = IcmApp(Workspace(tmp_path), store=workspace_store, poll=False)
    results = []
    async with app.run_test(size=(80, 24)) as pilot:
        app.submit(lambda: app.services.add_action("Fix [/] parser", owner="li"), results.append)
        app.submit(lambda: app.services.done("A-99"))
        await app.settle()
        await pilot.pause()
        assert [a.ref for a in results] == ["A-1"]
        assert app.store.action("A-1").title == "Fix [/] parser"


async def test_score_dialog_returns_score_and_comment(tmp_path):
    app = IcmApp(Workspace(tmp_path), store=MemoryStore(), poll=False)
    answers = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(ScoreDialog("A-1 [red]x"), answers.append)
        await pilot.pause()
        await pilot.press("4")
        await pilot.press("c", *"fine 5", "enter")
        await pilot.pause()
        app.push_screen(PromptDialog("Why?"), answers.append)
        await pilot.pause()
        await pilot.press("enter")  # empty answer refused
        await pilot.press("escape")
        await pilot.pause()
    assert answers == [(4, "fine 5"), None]


class NoisyStore(MemoryStore):
    """A store with something to tell, like PostgreSQL saving offline."""

    def __init__(self) -> None:
        super().__init__()
        self.told = ["A-2 saved offline; it will be sent when the server is back"]

    def notices(self) -> list[str]:
        out, self.told = self.told, []
        return out


async def test_store_notices_become_notifications(tmp_path):
    app = IcmApp(Workspace(tmp_path), store=NoisyStore(), poll=True)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(40):
            await pilot.pause(0.05)
            if any("saved offline" in n.message for n in app._notifications):
                break
        assert any("saved offline" in n.message for n in app._notifications)
