"""The classifier's Aho-Corasick pass: every occurrence, overlapping ones too,
in characters, for ASCII and other texts alike."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from digest.classify.automaton import Automaton


def naive(keys: tuple[str, ...], text: str) -> set[tuple[int, int, int]]:
    return {
        (index, start, start + len(key))
        for index, key in enumerate(keys)
        for start in range(len(text) - len(key) + 1)
        if text.startswith(key, start)
    }


def test_overlapping_occurrences_are_all_found() -> None:
    keys = (" groen", " groenland ", " land ", "and")
    text = " groenland en land "
    assert set(Automaton(keys).matches(text)) == naive(keys, text)


def test_offsets_are_characters_in_a_text_that_is_not_ascii() -> None:
    keys = (" kyiv ", " київ ", " een")
    text = " київ en kyiv “een” een "
    found = Automaton(keys).matches(text)
    assert set(found) == naive(keys, text)
    assert {text[start:end] for _, start, end in found} == {" київ ", " kyiv ", " een"}


def test_an_ascii_text_gets_the_index_of_every_key_not_only_the_ascii_ones() -> None:
    keys = (" київ ", " kyiv ", " parijs ")
    assert Automaton(keys).matches(" naar parijs ") == [(2, 5, 13)]


def test_no_keys_find_nothing() -> None:
    assert Automaton(()).matches("wat dan ook") == []
    assert Automaton(("київ",)).matches("ascii only") == []


@given(
    st.lists(st.text(alphabet="ab ë", min_size=1, max_size=4), min_size=1, max_size=6, unique=True),
    st.text(alphabet="ab ëc", max_size=40),
)
def test_the_same_occurrences_as_a_naive_search(keys: list[str], text: str) -> None:
    assert set(Automaton(keys).matches(text)) == naive(tuple(keys), text)
