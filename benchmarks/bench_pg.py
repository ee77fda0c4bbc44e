"""PostgreSQL next to TinyDB at 50,000 items: `icm actions`, `icm action add`, and `icm db copy` both ways.

Run: python benchmarks/bench_pg.py [--items 50000] [--runs 7] [--url postgresql://...]

Without --url a throwaway PostgreSQL cluster is started (tests/pg.py: Debian's server binaries,
a temp folder, a free local port; durability off, as on any test server) and deleted afterwards.
With --url the register is written into a new schema of that database (dropped afterwards).
The register is bench_report's seeded generator. Every figure is the median wall time of the
whole command in a fresh process (`python -m icm_tui ...`), as a user would run it.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

from bench_report import generate, median_ms, write_workspace  # noqa: E402


def icm(env: dict[str, str], *args: str) -> str:
    """Run one icm command; its stdout (raises on failure)."""
    done = subprocess.run([sys.executable, "-m", "icm_tui", *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"icm {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def copy_figures(out: str) -> dict[tuple[str, str], tuple[str, str]]:
    """(kind, from|to) -> (count, hash) from `icm db copy`'s report."""
    found = re.findall(r"^(\w+)\s+(\d+) records  sha256 ([0-9a-f]{16})  \((from|to)\)$", out, re.M)
    return {(kind, side): (count, digest) for kind, count, digest, side in found}


def in_process(url: str, data_dir: Path, runs: int) -> dict[str, tuple[float, float]]:
    """Open + list (all items, then filter) and open + add, on each store, inside this process."""
    from icm_tui.domain.models import Status
    from icm_tui.domain.query import ActionFilter
    from icm_tui.services import Services
    from icm_tui.store.pg_store import PgStore
    from icm_tui.store.tinydb_store import TinyDBStore

    wanted = ActionFilter(status=frozenset({Status.OPEN}), supplier="it")
    opens = {"TinyDB": lambda: TinyDBStore(data_dir, create=False), "PostgreSQL": lambda: PgStore(url)}
    out: dict[str, list[float]] = {}

    def listing(open_):
        with open_() as store:
            Services(store).actions(wanted)

    def where(open_):
        with open_() as store:
            store.actions_where(wanted) if hasattr(store, "actions_where") else Services(store).actions(wanted)

    def add(open_):
        with open_() as store:
            Services(store).add_action("bench", owner="it-1", requester="sales")

    for label, job in (("open + actions(filter) via all()", listing), ("open + actions_where(filter)", where),
                       ("open + add_action", add)):
        out[label] = [median_ms(lambda: job(opens[name]), runs) for name in ("TinyDB", "PostgreSQL")]
    return {label: (a, b) for label, (a, b) in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--url", help="an existing PostgreSQL database (a new schema is used and dropped)")
    args = parser.parse_args()

    import psycopg

    import pg

    cluster = None
    if args.url:
        schema = f"icm_bench_{os.getpid()}"
        with psycopg.connect(args.url, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        url = f"{args.url}{'&' if '?' in args.url else '?'}options=-csearch_path%3D{schema}"
    else:
        cluster = pg.start_cluster()
        if cluster is None:
            raise SystemExit("no PostgreSQL server binaries (apt-get install postgresql), and no --url")
        url = cluster.new_schema()
    try:
        with tempfile.TemporaryDirectory(prefix="icm-bench-pg-") as tmp:
            folder = Path(tmp)
            data = generate(args.items)
            write_workspace(folder, data)
            print(f"register: {len(data['actions'])} items, {len(data['pulses'])} pulses, "
                  f"{len(data['requests'])} requests, {len(data['meetings'])} meetings")
            env = {**os.environ, "ICM_WORKSPACE": str(folder)}
            env.pop("ICM_STORE", None)

            begin = time.perf_counter()
            there = copy_figures(icm(env, "db", "copy", "--from", str(folder / "data"), "--to", url))
            print(f"icm db copy TinyDB -> PostgreSQL    {time.perf_counter() - begin:7.1f} s")
            begin = time.perf_counter()
            back = copy_figures(icm(env, "db", "copy", "--from", url, "--to", str(folder / "copy")))
            print(f"icm db copy PostgreSQL -> TinyDB    {time.perf_counter() - begin:7.1f} s")
            for (kind, side), (count, digest) in sorted(there.items()):
                if side == "from":
                    same = there[(kind, "to")] == back[(kind, "from")] == back[(kind, "to")] == (count, digest)
                    print(f"  {kind:<9} {count:>6} records  sha256 {digest}  {'equal both ways' if same else 'DIFFERENT'}")

            stores = {"TinyDB": env, "PostgreSQL": {**env, "ICM_STORE": url}}
            listing = ("actions", "--status", "open", "--supplier", "it")
            results: dict[str, dict[str, float]] = {name: {} for name in stores}
            for name, store_env in stores.items():
                icm(store_env, *listing)  # warm the OS file cache / the server's buffers
                results[name]["list"] = median_ms(lambda: icm(store_env, *listing), args.runs)
                counter = iter(range(10**6))
                results[name]["add"] = median_ms(
                    lambda: icm(store_env, "action", "add", f"bench {next(counter)}", "--owner", "it-1", "--requester", "sales"),
                    args.runs,
                )
            floor = median_ms(lambda: icm(env, "--version"), args.runs)
            inproc = in_process(url, folder / "data", args.runs)
            print(f"\nmedians of {args.runs} runs, whole command          TinyDB   PostgreSQL")
            print(f"icm actions --status open --supplier it   {results['TinyDB']['list']:7.0f} ms  {results['PostgreSQL']['list']:7.0f} ms")
            print(f"icm action add                            {results['TinyDB']['add']:7.0f} ms  {results['PostgreSQL']['add']:7.0f} ms")
            print(f"icm --version (start-up floor)            {floor:7.0f} ms")
            print("\nin process (no interpreter start-up), medians       TinyDB   PostgreSQL")
            for what, (tiny, pg_ms) in inproc.items():
                print(f"{what:<42}{tiny:7.1f} ms  {pg_ms:7.1f} ms")
    finally:
        if cluster is not None:
            cluster.destroy()
        elif args.url:
            with psycopg.connect(args.url, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA icm_bench_{os.getpid()} CASCADE")


if __name__ == "__main__":
    main()
