"""Segments: recipients who read the same edition (same regions, same locale).

Pure. Delivery renders an edition once per segment and personalises it per
recipient, so the number of renders is the number of distinct choices (a few
hundred at most), not the number of subscribers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from digest.model import Edition

MAX_LABEL = 128  # the width of deliveries.segment
ALL_REGIONS = "*"


class Choice(Protocol):
    """What a recipient needs for segmenting (a ``Subscriber`` has it)."""

    @property
    def regions(self) -> frozenset[str] | None: ...

    @property
    def locale(self) -> str: ...


R = TypeVar("R", bound=Choice)


@dataclass(frozen=True, slots=True, order=False)
class SegmentKey:
    """A region choice (None = all regions) and a locale."""

    regions: frozenset[str] | None
    locale: str

    @property
    def label(self) -> str:
        """Stable text for the ledger: ``nl:*``, ``nl:groenland+zeeland``; a long
        choice is shortened to a hash so it fits the column."""
        regions = "+".join(sorted(self.regions)) if self.regions is not None else ALL_REGIONS
        label = f"{self.locale}:{regions}"
        if len(label) <= MAX_LABEL:
            return label
        return f"{self.locale}:#{hashlib.sha256(regions.encode()).hexdigest()[:32]}"

    def describe(self) -> str:
        """For people: ``nl, regions groenland, zeeland`` or ``nl, all regions``."""
        if self.regions is None:
            return f"{self.locale}, all regions"
        return f"{self.locale}, regions {', '.join(sorted(self.regions))}"


def segment_of(recipient: Choice) -> SegmentKey:
    return SegmentKey(recipient.regions or None, recipient.locale)


def group_recipients(recipients: Iterable[R]) -> dict[SegmentKey, list[R]]:
    """Recipients by segment, segments in order of first appearance."""
    groups: dict[SegmentKey, list[R]] = {}
    for recipient in recipients:
        groups.setdefault(segment_of(recipient), []).append(recipient)
    return groups


def segment_edition(edition: Edition, key: SegmentKey) -> Edition:
    """The edition as readers of this segment get it."""
    return edition.for_regions(key.regions)


def has_news(edition: Edition, key: SegmentKey) -> bool:
    """Whether the segment's regions have anything in ``edition``."""
    return segment_edition(edition, key).story_count > 0
