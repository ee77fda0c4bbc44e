"""`icm db ...`: check a register, restore it, create or migrate it, copy it between backends.

`check` and `restore` read the register named by --store / $ICM_STORE / org.yaml's `store:` like
every command, but never open it as a store: a TinyDB store refuses to open when a file is bad,
and a PostgreSQL one migrates on first use; a check must do neither.
"""

from __future__ import annotations

from pathlib import Path

import click

from icm_tui.store import is_pg_url

RESTORE_HELP = """Bring a register back from a backup.

\b
TinyDB (the data/ folder):
  icm db restore             replace each file that does not parse by its newest good backup
  icm db restore BACKUP      roll the whole store back to BACKUP (a name from `icm db check`)
  The files replaced are kept in data/corrupt/.

\b
PostgreSQL (--store / $ICM_STORE / `store:` in org.yaml):
  icm db restore SOURCE [--replace]
  SOURCE is a TinyDB register: a folder made by `icm db copy --from URL --to DIR` (the way to
  back up a shared register), a backup in the workspace's data/backups/ (by name), or a data/
  folder. It is read and verified whole first, then put in place of the register's records in
  one transaction: the register must be empty unless --replace, and the records it held are
  first kept in data/corrupt/ (restore that folder the same way to undo). Counts and content
  hashes of what was restored are printed; if anything fails, nothing is changed. Ref counters
  never go back, so no ref is handed out twice.
"""


def _context():
    return click.get_current_context().obj


def _pg_url() -> str | None:
    """The PostgreSQL URL this workspace's register is on, or None for TinyDB (psycopg is only needed for the former)."""
    context = _context()
    url = (context.store_url or context.org.store or "").strip()
    return url if is_pg_url(url) else None


def _data_dir() -> Path:
    """The TinyDB store's folder: --store / $ICM_STORE when it names a folder, else the workspace's data/."""
    context = _context()
    given = (context.store_url or "").strip()
    return Path(given).expanduser() if given else context.workspace.data_dir


@click.group()
def db() -> None:
    """Check, restore, create and copy the register (TinyDB files or a PostgreSQL database)."""


@db.command()
def check() -> None:
    """Check the register without changing it; one line per file or kind, and per problem; exit 3 when one is bad.

    \b
    TinyDB: every store file and every backup is parsed.
    PostgreSQL: the schema version and migrations, every row (does it decode, is its ref its
    row, do its filter columns say what its document says, is its history a chain of allowed
    transitions), the ref counters (at or above the highest ref), the refused attempts kept,
    and changes saved offline in this workspace that still wait to be sent.
    """
    url = _pg_url()
    if url is not None:
        from icm_tui.store.pg_admin import check as check_pg
        from icm_tui.store.pg_store import describe_url

        ok, lines = check_pg(url, _context().workspace.data_dir)
        for line in lines:
            click.echo(line)
        if not ok:
            click.echo(
                f"icm: the register at postgresql://{describe_url(url)} has problems (the BAD lines); "
                f"nothing was changed. `icm db restore FOLDER --replace` brings back a copy",
                err=True,
            )
            click.get_current_context().exit(3)
        return
    from icm_tui.store.admin import check as check_store

    ok, lines = check_store(_data_dir())
    for line in lines:
        click.echo(line)
    if not ok:
        click.echo("icm: some files do not parse; `icm db restore` puts good copies back", err=True)
        click.get_current_context().exit(3)


@db.command(help=RESTORE_HELP, short_help="Bring a register back from a backup (TinyDB files, or a PostgreSQL register from a TinyDB copy).")
@click.argument("source", required=False, metavar="[BACKUP|FOLDER]")
@click.option("--replace", is_flag=True, help="PostgreSQL: replace the records the register holds (kept in data/corrupt/ first).")
def restore(source: str | None, replace: bool) -> None:
    url = _pg_url()
    if url is not None:
        from icm_tui.errors import BadInput
        from icm_tui.store.admin import read_register
        from icm_tui.store.pg_admin import resolve_source
        from icm_tui.store.pg_admin import restore as restore_pg

        data_dir = _context().workspace.data_dir
        if source is None:
            raise BadInput(
                "a PostgreSQL register is restored from a TinyDB copy: icm db restore FOLDER|BACKUP [--replace] "
                "(see `icm db restore --help`)"
            )
        register = read_register(resolve_source(source, data_dir))
        for line in restore_pg(url, register, replace=replace, data_dir=data_dir):
            click.echo(line)
        return
    from icm_tui.store.admin import restore as restore_store

    data_dir = _data_dir()
    if source is not None and Path(source).expanduser().parent.resolve() == (data_dir / "backups").resolve():
        source = Path(source).name  # a backup named by its folder
    for line in restore_store(data_dir, source):
        click.echo(line)


def _open_named(where: str, *, create: bool):
    """The store at `where`: a postgresql:// URL, else a TinyDB data/ folder (errors as one line)."""
    from pathlib import Path

    from icm_tui.errors import StoreError
    if is_pg_url(where):
        from icm_tui.store.pg_store import PgStore

        return PgStore(where)
    from icm_tui.store.tinydb_store import TinyDBStore

    folder = Path(where).expanduser()
    if not create and not folder.is_dir():
        raise StoreError(f"no store in {folder}")
    return TinyDBStore(folder, create=create)


def _label(where: str) -> str:
    if not is_pg_url(where):
        return where
    from icm_tui.store.pg_store import describe_url

    return f"postgresql://{describe_url(where)}"


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
    from icm_tui.store.admin import content_hash, copy_register

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
