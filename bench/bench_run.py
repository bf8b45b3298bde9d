"""``digest run`` on the seeds with a fresh ``var/``, beside ``python -c pass``.

    python bench/bench_run.py [--rounds 3]

Each round copies ``config/`` and ``seeds/`` into a new folder (untimed),
imports the example subscribers there (untimed), then times, as separate
processes run in turn so that load hits each alike, ``python -c pass`` (the
floor) and ``digest run --config COPY/config/digest.toml``: ingest the seeds,
build the due edition, publish the archive, write the outbox. Prints the
median wall and CPU (user + system of the child) seconds of each and their
ratio. The last line is the bench's row of the speed table (``make bench``).
Never asserts a timing.

As an installed copy runs: digest's modules are byte-compiled first (what
``pip install`` does; with ``PYTHONDONTWRITEBYTECODE`` set, as on some CI
machines, an editable checkout would otherwise compile ~45 modules from source
on every run, ~0.15 s), and the rounds find Jinja's compiled templates from an
earlier run. One more run with an empty template cache (a fresh ``TMPDIR``)
shows the first run after an install or upgrade, printed on its own line.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.floors import table_row  # noqa: E402

SCRIPT = Path(sys.executable).parent / "digest"


def measure(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``argv`` (output discarded, failure fatal)."""
    before = os.times()
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr}")
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return wall, cpu


def fresh_site(env: dict[str, str]) -> Path:
    site = Path(tempfile.mkdtemp(prefix="bench-run-"))
    shutil.copytree(ROOT / "config", site / "config")
    shutil.copytree(ROOT / "seeds", site / "seeds")
    config = site / "config" / "digest.toml"
    importing = [str(SCRIPT), "--config", str(config), "subscribers", "import"]
    measure([*importing, str(site / "config" / "subscribers.example.csv")], env)
    return config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds (median)")
    args = parser.parse_args()
    env = dict(os.environ, DIGEST_SECRET_KEY="bench-secret-key-0123456789abcdef")
    env.pop("DIGEST_CONFIG", None)
    env.pop("DIGEST_DATABASE_URL", None)
    compileall.compile_dir(ROOT / "digest", quiet=1)
    floor: list[tuple[float, float]] = []
    runs: list[tuple[float, float]] = []
    for _ in range(args.rounds):
        config = fresh_site(env)
        floor.append(measure([sys.executable, "-c", "pass"], env))
        runs.append(measure([str(SCRIPT), "--config", str(config), "run"], env))
        shutil.rmtree(config.parent.parent, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="bench-run-tmp-") as empty:
        config = fresh_site(env)
        c_wall, c_cpu = measure(
            [str(SCRIPT), "--config", str(config), "run"], {**env, "TMPDIR": empty}
        )
        shutil.rmtree(config.parent.parent, ignore_errors=True)
    f_wall, f_cpu = (statistics.median(x) for x in zip(*floor, strict=True))
    r_wall, r_cpu = (statistics.median(x) for x in zip(*runs, strict=True))
    print(f"median of {args.rounds} rounds")
    print(f"{'python -c pass':<34} wall {f_wall * 1000:7.0f} ms  cpu {f_cpu * 1000:7.0f} ms")
    print(
        f"{'digest run (seeds, fresh var/)':<34} wall {r_wall * 1000:7.0f} ms  "
        f"cpu {r_cpu * 1000:7.0f} ms  {r_wall / f_wall:5.1f}x floor (wall) "
        f"{r_cpu / f_cpu:5.1f}x (CPU)"
    )
    print(
        f"{'  first run, no compiled templates':<34} wall {c_wall * 1000:7.0f} ms  "
        f"cpu {c_cpu * 1000:7.0f} ms"
    )
    print(
        table_row(
            "`digest run` on the seeds, fresh `var/`",
            f"{r_wall:.2f} s wall, {r_cpu:.2f} CPU-s (first run {c_cpu:.2f} CPU-s)",
            f"`python -c pass` {f_wall * 1000:.0f} ms wall",
            r_wall / f_wall,
            "under 1 s",
        )
    )


if __name__ == "__main__":
    main()
