"""The app's screens, and the moves between them that several screens share."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from icm_tui.domain.agenda import Agenda

if TYPE_CHECKING:
    from icm_tui.domain.models import Meeting
    from icm_tui.tui.app import IcmApp


@dataclass(frozen=True)
class AgendaFile:
    """An agenda file of the workspace and what loading it gave: the agenda, or its problems."""

    path: Path
    display: str
    agenda: Agenda | None = None
    problems: tuple[str, ...] = field(default_factory=tuple)
    """One `PATH:LINE:COL: message` line per problem."""

    @property
    def name(self) -> str:
        """The file's stem, as users type it (`icm run weekly-coordination`)."""
        return self.path.stem

    @property
    def valid(self) -> bool:
        """True when the agenda loaded without problems."""
        return self.agenda is not None


def load_agenda_file(app: IcmApp, path: Path) -> AgendaFile:
    """Load and check one agenda file (file I/O: call it on the store thread)."""
    from icm_tui.domain.loader import LoadError, display_path, load_agenda

    display = display_path(path)
    try:
        agenda = load_agenda(path, app.org, display=display)
    except LoadError as error:
        return AgendaFile(path, display, problems=tuple(str(p) for p in error.problems))
    except OSError as error:
        return AgendaFile(path, display, problems=(f"{display}: cannot read: {error.strerror or error}",))
    return AgendaFile(path, display, agenda=agenda)


def load_agenda_files(app: IcmApp) -> list[AgendaFile]:
    """Every agenda of the workspace, loaded and checked (call it on the store thread)."""
    return [load_agenda_file(app, path) for path in app.workspace.agenda_paths()]


def find_agenda(app: IcmApp, name: str) -> Path:
    """The file `name` means: a path, a file name in agendas/, or a series; BadInput otherwise."""
    from icm_tui.domain.loader import find_agenda as find

    return find(app.workspace, name, app.org)


def open_agenda(app: IcmApp, agenda: str) -> None:
    """Start running `agenda` (a path or a name in agendas/): attendance first, or its problems."""

    def load() -> tuple[AgendaFile, Meeting | None]:
        loaded = load_agenda_file(app, find_agenda(app, agenda))
        running = None
        if loaded.agenda is not None:
            series = loaded.agenda.series
            running = next((m for m in app.services.running_meetings() if m.series == series), None)
        return loaded, running

    def loaded(result: tuple[AgendaFile, Meeting | None]) -> None:
        start_agenda_file(app, *result)

    def failed(error: Exception) -> None:
        app.report_error(error)
        show_picker(app)

    app.submit(load, loaded, failed)


def start_agenda_file(app: IcmApp, agenda_file: AgendaFile, running: Meeting | None = None) -> None:
    """Attendance for a valid agenda; the picker with its problems for an invalid one.

    When a meeting of the same series is still running, offer to resume it instead.
    """
    if agenda_file.agenda is None:
        show_picker(app, select=agenda_file.path)
        app.notify(
            f"{agenda_file.display} has {len(agenda_file.problems)} problem(s); fix them and press v to check again.",
            title="Agenda not valid",
            severity="error",
            markup=False,
        )
        return
    if running is not None:
        from icm_tui.tui.dialogs import ConfirmDialog

        def answered(resume: bool | None) -> None:
            if resume:
                resume_meeting(app, running.ref)
            else:
                _push_attendance(app, agenda_file)

        app.push_screen(
            ConfirmDialog(
                f"{running.ref} of {running.series} is still running (not ended). Resume it instead of starting a new meeting?",
                yes="Resume",
                no="Start new",
            ),
            answered,
        )
        return
    _push_attendance(app, agenda_file)


def _push_attendance(app: IcmApp, agenda_file: AgendaFile) -> None:
    from icm_tui.tui.screens.attendance import AttendanceScreen

    assert agenda_file.agenda is not None
    app.push_screen(AttendanceScreen(agenda_file.agenda, agenda_file.display))


def show_picker(app: IcmApp, select: Path | None = None) -> None:
    """Open the agenda picker (once), optionally highlighting one file."""
    from icm_tui.tui.screens.picker import AgendaPickerScreen

    if isinstance(app.screen, AgendaPickerScreen):
        app.screen.reload(select)
        return
    app.push_screen(AgendaPickerScreen(select=select))


def back_to_home(app: IcmApp) -> None:
    """Pop every screen above the home screen."""
    from icm_tui.tui.screens.home import HomeScreen

    while len(app.screen_stack) > 1 and not isinstance(app.screen, HomeScreen):
        app.pop_screen()


def resume_meeting(app: IcmApp, meeting_ref: str) -> None:
    """Open the runner on a meeting (a new one, or one that was interrupted)."""
    from icm_tui.tui.screens.runner import RunnerScreen

    back_to_home(app)
    app.push_screen(RunnerScreen(meeting_ref))


__all__ = [
    "AgendaFile",
    "back_to_home",
    "find_agenda",
    "load_agenda_file",
    "load_agenda_files",
    "open_agenda",
    "resume_meeting",
    "show_picker",
    "start_agenda_file",
]
