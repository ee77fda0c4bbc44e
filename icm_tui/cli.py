"""The `icm` command. With no subcommand it opens the TUI; every other command runs without textual.

Imports are lazy: each command imports only what it needs, so `icm actions` starts fast and the
TUI's dependencies never load for a CLI call.
"""

from __future__ import annotations

import importlib
import sys

import click

from icm_tui import __version__
from icm_tui.errors import IcmError


class IcmGroup(click.Group):
    """A click group that turns every IcmError into one line on stderr and its exit status."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except IcmError as error:
            for line in str(error).splitlines() or [type(error).__name__]:
                click.echo(f"icm: {line}" if not _is_located(line) else line, err=True)
            ctx.exit(error.exit_code)
        except KeyboardInterrupt:
            click.echo("icm: interrupted", err=True)
            ctx.exit(130)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None and name in LAZY_COMMANDS:
            module_name, _, attr = LAZY_COMMANDS[name].partition(":")
            command = getattr(importlib.import_module(module_name), attr)
        return command


LAZY_COMMANDS = {
    "db": "icm_tui.cli_db:db",
    "export": "icm_tui.cli_export:export",
    "import": "icm_tui.cli_export:import_group",
    "report": "icm_tui.cli_report:report",
}
"""Commands defined in their own modules, imported only when called."""


def _is_located(line: str) -> bool:
    """True for `PATH:LINE:COL: message` lines, which are printed as they are."""
    parts = line.split(":", 3)
    return len(parts) == 4 and parts[1].isdigit() and parts[2].isdigit()


class Context:
    """What every command shares: the workspace, and lazily the org and the store."""

    def __init__(self, workspace_dir: str | None) -> None:
        from icm_tui.workspace import Workspace

        self.workspace = Workspace.resolve(workspace_dir)
        self._store = None
        self._org = None

    @property
    def org(self):
        """The workspace's org.yaml, loaded and checked (an empty Org when there is none)."""
        if self._org is None:
            from icm_tui.domain.loader import load_workspace_org

            self._org = load_workspace_org(self.workspace)
        return self._org

    @property
    def store(self):
        """The workspace's store, opened on first use."""
        if self._store is None:
            from icm_tui.store import open_store

            self._store = open_store(self.workspace.data_dir)
        return self._store

    def services(self):
        """The use cases over this workspace's store and org."""
        from icm_tui.services import Services

        return Services(self.store, self.org)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


pass_context = click.make_pass_decorator(Context)


@click.group(cls=IcmGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--workspace",
    "-w",
    "workspace_dir",
    metavar="DIR",
    envvar="ICM_WORKSPACE",
    help="The workspace folder (default: $ICM_WORKSPACE, else the current folder).",
)
@click.version_option(__version__, "--version", prog_name="icm")
@click.pass_context
def main(ctx: click.Context, workspace_dir: str | None) -> None:
    """Run cross-department coordination meetings and close the loop on their promises.

    With no command, opens the TUI on the workspace's home screen.
    """
    context = Context(workspace_dir)
    ctx.obj = context
    ctx.call_on_close(context.close)
    if ctx.invoked_subcommand is None:
        _run_tui(context, agenda=None)


def _run_tui(context: Context, agenda: str | None) -> None:
    """Open the Textual app (the only place textual is imported from the CLI)."""
    from icm_tui.tui.app import run_app

    run_app(context.workspace, agenda=agenda)


@main.command()
@click.argument("agenda")
@pass_context
def run(context: Context, agenda: str) -> None:
    """Open the TUI straight into running AGENDA (a path, or a name in agendas/)."""
    _run_tui(context, agenda=agenda)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@pass_context
def validate(context: Context, paths: tuple[str, ...]) -> None:
    """Check agendas and org.yaml (default: every agenda of the workspace)."""
    from icm_tui.domain.loader import validate_paths

    ok = validate_paths(context.workspace, [*paths], echo=click.echo, echo_err=lambda s: click.echo(s, err=True))
    if not ok:
        sys.exit(2)
