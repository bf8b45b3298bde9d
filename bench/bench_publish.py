"""Archive publishing: a full build of N generated editions with search beside
Pelican's build of the same content, publishing again with nothing new, one
new edition, and peak memory of a full build at several archive sizes.

    python bench/bench_publish.py [--n 3000] [--briefs 24] [--sizes 300,3000,10000]
                                  [--repeat 3] [--no-search] [--no-pelican] [--plain]

The first publish after a full build also fills the second generation folder
(hard links), so the incremental figures are the ones after it, each the
median of ``--repeat`` runs. Pelican gets the same content: one Markdown
article per edition (its sections and briefs, a category per edition name
and a tag per region, pagination and Atom feeds), one Pelican *page* per
story (its wording, its wordings as a timeline, the editions that carried
it, its topics) and one per topic (its newest stories), the stories and
topics found as digest finds them. What Pelican does not make: search, the
Markdown beside each edition, share images, JSON Feeds, topic and region
feeds. Every figure is wall time and CPU seconds (this process and its
children: build workers, Pagefind). Each memory point runs in a fresh process
and prints the peak (VmHWM) after the editions are generated (the input, a
floor) and after the full build with search; the 10,000-edition point takes
about ten minutes on two cores (``--sizes 300,3000`` leaves it out). Never
asserts a timing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from digest.edition.group import group_edition
from digest.model import Edition, Story
from digest.publish import SiteSettings, build_archive
from digest.publish.site import place_editions
from digest.publish.stories import StoryInfo, collect_stories
from digest.publish.topics import TopicInfo, collect_topics
from digest.store.editions import decode_editions, edition_to_json

ZONE = ZoneInfo("Europe/Amsterdam")
START = datetime(2021, 1, 4, 7, 0, tzinfo=ZONE)
REGIONS_ALL = ["groenland", "iran", "venezuela", "zeeland", "oekraine", "gaza", "brussel"]
WORDS = (
    "de het een regering minister zegt dat volgens leger protest president verkiezingen "
    "parlement onderhandelingen militairen economie dijken storm haven kabinet rechter "
    "politie ziekenhuis school water zee schip brand overleg begroting oppositie sancties "
    "grens vluchtelingen energie gas stroom boeren stikstof woningen huur inflatie rente"
).split()
SETTINGS = SiteSettings(title="Digest", base_url="https://digest.example.org/archief")
PLACES = ["DEN HAAG", "BRUSSEL", "WASHINGTON", "NUUK", "TEHERAN", "CARACAS", "KYIV", "GAZA"]


@dataclass(frozen=True)
class Region:
    id: str
    name: str


REGIONS = [Region(r, r.capitalize()) for r in REGIONS_ALL]


def sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(12, 26))
    return " ".join(words).capitalize() + "."


def make_edition(number: int, briefs: int, rng: random.Random) -> Edition:
    slot = START + timedelta(hours=12 * number)
    stories = []
    for index in range(briefs):
        published = slot - timedelta(minutes=rng.randint(1, 700))
        regions = tuple(rng.sample(REGIONS_ALL, k=rng.choice((0, 1, 1, 2))))
        stories.append(Story(
            id=f"s{number:05d}{index:02d}", kind="brief", title=None,
            dateline=rng.choice(PLACES), agencies=("ANP",),
            text=" ".join(sentence(rng) for _ in range(rng.randint(2, 4))),
            published_at=published, section="Buitenland", source="bench",
            first_seen=published + timedelta(minutes=1), last_seen=slot, regions=regions,
        ))  # fmt: skip
    morning = slot.hour < 12
    return group_edition(
        stories, REGIONS, name="ochtend" if morning else "avond",
        title="Ochtendeditie" if morning else "Avondeditie", slot=slot,
        window_start=slot - timedelta(hours=12), zone=ZONE,
    )  # fmt: skip


def pelican_markdown(edition: Edition) -> str:
    local = edition.slot.astimezone(ZONE)
    tags = ", ".join(s.region_id for s in edition.sections if s.region_id)
    lines = [f"Title: {edition.title} {local:%Y-%m-%d}", f"Date: {local:%Y-%m-%d %H:%M}",
             f"Slug: {edition.id}", f"Category: {edition.name}", f"Tags: {tags}", ""]  # fmt: skip
    for section in edition.sections:
        lines += [f"## {section.title} ({len(section.briefs)})", ""]
        for brief in section.briefs:
            story = brief.story
            lines += [f"**{story.dateline} (ANP)** – {story.text}", ""]
    return "\n".join(lines)


PELICAN = """
import sys, time
from pelican import Pelican
from pelican.settings import read_settings
content, output = sys.argv[1], sys.argv[2]
settings = read_settings(override={
    "PATH": content, "OUTPUT_PATH": output, "SITEURL": "", "TIMEZONE": "Europe/Amsterdam",
    "DEFAULT_LANG": "nl", "DEFAULT_PAGINATION": 20, "FEED_ALL_ATOM": "feeds/all.atom.xml",
    "TAG_FEED_ATOM": "feeds/{slug}.atom.xml", "CACHE_CONTENT": False,
    "LOAD_CONTENT_CACHE": False, "DELETE_OUTPUT_DIRECTORY": True,
    # The theme's menu would list every page on every page (digest's pages link
    # no such list): with a page per story that makes Pelican quadratic.
    "DISPLAY_PAGES_ON_MENU": False,
})
started = time.perf_counter()
Pelican(settings).run()
elapsed = time.perf_counter() - started
# VmHWM: this program's own peak (ru_maxrss would count the parent it was forked from)
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
print(elapsed, int(status["VmHWM"].split()[0]) / 1024)
"""


def pelican_story(info: StoryInfo, topics: list[tuple[str, str]]) -> str:
    """A story page as Pelican input: its newest wording, its wordings as a
    timeline, the editions that carried it and its topics (a Pelican *page*,
    like digest's story pages: not listed on the index, nor in the feeds)."""
    story = info.story
    lines = [f"Title: {info.headline}", f"Slug: {info.url.removesuffix('.html')}",
             f"Save_as: {info.url}", f"URL: {info.url}", "",
             f"**{story.dateline} (ANP)** – {info.text}", "", "### Versies", ""]  # fmt: skip
    lines += [f"- {r.seen_at.astimezone(ZONE):%H:%M}: {r.text}" for r in info.revisions]
    lines += ["", "### In deze edities", ""]
    lines += [f"- [{c.entry.edition.title}](/{c.entry.url})" for c in info.carried]
    lines += ["", "### Over", ""]
    lines += [f"- [{name}](/{url})" for name, url in topics]
    return "\n".join(lines) + "\n"


def pelican_topic(topic: TopicInfo, per_page: int) -> str:
    """A topic page as Pelican input: its newest stories, linked."""
    lines = [f"Title: {topic.name}", f"Slug: {topic.url.strip('/')}",
             f"Save_as: {topic.url}index.html", f"URL: {topic.url}", ""]  # fmt: skip
    for info in topic.newest[: 4 * per_page]:
        lines += [f"- [{info.headline}](/{info.url}) {info.last_shown:%Y-%m-%d %H:%M}"]
    return "\n".join(lines) + "\n"


def pelican_content(editions: list[Edition], content: Path) -> int:
    """Pelican's input for the archive of ``editions``: an article per edition,
    a page per story and per topic (found as digest finds them); the number of
    files written."""
    content.mkdir(parents=True)
    for edition in editions:
        (content / f"{edition.id}.md").write_text(pelican_markdown(edition), encoding="utf-8")
    entries = place_editions(editions, SETTINGS)
    stories = collect_stories(entries)
    topics = collect_topics(stories, SETTINGS)
    following: dict[str, list[tuple[str, str]]] = {}
    for topic in topics:
        for info in topic.stories:
            following.setdefault(info.id, []).append((topic.name, topic.url))
    pages = content / "pages"
    pages.mkdir()
    for info in stories:
        text = pelican_story(info, following.get(info.id, []))
        (pages / f"{info.id}.md").write_text(text, encoding="utf-8")
    for topic in topics:
        text = pelican_topic(topic, SETTINGS.per_page)
        (pages / f"topic-{topic.slug}.md").write_text(text, encoding="utf-8")
    return len(editions) + len(stories) + len(topics)


def run_pelican(editions: list[Edition], work: Path) -> tuple[float, float, float, int]:
    """Pelican's build: its own wall time, its process's CPU seconds, its peak
    memory (MiB) and its input files, in a process of its own (writing its
    Markdown input not counted)."""
    content = work / "content"
    files = pelican_content(editions, content)
    before = children_cpu()
    result = subprocess.run(
        [sys.executable, "-c", PELICAN, str(content), str(work / "output")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    used = children_cpu() - before
    elapsed, peak = result.stdout.strip().splitlines()[-1].split()
    return float(elapsed), used, float(peak), files


def children_cpu() -> float:
    times = os.times()
    return times.children_user + times.children_system


def store_read(editions: list[Edition]) -> tuple[float, float]:
    """Decoding the recorded payloads of ``editions`` (what ``digest publish``
    does before planning: ``list_editions``), without the SQLite I/O."""
    payloads = [json.dumps(edition_to_json(e), ensure_ascii=False) for e in editions]
    started, cpu = time.perf_counter(), cpu_seconds()
    decode_editions(payloads)
    return time.perf_counter() - started, cpu_seconds() - cpu


def cpu_seconds() -> float:
    """User + system CPU of this process and of its waited-for children."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def peak_mib() -> float:
    """This process's own peak resident memory (VmHWM), MiB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, editions: list[Edition], out: Path, search: bool) -> tuple[float, float]:
    started, cpu = time.perf_counter(), cpu_seconds()
    report = build_archive(editions, SETTINGS, out, search=search)
    elapsed, used = time.perf_counter() - started, cpu_seconds() - cpu
    print(f"{label:<34} {elapsed:8.2f} s wall {used:8.2f} s CPU   {report.summary()}")
    return elapsed, used


def median_of(runs: list[tuple[float, float]]) -> tuple[float, float]:
    """The median wall time and the median CPU seconds of ``runs``."""
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def memory_point(n: int, briefs: int, search: bool) -> None:
    """One full build of ``n`` editions in this (fresh) process; prints its figures."""
    rng = random.Random(5)
    editions = [make_edition(k, briefs, rng) for k in range(n)]
    floor = peak_mib()
    with tempfile.TemporaryDirectory() as tmp:
        started, cpu = time.perf_counter(), cpu_seconds()
        build_archive(editions, SETTINGS, Path(tmp) / "site", search=search)
        elapsed, used = time.perf_counter() - started, cpu_seconds() - cpu
    print(f"{floor} {peak_mib()} {elapsed} {used}")


def memory_table(sizes: list[int], briefs: int, search: bool) -> None:
    rows = []
    for n in sizes:
        command = [sys.executable, __file__, "--memory-point", str(n), "--briefs", str(briefs)]
        command += [] if search else ["--no-search"]
        result = subprocess.run(command, capture_output=True, text=True, check=True)
        floor, peak, wall, cpu = map(float, result.stdout.split())
        rows.append((n, floor, peak))
        print(
            f"full build of {n:>6} editions      {wall:8.2f} s wall {cpu:8.2f} s CPU   "
            f"peak {peak:6.0f} MiB (input alone {floor:.0f} MiB, build above it "
            f"{peak - floor:.0f} MiB)"
        )
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        ratio = last[2] / first[2]
        print(
            f"peak memory {last[0]} vs {first[0]} editions: {ratio:.2f}x (aim <= 1.5x: "
            f"{'met' if ratio <= 1.5 else 'not met'}); above the input: "
            f"{(last[2] - last[1]) / max(first[2] - first[1], 1):.2f}x"
        )


def verdict(value: float, aim: float, larger: bool) -> str:
    met = value >= aim if larger else value < aim
    return "met" if met else "not met"


def main() -> None:
    args = arguments()
    if args.memory_point:
        memory_point(args.memory_point, args.briefs, not args.no_search)
        return
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start")
    started, rng, n = time.perf_counter(), random.Random(5), args.n
    editions = [make_edition(k, args.briefs, rng) for k in range(n + 1 + args.repeat)]
    made = time.perf_counter() - started
    print(f"generated {len(editions)} editions x {args.briefs} briefs in {made:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        builds(args, editions, work)
    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    memory_table(sizes, args.briefs, not args.no_search)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=3000, help="editions (default 3000)")
    parser.add_argument("--briefs", type=int, default=24, help="briefs per edition")
    parser.add_argument(
        "--sizes", default="300,3000,10000", help="memory points, editions (default 300,3000,10000)"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each incremental case (default 3)"
    )
    parser.add_argument("--no-search", action="store_true", help="skip the Pagefind index")
    parser.add_argument("--no-pelican", action="store_true", help="skip the Pelican baseline")
    parser.add_argument("--plain", action="store_true", help="also a full build without search")
    parser.add_argument("--memory-point", type=int, help=argparse.SUPPRESS)
    return parser.parse_args()


def builds(args: argparse.Namespace, editions: list[Edition], work: Path) -> None:
    """The full build beside Pelican's, then the incremental cases (median of ``--repeat``)."""
    n, search, site = args.n, not args.no_search, work / "site"
    if args.plain and search:
        timed("full build, no search", editions[:n], work / "plain", False)
    label = "full build with search" if search else "full build, no search"
    full = timed(label, editions[:n], site, search)
    timed("one new edition (2nd generation)", editions[: n + 1], site, search)
    nothing = median_of(
        [timed("publish again, nothing new", editions[: n + 1], site, search)
         for _ in range(args.repeat)]
    )  # fmt: skip
    one = median_of(
        [timed("one new edition", editions[: n + 2 + k], site, search)
         for k in range(args.repeat)]
    )  # fmt: skip
    read = store_read(editions[:n])
    print(
        f"{'decoding the store payloads':<34} {read[0]:8.2f} s wall {read[1]:8.2f} s CPU   "
        f"(digest publish reads every recorded edition first; not in the figures above)"
    )
    if not args.no_pelican:
        wall, cpu, memory, files = run_pelican(editions[:n], work / "pelican")
        print(
            f"{'Pelican, same content':<34} {wall:8.2f} s wall {cpu:8.2f} s CPU   "
            f"{files} input files (editions, stories, topics), peak memory {memory:.0f} MiB"
        )
        wall_ratio, cpu_ratio = wall / full[0], cpu / full[1]
        print(
            f"Pelican / digest {'with' if search else 'without'} search: {wall_ratio:.2f}x wall, "
            f"{cpu_ratio:.2f}x CPU   (aim >= 3x with search: {verdict(wall_ratio, 3, True)} by "
            f"wall, {verdict(cpu_ratio, 3, True)} by CPU)"
        )
    print(f"nothing new (median of {args.repeat}): {nothing[0]:.2f} s wall, {nothing[1]:.2f} s CPU")
    print(
        f"one new edition (median of {args.repeat}): {one[0]:.2f} s wall, "
        f"{one[1]:.2f} s CPU   (aim < 0.5 s: {verdict(one[0], 0.5, False)} by wall, "
        f"{verdict(one[1], 0.5, False)} by CPU)"
    )


if __name__ == "__main__":
    main()
