"""Values that flow through the pipeline: parsed items and their JSON form."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Kind = Literal["article", "brief"]


@dataclass(frozen=True, slots=True)
class Item:
    """One news item as read from a source, before it meets the store.

    ``published_at`` is the capture time minus the stated age (the latest
    moment the item can have appeared); ``earliest`` is the earliest moment
    the stated age allows ("1 uur geleden" means 60 to 119 minutes ago).
    Both are ``None`` for undated items (lead articles, truncated briefs).
    """

    kind: Kind
    title: str | None
    dateline: str | None
    agencies: tuple[str, ...]
    text: str
    published_at: datetime | None
    section: str | None
    source: str
    earliest: datetime | None = None
    url: str | None = None
    regions: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()

    def classified(self, regions: tuple[str, ...], countries: tuple[str, ...]) -> Item:
        """This item with its regions and countries (``dataclasses.replace``
        costs more than classifying on the ingest path)."""
        return Item(
            self.kind, self.title, self.dateline, self.agencies, self.text,
            self.published_at, self.section, self.source, self.earliest, self.url,
            regions, countries,
        )  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        """The public JSON shape of ``digest parse --json`` (see DESIGN.md)."""
        return _news_json(self)


@dataclass(frozen=True, slots=True)
class ParseWarning:
    """Something in a source that was kept but not fully understood."""

    source: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class ParseResult:
    """Items in source order plus the warnings raised while reading them."""

    items: tuple[Item, ...]
    warnings: tuple[ParseWarning, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Story:
    """One news story as the store knows it: the latest revision of an item
    seen in one or more snapshots, with its reconciled publication time.

    ``id`` is stable across runs and databases (derived from the dateline and
    the opening words). ``updated_at`` is when a changed wording was last seen
    (``None`` for a story never revised).
    """

    id: str
    kind: Kind
    title: str | None
    dateline: str | None
    agencies: tuple[str, ...]
    text: str
    published_at: datetime | None
    section: str | None
    source: str
    first_seen: datetime
    last_seen: datetime
    updated_at: datetime | None = None
    revisions: int = 1
    regions: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    url: str | None = None

    def to_json(self) -> dict[str, Any]:
        """``digest briefs --json``: the keys of ``parse`` plus id and seen times."""
        return {
            "id": self.id,
            **_news_json(self),
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
            "revisions": self.revisions,
        }


def _news_json(news: Item | Story) -> dict[str, Any]:
    """The keys items and stories share, in the order of the public interface."""
    return {
        "kind": news.kind,
        "title": news.title,
        "dateline": news.dateline,
        "agencies": list(news.agencies),
        "text": news.text,
        "published_at": news.published_at.isoformat() if news.published_at else None,
        "section": news.section,
        "regions": list(news.regions),
        "countries": list(news.countries),
        "source": news.source,
    }
