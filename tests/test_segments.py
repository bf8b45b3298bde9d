"""Segments: one render per distinct (regions, locale) choice."""

from __future__ import annotations

from dataclasses import dataclass

from digest.deliver.segments import (
    MAX_LABEL,
    SegmentKey,
    group_recipients,
    has_news,
    segment_edition,
    segment_of,
)
from tests.delivery_helpers import make_edition, region_choices


@dataclass(frozen=True)
class Reader:
    email: str
    regions: frozenset[str] | None
    locale: str = "nl"


def test_readers_with_the_same_choice_share_a_segment() -> None:
    readers = [
        Reader("a", frozenset({"zeeland", "groenland"})),
        Reader("b", None),
        Reader("c", frozenset({"groenland", "zeeland"})),
        Reader("d", frozenset({"groenland", "zeeland"}), "en"),
        Reader("e", frozenset()),  # chose nothing: reads everything
    ]
    groups = group_recipients(readers)
    assert [[r.email for r in members] for members in groups.values()] == [
        ["a", "c"],
        ["b", "e"],
        ["d"],
    ]
    assert list(groups) == [
        SegmentKey(frozenset({"groenland", "zeeland"}), "nl"),
        SegmentKey(None, "nl"),
        SegmentKey(frozenset({"groenland", "zeeland"}), "en"),
    ]


def test_labels_are_stable_sorted_and_fit_the_ledger_column() -> None:
    assert SegmentKey(None, "nl").label == "nl:*"
    assert SegmentKey(frozenset({"zeeland", "groenland"}), "en").label == "en:groenland+zeeland"
    many = frozenset(f"region-number-{i}" for i in range(40))
    label = SegmentKey(many, "nl").label
    assert len(label) <= MAX_LABEL and label.startswith("nl:#")
    assert label == SegmentKey(frozenset(sorted(many)), "nl").label
    assert label != SegmentKey(many - {"region-number-0"}, "nl").label


def test_every_region_choice_has_its_own_label() -> None:
    labels = {SegmentKey(choice, "nl").label for choice in region_choices()}
    assert len(labels) == len(region_choices())


def test_a_segment_reads_only_its_regions_and_all_reads_everything() -> None:
    edition = make_edition(with_news=("groenland", "zeeland"))
    everything = segment_edition(edition, SegmentKey(None, "nl"))
    assert everything == edition
    mine = segment_edition(edition, segment_of(Reader("a", frozenset({"zeeland", "limburg"}))))
    assert [s.region_id for s in mine.sections] == ["zeeland"]


def test_regions_without_news_have_none() -> None:
    edition = make_edition(with_news=("groenland",))
    assert has_news(edition, SegmentKey(frozenset({"groenland", "limburg"}), "nl"))
    assert not has_news(edition, SegmentKey(frozenset({"limburg"}), "nl"))
    assert has_news(edition, SegmentKey(None, "nl"))
    quiet = make_edition(with_news=(), other=0)
    assert not has_news(quiet, SegmentKey(None, "nl"))
