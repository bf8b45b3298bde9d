"""Shared measuring for the benches: CPU and wall seconds, interleaved rounds, rows.

Every bench measures its step and its floor in the same process, in rounds
that alternate the two, so that load from other processes hits both alike;
it reports the median round. CPU seconds are ``time.process_time`` (this
process, every thread), so a busy machine shows in the wall clock and much
less in the CPU figure. ``table_row`` prints one row of the speed table
(README, "Benchmarks") as a Markdown line that ``make bench`` collects.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import statistics
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Timing:
    """Median wall and CPU seconds of ``rounds`` runs that each handled ``count`` units."""

    count: int
    wall: float
    cpu: float

    @property
    def per_cpu(self) -> float:
        return self.count / self.cpu if self.cpu > 0 else float("inf")

    @property
    def per_wall(self) -> float:
        return self.count / self.wall if self.wall > 0 else float("inf")


def once(run: Callable[[], int]) -> tuple[float, float, int]:
    """(wall, cpu, count) of one call of ``run``, which returns how many units it handled."""
    start, cpu = time.perf_counter(), time.process_time()
    count = run()
    return time.perf_counter() - start, time.process_time() - cpu, count


def interleaved(
    cases: dict[str, Callable[[], int]],
    rounds: int,
    prepare: dict[str, Callable[[], object]] | None = None,
) -> dict[str, Timing]:
    """Run every case once per round, in turn, and keep the median of each;
    ``prepare[name]``, when given, runs untimed before each run of that case."""
    samples: dict[str, list[tuple[float, float, int]]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, run in cases.items():
            if prepare and name in prepare:
                prepare[name]()
            samples[name].append(once(run))
    return {
        name: Timing(
            runs[0][2],
            statistics.median(w for w, _, _ in runs),
            statistics.median(c for _, c, _ in runs),
        )
        for name, runs in samples.items()
    }


def peak_mib(run: Callable[[], object]) -> float:
    """Peak Python allocation of one call (tracemalloc; slows the call, so not timed)."""
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def line(
    name: str, t: Timing, unit: str, floor: Timing | None = None, peak: float | None = None
) -> str:
    """One printed figure: units per CPU second and per wall second, ratio to the floor."""
    ratio = f"  {floor.per_cpu / t.per_cpu:5.1f}x floor (CPU)" if floor else ""
    ratio += f" {floor.per_wall / t.per_wall:5.1f}x (wall)" if floor else ""
    memory = f"  peak {peak:6.1f} MiB" if peak is not None else ""
    return (
        f"{name:<34} {t.count:>8,} {unit} {t.per_cpu:>11,.0f}/CPU-s {t.per_wall:>11,.0f}/s "
        f"(cpu {t.cpu:6.3f} s, wall {t.wall:6.3f} s){ratio}{memory}"
    )


def table_row(step: str, now: str, floor: str, ratio: float, aim: str) -> str:
    """A row of the issue's speed table, with ``ratio`` = step cost / floor cost."""
    return f"| {step} | {now} | {floor} | {ratio:.1f}× | {aim} |"


@contextlib.contextmanager
def started_postgres() -> Iterator[Any]:
    """A throwaway PostgreSQL server (the tests' own helper) for ``--postgres`` benches."""
    from tests.support.postgres import find_pg_bindir, start_postgres

    bindir = find_pg_bindir()
    if bindir is None:
        raise SystemExit("--postgres: no PostgreSQL binaries (initdb, pg_ctl) found")
    server = start_postgres(bindir)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)


def postgres_cpu(server: Any) -> float:
    """CPU seconds the PostgreSQL server of :func:`started_postgres` has spent so
    far: the postmaster, the backends it has reaped and those still running."""
    tick = os.sysconf("SC_CLK_TCK")
    first = (server.datadir / "postmaster.pid").read_text().split()[0]

    def fields(pid: str) -> list[str]:  # /proc/PID/stat after the command name
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()

    total = sum(int(value) for value in fields(first)[11:15])  # utime stime cutime cstime
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError):
            found = fields(pid)
            if found[1] == first:  # a backend: its own time (reaped ones are in cutime)
                total += int(found[11]) + int(found[12])
    return total / tick
