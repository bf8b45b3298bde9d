"""Edition build + render for many stories, beside a plain one-template baseline.

    python bench/bench_edition.py [--n 2000] [--regions 10] [--repeat 5]

Prints the best time of each step and the peak memory (tracemalloc, measured in
a separate pass so it does not slow the timings). Never asserts a timing.
"""

from __future__ import annotations

import argparse
import random
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import jinja2

from digest.edition.group import group_edition
from digest.model import Edition, Story
from digest.render.environment import default_environment
from digest.render.outputs import personalise, render_edition

ZONE = ZoneInfo("Europe/Amsterdam")
SLOT = datetime(2026, 1, 21, 7, 0, tzinfo=ZONE)
WORDS = (
    "de het een regering minister zegt dat volgens Groenland Iran leger protest "
    "president verkiezingen parlement onderhandelingen 3700 militairen economie"
).split()


@dataclass(frozen=True)
class Region:
    id: str
    name: str


def make_stories(n: int, regions: int, seed: int = 7) -> tuple[list[Story], list[Region]]:
    rng = random.Random(seed)
    chosen = [Region(f"regio-{k}", f"Regio {k}") for k in range(regions)]
    stories = []
    for i in range(n):
        picks = rng.sample(chosen, rng.choice((0, 1, 1, 1, 2)))
        age = timedelta(minutes=rng.randint(0, 60 * 40)) if rng.random() > 0.02 else None
        stories.append(
            Story(
                id=f"s{i:06d}",
                kind="brief",
                title=None,
                dateline=rng.choice(("WASHINGTON", "TEHERAN", "NUUK", "DEN HAAG")),
                agencies=("ANP",),
                text=" ".join(rng.choice(WORDS) for _ in range(rng.randint(25, 60))) + ".",
                published_at=SLOT - age if age is not None else None,
                section="Buitenland",
                source="bench",
                first_seen=SLOT - timedelta(minutes=5),
                last_seen=SLOT - timedelta(minutes=5),
                regions=tuple(r.id for r in picks),
            )
        )
    return stories, chosen


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def peak(fn: Callable[[], object]) -> float:
    tracemalloc.start()
    fn()
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return top / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--regions", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    stories, regions = make_stories(args.n, args.regions)
    env = default_environment("nl")
    plain = jinja2.Environment(autoescape=True).from_string(
        "<html><body>{% for s in stories %}<p><b>{{ s.dateline }}</b> {{ s.text }}</p>"
        "{% endfor %}</body></html>"
    )

    def group() -> Edition:
        return group_edition(
            stories,
            regions,
            name="bench",
            title="Bench",
            slot=SLOT,
            window_start=SLOT - timedelta(hours=48),
            zone=ZONE,
        )

    edition = group()
    links = {"unsubscribe_url": "https://x.example/u", "preferences_url": "https://x.example/p"}
    rendered = render_edition(edition, site_title="Digest", base_url="https://x.example", env=env)
    steps: dict[str, Callable[[], object]] = {
        "baseline: one template loop, no grouping": lambda: plain.render(stories=stories),
        "group_edition": group,
        "render_edition (html+inline, text, md)": lambda: render_edition(
            edition, site_title="Digest", base_url="https://x.example", env=env
        ),
        "build + render": lambda: render_edition(
            group(), site_title="Digest", base_url="https://x.example", env=env
        ),
        "personalise (per recipient)": lambda: personalise(rendered, name="Anna", **links),
    }
    briefs = sum(len(s.briefs) for s in edition.sections)
    print(
        f"{args.n} stories, {args.regions} regions -> {len(edition.sections)} sections, "
        f"{briefs} briefs; html {len(rendered.html) / 1024:.0f} KiB"
    )
    print(f"{'step':<44}{'best s':>9}{'stories/s':>12}{'peak MiB':>10}")
    for label, fn in steps.items():
        seconds = best(fn, args.repeat)
        print(f"{label:<44}{seconds:>9.4f}{args.n / seconds:>12.0f}{peak(fn):>10.1f}")


if __name__ == "__main__":
    main()
