"""The held-out event sets in tests/data/events_heldout*.toml: their shape only.

Each set was written blind to the clustering rules so that it can score them
honestly; these tests check that every file is big and varied enough to do so
and that every labelled headline is its brief's own words, not how clustering
does.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest

from digest.classify.regions import load_regions

ROOT = Path(__file__).resolve().parent.parent
HELDOUT = ["events_heldout.toml", "events_heldout2.toml", "events_heldout3.toml"]
SECTIONS = {region.id for region in load_regions(ROOT / "config/regions.toml")} | {"overig"}
FIELDS = {"event", "section", "dateline", "text", "headline"}

Brief = dict[str, Any]


def load(name: str) -> list[Brief]:
    briefs: list[Brief] = tomllib.loads((ROOT / "tests/data" / name).read_text("utf-8"))["brief"]
    return briefs


@pytest.fixture(params=HELDOUT)
def briefs(request: pytest.FixtureRequest) -> list[Brief]:
    return load(str(request.param))


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def in_order(needle: list[str], haystack: list[str]) -> bool:
    rest = iter(haystack)
    return all(word in rest for word in needle)


def events_by_section(briefs: list[Brief]) -> dict[str, set[str]]:
    sections: dict[str, set[str]] = defaultdict(set)
    for brief in briefs:
        sections[brief["section"]].add(brief["event"])
    return sections


def test_every_brief_has_the_five_fields_filled(briefs: list[Brief]) -> None:
    for brief in briefs:
        assert set(brief) == FIELDS, brief
        assert all(isinstance(brief[f], str) and brief[f].strip() for f in FIELDS), brief
        assert brief["dateline"] == brief["dateline"].upper(), brief["dateline"]


def test_the_set_is_large_with_many_multi_brief_events(briefs: list[Brief]) -> None:
    sizes = Counter(brief["event"] for brief in briefs)
    assert len(briefs) >= 48
    assert sum(1 for size in sizes.values() if size >= 2) >= 14
    assert max(sizes.values()) <= 5


def test_every_section_is_known_and_holds_at_least_four_events(briefs: list[Brief]) -> None:
    sections = events_by_section(briefs)
    assert set(sections) == SECTIONS
    assert all(len(events) >= 4 for events in sections.values()), sections


def test_an_event_belongs_to_one_section(briefs: list[Brief]) -> None:
    homes: dict[str, set[str]] = defaultdict(set)
    for brief in briefs:
        homes[brief["event"]].add(brief["section"])
    assert {event: s for event, s in homes.items() if len(s) > 1} == {}


def test_every_headline_is_its_briefs_words_in_order(briefs: list[Brief]) -> None:
    for brief in briefs:
        assert in_order(words(brief["headline"]), words(brief["text"])), brief["headline"]


@pytest.mark.parametrize(("one", "other"), list(combinations(HELDOUT, 2)))
def test_no_two_sets_share_an_event_or_a_text(one: str, other: str) -> None:
    first, second = load(one), load(other)
    assert {b["event"] for b in first}.isdisjoint(b["event"] for b in second)
    assert {b["text"] for b in first}.isdisjoint(b["text"] for b in second)


def test_the_order_check_can_fail() -> None:
    assert in_order(words("de storm, van zaterdag"), words("De storm van zaterdag."))
    assert not in_order(words("zaterdag de storm"), words("De storm van zaterdag."))
