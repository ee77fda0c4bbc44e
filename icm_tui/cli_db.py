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


def _open_named(where: str, *, create: bool):
    """The store at `where`: a postgresql:// URL, else a TinyDB data/ folder (errors as one line)."""
    from pathlib import Path

    from icm_tui.errors import StoreError
    from icm_tui.store.pg_store import is_pg_url

    if is_pg_url(where):
        from icm_tui.store.pg_store import PgStore

        return PgStore(where)
    from icm_tui.store.tinydb_store import TinyDBStore

    folder = Path(where).expanduser()
    if not create and not folder.is_dir():
        raise StoreError(f"no store in {folder}")
    return TinyDBStore(folder, create=create)


def _label(where: str) -> str:
    from icm_tui.store.pg_store import describe_url, is_pg_url

    return f"postgresql://{describe_url(where)}" if is_pg_url(where) else where


@db.command()
def init() -> None:
    """Create the store, or migrate it to this icm's schema (PostgreSQL: --store URL or $ICM_STORE)."""
    context = click.get_current_context().obj
    store = context.store
    version = getattr(store, "init", None)
    if version is not None:
        click.echo(f"{store.where}: icm schema version {version()}")
    else:
        click.echo(f"{context.workspace.data_dir}: store ready")


@db.command()
@click.option("--from", "source", required=True, metavar="A", help="A postgresql:// URL or a TinyDB data/ folder.")
@click.option("--to", "target", required=True, metavar="B", help="A postgresql:// URL or a TinyDB data/ folder (empty).")
def copy(source: str, target: str) -> None:
    """Copy a whole register between TinyDB and PostgreSQL, keeping uids, refs and histories; compare counts and hashes."""
    from icm_tui.errors import StoreError
    from icm_tui.store.pg_store import content_hash, copy_register

    with _open_named(source, create=False) as src, _open_named(target, create=True) as dst:
        copied = copy_register(src, dst)
    with _open_named(target, create=False) as check:
        again = [content_hash(check, line.kind) for line in copied]
    for line, back in zip(copied, again):
        click.echo(f"{line.kind.value:<9} {line.count:>8} records  sha256 {line.sha256[:16]}  (from)")
        click.echo(f"{back.kind.value:<9} {back.count:>8} records  sha256 {back.sha256[:16]}  (to)")
    if copied != again:
        raise StoreError(f"the copy in {_label(target)} differs from {_label(source)}")
    total = sum(line.count for line in copied)
    click.echo(f"copied {total} records from {_label(source)} to {_label(target)}: counts and content hashes equal")
