"""Start-up latency of the command line, beside an empty interpreter.

    python bench/bench_cli.py [--runs 15]

Runs, as separate processes and interleaved so that machine load hits each
alike: ``python -c pass`` (the floor), ``digest --help`` and ``digest COMMAND
--help`` for every command. Prints the median wall-clock and CPU (user +
system of the child) time of each, and its ratio to the floor. The target is
within 5x of the floor (commands import their stages only when they run);
this script reports, it never asserts a timing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digest.commands import REGISTRY  # noqa: E402

SCRIPT = Path(sys.executable).parent / "digest"  # the console script, as an operator runs it
DIGEST = (
    [str(SCRIPT)]
    if SCRIPT.exists()
    else [sys.executable, "-c", "import sys; from digest.cli import main; sys.exit(main())"]
)


def measure(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``argv`` (output discarded)."""
    before = os.times()
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each command")
    args = parser.parse_args()
    cases: dict[str, list[str]] = {"python -c pass": [sys.executable, "-c", "pass"]}
    cases["digest --help"] = [*DIGEST, "--help"]
    cases.update({f"digest {name} --help": [*DIGEST, name, "--help"] for name in REGISTRY})
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    for argv in cases.values():
        measure(argv)  # warm the file cache
    for _ in range(args.runs):
        for name, argv in cases.items():
            samples[name].append(measure(argv))
    floor = statistics.median(wall for wall, _ in samples["python -c pass"])
    print(f"median of {args.runs} runs; ratio = wall / wall of `python -c pass`")
    print(f"{'command':<32} {'wall ms':>8} {'cpu ms':>8} {'ratio':>6}")
    for name, runs in samples.items():
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        print(f"{name:<32} {wall * 1000:8.1f} {cpu * 1000:8.1f} {wall / floor:6.1f}")


if __name__ == "__main__":
    main()
