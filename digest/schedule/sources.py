"""The run's ingest step: every configured source under the ingest lock; errors reported."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from digest.config import SourceConfig
from digest.errors import DigestError
from digest.ingest.load import ingest_lock
from digest.schedule.context import Context

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)


@dataclass
class SourceOutcome:
    """What ingesting one configured source did."""

    name: str
    summary: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def ingest_source(
    app: Context,
    source: SourceConfig,
    *,
    at: datetime,
    now: datetime,
    client: httpx.Client | None,
    captured_at: datetime | None = None,
) -> SourceOutcome:
    """One configured source into the store; its errors are reported, never raised.
    ``captured_at`` overrides the files' modification times (``digest ingest --captured-at``)."""
    from digest.ingest.load import ingest_paths

    annotate, rules = app.classification
    config, store = app.config, app.store
    if source.kind == "wire" and source.path is not None:
        files = ingest_paths(
            store,
            [config.resolve(source.path)],
            now=now,
            captured_at=captured_at,
            annotate=annotate,
            classified_with=rules,
            zone=config.zone,
        )
        errors = [f"source {source.name!r}: {f.error}" for f in files.failed]
        return SourceOutcome(source.name, files.summary(), errors, files.warnings)
    from digest.ingest.feeds import ingest_feed  # feedparser: only for feed sources
    from digest.ingest.sources import expand_paths

    where: list[Path | str] = (
        list(expand_paths([config.resolve(source.path)])) if source.path else [source.url or ""]
    )
    feeds = [
        ingest_feed(
            store,
            source.name,
            w,
            now=at,
            annotate=annotate,
            classified_with=rules,
            client=client,
            zone=config.zone,
        )
        for w in where
    ]
    summary = "; ".join(f"{f.location}: {f.status}" for f in feeds) or "no feed files"
    errors = [f.error for f in feeds if f.error]
    return SourceOutcome(source.name, summary, errors, [w for f in feeds for w in f.warnings])


def ingest_sources(
    app: Context,
    *,
    at: datetime,
    now: datetime,
    only: str | None = None,
    captured_at: datetime | None = None,
) -> list[SourceOutcome]:
    """Every configured source (or the one named ``only``), under the ingest lock,
    so that concurrent runs and scheduler jobs never store a snapshot twice."""
    chosen = [s for s in app.config.sources if only is None or s.name == only]
    with ingest_lock(app.store), contextlib.ExitStack() as stack:
        client = None
        if any(s.url for s in chosen):  # one HTTP client for every URL; none for files only
            import httpx

            client = stack.enter_context(httpx.Client())
        return [
            _guarded(app, s, at=at, now=now, client=client, captured_at=captured_at) for s in chosen
        ]


def _guarded(
    app: Context,
    source: SourceConfig,
    *,
    at: datetime,
    now: datetime,
    client: httpx.Client | None,
    captured_at: datetime | None = None,
) -> SourceOutcome:
    """One source; an unexpected failure in it is that source's error, not the run's.
    A failure of the store itself (a DigestError) still stops ingestion."""
    try:
        return ingest_source(app, source, at=at, now=now, client=client, captured_at=captured_at)
    except DigestError:
        raise
    except Exception as exc:
        log.exception("source %r: unexpected failure", source.name)
        problem = f"source {source.name!r}: unexpected failure ({type(exc).__name__}: {exc})"
        return SourceOutcome(source.name, "not read", [problem])
