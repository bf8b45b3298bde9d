"""Publish: recorded editions in, a static HTML archive out (pages, feeds, sitemap, search).

The archive has region pages, Atom feeds, a sitemap and Pagefind search (see docs/archive.md).

The recipe, as in Pelican: read every edition, plan every page (``site``),
render what changed (``pages``, ``feeds``, ``assets``) and stream each file
to the ``writer`` as it is made (the build never holds the whole site), which
swaps the new generation in atomically.
"""

from __future__ import annotations

import gc
import hashlib
import shutil
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from digest import __version__
from digest.classify.batch import collector_paused
from digest.classify.gazetteer import load_gazetteer
from digest.errors import plural
from digest.model import Edition, Revision
from digest.publish import feeds
from digest.publish.assets import Assets, build_assets
from digest.publish.cache import CACHE_NAME, BodyCache
from digest.publish.facts import FACTS_NAME, FactsCache, facts_key
from digest.publish.outputs import plan_outputs, run_jobs
from digest.publish.pages import Renderer, archive_environment, templates_fingerprint
from digest.publish.search import (
    BUNDLES,
    Shard,
    build_shards,
    bundle_files,
    pagefind_binary,
    plan_shards,
)
from digest.publish.site import (
    EditionEntry,
    SitePlan,
    SiteSettings,
    digest_of,
    place_editions,
    plan_site,
)
from digest.publish.writer import Output, Publication, Record

if TYPE_CHECKING:
    from digest.config import Config
    from digest.store import Store

__all__ = ["PublishReport", "SiteSettings", "build_archive", "publish_archive", "settings_from"]


@dataclass(frozen=True, slots=True)
class PublishReport:
    """What a publish did. ``written`` counts files new or changed since the
    previous publish; ``unchanged`` files were left as they were (hard links)."""

    out: Path
    editions: int
    pages: int
    written: int
    unchanged: int
    removed: int
    written_paths: tuple[str, ...]
    removed_paths: tuple[str, ...]
    search: str

    def summary(self) -> str:
        return (
            f"archive {self.out}: {plural(self.editions, 'edition')}, "
            f"{plural(self.pages, 'page')}; "
            f"{plural(self.written, 'file')} written, {self.unchanged} unchanged, "
            f"{self.removed} removed; search: {self.search}"
        )


def settings_from(config: Config) -> SiteSettings:
    return SiteSettings(
        title=config.site.title,
        base_url=config.archive.base_url,
        per_page=config.archive.per_page,
        timezone=config.site.timezone,
        signup_url=config.site.base_url.rstrip("/") + "/",
        topics=tuple(config.archive.topics),
        topic_places=config.archive.topic_places,
        topic_people=config.archive.topic_people,
        topic_min=config.archive.topic_min,
        locale=config.archive.locale or config.site.locale,
        alternates=tuple(sorted(config.archive.alternates.items())),
    )


def publish_archive(
    store: Store, config: Config, *, out: Path | None = None, search: bool = True
) -> PublishReport:
    """Publish every edition recorded in ``store`` to ``out`` (default ``[archive]
    dir``): what was mailed is what is archived, whatever the clock says (a run
    ``--at`` a later moment mails its edition, so the archive has it too)."""
    from digest.store.editions import list_editions
    from digest.store.stories import revisions_of

    editions = list_editions(store, released=True)  # none waiting for an editor
    ids = {b.story.id for e in editions for s in e.sections for b in s.briefs}
    folders = [config.resolve(config.site.templates)] if config.site.templates else None
    settings = settings_from(config)
    return build_archive(
        editions,
        settings,
        out or config.resolve(config.archive.dir),
        env=archive_environment(folders, settings.locale),
        search=search,
        revisions=revisions_of(store, ids),
    )


def build_archive(
    editions: Sequence[Edition],
    settings: SiteSettings,
    out: Path,
    *,
    env: jinja2.Environment | None = None,
    search: bool = True,
    revisions: Mapping[str, Sequence[Revision]] | None = None,
) -> PublishReport:
    """Publish ``editions`` to ``out``: render what changed, swap it in atomically.
    ``revisions`` are the stored wordings of the stories (their pages' timelines;
    without them, the wordings the editions carried)."""
    with _editions_frozen():
        env = env or archive_environment(locale=settings.locale)
        return _build(editions, settings, out, env, search, revisions)


@contextmanager
def _editions_frozen() -> Iterator[None]:
    """Keep the garbage collector from rescanning the (many, long-lived) edition
    objects each time the build allocates: a third of an incremental publish."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _build(
    editions: Sequence[Edition],
    settings: SiteSettings,
    out: Path,
    env: jinja2.Environment,
    search: bool,
    revisions: Mapping[str, Sequence[Revision]] | None = None,
) -> PublishReport:
    assets = build_assets(env)
    site_key = digest_of(__version__, templates_fingerprint(env), assets.key)
    entries = place_editions(editions, settings)
    binary = pagefind_binary() if search else None
    shards = plan_shards(entries, site_key) if binary else []
    inputs = _inputs(entries, settings, site_key, shards if binary else None, revisions)
    with Publication(out) as publication:
        if _unchanged(publication, inputs):
            pages = int(str(publication.live_inputs.get("pages", 0)))
            status = f"{len(shards)} shards, 0 rebuilt" if binary else "not built"
            return _report(out, len(entries), pages, len(publication.live), [], [], status)
        with _facts(publication, settings) as known, collector_paused():
            known.keep(entries, settings.topics, load_gazetteer())
            plan = plan_site(
                entries, settings, site_key=site_key, shards=[s.name for s in shards],
                revisions=revisions, facts=known.of,
            )  # fmt: skip
        gc.freeze()  # the plan lives as long as the build: not scanned again while rendering
        publication.inputs = {"key": inputs, "pages": len(plan.pages)}
        with _body_cache(publication, site_key) as cache:
            renderer = Renderer(env, settings, assets, cache, plan.story_urls())
            return _write(plan, publication, renderer, site_key, shards, binary)


def _write(
    plan: SitePlan,
    publication: Publication,
    renderer: Renderer,
    site_key: str,
    shards: Sequence[Shard],
    binary: Path | None,
) -> PublishReport:
    """Render and offer what changed, index the stale search shards, swap."""
    out, editions, pages = publication.target, len(plan.entries), len(plan.pages)
    paths = _stream_files(plan, renderer, publication, site_key, renderer.assets)
    reused, stale = _split_shards(shards, publication.live, publication.lost)
    for path, output in reused.items():
        publication.offer(path, output)
    paths |= reused.keys()
    status = f"{len(shards)} shards, {len(stale)} rebuilt" if binary else "not built"
    if not stale and not publication.changed and paths == publication.live.keys():
        return _report(out, editions, pages, len(paths), [], [], status)
    publication.finish(paths)
    if binary is not None and stale:
        _index(publication, binary, stale)
    stats = publication.commit()
    return _report(out, editions, pages, stats.unchanged, stats.written, stats.removed, status)


def _inputs(
    entries: Sequence[EditionEntry],
    settings: SiteSettings,
    site_key: str,
    shards: Sequence[Shard] | None,
    revisions: Mapping[str, Sequence[Revision]] | None,
) -> str:
    """A key of everything the archive is made from: equal keys, equal archives."""
    stored = hashlib.blake2b(digest_size=12)
    for story_id in sorted(revisions or ()):
        stamps = ";".join(f"{r.number}@{r.seen_at.timestamp()}" for r in revisions[story_id])  # type: ignore[index]
        stored.update(f"{story_id}\x1f{stamps}\x1e".encode())
    return digest_of(
        site_key, settings, [(e.url, e.fingerprint) for e in entries],
        None if revisions is None else stored.hexdigest(),
        None if shards is None else [(s.name, s.key) for s in shards],
    )  # fmt: skip


def _unchanged(publication: Publication, inputs: str) -> bool:
    """The live archive was made from ``inputs`` and every file of it is still there."""
    live = publication.live
    return bool(live) and not publication.lost and publication.live_inputs.get("key") == inputs


@contextmanager
def _facts(publication: Publication, settings: SiteSettings) -> Iterator[FactsCache]:
    """Each edition's story addresses and mentions kept beside the generations (``facts``)."""
    cache = FactsCache(publication.home / FACTS_NAME, facts_key(settings.topics))
    try:
        yield cache
    finally:
        cache.close()


@contextmanager
def _body_cache(publication: Publication, site_key: str) -> Iterator[BodyCache]:
    """The rendered edition bodies kept beside the generations (see ``cache``)."""
    cache = BodyCache(publication.home / CACHE_NAME, site_key)
    try:
        cache.prune()
        yield cache
    finally:
        cache.close()


def _stream_files(
    plan: SitePlan, renderer: Renderer, publication: Publication, site_key: str, assets: Assets
) -> set[str]:
    """Offer every file but the search bundles to ``publication`` as it is
    rendered (only what changed is rendered); the paths offered."""
    settings = renderer.settings
    known, kept, jobs = plan_outputs(plan, settings, site_key, assets, publication.live)
    kept += _sitemaps(plan, settings, site_key, publication.live, known)
    known["robots.txt"] = Output.of("", feeds.robots(settings))
    known["404.html"] = Output.of("", renderer.not_found())
    paths = set(known) | set(kept)
    publication.keep(kept)
    for path, output in known.items():
        publication.offer(path, output)
    for path, output in run_jobs(jobs, renderer, plan):
        publication.offer(path, output)
        paths.add(path)
    return paths


def _sitemaps(
    plan: SitePlan,
    settings: SiteSettings,
    site_key: str,
    live: dict[str, Record],
    known: dict[str, Output],
) -> list[str]:
    """The sitemap files (into ``known``, rendered where their pages changed) and
    their index; the paths of those equal to the live ones (kept)."""
    files = feeds.sitemap_files((page.url, page.updated) for page in plan.pages)
    kept, listed = [], []
    for name, pages in files.items():
        dates = [(url, updated.date() if updated else None) for url, updated in pages]
        key = digest_of(site_key, "sitemap", settings.root_url, dates)
        found = live.get(name)
        if found is not None and found.key == key:
            kept.append(name)
        else:
            known[name] = Output.of(key, feeds.sitemap(pages, settings))
        dated = [updated for _, updated in pages if updated is not None]
        listed.append((name, max(dated, default=None)))
    known["sitemap.xml"] = Output.of("", feeds.sitemap_index(listed, settings))
    return kept


def _split_shards(
    shards: Sequence[Shard], live: dict[str, Record], lost: set[str]
) -> tuple[dict[str, Output], list[Shard]]:
    """Live bundle files of shards whose key is unchanged and whose files are
    all there, and the shards to rebuild."""
    reused: dict[str, Output] = {}
    stale: list[Shard] = []
    bundles: dict[str, dict[str, Record]] = {}
    for path, record in live.items():
        if path.startswith(BUNDLES + "/"):
            bundles.setdefault(path.split("/", 2)[1], {})[path] = record
    for shard in shards:
        found = bundles.get(shard.name, {})
        broken = any(path.startswith(shard.prefix) for path in lost)
        if found and not broken and all(r.key == shard.key for r in found.values()):
            reused |= {p: Output(r.key, r.hash) for p, r in found.items()}
        else:
            stale.append(shard)
    return reused, stale


def _index(publication: Publication, binary: Path, shards: Sequence[Shard]) -> None:
    scratch = publication.home / f"scratch-{publication.spare_name}"
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        folders = build_shards(binary, publication.spare, shards, scratch)
        for shard in shards:
            bundle = bundle_files(folders[shard.name])
            publication.add({shard.prefix + p: Output.of(shard.key, d) for p, d in bundle.items()})
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _report(
    out: Path,
    editions: int,
    pages: int,
    unchanged: int,
    written: Sequence[str],
    removed: Sequence[str],
    search: str,
) -> PublishReport:
    return PublishReport(
        out=out,
        editions=editions,
        pages=pages,
        written=len(written),
        unchanged=unchanged,
        removed=len(removed),
        written_paths=tuple(written),
        removed_paths=tuple(removed),
        search=search,
    )
