"""Memory of a real `icm` session at 50,000 action items: peak RSS on each screen.

Target (DESIGN.md §10): under 150 MB. The real program (`python -m icm_tui -w WORKSPACE`) runs
in a private tmux server at 120x40 (as a user's terminal would show it), and a person's session
is played on it:

- home:     start, until the home screen shows its counts
- actions:  `a`, until the actions screen shows its rows ("Showing n of 50,000")
- filter:   `/` and typing "laptop", then "invoice approval" (a key every 120 ms), Esc Esc clears
- reports:  Esc back home, `R`, until the report is computed
- back:     Esc back home, until the home screen has read the register again

With `--session meeting`, a meeting is run instead, on a copy of the workspace made for each run
(the session writes: a meeting, an action, a pulse, review outcomes, minutes):

- home:     start, until the home screen shows its counts
- start:    `n` (the agenda picker), Enter on the monthly review, `s` (everyone present), until the
            review item lists its queue; `k` carries the first two items
- capture:  to the discussion item, `c`, an action typed in the dialog, until the item lists it
- pulse:    to the pulse item, until its grid shows; `4` rates the highlighted pair
- end:      `f`, `y`, until the summary shows (the minutes are written)
- actions:  Esc back home, `a`, until the actions screen shows its rows
- back:     Esc back home, until the home screen has read the register again

Meanwhile VmRSS and VmHWM are read from /proc/PID/status every 10 ms. A phase's peak is the
process's high-water mark when it rose during the phase (exact), else the highest sample; "end"
is VmRSS once the phase has settled (after a 1.5 s pause), what the screen holds on to. Printed:
the median over the runs of each, in MB (2^20 bytes), and the session's peak (VmHWM at exit); with
`--session meeting`, also the seconds from `s` until the review queue shows its rows.

The workspace is made once by benchmarks/generate.py and kept in --workspace (default
/tmp/icm-bench-tui-50000, the one bench_tui.py uses).

Needs tmux. Run: python benchmarks/bench_memory.py [--session browse|meeting] [--actions 50000] [--runs 3]
[--size 120x40] [--workspace DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_MB = 150
SETTLE = 1.5
"""Seconds each phase is watched after its screen is ready (workers finishing, the GC, the poll)."""
KEY_GAP = 0.12
"""A fast typist: a key every 120 ms."""
QUERIES = ["laptop", "invoice approval"]
SESSIONS = {
    "browse": ["home", "actions", "filter", "reports", "back"],
    "meeting": ["home", "start", "capture", "pulse", "end", "actions", "back"],
}
REVIEW_ROW = re.compile(r"\bA-\d+\b")
"""A row of the review queue (the agenda and the header show no action refs)."""


def ensure_workspace(workspace: Path, actions: int) -> None:
    """Generate the workspace once (org.yaml, agendas, `actions` items with histories)."""
    if (workspace / "data").exists():
        return
    subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "generate.py"), "--workspace", str(workspace), "--actions", str(actions)],
        check=True,
    )


def status_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of `pid` in KiB; (0, 0) once it is gone."""
    rss = hwm = 0
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return rss, hwm


@dataclass
class Sampler:
    """Reads VmRSS/VmHWM every 10 ms on a thread; tracks the highest sample of the current phase."""

    pid: int
    phase: str = ""
    peaks: dict[str, int] = field(default_factory=dict)
    running: bool = True

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while self.running:
            rss, _ = status_kb(self.pid)
            if rss and self.phase:
                self.peaks[self.phase] = max(self.peaks.get(self.phase, 0), rss)
            time.sleep(0.01)

    def stop(self) -> None:
        self.running = False
        self.thread.join()


class Terminal:
    """`icm` in a private tmux server: send keys, read the screen."""

    runs = 0

    def __init__(self, workspace: Path, size: str) -> None:
        Terminal.runs += 1
        self.socket = f"icm-bench-memory-{os.getpid()}-{Terminal.runs}"
        cols, rows = size.split("x")
        command = (
            f"exec env TERM=xterm-256color COLORTERM=truecolor {sys.executable} -m icm_tui -w {workspace}"
        )
        self._tmux("new-session", "-d", "-s", "bench", "-x", cols, "-y", rows, command)
        self.pid = int(self._tmux("list-panes", "-t", "bench", "-F", "#{pane_pid}").strip())

    def _tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"tmux {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def screen(self) -> str:
        """The screen as text."""
        return self._tmux("capture-pane", "-p", "-t", "bench")

    def keys(self, *keys: str) -> None:
        """tmux key names (Escape, Enter, a ...)."""
        for key in keys:
            self._tmux("send-keys", "-t", "bench", key)
            time.sleep(0.05)

    def type(self, text: str) -> None:
        """Type `text` a key at a time, a fast typist's pace."""
        for char in text:
            self._tmux("send-keys", "-t", "bench", "-l", char)
            time.sleep(KEY_GAP)

    def wait(self, *texts: str, timeout: float = 60.0, gone: bool = False) -> str:
        """Wait until every one of `texts` is on the screen (or, with `gone`, none is); the screen."""
        end = time.monotonic() + timeout
        while True:
            screen = self.screen()
            present = [t in screen for t in texts]
            if (not any(present)) if gone else all(present):
                return screen
            if "Traceback" in screen or "[exited]" in screen or time.monotonic() > end:
                raise RuntimeError(f"waiting for {texts} ({'gone' if gone else 'shown'}); the screen:\n{screen}")
            time.sleep(0.05)

    def wait_match(self, pattern: re.Pattern[str], timeout: float = 60.0) -> str:
        """Wait until `pattern` matches somewhere on the screen; the screen."""
        end = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if pattern.search(screen):
                return screen
            if "Traceback" in screen or "[exited]" in screen or time.monotonic() > end:
                raise RuntimeError(f"waiting for {pattern.pattern}; the screen:\n{screen}")
            time.sleep(0.05)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


def browse(term: Terminal, actions: int, phase: Callable[[str], None], settle: Callable[[str], None],
           timings: dict[str, float]) -> None:
    """Home, the actions screen, filtering it, reports, home again."""
    total = f"{actions:,}"
    phase("home")
    term.wait(f"{actions} action items")  # the banner, once the register is read
    settle("home")

    phase("actions")
    term.keys("a")
    term.wait(f"of {total}", "Action items —")
    settle("actions")

    phase("filter")
    for query in QUERIES:
        term.keys("/")
        time.sleep(0.3)  # the filter line takes the focus (a key sent before that goes to the list)
        term.type(query)
        term.wait(f"“{query}”")
        term.keys("Escape", "Escape")  # leave the filter line, clear the filter
        term.wait(f"“{query}”", gone=True)
    settle("filter")

    phase("reports")
    term.keys("Escape")
    term.wait("Run a meeting")  # the home screen's footer
    term.keys("R")
    term.wait("w: window", "Reports —")
    settle("reports")

    phase("back")
    term.keys("Escape")
    term.wait("Run a meeting")
    settle("back")


def meeting(term: Terminal, actions: int, phase: Callable[[str], None], settle: Callable[[str], None],
            timings: dict[str, float]) -> None:
    """Run the monthly review: its review queue, a captured action, the pulse, the end; then the actions screen.

    `timings["queue"]`: seconds from `s` (start the meeting) until the review queue's rows show.
    """
    phase("home")
    term.wait(f"{actions} action items")
    settle("home")

    phase("start")
    term.keys("n")
    term.wait("Run this agenda")
    term.keys("Enter")  # the monthly review, first in the list
    term.wait("Who is present?")
    term.keys("s")
    started = time.monotonic()
    term.wait("1/6 ")
    term.wait_match(REVIEW_ROW)  # the queue is read
    timings["queue"] = time.monotonic() - started
    for _ in range(2):
        term.keys("k")  # carried over
        time.sleep(0.5)
    settle("start")

    phase("capture")
    term.keys("n", "n")
    term.wait("3/6 ")
    term.keys("c")
    term.wait("New action under")
    term.type("Bench hiring map")
    term.keys("Enter")
    term.type("anna-schmidt")
    term.keys("Enter", "Enter")  # the owner, then the requester the item names
    term.type("fri")
    term.keys("Enter", "Enter")  # the due date, then the priority: saved
    term.wait("New action under", gone=True)
    term.wait("Bench hiring map")
    settle("capture")

    phase("pulse")
    term.keys("n", "n", "n")
    term.wait("6/6 ")
    term.wait("rates →")
    term.keys("4")
    term.wait("★★★★☆")
    settle("pulse")

    phase("end")
    term.keys("f")
    term.wait("End meeting")
    term.keys("y")
    term.wait("Summary of M-")
    settle("end")

    phase("actions")
    term.keys("Escape")
    term.wait("Run a meeting")
    term.keys("a")
    term.wait(f"of {actions + 1:,}", "Action items —")
    settle("actions")

    phase("back")
    term.keys("Escape")
    term.wait("Run a meeting")
    settle("back")


def one_run(workspace: Path, actions: int, size: str, session: str) -> dict[str, dict[str, float]]:
    """Play the session once; per phase its peak and settled RSS, and the session's peak, in MiB."""
    scratch = None
    if session == "meeting":  # it writes: each run on a fresh copy
        scratch = Path(tempfile.mkdtemp(prefix="icm-bench-memory-"))
        shutil.copytree(workspace, scratch / "ws", ignore=shutil.ignore_patterns("backups"))
        workspace = scratch / "ws"
    term = Terminal(workspace, size)
    sampler = Sampler(term.pid)
    sampler.start()
    hwm_at: dict[str, int] = {}
    ends: dict[str, int] = {}
    timings: dict[str, float] = {}
    try:

        def phase(name: str) -> None:
            sampler.phase = name
            hwm_at[name] = status_kb(term.pid)[1]

        def settle(name: str) -> None:
            time.sleep(SETTLE)
            rss, hwm = status_kb(term.pid)
            ends[name] = rss
            hwm_at[name + ".end"] = hwm

        {"browse": browse, "meeting": meeting}[session](term, actions, phase, settle, timings)
        peak = status_kb(term.pid)[1]
        term.keys("C-q")
    finally:
        sampler.stop()
        term.close()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    result: dict[str, dict[str, float]] = {}
    for name in SESSIONS[session]:
        rose = hwm_at[name + ".end"] > hwm_at[name]
        top = hwm_at[name + ".end"] if rose else sampler.peaks.get(name, 0)
        result[name] = {"peak": top / 1024, "end": ends[name] / 1024}
    result["session"] = {"peak": peak / 1024, "end": ends["back"] / 1024}
    result["seconds"] = timings
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--session", choices=sorted(SESSIONS), default="browse",
                        help="browse: home, actions, filter, reports; meeting: run a meeting, then the actions screen")
    parser.add_argument("--actions", type=int, default=50000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size", default="120x40", help="terminal COLSxROWS")
    parser.add_argument("--workspace", type=Path, default=None)
    parser.add_argument("--verbose", action="store_true", help="print every run")
    args = parser.parse_args(argv)
    workspace = args.workspace or Path(tempfile.gettempdir()) / f"icm-bench-tui-{args.actions}"
    ensure_workspace(workspace, args.actions)
    print(f"memory of `icm`, {args.session} session (real process in tmux {args.size}), workspace {workspace} ({args.actions} items), "
          f"{args.runs} runs, medians in MB")
    runs = []
    for number in range(args.runs):
        run = one_run(workspace, args.actions, args.size, args.session)
        runs.append(run)
        if args.verbose:
            print(f"  run {number + 1}: " + "  ".join(
                f"{k} {v['peak']:.0f}/{v['end']:.0f}" for k, v in run.items() if k != "seconds"))
    print(f"  {'phase':<10} {'peak':>7} {'end':>7}   (peak: highest RSS in the phase; end: RSS once settled)")
    for name in [*SESSIONS[args.session], "session"]:
        peak = statistics.median(r[name]["peak"] for r in runs)
        end = statistics.median(r[name]["end"] for r in runs)
        verdict = "ok" if peak < TARGET_MB else "OVER"
        spread = f"(min {min(r[name]['peak'] for r in runs):.0f}, max {max(r[name]['peak'] for r in runs):.0f})"
        print(f"  {name:<10} {peak:7.1f} {end:7.1f}   {spread}  target < {TARGET_MB} MB {verdict}")
    for name in runs[0]["seconds"]:
        times = [r["seconds"][name] for r in runs]
        print(f"  {name} shown after {statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
