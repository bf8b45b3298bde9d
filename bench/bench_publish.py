"""Archive publishing: a full build of N generated editions, a no-op publish, an
incremental publish (one new edition), the same content built by Pelican, and
peak memory of a full build at several archive sizes.

    python bench/bench_publish.py [--n 3000] [--briefs 24] [--sizes 300,3000,10000]
                                  [--no-search] [--no-pelican]

The first publish after a full build also fills the second generation folder
(hard links), so the steady-state incremental figure is the one after it.
Pelican gets one Markdown article per edition (its sections and briefs), a
category per edition name and a tag per region, pagination and Atom feeds, as
close to the archive as its defaults allow; it has no search, so the archive
is timed with and without its Pagefind index. Every figure is wall time and
CPU seconds (this process and its children: build workers, Pagefind). Each
memory point runs in a fresh process and prints the peak (VmHWM) after the
editions are generated (the input, a floor) and after the full build with
search. Never asserts a timing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
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
from digest.store.editions import edition_from_json, edition_to_json

ZONE = ZoneInfo("Europe/Amsterdam")
START = datetime(2021, 1, 4, 7, 0, tzinfo=ZONE)
REGIONS_ALL = ["groenland", "iran", "venezuela", "zeeland", "oekraine", "gaza", "brussel"]
WORDS = (
    "de het een regering minister zegt dat volgens leger protest president verkiezingen "
    "parlement onderhandelingen militairen economie dijken storm haven kabinet rechter "
    "politie ziekenhuis school water zee schip brand overleg begroting oppositie sancties "
    "grens vluchtelingen energie gas stroom boeren stikstof woningen huur inflatie rente"
).split()
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
})
started = time.perf_counter()
Pelican(settings).run()
elapsed = time.perf_counter() - started
# VmHWM: this program's own peak (ru_maxrss would count the parent it was forked from)
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
print(elapsed, int(status["VmHWM"].split()[0]) / 1024)
"""


def run_pelican(editions: list[Edition], work: Path) -> tuple[float, float, float]:
    """Pelican's build: its own wall time, its process's CPU seconds and its peak
    memory (MiB), in a process of its own (writing its Markdown input not counted)."""
    content = work / "content"
    content.mkdir(parents=True)
    for edition in editions:
        (content / f"{edition.id}.md").write_text(pelican_markdown(edition), encoding="utf-8")
    before = children_cpu()
    result = subprocess.run(
        [sys.executable, "-c", PELICAN, str(content), str(work / "output")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    used = children_cpu() - before
    elapsed, peak = result.stdout.strip().splitlines()[-1].split()
    return float(elapsed), used, float(peak)


def children_cpu() -> float:
    times = os.times()
    return times.children_user + times.children_system


def store_read(editions: list[Edition]) -> tuple[float, float]:
    """Decoding the recorded payloads of ``editions`` (what ``digest publish``
    does before planning: ``list_editions``), without the SQLite I/O."""
    payloads = [json.dumps(edition_to_json(e), ensure_ascii=False) for e in editions]
    started, cpu = time.perf_counter(), cpu_seconds()
    for payload in payloads:
        edition_from_json(json.loads(payload))
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
    settings = SiteSettings(title="Digest", base_url="https://digest.example.org/archief")
    started, cpu = time.perf_counter(), cpu_seconds()
    report = build_archive(editions, settings, out, search=search)
    elapsed, used = time.perf_counter() - started, cpu_seconds() - cpu
    print(f"{label:<34} {elapsed:8.2f} s wall {used:8.2f} s CPU   {report.summary()}")
    return elapsed, used


def memory_point(n: int, briefs: int, search: bool) -> None:
    """One full build of ``n`` editions in this (fresh) process; prints its figures."""
    rng = random.Random(5)
    editions = [make_edition(k, briefs, rng) for k in range(n)]
    floor = peak_mib()
    with tempfile.TemporaryDirectory() as tmp:
        settings = SiteSettings(title="Digest", base_url="https://digest.example.org/archief")
        started, cpu = time.perf_counter(), cpu_seconds()
        build_archive(editions, settings, Path(tmp) / "site", search=search)
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
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=3000, help="editions (default 3000)")
    parser.add_argument("--briefs", type=int, default=24, help="briefs per edition")
    parser.add_argument(
        "--sizes", default="300,3000,10000", help="memory points, editions (default 300,3000,10000)"
    )
    parser.add_argument("--no-search", action="store_true", help="skip the Pagefind index")
    parser.add_argument("--no-pelican", action="store_true", help="skip the Pelican baseline")
    parser.add_argument("--memory-point", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    rng, n, search = random.Random(5), args.n, not args.no_search
    if args.memory_point:
        memory_point(args.memory_point, args.briefs, search)
        return
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start")
    started = time.perf_counter()
    editions = [make_edition(k, args.briefs, rng) for k in range(n + 2)]
    made = time.perf_counter() - started
    print(f"generated {n + 2} editions x {args.briefs} briefs in {made:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        plain = timed("full build, no search", editions[:n], work / "plain", False)
        full = (
            timed("full build with search", editions[:n], work / "site", True) if search else plain
        )
        site = work / ("site" if search else "plain")
        timed("publish again, nothing new", editions[:n], site, search)
        timed("one new edition (2nd generation)", editions[: n + 1], site, search)
        one = timed("incremental: one new edition", editions, site, search)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{'peak memory (this process)':<34} {peak:8.0f} MiB")
        read = store_read(editions[:n])
        print(
            f"{'decoding the store payloads':<34} {read[0]:8.2f} s wall {read[1]:8.2f} s CPU   "
            f"(digest publish reads every recorded edition first; not in the figures above)"
        )
        if not args.no_pelican:
            wall, cpu, memory = run_pelican(editions[:n], work / "pelican")
            print(
                f"{'Pelican, same content':<34} {wall:8.2f} s wall {cpu:8.2f} s CPU   "
                f"peak memory {memory:.0f} MiB"
            )
            print(
                f"Pelican / digest without search: {wall / plain[0]:.2f}x wall, "
                f"{cpu / plain[1]:.2f}x CPU"
            )
            wall_ratio, cpu_ratio = wall / full[0], cpu / full[1]
            print(
                f"Pelican / digest with search:    {wall_ratio:.2f}x wall, {cpu_ratio:.2f}x CPU"
                f"   (aim >= 3x: {verdict(wall_ratio, 3, True)} by wall, "
                f"{verdict(cpu_ratio, 3, True)} by CPU)"
            )
        print(
            f"one new edition: {one[0]:.2f} s wall, {one[1]:.2f} s CPU   (aim < 0.5 s: "
            f"{verdict(one[0], 0.5, False)} by wall, {verdict(one[1], 0.5, False)} by CPU)"
        )
    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    memory_table(sizes, args.briefs, search)


if __name__ == "__main__":
    main()
