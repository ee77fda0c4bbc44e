"""`icm export minutes|actions` and `icm import minutes`: files other people and tools read."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from icm_tui.cli import Context, action_filter_options, build_filter, pass_context
from icm_tui.errors import BadInput

ACTION_FORMATS = ("csv", "json", "yaml", "ics", "taskwarrior")
_BY_SUFFIX = {".csv": "csv", ".json": "json", ".yaml": "yaml", ".yml": "yaml", ".ics": "ics", ".md": "md"}


def _emit(data: bytes, output: str | None) -> None:
    """Write to `output` atomically, or to stdout (nothing else goes to stdout)."""
    if output is None or output == "-":
        click.echo(data, nl=False)  # bytes go to the binary stream untouched (BOM, CRLF)
        return
    from icm_tui.export.files import atomic_write

    try:
        path = atomic_write(output, data)
    except OSError as error:
        raise BadInput(f"cannot write {output}: {error.strerror or error}") from None
    click.echo(f"wrote {path}", err=True)


def _format(fmt: str | None, output: str | None, allowed: tuple[str, ...], default: str | None) -> str:
    """The format asked for, else the one the output file's suffix names, else `default`."""
    if fmt:
        return fmt.lower()
    guessed = _BY_SUFFIX.get(Path(output).suffix.lower()) if output and output != "-" else None
    if guessed in allowed:
        return guessed  # type: ignore[return-value]
    if default is None:
        raise BadInput(f"give a format: --format {'|'.join(allowed)}")
    return default


@click.group()
def export() -> None:
    """Write minutes or action items for other people and tools."""


@export.command("minutes")
@click.argument("ref")
@click.option("--format", "fmt", type=click.Choice(["yaml", "md"], case_sensitive=False), help="yaml (default) or md.")
@click.option("-o", "--output", metavar="FILE", help="Write to FILE instead of stdout.")
@pass_context
def export_minutes(context: Context, ref: str, fmt: str | None, output: str | None) -> None:
    """Minutes of meeting REF (e.g. M-12): YAML that `icm import minutes` reads back, or Markdown."""
    from icm_tui.export.minutes_yaml import render_minutes

    fmt = _format(fmt, output, ("yaml", "md"), "yaml")
    _emit(render_minutes(context.services(), ref, fmt).encode("utf-8"), output)


@export.command("actions")
@action_filter_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(ACTION_FORMATS, case_sensitive=False),
    help="csv, json, yaml, ics or taskwarrior (default: from the -o suffix).",
)
@click.option("-o", "--output", metavar="FILE", help="Write to FILE instead of stdout.")
@pass_context
def export_actions(context: Context, fmt: str | None, output: str | None, **filters) -> None:
    """Action items, filtered like `icm actions`, as CSV, JSON, YAML, iCalendar or Taskwarrior JSON."""
    from icm_tui.export.actions import export_actions as render

    fmt = _format(fmt, output, ACTION_FORMATS, None)
    _emit(render(context.services(), build_filter(**filters), fmt), output)


@click.group("import")
def import_group() -> None:
    """Read files written by `icm export` back into the workspace."""


@import_group.command("minutes")
@click.argument("file", type=click.Path(dir_okay=True, allow_dash=False))
@pass_context
def import_minutes(context: Context, file: str) -> None:
    """Import minutes written by `icm export minutes`; importing the same file again changes nothing."""
    from icm_tui.export.minutes_import import import_minutes as run_import

    summary = run_import(context.services(), file)
    for line in summary.lines():
        click.echo(line)
    sys.stdout.flush()
