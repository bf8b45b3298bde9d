"""The held-out event set in tests/data/events_heldout.toml: its shape only.

The set was written blind to the clustering rules so that it can score them
honestly; these tests check that the file is big and varied enough to do so and
that every labelled headline is its brief's own words, not how clustering does.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from digest.classify.regions import load_regions

ROOT = Path(__file__).resolve().parent.parent
BRIEFS: list[dict[str, Any]] = tomllib.loads(
    (ROOT / "tests/data/events_heldout.toml").read_text("utf-8")
)["brief"]
SECTIONS = {region.id for region in load_regions(ROOT / "config/regions.toml")} | {"overig"}
FIELDS = {"event", "section", "dateline", "text", "headline"}


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def in_order(needle: list[str], haystack: list[str]) -> bool:
    rest = iter(haystack)
    return all(word in rest for word in needle)


def events_by_section() -> dict[str, set[str]]:
    sections: dict[str, set[str]] = defaultdict(set)
    for brief in BRIEFS:
        sections[brief["section"]].add(brief["event"])
    return sections


def test_every_brief_has_the_five_fields_filled() -> None:
    for brief in BRIEFS:
        assert set(brief) == FIELDS, brief
        assert all(isinstance(brief[f], str) and brief[f].strip() for f in FIELDS), brief
        assert brief["dateline"] == brief["dateline"].upper(), brief["dateline"]


def test_the_set_is_large_with_many_multi_brief_events() -> None:
    sizes = Counter(brief["event"] for brief in BRIEFS)
    assert len(BRIEFS) >= 48
    assert sum(1 for size in sizes.values() if size >= 2) >= 14
    assert max(sizes.values()) <= 5


def test_every_section_is_known_and_holds_at_least_four_events() -> None:
    sections = events_by_section()
    assert set(sections) == SECTIONS
    assert all(len(events) >= 4 for events in sections.values()), sections


def test_an_event_belongs_to_one_section() -> None:
    homes: dict[str, set[str]] = defaultdict(set)
    for brief in BRIEFS:
        homes[brief["event"]].add(brief["section"])
    assert {event: s for event, s in homes.items() if len(s) > 1} == {}


def test_every_headline_is_its_briefs_words_in_order() -> None:
    for brief in BRIEFS:
        assert in_order(words(brief["headline"]), words(brief["text"])), brief["headline"]


def test_the_order_check_can_fail() -> None:
    assert in_order(words("de storm, van zaterdag"), words("De storm van zaterdag."))
    assert not in_order(words("zaterdag de storm"), words("De storm van zaterdag."))
