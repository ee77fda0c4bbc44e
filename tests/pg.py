"""Throwaway PostgreSQL clusters for the tests and benchmarks: initdb in a temp folder, a free local port.

Uses the server binaries of Debian's package (/usr/lib/postgresql/N/bin), `pg_config --bindir`
or $ICM_PG_BIN. Running as root, the cluster is owned by and run as the `postgres` user (or
`nobody`): PostgreSQL refuses to run as root. Durability is switched off (fsync, full page
writes): these clusters hold test data only and are deleted afterwards.

$ICM_TEST_PG_URL points the tests at an existing server instead (each test still gets its own
schema there).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

USER = "icm"
PASSWORD = "icm-test"
DATABASE = "icm"
_names = itertools.count(1)


def find_bindir() -> Path | None:
    """The folder holding initdb and pg_ctl, or None when PostgreSQL's server is not installed."""
    candidates = []
    if os.environ.get("ICM_PG_BIN"):
        candidates.append(Path(os.environ["ICM_PG_BIN"]))
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, timeout=10).stdout.strip()
        if out:
            candidates.append(Path(out))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, reverse=True)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run_as() -> str | None:
    """The user to run the server as when we are root (None: as ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise RuntimeError("running as root and there is neither a postgres nor a nobody user to run PostgreSQL as")


LOCKED_USER = "icm_pw"
"""A role that must give its password (PASSWORD): the tests of wrong passwords use it. The icm
role is trusted, so each test's many connections skip SCRAM's deliberately slow hashing."""

HBA = f"""local all all trust
host all {LOCKED_USER} 127.0.0.1/32 scram-sha-256
host all all 127.0.0.1/32 trust
"""


class Cluster:
    """One throwaway PostgreSQL server on 127.0.0.1: trusted icm role, password-only icm_pw role."""

    def __init__(self, bindir: Path, folder: Path | None = None) -> None:
        self.bindir = bindir
        self.folder = folder or Path(tempfile.mkdtemp(prefix="icm-pg-", dir=_scratch()))
        self.data = self.folder / "data"
        self.port = _free_port()
        self.user = _run_as()

    def _cmd(self, *args: str | os.PathLike[str]) -> list[str]:
        command = [str(a) for a in args]
        return ["runuser", "-u", self.user, "--", *command] if self.user else command

    def _chown(self) -> None:
        if self.user:
            entry = pwd.getpwnam(self.user)
            for path in [self.folder, *self.folder.rglob("*")]:
                os.lchown(path, entry.pw_uid, entry.pw_gid)

    def init(self) -> "Cluster":
        """initdb, start, create the icm role's password and database."""
        self._chown()
        pwfile = self.folder / "pw"
        pwfile.write_text(PASSWORD + "\n")
        self._chown()
        subprocess.run(
            self._cmd(self.bindir / "initdb", "-D", self.data, "-U", USER, "--pwfile", pwfile, "-E", "UTF8",
                      "--locale=C", "--no-sync", "--auth-local=trust", "--auth-host=scram-sha-256"),
            check=True, capture_output=True, timeout=120,
        )
        pwfile.unlink()
        (self.data / "pg_hba.conf").write_text(HBA)
        self._chown()
        self.start()
        self.psql(f"CREATE DATABASE {DATABASE}")
        self.psql(f"CREATE ROLE {LOCKED_USER} LOGIN SUPERUSER PASSWORD '{PASSWORD}'")
        return self

    def clone(self) -> "Cluster":
        """A second server from a copy of this one's files (stopped while copying): no initdb."""
        other = Cluster(self.bindir)
        self.stop()
        shutil.copytree(self.data, other.data, symlinks=True)
        (other.data / "postmaster.pid").unlink(missing_ok=True)
        self.start()
        other._chown()
        other.start()
        return other

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = (
            f"-k {self.folder} -p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off "
            f"-c full_page_writes=off -c synchronous_commit=off -c max_connections=60"
        )
        subprocess.run(
            self._cmd(self.bindir / "pg_ctl", "-D", self.data, "-o", options, "-l", self.folder / "log", "-w", "-t", "60", "start"),
            check=True, capture_output=True, timeout=90,
        )

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (fast: disconnect clients, clean shutdown)."""
        subprocess.run(
            self._cmd(self.bindir / "pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "60", "stop"),
            capture_output=True, timeout=90,
        )

    def psql(self, statement: str, dbname: str = "postgres") -> None:
        """Run one statement over the socket as the icm role."""
        import psycopg

        with psycopg.connect(host=str(self.folder), port=self.port, user=USER, dbname=dbname, autocommit=True) as conn:
            conn.execute(statement)

    def url(self, schema: str | None = None, *, user: str = USER, password: str = PASSWORD, port: int | None = None) -> str:
        """A TCP connection URL, in its own schema when given."""
        url = f"postgresql://{user}:{password}@127.0.0.1:{port or self.port}/{DATABASE}"
        return url + (f"?options=-csearch_path%3D{schema}" if schema else "")

    def new_schema(self) -> str:
        """A fresh empty schema in the icm database; its URL."""
        name = f"t{os.getpid()}_{next(_names)}"
        self.psql(f"CREATE SCHEMA {name}", DATABASE)
        return self.url(name)

    def destroy(self) -> None:
        """Stop the server at once and delete its files."""
        self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


class External:
    """An existing server given by $ICM_TEST_PG_URL: each test gets a schema of its own there."""

    def __init__(self, url: str) -> None:
        self.base = url

    def new_schema(self) -> str:
        """A fresh empty schema; its URL."""
        import psycopg

        name = f"icm_test_{os.getpid()}_{next(_names)}_{int(time.time())}"
        with psycopg.connect(self.base, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {name}")
        separator = "&" if "?" in self.base else "?"
        return f"{self.base}{separator}options=-csearch_path%3D{name}"

    def destroy(self) -> None:
        """Nothing to stop: the server is not ours."""


def start_cluster() -> Cluster | None:
    """A running throwaway cluster, or None when the server binaries are not installed."""
    bindir = find_bindir()
    if bindir is None:
        return None
    return Cluster(bindir).init()


def _scratch() -> str | None:
    """Where clusters live: /dev/shm when there is one (DDL and TRUNCATE are file work), else the temp dir."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None
