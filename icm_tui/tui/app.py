"""The Textual app: screens over the services, with every store call off the event loop.

Screens never touch the store directly on the event loop: they call `app.submit(fn, on_done)`,
which runs `fn` on one background thread (so writes keep their order and the store object is
only ever used by one thread) and hands the result back on the event loop. The app polls the
store's cheap `version()` every second and posts `StoreChanged` to the active screen when
another process changed the data, so a CLI call in another terminal shows up within 2 seconds.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from icm_tui.domain.org import Org
from icm_tui.errors import IcmError
from icm_tui.services import Services, local_now
from icm_tui.store.base import Store
from icm_tui.tui.messages import StoreChanged
from icm_tui.workspace import Workspace

T = TypeVar("T")

POLL_SECONDS = 1.0
"""How often the app checks whether another process changed the store."""


class IcmApp(App[None]):
    """icm: run coordination meetings and follow up what they promised."""

    TITLE = "icm"
    SUB_TITLE = "internal customer management"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = [
        Binding("question_mark", "help", "Help", key_display="?", id="app.help"),
        Binding("ctrl+p", "command_palette", "Commands", id="app.palette"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit"),
    ]

    def __init__(
        self,
        workspace: Workspace,
        *,
        store: Store,
        org: Org | None = None,
        services: Services | None = None,
        clock: Callable[[], datetime] = local_now,
        agenda: str | None = None,
        poll: bool = True,
    ) -> None:
        super().__init__()
        self.workspace = workspace
        """The folder of agendas, data and minutes."""
        self.store = store
        """The register; only ever used from the background thread (see `submit`)."""
        self.org = org if org is not None else Org()
        """org.yaml: departments, people, services, thresholds."""
        self.services = services or Services(store, self.org, clock=clock)
        """The use cases; every change goes through them."""
        self.clock = clock
        """Injected so tests can freeze time."""
        self.start_agenda = agenda
        """An agenda to run straight away (`icm run AGENDA`)."""
        self._poll = poll
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="icm-store")
        self._seen_version: Any = None
        self._poll_trouble = ""
        """The last error the poll met and told (so it is told once, not every second)."""
        self._pending = 0
        self._pending_lock = threading.Lock()

    # ------------------------------------------------------------ background work

    def submit(
        self,
        call: Callable[[], T],
        on_done: Callable[[T], Any] | None = None,
        on_error: Callable[[Exception], Any] | None = None,
    ) -> Future[T]:
        """Run `call` on the store thread; `on_done(result)` or `on_error(exc)` run on the event loop.

        Without `on_error`, a user error (IcmError) becomes an error notification and anything
        else is reported as well, never a crash in the middle of a meeting.
        """
        with self._pending_lock:
            self._pending += 1
        # Callbacks run in the caller's context, so Textual's active app is set in them
        # (pushing a screen from a callback composes it; that needs the active app).
        context = contextvars.copy_context()
        future = self._executor.submit(call)

        def finished(done: Future[T]) -> None:
            with self._pending_lock:
                self._pending -= 1
            error = done.exception()
            if error is None:
                if on_done is not None:
                    self._call_soon(on_done, done.result(), context=context)
            elif on_error is not None:
                self._call_soon(on_error, error, context=context)
            else:
                self._call_soon(self.report_error, error, context=context)

        future.add_done_callback(finished)
        return future

    def _call_soon(
        self, callback: Callable[..., Any], *args: Any, context: contextvars.Context | None = None
    ) -> None:
        """Run `callback(*args)` on the event loop soon, from any thread, without blocking it."""
        loop = self._loop
        if loop is None or loop.is_closed() or not self.is_running:
            return
        try:
            loop.call_soon_threadsafe(self._deliver, callback, args, context=context)
        except RuntimeError:  # the loop closed meanwhile: the app is gone
            pass

    def _deliver(self, callback: Callable[..., Any], args: tuple[Any, ...]) -> None:
        try:
            result = callback(*args)
            if inspect.isawaitable(result):
                asyncio.ensure_future(result)
        except Exception as error:  # a screen's callback failed: say so, keep the meeting going
            self.report_error(error)

    def report_error(self, error: Exception) -> None:
        """Tell the user what went wrong in one line."""
        message = str(error) if isinstance(error, IcmError) else f"{type(error).__name__}: {error}"
        self.notify(message, title="Not done", severity="error", timeout=8, markup=False)

    @property
    def busy(self) -> bool:
        """True while store work is queued or running (tests wait on this)."""
        return self._pending > 0

    async def settle(self) -> None:
        """Wait until queued store work is done and its results are applied (for tests)."""
        while self.busy:
            await asyncio.sleep(0.01)
        for _ in range(3):
            await asyncio.sleep(0)

    # ------------------------------------------------------------ lifecycle

    def on_mount(self) -> None:
        from icm_tui.tui.screens.home import HomeScreen

        self.push_screen(HomeScreen())
        if self._poll:
            self.submit(self.store.version, self._remember_version)
            self.set_interval(POLL_SECONDS, self._check_store)
            if self.store.pushes_changes:
                self.run_worker(self._listen, thread=True, group="listen", exclusive=True, exit_on_error=False)
        if self.start_agenda:
            self.call_after_refresh(self.open_agenda, self.start_agenda)

    def _listen(self) -> None:
        """A shared store announces other processes' writes: check at once, not at the next poll."""
        from textual.worker import get_current_worker

        worker = get_current_worker()
        while not worker.is_cancelled:
            try:
                changed = self.store.wait_for_change(POLL_SECONDS)
            except Exception:  # the poll reports store trouble; this is only a shortcut
                return
            if changed and not worker.is_cancelled:
                self._call_soon(self._check_store)

    def _remember_version(self, version: Any) -> None:
        self._seen_version = version

    def _check_store(self) -> None:
        if self.busy:
            return

        def poll() -> tuple[Any, bool, list[str], int]:
            version = self.store.version()
            changed = version != self._seen_version
            if changed:
                self.store.refresh()
            return version, changed, self.store.notices(), self.store.pending()

        self.submit(poll, self._after_poll, on_error=self._poll_failed)

    def _after_poll(self, result: tuple[Any, bool, list[str], int]) -> None:
        version, changed, notices, pending = result
        if changed and self._seen_version is not None:
            self.screen.post_message(StoreChanged(external=True))
        self._seen_version = version
        self._poll_trouble = ""
        for notice in notices:
            self.notify(notice, title="Shared register", severity="warning", timeout=10, markup=False)
        # Kept in sight while it lasts (a notice scrolls away): every screen without a title of its own shows it.
        self.title = f"{self.TITLE} · offline: {pending} change(s) kept on this machine" if pending else self.TITLE

    def _poll_failed(self, error: Exception) -> None:
        """The store could not be checked: say so once per distinct trouble, not every second."""
        message = str(error) or type(error).__name__
        if message != self._poll_trouble:
            self._poll_trouble = message
            self.notify(message, title="Cannot check the register", severity="error", timeout=15, markup=False)

    def mark_seen(self) -> None:
        """After our own write: remember the store's version so the poll does not reload for it."""
        self.submit(self.store.version, self._remember_version, on_error=lambda error: None)

    def open_agenda(self, agenda: str) -> None:
        """Start running an agenda (a path or a name in agendas/); the meeting screens do the rest."""
        from icm_tui.tui.screens import open_agenda

        open_agenda(self, agenda)

    async def action_quit(self) -> None:
        self.flush_screens()
        self._executor.shutdown(wait=True)
        self.exit()

    def flush_screens(self) -> None:
        """Queue every screen's unsaved changes (a meeting's notes and clock) before closing."""
        for screen in self.screen_stack:
            flush = getattr(screen, "flush_pending", None)
            if flush is not None:
                flush()

    def on_unmount(self) -> None:
        self._executor.shutdown(wait=True)

    # ------------------------------------------------------------ help and palette

    def action_help(self) -> None:
        """Show what this screen is for and every key it has."""
        from icm_tui.tui.dialogs.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every key of the current screen is also a palette command, plus the app's own."""
        seen: set[str] = set()
        for active in screen.active_bindings.values():
            binding = active.binding
            if not binding.description or binding.action in seen or not active.enabled:
                continue
            if binding.action in ("command_palette",):
                continue
            seen.add(binding.action)
            key = binding.key_display or self.get_key_display(binding)
            yield SystemCommand(
                binding.description,
                f"{binding.tooltip or binding.description} ({key})",
                partial(self.run_action, binding.action, active.node),
            )
        yield from super().get_system_commands(screen)


def run_app(workspace: Workspace, agenda: str | None = None, store_url: str | None = None) -> None:
    """Open the store and org of `workspace` (errors become one line) and run the app."""
    from icm_tui.domain.loader import load_workspace_org
    from icm_tui.store import open_store

    org = load_workspace_org(workspace)
    store = open_store(workspace.data_dir, url=store_url or org.store or None)
    try:
        IcmApp(workspace, store=store, org=org, agenda=agenda).run()
    finally:
        store.close()


__all__ = ["IcmApp", "run_app"]
