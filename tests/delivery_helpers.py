"""Shared helpers for the delivery tests: an edition with region sections,
recorded in a store, and subscribers spread over every region choice."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from digest.config import Config, load_config
from digest.model import Edition, EditionBrief, EditionSection, Story
from digest.store import Store
from digest.store.editions import record_edition
from digest.store.schema import stories
from digest.store.subscribers import import_subscribers
from digest.subscribers import ImportRow
from digest.tokens import TokenSigner

SLOT = datetime(2026, 1, 21, 6, 0, tzinfo=UTC)
REGIONS = ("groenland", "zeeland", "friesland", "limburg")
SECRET = "test-secret-key-0123456789"
SIGNER = TokenSigner(SECRET)


def story(n: int, regions: tuple[str, ...]) -> Story:
    when = SLOT - timedelta(minutes=7 * n + 1)
    return Story(
        id=f"story{n:04d}",
        kind="brief",
        title=None,
        dateline="DEN HAAG",
        agencies=("ANP",),
        text=f"Bericht {n} over {' en '.join(regions) or 'iets anders'}.",
        published_at=when,
        section="Binnenland",
        source="test",
        first_seen=when,
        last_seen=SLOT,
        regions=regions,
    )


def make_edition(with_news: Sequence[str] = REGIONS[:3], other: int = 2) -> Edition:
    """An edition with three briefs per region in ``with_news`` plus ``other`` in Overig."""
    sections = [
        EditionSection(
            region,
            region.title(),
            tuple(EditionBrief(story(i * 10 + j, (region,)), "today") for j in range(3)),
        )
        for i, region in enumerate(with_news)
    ]
    if other:
        briefs = tuple(EditionBrief(story(900 + j, ()), "today") for j in range(other))
        sections.append(EditionSection(None, "Overig", briefs))
    return Edition(
        id="ochtend-2026-01-21T0700",
        name="ochtend",
        title="Ochtendeditie",
        slot=SLOT,
        window_start=SLOT - timedelta(hours=24),
        window_end=SLOT,
        sections=tuple(sections),
        timezone="Europe/Amsterdam",
    )


def _story_row(value: Story) -> dict[str, Any]:
    return {
        "id": value.id,
        "kind": value.kind,
        "dateline": value.dateline,
        "agencies": ",".join(value.agencies),
        "text": value.text,
        "content_hash": hashlib.sha256(value.text.encode()).hexdigest(),
        "source": value.source,
        "published_at": value.published_at,
        "first_seen": value.first_seen,
        "last_seen": value.last_seen,
        "regions": ",".join(value.regions),
    }


def record(store: Store, edition: Edition) -> Edition:
    """Store the edition's stories and the edition itself."""
    unique = {b.story.id: b.story for s in edition.sections for b in s.briefs}
    with store.begin() as conn:
        conn.execute(insert(stories), [_story_row(s) for s in unique.values()])
    return record_edition(store, edition, recorded_at=SLOT)


def region_choices() -> list[frozenset[str] | None]:
    """Every subset of REGIONS; the empty one is "all regions" (None)."""
    subsets = [
        frozenset(c) for n in range(1, len(REGIONS) + 1) for c in itertools.combinations(REGIONS, n)
    ]
    return [None, *subsets]


def add_readers(store: Store, n: int, *, locales: Sequence[str] = ("nl", "en")) -> list[ImportRow]:
    """``n`` active subscribers cycling through every region choice, then every
    locale: reader ``i`` chose ``region_choices()[i % 16]``."""
    choices = region_choices()
    rows = [
        ImportRow(
            i + 2,
            f"reader{i:06d}@example.org",
            f"Lezer {i}",
            choices[i % len(choices)],
            locales[i // len(choices) % len(locales)],
        )
        for i in range(n)
    ]
    import_subscribers(store, rows, status="active", now=SLOT)
    return rows


REGIONS_TOML = """
[[regions]]
id = "groenland"
name = "Groenland"
countries = ["GL"]

[[regions]]
id = "zeeland"
name = "Zeeland"
keywords = ["Zeeland"]

[[regions]]
id = "friesland"
name = "Friesland"
keywords = ["Friesland"]

[[regions]]
id = "limburg"
name = "Limburg"
keywords = ["Limburg"]
"""


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)


def write_config(tmp: Path, **delivery: Any) -> Path:
    """``digest.toml`` and ``regions.toml`` in ``tmp`` (database and outbox there too)."""
    database = f"sqlite:///{tmp / 'digest.db'}"
    lines = [
        "[site]",
        'title = "Digest"',
        'base_url = "https://news.example.org"',
        "[storage]",
        f"url = {_toml(database)}",
        "[[editions]]",
        'name = "ochtend"',
        'title = "Ochtendeditie"',
        "[delivery]",
    ]
    tables = {"outbox": {"dir": str(tmp / "outbox")}}
    for key, value in delivery.items():
        if isinstance(value, dict):
            tables[key] = {**tables.get(key, {}), **value}
        else:
            lines.append(f"{key} = {_toml(value)}")
    for table, values in tables.items():
        lines.append(f"[delivery.{table}]")
        lines += [f"{key} = {_toml(value)}" for key, value in values.items()]
    (tmp / "regions.toml").write_text(REGIONS_TOML, encoding="utf-8")
    path = tmp / "digest.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def make_config(tmp: Path, **delivery: Any) -> Config:
    """The config :func:`write_config` writes, loaded."""
    return load_config(write_config(tmp, **delivery))
