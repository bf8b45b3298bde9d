"""Edition build + render for many stories, beside a plain one-template baseline.

    python bench/bench_edition.py [--n 2000] [--regions 10] [--repeat 5]

Prints the best wall time of each step, its CPU seconds, the peak memory
(tracemalloc, measured in a separate pass so it does not slow the timings) and
its ratio to the baseline (the floor) measured in the same run; the clustered
build is shown beside the unclustered one, and the size of the HTML mail
beside Gmail's clipping limit. Never asserts a timing.
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

from digest.edition.events import edition_events
from digest.edition.group import group_edition
from digest.model import Edition, Story
from digest.render.environment import default_environment
from digest.render.outputs import GMAIL_LIMIT, personalise, render_edition

ZONE = ZoneInfo("Europe/Amsterdam")
SLOT = datetime(2026, 1, 21, 7, 0, tzinfo=ZONE)
WORDS = (
    "de het een regering minister zegt dat volgens Groenland Iran leger protest "
    "president verkiezingen parlement onderhandelingen 3700 militairen economie"
).split()
SYLLABLES = "ka lo mi ne ru ta vo sel dam berg rijk stad haven wet raad zorg".split()


@dataclass(frozen=True)
class Region:
    id: str
    name: str


def make_stories(n: int, regions: int, seed: int = 7) -> tuple[list[Story], list[Region]]:
    rng = random.Random(seed)
    chosen = [Region(f"regio-{k}", f"Regio {k}") for k in range(regions)]
    stories = []
    # Events of one to four briefs: each has words of its own beside the common ones,
    # so clustering has real work (and real pairs) as in a wire day.
    events: list[tuple[list[str], list[Region]]] = []
    for i in range(n):
        if not events or rng.random() < 0.45:
            own = ["".join(rng.choices(SYLLABLES, k=3)) for _ in range(8)]
            events.append((own, rng.sample(chosen, rng.choice((0, 1, 1, 1, 2)))))
        own, picks = events[-1] if rng.random() < 0.8 else rng.choice(events)
        age = timedelta(minutes=rng.randint(0, 60 * 40)) if rng.random() > 0.02 else None
        stories.append(
            Story(
                id=f"s{i:06d}",
                kind="brief",
                title=None,
                dateline=rng.choice(("WASHINGTON", "TEHERAN", "NUUK", "DEN HAAG")),
                agencies=("ANP",),
                text=" ".join(
                    rng.choice(own if rng.random() < 0.3 else WORDS)
                    for _ in range(rng.randint(25, 60))
                )
                + ".",
                published_at=SLOT - age if age is not None else None,
                section="Buitenland",
                source="bench",
                first_seen=SLOT - timedelta(minutes=5),
                last_seen=SLOT - timedelta(minutes=5),
                regions=tuple(r.id for r in picks),
            )
        )
    return stories, chosen


def best(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """The best wall time of ``repeat`` runs and the CPU seconds of that run."""
    times = []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - start, time.process_time() - cpu))
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
        "build, unclustered (group_edition)": group,
        "build, clustered (group + edition_events)": lambda: edition_events(group()),
        "cluster only (edition_events)": lambda: edition_events(edition),
        "render_edition (html+inline, text, md)": lambda: render_edition(
            edition, site_title="Digest", base_url="https://x.example", env=env
        ),
        "build + render": lambda: render_edition(
            group(), site_title="Digest", base_url="https://x.example", env=env
        ),
        "personalise (per recipient)": lambda: personalise(rendered, name="Anna", **links),
    }
    briefs = sum(len(s.briefs) for s in edition.sections)
    events = edition_events(edition)
    entries = sum(len(es) for bands in events.values() for _, es in bands)
    more = rendered.html.count('class="more"')
    print(
        f"{args.n} stories, {args.regions} regions -> {len(edition.sections)} sections, "
        f"{briefs} briefs in {entries} entries; html {len(rendered.html.encode()) / 1024:.1f} KiB "
        f"(Gmail clips past {GMAIL_LIMIT / 1024:.0f} KiB; {more} sections end in '+N meer')"
    )
    print(f"{'step':<46}{'best s':>9}{'cpu s':>8}{'stories/s':>11}{'peak MiB':>10}")
    floor = 0.0
    for label, fn in steps.items():
        seconds, cpu = best(fn, args.repeat)
        floor = floor or seconds
        print(
            f"{label:<46}{seconds:>9.4f}{cpu:>8.4f}{args.n / seconds:>11.0f}"
            f"{peak(fn):>10.1f}   {seconds / floor:>6.1f}x floor"
        )


if __name__ == "__main__":
    main()
