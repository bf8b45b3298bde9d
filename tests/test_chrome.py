"""``is_chrome``: the length short cut decides as the plain rule does; the odd
character check of ``normalise_lines`` finds what its regular expression finds."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from digest.ingest.chrome import (
    _CHROME_ANYWHERE,
    _CHROME_OUTSIDE,
    _CHROME_WORDS,
    _ODD_CHARS,
    _REPLACEMENT,
    _has_odd_chars,
    is_chrome,
)


def plain_rule(text: str, inside: bool) -> bool:
    """The rule as first written: every text lower-cased and looked up."""
    if text.lower().rstrip(":>» ") in _CHROME_WORDS or _CHROME_ANYWHERE.match(text):
        return True
    return not inside and _CHROME_OUTSIDE.match(text) is not None


words = st.sampled_from(sorted(_CHROME_WORDS))
padding = st.text(alphabet=":>» ", max_size=60)
noise = st.text(alphabet=st.sampled_from("aİIß: >»Xx.é"), max_size=40)


texts = st.one_of(st.tuples(words, padding).map("".join), noise, st.text(max_size=40))


@given(texts, st.booleans())
def test_is_chrome_is_the_plain_rule(text: str, inside: bool) -> None:
    assert is_chrome(text, inside) == plain_rule(text, inside)


def test_a_chrome_word_padded_far_beyond_its_length_is_still_chrome() -> None:
    assert is_chrome("Lees meer" + " >" * 40, inside=True)
    assert is_chrome("MENU:::" + "»" * 50, inside=True)
    assert not is_chrome("Menu van de kantine wordt duurder " + "x" * 40, inside=True)


def test_the_odd_character_check_is_the_regular_expression() -> None:
    rng = random.Random(7)
    odd = list(_REPLACEMENT)
    alphabet = [chr(c) for c in range(0x2100)] + ["\ud800", "\udfff", "\U0001f600", *odd]
    for _ in range(5000):
        text = "".join(
            rng.choice(alphabet) if rng.random() < 0.05 else rng.choice("aZ9 .-é\n„")
            for _ in range(rng.randrange(60))
        )
        assert _has_odd_chars(text) == bool(_ODD_CHARS.search(text)), repr(text)
    for char in map(chr, range(0x3100)):
        assert _has_odd_chars(f"ab{char}c") == bool(_ODD_CHARS.search(char)), repr(char)
