"""Parse throughput: ``python bench/bench_parse.py [--n 30000] [--repeat 5]``.

Parses one generated compact snapshot of N briefs and prints briefs per
second and peak memory, beside a baseline measured in the same run: one
plain ``re.finditer`` pass of a simple dateline pattern over the same text
(the least any parser has to do). Timings are CPU time (``time.process_time``,
steadier than wall time on a shared machine), the best of ``--repeat`` runs;
peak memory is measured in a separate run under tracemalloc.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.snapshots import generate_snapshot
from digest.ingest.wire import parse_snapshot

CAPTURED = datetime(2026, 1, 20, 14, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
BASELINE = re.compile(r"([A-ZÀ-Þ'][A-ZÀ-Þ'. /-]*[A-ZÀ-Þ.])(?: \(([A-Z/]+)\))? - ")


def parse_briefs(text: str) -> int:
    result = parse_snapshot(text, CAPTURED, "bench.txt")
    return sum(item.kind == "brief" for item in result.items)


def baseline_briefs(text: str) -> int:
    return sum(1 for _ in BASELINE.finditer(text))


def best_time(run: Callable[[str], int], text: str, repeat: int) -> tuple[float, int]:
    best, count = float("inf"), 0
    for _ in range(repeat):
        start = time.process_time()
        count = run(text)
        best = min(best, time.process_time() - start)
    return best, count


def peak_memory(run: Callable[[str], int], text: str) -> int:
    tracemalloc.start()
    run(text)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30_000, help="briefs in the snapshot")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs; the best counts")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    text = generate_snapshot(args.n, args.seed)
    print(f"snapshot: {args.n} briefs, {len(text.encode()) / 1e6:.1f} MB of text")
    for name, run in (("parse_snapshot", parse_briefs), ("baseline re.finditer", baseline_briefs)):
        seconds, count = best_time(run, text, args.repeat)
        peak = peak_memory(run, text)
        print(
            f"{name:22} {count:>7} briefs  {seconds * 1000:8.1f} ms  "
            f"{count / seconds:>11,.0f} briefs/s (CPU)  peak {peak / 1e6:6.1f} MB"
        )


if __name__ == "__main__":
    main()
