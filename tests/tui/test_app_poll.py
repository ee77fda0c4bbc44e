"""The app's poll of the register: trouble is told once, not swallowed and not every second."""

from __future__ import annotations

from runner_helpers import Clock, make_workspace

from icm_tui.domain.loader import load_workspace_org
from icm_tui.errors import StoreError
from icm_tui.services import Services
from icm_tui.store import MemoryStore
from icm_tui.tui.app import IcmApp


class Failing(MemoryStore):
    """A register whose change check fails, the way a broken spool or a lost server would."""

    trouble = ""

    def version(self):
        if self.trouble:
            raise StoreError(self.trouble)
        return super().version()


async def test_poll_trouble_is_told_once_per_distinct_error(tmp_path):
    workspace = make_workspace(tmp_path)
    store = Failing()
    org = load_workspace_org(workspace)
    app = IcmApp(workspace, store=store, org=org, services=Services(store, org, clock=Clock()), poll=False)
    told: list[str] = []
    notify = app.notify
    app.notify = lambda message, *a, **k: (told.append(message), notify(message, *a, **k))[1]
    async with app.run_test() as pilot:
        store.trouble = "cannot replay A-7: the register refused it"
        for _ in range(3):
            app._check_store()
            await app.settle()
        assert told.count("cannot replay A-7: the register refused it") == 1
        store.trouble = ""
        app._check_store()
        await app.settle()
        store.trouble = "cannot replay A-7: the register refused it"
        app._check_store()
        await app.settle()
        await pilot.pause()
        assert told.count("cannot replay A-7: the register refused it") == 2, "told again after it had cleared"
        assert app.title == "icm"
