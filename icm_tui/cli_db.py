"""`icm db check` and `icm db restore`: verify the store files and their backups, bring a good copy back."""

from __future__ import annotations

import click


def _data_dir():
    return click.get_current_context().obj.workspace.data_dir


@click.group()
def db() -> None:
    """Check the store's files and backups, restore a backup."""


@db.command()
def check() -> None:
    """Parse every store file and every backup; one line per file; exit 3 when one is bad."""
    from icm_tui.store.admin import check as check_store

    ok, lines = check_store(_data_dir())
    for line in lines:
        click.echo(line)
    if not ok:
        click.echo("icm: some files do not parse; `icm db restore` puts good copies back", err=True)
        click.get_current_context().exit(3)


@db.command()
@click.argument("backup", required=False)
def restore(backup: str | None) -> None:
    """Replace bad store files by their newest good backup (or roll back to BACKUP), keeping the old ones."""
    from icm_tui.store.admin import restore as restore_store

    for line in restore_store(_data_dir(), backup):
        click.echo(line)
