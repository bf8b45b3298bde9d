"""Whole-snapshot classification (``Labeller.labels``): the decisions of the item-by-item
path for every item, texts that meet at the joins of the compiled pass, and ingestion
that stores each parsed Item as it is, with its labels beside it."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.classify.classifier import Classifier
from digest.classify.gazetteer import _SPACED, spaced
from digest.classify.labeller import Labeller
from digest.classify.regions import load_regions, with_context
from digest.ingest.load import reclassify, store_parsed
from digest.model import Item
from digest.store import Store
from digest.store.schema import stories
from digest.store.stories import SnapshotMeta, list_stories
from tests.test_classify import REGIONS, _labelled_item, labelled_cases, seed_items

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 1, 20, 12, tzinfo=UTC)


def item(text: str, dateline: str | None = None, title: str | None = None) -> Item:
    return Item("brief", title, dateline, ("ANP",), text, None, None, "t")


# Neighbours in a snapshot whose words would meet if the compiled pass joined them
# carelessly: a form of two words, a first name before a surname, a determiner
# before a first name, and the co-occurrence keyword's parts.
JOINS = [
    item("Steun uit de Verenigde"),
    item("Staten blijft uit, zegt de minister."),
    item("Het interview met Frans"),
    item("Timmermans duurde een uur."),
    item("Het is de", title="Vandaag de"),
    item("Noor won de race in Oslo."),
    item("Een overeenkomst tussen de Verenigde Staten", "KOPENHAGEN"),
    item("en Denemarken komt er, zeggen diplomaten.", "KOPENHAGEN"),
    item("De overeenkomst tussen de Verenigde Staten en Denemarken is rond.", "KOPENHAGEN"),
    item("Maduro spreekt in\u3000Caracas; de GENÈVE-besprekingen gaan door.", "GENÈVE"),
    item(""),
    item("Groenlandcrisis: Irans president Khamenei", "NUUK", title="Iranakkoord"),
]


def cases() -> list[Item]:
    return seed_items() + [_labelled_item(case) for case in labelled_cases()] + JOINS


@pytest.mark.parametrize("order", ["as listed", "shuffled"])
def test_labels_decide_as_the_item_by_item_path(order: str) -> None:
    regions = load_regions(ROOT / "config" / "regions.toml")
    items = cases()
    if order == "shuffled":
        random.Random(19).shuffle(items)
    one = with_context(Classifier(regions).annotate, regions)
    expected = [(done.regions, done.countries) for done in map(one, items)]
    assert Labeller(regions).labels(items) == expected
    assert sum(bool(regions) for regions, _ in expected) > 50


def test_joined_texts_stay_apart() -> None:
    labels = Labeller(REGIONS).labels(JOINS)
    assert labels[1] == ((), ())  # "Staten" alone: not "Verenigde Staten" across the join
    assert labels[7][0] == ()  # the parts of the co-occurrence keyword are in two briefs
    assert "groenland" in labels[8][0]
    assert Labeller(REGIONS).labels([]) == []


def test_case_forgiven_as_the_regular_expressions_forgive() -> None:
    """KELVIN SIGN and LONG S match k and s regardless of case, but do not fold to
    them: a snapshot holding either is searched for co-occurrence parts as before."""
    deal = "De overeenkomst tussen de Verenigde Staten en Denemarken is rond."
    items = [
        item(deal.replace("k", "\u212a"), "KOPENHAGEN"),
        item(deal.replace("Staten", "\u017ftaten"), "KOPENHAGEN"),
        item(deal.upper(), "KOPENHAGEN"),
        item("Zonder overeenkomst.", "KOPENHAGEN"),
    ]
    one = with_context(Classifier(REGIONS).annotate, REGIONS)
    expected = [(done.regions, done.countries) for done in map(one, items)]
    assert all("groenland" in regions for regions, _ in expected[:3])
    for each in items:
        assert Labeller(REGIONS).labels([each, items[-1]]) == [
            expected[items.index(each)],
            expected[-1],
        ]


def test_spaced_is_the_translation_table() -> None:
    rng = random.Random(5)
    alphabet = [chr(c) for c in range(0x3100)] + ["\ud800", "\udfff", "\U0001f600", "İ"]
    for _ in range(3000):
        text = "".join(
            rng.choice(alphabet) if rng.random() < 0.3 else rng.choice("aZ9 .-é")
            for _ in range(rng.randrange(40))
        )
        assert spaced(text) == text.translate(_SPACED)


def test_spaced_changes_a_character_once_even_when_its_replacement_is_replaced() -> None:
    # Ǿ folds to ø and ø to o: replacing the distinct characters one after the
    # other made "Ǿø" "oo" whenever Ǿ came first (set order, so run to run).
    for size in range(12):
        for first in range(0x100, 0x400, 3):
            text = "\u01fe\u00f8" + "".join(map(chr, range(first, first + size)))
            assert spaced(text) == text.translate(_SPACED), text


def test_a_labeller_stores_the_parsed_items_as_they_are(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = [i for i in seed_items() if i.kind == "brief"]
    expected = [with_context(Classifier(REGIONS).annotate, REGIONS)(i) for i in items]
    assert any(e.regions for e in expected)
    monkeypatch.setattr(Item, "classified", _no_second_item)
    counts = store_parsed(
        store, SnapshotMeta("s.txt", "c" * 64, NOW), items, NOW, Labeller(REGIONS), "rules"
    )
    assert counts.new == len({(i.dateline, i.text) for i in items})
    stored = {(s.dateline, s.text): (s.regions, s.countries) for s in list_stories(store)}
    for done in expected:
        assert stored[(done.dateline, done.text)] == (done.regions, tuple(sorted(done.countries)))


def _no_second_item(self: Item, regions: tuple[str, ...], countries: tuple[str, ...]) -> Item:
    raise AssertionError("a brief was built a second time to carry its regions")


def test_reclassify_with_a_labeller_decides_as_one_by_one(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = [i for i in seed_items() if i.kind == "brief"]
    store_parsed(store, SnapshotMeta("s.txt", "d" * 64, NOW), items, NOW, None, "old")
    one_by_one = with_context(Classifier(REGIONS).annotate, REGIONS)
    assert reclassify(store, one_by_one, "item-by-item") == len(list_stories(store))
    expected = {s.id: (s.regions, s.countries) for s in list_stories(store)}
    assert any(regions for regions, _ in expected.values())
    with store.begin() as conn:  # forget the labels, so that the batch must find them again
        conn.execute(stories.update().values(regions="", countries=""))
    monkeypatch.setattr(Item, "classified", _no_second_item)  # one pass, no Item per story
    assert reclassify(store, Labeller(REGIONS), "batch") == len(expected)
    assert {s.id: (s.regions, s.countries) for s in list_stories(store)} == expected
