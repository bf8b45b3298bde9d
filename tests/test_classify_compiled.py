"""The compiled classification pass: the same decisions as the full ``classify``,
one ``Item`` per brief, and the edges of the word screen (end of text, separators)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest.classify.classifier import Classifier
from digest.classify.compiled import Joined
from digest.classify.gazetteer import Screens, WordScreen, load_gazetteer, tokens
from digest.model import Item
from tests.test_classify import REGIONS, _labelled_item, brief, labelled_cases, seed_items


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier(REGIONS)


def items() -> list[Item]:
    return seed_items() + [_labelled_item(case) for case in labelled_cases()]


def test_annotate_decides_as_classify_does(classifier: Classifier) -> None:
    checked = 0
    for item in items():
        full = classifier.classify(item)
        annotated = classifier.annotate(item)
        assert (annotated.regions, annotated.countries) == (full.regions, full.countries), item
        checked += bool(full.regions)
    assert checked > 50  # the labelled set and the seeds hold many briefs with regions


def test_annotate_keeps_the_item_when_nothing_changes(classifier: Classifier) -> None:
    plain = brief("Het regent de hele dag in het hele land.")
    assert classifier.classify(plain).matches == ()
    assert classifier.annotate(plain) is plain
    once = classifier.annotate(brief("De Groenlandse premier reist af.", "NUUK"))
    assert once.regions == ("groenland",)
    assert classifier.annotate(once) is once  # already classified: no second Item


def test_a_form_of_several_words_at_the_very_end() -> None:
    gazetteer = load_gazetteer()
    for text in ("Steun uit de Verenigde Staten", "Steun uit de Verenigde", "Verenigde"):
        found = [(h.term.code, text[h.start : h.end]) for h in gazetteer.find(text)]
        expected = [("US", "Verenigde Staten")] if text.endswith("Staten") else []
        assert found == expected


def test_an_ideographic_space_separates_words_as_split_does() -> None:
    text = "Nieuws uit\u3000Groenland vandaag"
    hits = load_gazetteer().find(text)
    assert [(h.term.code, text[h.start : h.end]) for h in hits] == [("GL", "Groenland")]


def test_word_screen_whole_words_and_beginnings() -> None:
    screen = WordScreen(["iran"], ["groen"])
    tok = tokens("Iraniër, Iran en Groenlandcrisis; ngroen")
    assert list(screen.starts(tok)) == [9, 17]
    assert screen.any(tok)
    assert not screen.any(tokens("Irakese groep"))
    assert not WordScreen([]).any(tok)


_WORDS = st.lists(st.text(alphabet="abé", min_size=1, max_size=3), max_size=6)


@settings(max_examples=300, deadline=None)
@given(_WORDS, _WORDS, _WORDS, _WORDS, st.text(alphabet="abeAÉ -\u3000\x00\n", max_size=60))
def test_screens_find_what_each_screen_finds_alone(
    whole: list[str], heads: list[str], other_whole: list[str], other_heads: list[str], text: str
) -> None:
    one, other = WordScreen(whole, heads), WordScreen(other_whole, other_heads)
    tok = tokens(text)
    assert Screens(one, other).starts(tok) == [list(one.starts(tok)), list(other.starts(tok))]


def test_the_classifier_screens_find_what_each_finds_alone(classifier: Classifier) -> None:
    joined = Joined([part for item in items() for part in (item.title or "", item.text)])
    candidates = classifier.gazetteer.candidates
    phrases = classifier._phrase_screen  # the screen the combined pass replaces
    both = Screens(candidates, phrases).starts(joined.tok)
    assert both == [list(candidates.starts(joined.tok)), list(phrases.starts(joined.tok))]
    assert len(both[0]) > 100 and len(both[1]) > 10  # both find something to compare
