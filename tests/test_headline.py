"""Headlines: the labelled sets (tests/data/events.toml, and the held-out
events_heldout.toml written blind to the rules), the rules one by one, and the
property that a headline only ever holds its brief's words, in order."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digest.edition.headline import (
    BUDGET,
    headline,
    lead_sentence,
    within_budget,
    without_attribution,
)

ROOT = Path(__file__).resolve().parent.parent
SETS: dict[str, list[dict[str, Any]]] = {
    name: tomllib.loads((ROOT / "tests/data" / name).read_text("utf-8"))["brief"]
    for name in ("events.toml", "events_heldout.toml")
}
# Mean word precision and recall against the editors' headlines, per set.
FLOORS = {"events.toml": (0.95, 0.95), "events_heldout.toml": (0.88, 0.99)}


EDGE = " ,;:–-—\"“”‘’'(.!?"


def in_order(shown: str, text: str) -> bool:
    """The words of ``shown`` are a run of whole words of ``text``, in order;
    only the run's outer punctuation and its first letter's case may differ."""
    words, source = shown.split(), text.split()
    if not words:
        return True

    def same(a: str, b: str, edge: bool) -> bool:
        a, b = (a.strip(EDGE), b.strip(EDGE)) if edge else (a, b)
        return a == b or (a[:1].lower() + a[1:]) == (b[:1].lower() + b[1:])

    last = len(words) - 1
    return any(
        all(same(w, source[i + k], k in (0, last)) for k, w in enumerate(words))
        for i in range(len(source) - last)
    )


def _overlap(got: list[str], want: list[str]) -> int:
    return sum(min(got.count(w), want.count(w)) for w in set(got))


@pytest.mark.parametrize("name", sorted(SETS))
def test_headlines_score_on_the_labelled_sets(name: str) -> None:
    cases = SETS[name]
    precision = recall = exact = 0.0
    for case in cases:
        got, want = headline(case["text"]).lower().split(), case["headline"].lower().split()
        precision += _overlap(got, want) / len(got)
        recall += _overlap(got, want) / len(want)
        exact += got == want
    n = len(cases)
    print(f"\nheadlines ({name}): {n} briefs, exact {exact / n:.3f}, "
          f"word precision {precision / n:.3f}, word recall {recall / n:.3f}")  # fmt: skip
    floor_precision, floor_recall = FLOORS[name]
    assert precision / n >= floor_precision
    assert recall / n >= floor_recall


@pytest.mark.parametrize("name", sorted(SETS))
def test_every_labelled_headline_is_its_briefs_words_in_order(name: str) -> None:
    for case in SETS[name]:
        shown = headline(case["text"])
        assert in_order(shown, case["text"]), (shown, case["text"])
        assert len(shown) <= BUDGET


def test_the_lead_sentence_ends_at_a_real_sentence_end() -> None:
    text = "Premier Schoof sprak met mr. J. Jansen in St. Petersburg. Daarna vertrok hij."
    assert lead_sentence(text) == "Premier Schoof sprak met mr. J. Jansen in St. Petersburg."


def test_attribution_moves_out() -> None:
    assert (
        without_attribution("De stakingen gaan door, zegt de vakbond.") == "De stakingen gaan door"
    )
    assert (
        without_attribution("Het dodental is opgelopen, meldt Reuters.")
        == "Het dodental is opgelopen"
    )
    assert (
        without_attribution("Iran laat inspecteurs toe, heeft de minister gezegd.")
        == "Iran laat inspecteurs toe"
    )
    kept = "De minister heeft, na lang beraad, het besluit genomen."
    assert without_attribution(kept) == kept


def test_a_cut_keeps_whole_words_and_drops_dangling_ones() -> None:
    long = "Het kabinet wil het aantal vluchten " + "zeer " * 30 + "sterk beperken."
    shown = within_budget(long, 60)
    assert len(shown) <= 60 and long.startswith(shown) and not shown.endswith(" ")
    assert within_budget("De ECB sluit verdere renteverlagingen niet uit.") == (
        "De ECB sluit verdere renteverlagingen niet uit"
    )


def test_a_long_sentence_is_cut_before_its_relative_clause() -> None:
    """The seeds' Groenland lead: 117 characters without a comma; cut at the last
    word boundary it ended "waarover de EU en de VS", half a clause."""
    sentence = (
        "De veiligheid in het Arctische gebied is een gedeeld trans-Atlantisch belang "
        "waarover de EU en de VS met elkaar moeten spreken"
    )
    assert within_budget(sentence) == (
        "De veiligheid in het Arctische gebied is een gedeeld trans-Atlantisch belang"
    )
    # A phrase word ("met") inside the relative clause does not move the cut into it.
    shorter = sentence.replace("trans-Atlantisch ", "")
    assert within_budget(shorter) == "De veiligheid in het Arctische gebied is een gedeeld belang"


def test_a_title_wins() -> None:
    assert headline("Tekst.", "Rusland: 71 militairen gedood") == "Rusland: 71 militairen gedood"


_WORDS = st.sampled_from(
    "de het een van Groenland Iran zegt meldt Reuters , . ! ? “ ” 3.700 mr. St. na op "
    "niet uit Trump stuurt militairen naar zei aldus heeft gezegd ANP".split()
)


@given(st.lists(_WORDS, max_size=60), st.integers(min_value=1, max_value=140))
def test_every_headline_is_a_substring_in_order_of_its_brief(words: list[str], budget: int) -> None:
    text = " ".join(words)
    shown = headline(text, budget=budget)
    assert in_order(shown, text)
    assert len(shown) <= max(budget, len(shown.split(" ", 1)[0]))


def test_a_cut_never_falls_inside_a_non_breaking_space() -> None:
    text = "Aan de Oekraïense kant zouden de afgelopen dagen zeker 3.700\u00a0doden zijn gevallen."
    assert headline(text, budget=70).endswith("zeker 3.700\u00a0doden")
    assert headline(text, budget=64).endswith("zeker")  # not "zeker 3.700"
    assert headline(text.replace("\u00a0", " "), budget=64).endswith("zeker 3.700")
