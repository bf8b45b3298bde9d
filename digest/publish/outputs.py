"""Every file of the next generation, rendered only where its key changed.

A file whose key equals the live file's key keeps the live content without
being rendered. The rest become *jobs*; many jobs (a full build) are spread
over worker processes: first the edition bodies (each rendered once), then
the pages, Markdown and feeds that use them.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from digest.publish import feeds
from digest.publish.assets import Assets
from digest.publish.extras import KINDS as EXTRA_KINDS
from digest.publish.extras import extra_jobs, render_extra
from digest.publish.pages import Renderer
from digest.publish.site import EditionEntry, SitePlan, SiteSettings, digest_of, settings_key
from digest.publish.writer import Output, Record

PARALLEL_FROM = 200  # jobs; below this, worker start-up costs more than it saves


@dataclass(frozen=True, slots=True)
class Job:
    path: str
    key: str
    kind: str  # "page", "markdown", "feed", "region-feed" or one of extras.KINDS
    index: int  # into plan.pages, plan.entries or plan.regions


def plan_outputs(
    plan: SitePlan, settings: SiteSettings, site_key: str, assets: Assets, live: dict[str, Record]
) -> tuple[dict[str, Output], list[str], list[Job]]:
    """Files whose content is known (assets), the paths whose key equals the live
    file's (unchanged), and jobs for the rest."""
    text = settings_key(settings)  # once: every key holds it
    known = {p: Output.of("asset", data) for p, data in assets.files.items()}
    kept: list[str] = []
    todo: list[Job] = []

    def offer(path: str, key: str, kind: str, index: int) -> None:
        found = live.get(path)
        if found is not None and found.key == key:
            kept.append(path)
        else:
            todo.append(Job(path, key, kind, index))

    markdown: dict[str, tuple[str, str, str, int]] = {}
    for n, entry in enumerate(plan.entries):
        key = digest_of(site_key, text, "md", entry.fingerprint, entry.url)
        markdown[entry.url] = (entry.url + "index.md", key, "markdown", n)
    for n, page in enumerate(plan.pages):
        offer(page.path, page.key, "page", n)
        beside = markdown.pop(page.url, None)  # beside its page: one worker groups its events once
        if beside is not None:
            offer(*beside)
    for beside in markdown.values():
        offer(*beside)
    newest = plan.entries[-settings.feed_size :]
    offer(
        "feed.xml", digest_of(site_key, text, [(e.url, e.fingerprint) for e in newest]), "feed", 0
    )
    for n, region in enumerate(plan.regions):
        parts = [(i.entry.url, i.entry.fingerprint) for i in region.entries[-settings.feed_size :]]
        key = digest_of(site_key, text, region.name, parts)
        offer(f"regio/{region.slug}/feed.xml", key, "region-feed", n)
    for extra in extra_jobs(plan, settings, site_key):
        offer(*extra)
    return known, kept, todo


def _uses(plan: SitePlan, job: Job, settings: SiteSettings) -> list[EditionEntry]:
    """The editions whose section HTML ``job`` shows."""
    if job.kind == "page":
        context = plan.pages[job.index].context
        if "entry" in context:
            return [context["entry"]]
        return [item.entry for item in context.get("items", ())]
    if job.kind == "feed":
        return list(plan.entries[-settings.feed_size :])
    if job.kind in ("region-feed", "region-json"):
        return [i.entry for i in plan.regions[job.index].entries[-settings.feed_size :]]
    return []


def run_jobs(
    jobs: Sequence[Job], renderer: Renderer, plan: SitePlan
) -> Iterator[tuple[str, Output]]:
    """Render ``jobs``, yielding each file as soon as it is made (so the build
    never holds the whole site); in worker processes when there are many."""
    workers = min(os.cpu_count() or 1, 8)
    if len(jobs) < PARALLEL_FROM or workers < 2 or not _can_fork():
        for job in jobs:
            yield job.path, Output.of(job.key, _render(renderer, plan, job))
        return
    global _STATE
    try:
        context = multiprocessing.get_context("fork")
        bodies, rest = _first_pass(jobs, renderer, plan)
        _STATE = (renderer, plan, tuple(jobs))
        with context.Pool(workers) as pool:
            # Each edition's bodies, and its Markdown beside them (the same events grouping).
            chunk = _chunk(len(bodies), workers)
            done = pool.imap(_bodies_in_worker, bodies, chunksize=chunk)
            for (n, _, markdown), (found, text) in zip(bodies, done, strict=True):
                renderer.keep_bodies(plan.entries[n], found)
                if markdown is not None and text is not None:
                    yield markdown.path, Output.of(markdown.key, text)
        renderer.flush()
        _STATE = (renderer, plan, tuple(rest))
        with context.Pool(workers) as pool:  # forked again: the workers read the bodies
            data = pool.imap(_job_in_worker, range(len(rest)), chunksize=_chunk(len(rest), workers))
            for job, content in zip(rest, data, strict=True):
                yield job.path, Output.of(job.key, content)
    finally:
        _STATE = None


BodyTask = tuple[int, bool, "Job | None"]  # edition index, render its bodies, its Markdown job


def _first_pass(
    jobs: Sequence[Job], renderer: Renderer, plan: SitePlan
) -> tuple[list[BodyTask], list[Job]]:
    """The editions whose bodies the jobs need and the cache lacks (with their
    Markdown jobs), and the jobs left for the second pass."""
    position = {entry.id: n for n, entry in enumerate(plan.entries)}
    uses = {position[e.id] for job in jobs for e in _uses(plan, job, renderer.settings)}
    markdown = {job.index: job for job in jobs if job.kind == "markdown"}
    missing = {n for n in uses if not renderer.has_bodies(plan.entries[n])}
    tasks = [(n, n in missing, markdown.get(n)) for n in sorted(missing | set(markdown))]
    return tasks, [job for job in jobs if job.kind != "markdown"]


CHUNK_LIMIT = 16  # tasks per message: a chunk's results arrive (and are held) together


def _chunk(count: int, workers: int) -> int:
    """Tasks handed to a worker at a time: enough to spread the work evenly, few
    enough that one message of results (bodies, pages) stays small whatever
    the size of the archive (a share of the whole let memory grow with it)."""
    return max(1, min(CHUNK_LIMIT, count // (workers * 4)))


def _can_fork() -> bool:
    # Forking a process that runs other threads can deadlock the child (a lock
    # held at fork time is never released): only fork a single-threaded process.
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def _render(renderer: Renderer, plan: SitePlan, job: Job) -> bytes:
    if job.kind == "page":
        return renderer.page(plan.pages[job.index])
    if job.kind == "markdown":
        return renderer.markdown(plan.entries[job.index])
    if job.kind in EXTRA_KINDS:
        return render_extra(job.kind, job.index, renderer, plan)
    settings = renderer.settings
    if job.kind == "feed":
        return feeds.editions_feed(plan.entries, settings, renderer.feed_body)
    return feeds.region_feed(plan.regions[job.index], settings, renderer.feed_fragment)


_STATE: tuple[Renderer, SitePlan, tuple[Job, ...]] | None = None


def _bodies_in_worker(task: BodyTask) -> tuple[dict[str, str], bytes | None]:
    assert _STATE is not None
    renderer, plan, _jobs = _STATE
    index, bodies, markdown = task
    entry = plan.entries[index]
    found = renderer.render_bodies(entry) if bodies else {}
    return found, renderer.markdown(entry) if markdown is not None else None


def _job_in_worker(index: int) -> bytes:
    assert _STATE is not None
    renderer, plan, jobs = _STATE
    return _render(renderer, plan, jobs[index])
