"""The store at 1k, 10k and 50k action items next to Taskwarrior 2.6 on the same data.

Target (DESIGN.md §10): `icm actions --status open --supplier X` and `icm action add` each at most
half the time of `task list` / `task add` at 50,000 items (required: faster). Also times opening
the store and counting its items (`python -c`), next to `task count`.

Run: python benchmarks/bench_store.py [--sizes 1000 10000 50000] [--runs 5] [--supplier it]

Each size gets a generated workspace (benchmarks/generate.py) and a throwaway TASKDATA holding the
same items (`task import`: open/in_progress/blocked/done -> pending, closed -> completed,
dropped -> deleted, supplier -> project, requester -> tag, history notes -> annotations). Every
command runs as a fresh process, as a user types it, with byte-code caching on (as an installed
icm has it) and one warm-up run; medians of --runs runs are printed, with icm / task ratios.
Installs Taskwarrior with apt-get when `task` is missing (not for CI).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import generate  # noqa: E402

from icm_tui.domain.models import ActionItem, Status  # noqa: E402
from icm_tui.store.base import Kind  # noqa: E402

TW_STATUS = {Status.CLOSED: "completed", Status.DROPPED: "deleted"}
TW_PRIORITY = {"low": "L", "normal": "M", "high": "H", "urgent": "H"}


def ensure_taskwarrior() -> str:
    """The path of `task`, installing Taskwarrior when it is missing."""
    found = shutil.which("task")
    if found is None:
        subprocess.run(["apt-get", "install", "-y", "taskwarrior"], check=True)
        found = shutil.which("task")
    if found is None:
        sys.exit("taskwarrior is not available")
    return found


def tw_stamp(value) -> str:
    return value.astimezone(generate.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def tw_task(item: ActionItem) -> dict:
    """The Taskwarrior task for an action item."""
    task = {
        "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, item.uid)),
        "description": item.title,
        "status": TW_STATUS.get(item.status, "pending"),
        "entry": tw_stamp(item.created),
        "modified": tw_stamp(item.updated),
        "project": item.supplier,
        "tags": [f"for_{item.requester}"],
        "priority": TW_PRIORITY[item.priority.value],
        "annotations": [{"entry": tw_stamp(e.at), "description": e.note} for e in item.history if e.note],
    }
    if item.due:
        task["due"] = item.due.strftime("%Y%m%dT000000Z")
    if task["status"] != "pending":
        task["end"] = tw_stamp(item.closed_at or item.updated)
    if not task["annotations"]:
        del task["annotations"]
    return task


def median_time(command: list[str], env: dict, runs: int, cwd: Path) -> float:
    """Median wall time of `command` over `runs` runs, after one warm-up run."""
    times = []
    for n in range(runs + 1):
        began = time.perf_counter()
        result = subprocess.run(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        elapsed = time.perf_counter() - began
        if result.returncode != 0:
            sys.exit(f"{' '.join(command)} failed: {result.stderr.decode(errors='replace')}")
        if n:
            times.append(elapsed)
    return statistics.median(times)


def bench_size(size: int, runs: int, supplier: str, task: str, root: Path) -> list[tuple[str, float, float]]:
    """(what, icm seconds, task seconds) for one register size."""
    workspace = root / f"ws-{size}"
    workspace.mkdir()
    records = generate.generate(workspace, size, seed=size)
    generate.write(workspace, records)

    taskdata = root / f"task-{size}"
    taskdata.mkdir()
    taskrc = root / f"taskrc-{size}"
    taskrc.write_text(f"data.location={taskdata}\nconfirmation=off\nverbose=nothing\nhooks=off\nnews.version=2.6.2\n")
    tw_env = {**os.environ, "TASKRC": str(taskrc), "TASKDATA": str(taskdata)}
    export = root / f"tasks-{size}.json"
    export.write_text("\n".join(json.dumps(tw_task(a), ensure_ascii=False) for a in records[Kind.ACTIONS]))
    subprocess.run([task, "import", str(export)], env=tw_env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)

    icm_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    icm_env["PYTHONPYCACHEPREFIX"] = str(root / "pycache")
    icm_env["ICM_WORKSPACE"] = str(workspace)
    icm = [sys.executable, "-m", "icm_tui"]
    opener = ("import sys; from icm_tui.store import open_store; "
              "print(len(open_store(sys.argv[1]).actions()))")
    rows = [
        ("list open, one supplier",
         median_time([*icm, "actions", "--status", "open", "--supplier", supplier], icm_env, runs, workspace),
         median_time([task, f"project:{supplier}", "status:pending", "list"], tw_env, runs, workspace)),
        ("add an item",
         median_time([*icm, "action", "add", "Benchmark item 基准", "--owner", "zhang-wei"], icm_env, runs, workspace),
         median_time([task, "add", "Benchmark item 基准", f"project:{supplier}"], tw_env, runs, workspace)),
        ("open + count (python -c / task count)",
         median_time([sys.executable, "-c", opener, str(workspace / "data")], icm_env, runs, workspace),
         median_time([task, "count"], tw_env, runs, workspace)),
    ]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--supplier", default="it")
    parser.add_argument("--keep", action="store_true", help="Keep the generated workspaces.")
    args = parser.parse_args()
    task = ensure_taskwarrior()
    version = subprocess.run([task, "--version"], capture_output=True, text=True).stdout.strip()
    root = Path(tempfile.mkdtemp(prefix="icm-bench-store-"))
    print(f"Taskwarrior {version}; medians of {args.runs} runs; workspaces in {root}")
    print(f"{'items':>7}  {'what':<40} {'icm':>9} {'task':>9} {'icm/task':>9}")
    try:
        for size in args.sizes:
            for what, mine, theirs in bench_size(size, args.runs, args.supplier, task, root):
                print(f"{size:>7}  {what:<40} {mine * 1000:>7.0f}ms {theirs * 1000:>7.0f}ms {mine / theirs:>9.2f}",
                      flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
