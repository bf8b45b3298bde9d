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
    assert typographic("Op 1 december en 20 Januari, niet 3 Noord-Koreanen.") == (
        f"Op 1{NBSP}december en 20{NBSP}Januari, niet 3 Noord-Koreanen."
    )


def test_a_number_and_what_it_counts_stay_together() -> None:
    text = "Zeker 3.700 doden, 5,9 procent, 20 miljoen euro, € 20, 12 °C en 50 %."
    assert typographic(text) == (
        f"Zeker 3.700{NBSP}doden, 5,9{NBSP}procent, 20{NBSP}miljoen{NBSP}euro, "
        f"€{NBSP}20, 12{NBSP}°C en 50{NBSP}%."
    )


def test_digit_groups_stay_together_and_years_are_left_alone() -> None:
    assert typographic("Een grens van 3 700 000 meter.") == (
        f"Een grens van 3{NBSP}700{NBSP}000{NBSP}meter."
    )
    assert typographic("In 2025 zeker 1500 doodstraffen.") == (
        f"In 2025 zeker 1500{NBSP}doodstraffen."
    )


@given(
    st.lists(
        st.sampled_from([*"ab1 '\"(\n€.,", "december", "'s ", "miljoen", "2025", "700"]),
        max_size=30,
    ).map("".join)
)
def test_only_quotes_and_that_space_change(text: str) -> None:
    """Same length; straightened back, the same text: no character added or lost."""
    out = typographic(text)
    assert len(out) == len(text)
    back = out.translate(str.maketrans("“”‘’" + NBSP, "\"\"'' "))
    assert back == text
