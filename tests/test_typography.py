"""Curly quotes, apostrophes and a non-breaking space in dates, in what readers see."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from digest.render.typography import typographic

NBSP = "\u00a0"


def test_double_quotes_open_and_close() -> None:
    text = '"Dreigen met importheffingen is niet de juiste aanpak", schrijft Kallas.'
    assert (
        typographic(text)
        == "“Dreigen met importheffingen is niet de juiste aanpak”, schrijft Kallas."
    )


def test_apostrophes_and_single_quotes() -> None:
    text = "Zo'n auto's rijden 's ochtends door 't Gooi ('geen idee') sinds de jaren '90."
    assert typographic(text) == (
        "Zo’n auto’s rijden ’s ochtends door ’t Gooi (‘geen idee’) sinds de jaren ’90."
    )


def test_a_day_and_its_month_stay_together() -> None:
    assert typographic("Op 1 december en 20 Januari, niet 3 doden.") == (
        f"Op 1{NBSP}december en 20{NBSP}Januari, niet 3 doden."
    )


@given(st.lists(st.sampled_from([*"ab1 '\"(\n", "december", "'s "]), max_size=30).map("".join))
def test_only_quotes_and_that_space_change(text: str) -> None:
    """Same length; straightened back, the same text: no character added or lost."""
    out = typographic(text)
    assert len(out) == len(text)
    back = out.translate(str.maketrans("“”‘’" + NBSP, "\"\"'' "))
    assert back == text
