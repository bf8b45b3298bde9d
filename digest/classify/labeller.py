"""How ingestion classifies: regions and countries of items, one at a time or a
whole snapshot at once, with the same results either way."""

from __future__ import annotations

from collections.abc import Sequence

from digest.classify.batch import collector_paused
from digest.classify.classifier import Classifier, joined_items
from digest.classify.regions import ContextRules, Label, Region, with_context
from digest.model import Item


class Labeller:
    """The classifier's decisions plus the rules with context (``ContextRules``).

    Called with an item it gives the item classified (``with_context``);
    ``labels`` gives the ``(regions, countries)`` of many items from one
    compiled pass over all of them, so a snapshot's items need not be built
    again with their regions.
    """

    def __init__(self, regions: Sequence[Region], classifier: Classifier | None = None) -> None:
        self.classifier = classifier or Classifier(regions)
        self.rules = ContextRules(regions)
        self._one = with_context(self.classifier.annotate, regions)

    def __call__(self, item: Item) -> Item:
        return self._one(item)

    def labels(self, items: Sequence[Item]) -> list[Label]:
        with collector_paused():
            joined = joined_items(items)
            return self.rules.labels(items, self.classifier.labels(items, joined), joined)
