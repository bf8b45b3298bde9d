"""``is_chrome``: the length short cut decides as the plain rule does."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from digest.ingest.chrome import _CHROME_ANYWHERE, _CHROME_OUTSIDE, _CHROME_WORDS, is_chrome


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
