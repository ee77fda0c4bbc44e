"""Load and validate a generated 200-item agenda (with org.yaml) many times; print the median.

Target (DESIGN.md §10): under 20 ms. Run: python benchmarks/bench_agenda.py [--items 200] [--runs 50]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from icm_tui.domain.loader import load_agenda, load_org

DEPARTMENTS = ["it", "hr", "finance", "sales", "operations", "procurement", "legal"]
KINDS = ["review", "triage", "discussion", "decision", "info", "pulse"]


def write_workspace(folder: Path, items: int) -> tuple[Path, Path]:
    """An org.yaml and an agenda of `items` items, as a facilitator would write them."""
    org = ["version: 1", "organization: Bench Co.", "departments:"]
    org += [f"  - {{id: {d}, name: {d.title()}, lead: {d}-lead}}" for d in DEPARTMENTS]
    org.append("people:")
    for d in DEPARTMENTS:
        org.append(f"  - {{id: {d}-lead, name: Lead of {d}, department: {d}}}")
        org += [f"  - {{id: {d}-{n}, name: Person {n} of {d}, department: {d}}}" for n in range(3)]
    org.append("services:")
    org += [f"  - {{id: svc-{d}, name: Service of {d}, provider: {d}, consumers: [sales, hr], target_days: 5}}" for d in DEPARTMENTS]
    org.append("thresholds: {escalate_after_carries: 3, escalate_after_overdue_days: 14}")
    agenda = [
        "version: 1",
        "series: bench",
        "title: Benchmark agenda",
        "cadence: weekly",
        "facilitator: operations-lead",
        f"duration: {items * 5}",
        f"attendees: [{', '.join(DEPARTMENTS)}]",
        "items:",
    ]
    for n in range(items):
        requester, supplier = DEPARTMENTS[n % 7], DEPARTMENTS[(n + 3) % 7]
        agenda += [
            f"  - title: Item number {n}, raised by {requester}",
            f"    kind: {KINDS[n % 6]}",
            "    timebox: 5",
            f"    requester: {requester}",
            f"    supplier: {supplier}",
            f"    presenter: {requester}-{n % 3}",
            "    prompt: |",
            f"      What {requester} needs from {supplier}, and by when.",
            "      A second line of context for the discussion.",
        ]
    org_path, agenda_path = folder / "org.yaml", folder / "bench.yaml"
    org_path.write_text("\n".join(org) + "\n", encoding="utf-8")
    agenda_path.write_text("\n".join(agenda) + "\n", encoding="utf-8")
    return org_path, agenda_path


def main() -> None:
    """Print the median time to load org.yaml and the agenda, in milliseconds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        org_path, agenda_path = write_workspace(Path(tmp), args.items)
        timings = []
        for _ in range(args.runs + 3):
            start = time.perf_counter()
            agenda = load_agenda(agenda_path, load_org(org_path))
            timings.append((time.perf_counter() - start) * 1000)
        assert len(agenda.items) == args.items
    median = statistics.median(timings[3:])
    print(f"{args.items}-item agenda + org.yaml, load and validate: median {median:.2f} ms over {args.runs} runs (target < 20 ms)")


if __name__ == "__main__":
    main()
