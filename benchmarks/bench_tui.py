"""The TUI at 50,000 action items: home screen first paint and data ready; capturing an action in a meeting.

Targets (DESIGN.md §10): first paint of the home screen under 0.5 s and its data under 1 s;
capturing an action durable within 150 ms of the key that saves it, with the event loop never
blocked more than 50 ms meanwhile.

- home: each run is a fresh process (`--child-home`), so imports, opening the TinyDB store and
  reading every shard are all counted. "first paint" is process start (before any import) to the
  home screen painted with its placeholders; "data ready" is to the screen painted with the
  series, counts and scoreboard. Both are taken after the screen's refresh (call_after_refresh).
- capture: in one headless app at 120x40 on a copy of the store, a meeting runs on the weekly
  agenda; each capture types title, owner, requester, due and priority in the dialog, then the
  clock starts at the Enter that saves. "durable" is until Services.capture_action has returned
  on the store thread (the shard written, fsynced and renamed; checked afterwards by reopening
  the store); "shown" until the runner lists it. "stall" is the longest gap of a 2 ms ticker on
  the event loop from that Enter to 100 ms after the item is shown, minus the tick.

The workspace is made once by benchmarks/generate.py and kept in --workspace (default
/tmp/icm-bench-tui-50000); the capture runs on a copy of its data/ folder.

Run: python benchmarks/bench_tui.py [--actions 50000] [--runs 5] [--captures 15] [--workspace DIR]
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TICK = 0.002


def ensure_workspace(workspace: Path, actions: int) -> None:
    """Generate the workspace once (org.yaml, agendas, `actions` items with histories)."""
    if (workspace / "data").exists():
        return
    subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "generate.py"), "--workspace", str(workspace), "--actions", str(actions)],
        check=True,
    )


# ------------------------------------------------------------------ home (child process)


def child_home(workspace_dir: str) -> None:
    """Open the app on the workspace as `icm` does; print the times since process start as JSON."""
    from icm_tui.domain.loader import load_workspace_org
    from icm_tui.store import open_store
    from icm_tui.tui.app import IcmApp
    from icm_tui.tui.screens import home
    from icm_tui.workspace import Workspace

    imported = time.perf_counter()
    marks: dict[str, float] = {}
    original_mount, original_show = home.HomeScreen.on_mount, home.HomeScreen._show

    def on_mount(self) -> None:
        original_mount(self)
        self.call_after_refresh(lambda: marks.setdefault("first_paint", time.perf_counter()))

    def show(self, data) -> None:
        original_show(self, data)
        self.call_after_refresh(lambda: marks.setdefault("data_ready", time.perf_counter()))

    home.HomeScreen.on_mount = on_mount  # type: ignore[method-assign]
    home.HomeScreen._show = show  # type: ignore[method-assign]

    workspace = Workspace(Path(workspace_dir))
    org = load_workspace_org(workspace)
    store = open_store(workspace.data_dir)
    app = IcmApp(workspace, store=store, org=org, poll=False)

    async def run() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            while "data_ready" not in marks:
                await asyncio.sleep(0.005)
            await pilot.pause()
            assert app.screen.data.actions > 0  # type: ignore[attr-defined]

    asyncio.run(run())
    store.close()
    print(json.dumps({
        "imports": imported - STARTED,
        "first_paint": marks["first_paint"] - STARTED,
        "data_ready": marks["data_ready"] - STARTED,
    }))


def bench_home(workspace: Path, runs: int) -> dict[str, list[float]]:
    """Run the home screen in `runs` fresh processes."""
    results: dict[str, list[float]] = {"imports": [], "first_paint": [], "data_ready": []}
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, __file__, "--child-home", str(workspace)], check=True, capture_output=True, text=True
        ).stdout
        for key, value in json.loads(out.strip().splitlines()[-1]).items():
            results[key].append(value)
    return results


# ------------------------------------------------------------------ capture (in process)


async def capture_run(workspace_dir: Path, captures: int) -> dict[str, list[float]]:
    """Capture `captures` actions in a running meeting; time each from the saving Enter."""
    from icm_tui.domain.loader import load_agenda, load_workspace_org
    from icm_tui.store.tinydb_store import TinyDBStore
    from icm_tui.tui.app import IcmApp
    from icm_tui.tui.dialogs.capture import CaptureDialog
    from icm_tui.tui.screens.runner import RunnerScreen
    from icm_tui.workspace import Workspace

    workspace = Workspace(workspace_dir)
    org = load_workspace_org(workspace)
    store = TinyDBStore(workspace.data_dir)
    app = IcmApp(workspace, store=store, org=org, poll=False)
    agenda_path = next(p for p in workspace.agenda_paths() if "weekly" in p.name)
    agenda = load_agenda(agenda_path, org)
    meeting = app.services.start_meeting(agenda)
    discussion = next(i for i, item in enumerate(agenda.items) if item.kind.value == "discussion")
    app.services.go_to(meeting.ref, discussion)
    owner = org.people[0].id

    returned: dict[str, float] = {}
    capture = app.services.capture_action

    def timed_capture(*args, **kwargs):
        action = capture(*args, **kwargs)
        returned[action.title] = time.perf_counter()
        return action

    app.services.capture_action = timed_capture  # type: ignore[method-assign]
    results: dict[str, list[float]] = {"durable": [], "shown": [], "stall": []}
    made: list[str] = []

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.push_screen(RunnerScreen(meeting.ref))
        runner = app.screen_stack[-1]
        while runner.meeting is None:
            await asyncio.sleep(0.01)
        await pilot.pause()
        for number in range(captures):
            title = f"Benchmark capture {number}"
            await pilot.press("c")
            while not isinstance(app.screen, CaptureDialog):
                await pilot.pause()
            await pilot.press(*title, "enter", *owner, "enter", "enter", *"fri", "enter", *"high")
            await pilot.pause()
            gaps: list[float] = []
            running = True

            async def ticker() -> None:
                last = time.perf_counter()
                while running:
                    await asyncio.sleep(TICK)
                    now = time.perf_counter()
                    gaps.append(now - last - TICK)
                    last = now

            task = asyncio.create_task(ticker())
            await asyncio.sleep(TICK * 3)
            pressed = time.perf_counter()
            await pilot.press("enter")
            while not any(a.title == title for a in runner.actions.values()):
                await asyncio.sleep(0.001)
            shown = time.perf_counter()
            await asyncio.sleep(0.1)
            running = False
            await task
            results["durable"].append(returned[title] - pressed)
            results["shown"].append(shown - pressed)
            results["stall"].append(max(gaps))
            made.append(title)
            await app.settle()
    store.close()
    reopened = TinyDBStore(workspace.data_dir)
    titles = {a.title for a in reopened.actions() if a.meeting == meeting.ref}
    reopened.close()
    missing = [t for t in made if t not in titles]
    assert not missing, f"not durable: {missing}"
    return results


def bench_capture(workspace: Path, captures: int) -> dict[str, list[float]]:
    """Capture actions on a copy of the workspace's store."""
    with tempfile.TemporaryDirectory(prefix="icm-bench-capture-") as tmp:
        copy = Path(tmp)
        shutil.copytree(workspace / "agendas", copy / "agendas")
        shutil.copytree(workspace / "data", copy / "data")
        return asyncio.run(capture_run(copy, captures))


# ------------------------------------------------------------------ report


def line(name: str, values: list[float], target: float | None) -> str:
    """`name  median  (min .. max)  target` in milliseconds."""
    median = statistics.median(values)
    verdict = "" if target is None else ("  ok" if median < target else "  OVER")
    aim = f"  target < {target * 1000:.0f} ms{verdict}" if target is not None else ""
    return f"  {name:<24} median {median * 1000:7.1f} ms   (min {min(values) * 1000:.1f}, max {max(values) * 1000:.1f}, n={len(values)}){aim}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=50000)
    parser.add_argument("--runs", type=int, default=5, help="fresh processes for the home screen")
    parser.add_argument("--captures", type=int, default=15)
    parser.add_argument("--workspace", type=Path, default=None)
    parser.add_argument("--child-home", dest="child_home", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_home:
        child_home(args.child_home)
        return
    workspace = args.workspace or Path(tempfile.gettempdir()) / f"icm-bench-tui-{args.actions}"
    ensure_workspace(workspace, args.actions)
    print(f"workspace {workspace} ({args.actions} action items), TinyDB store, 120x40 headless")
    home = bench_home(workspace, args.runs)
    print("home screen (fresh process each run; times from process start):")
    print(line("imports", home["imports"], None))
    print(line("first paint", home["first_paint"], 0.5))
    print(line("data ready", home["data_ready"], 1.0))
    capture = bench_capture(workspace, args.captures)
    print("capturing an action in a meeting (from the Enter that saves it):")
    print(line("durable", capture["durable"], 0.150))
    print(line("shown in the runner", capture["shown"], None))
    print(line("longest loop stall", capture["stall"], 0.050))
    print(f"  worst stall over all captures: {max(capture['stall']) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
