"""Exporting 50,000 action items to CSV (target: under 1 s), and the other formats for comparison.

Run: python benchmarks/bench_export.py [--actions N] [--runs R]

The records come from benchmarks/generate.py (realistic histories, Chinese text mixed in), in a
TinyDB store on disk. Each run opens the store afresh and does what `icm export actions --format
FMT` does after its imports: read the items, sort them by due date, render. Prints the median of
R runs per format.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from generate import generate  # noqa: E402

from icm_tui.domain.loader import load_workspace_org  # noqa: E402
from icm_tui.export.actions import export_actions  # noqa: E402
from icm_tui.services import Services  # noqa: E402
from icm_tui.store.base import Kind  # noqa: E402
from icm_tui.store.tinydb_store import TinyDBStore  # noqa: E402
from icm_tui.workspace import Workspace  # noqa: E402

TARGET_CSV_SECONDS = 1.0


def median_seconds(func, runs: int) -> tuple[float, float]:
    """The median wall time and the median CPU time of `runs` calls of `func`.

    CPU time is shown too because a loaded machine (tests running beside it) stretches wall time.
    """
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        func()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--formats", default="csv,json,yaml,ics,taskwarrior")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        workspace = Path(folder)
        records = generate(workspace, args.actions)
        org = load_workspace_org(Workspace(workspace))
        data = workspace / "data"
        with TinyDBStore(data) as store:
            for kind in (Kind.ACTIONS, Kind.MEETINGS, Kind.PULSES):
                store.put_many(kind, records.get(kind, []))
            print(f"{len(store.action_summaries()):,} action items")

        def export(fmt: str) -> bytes:
            with TinyDBStore(data) as store:
                return export_actions(Services(store, org, actor="bench"), None, fmt)

        ok = True
        for fmt in args.formats.split(","):
            size = len(export(fmt))
            seconds, cpu = median_seconds(lambda: export(fmt), args.runs)
            line = f"export actions --format {fmt:<12} median {seconds * 1000:8.1f} ms (cpu {cpu * 1000:7.1f} ms, {size / 1e6:.1f} MB)"
            if fmt == "csv":
                passed = seconds < TARGET_CSV_SECONDS
                ok &= passed
                line += f"  target < {TARGET_CSV_SECONDS:.0f} s: {'ok' if passed else 'MISSED'}"
            print(line)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
