"""The subject names the lead event within its budget, and a cut headline shows its cut."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

from digest.edition.events import SUBJECT_BUDGET, Event, subject_line

HEADLINE = "Rusland: 71 militairen gedood door Oekraïens offensief"


def _event(headline: str) -> Event:
    return cast(Event, SimpleNamespace(headline=headline))


def test_a_headline_that_fits_is_shown_whole() -> None:
    assert subject_line("Ochtendeditie", _event(HEADLINE)) == f"Ochtendeditie: {HEADLINE}"


def test_a_cut_headline_ends_in_an_ellipsis_within_the_budget() -> None:
    """Seen on a late edition: 'Ochtendeditie, later verzonden: Rusland: 71 militairen
    gedood door Oekraïens' — cut at a word, it read as a whole (and wrong) sentence."""
    subject = subject_line("Ochtendeditie, later verzonden", _event(HEADLINE))
    assert subject.endswith("…") and len(subject) <= SUBJECT_BUDGET
    assert subject.startswith("Ochtendeditie, later verzonden: Rusland: 71 militairen")
    shown = subject.split(": ", 1)[1].removesuffix("…")
    assert HEADLINE.startswith(shown)


def test_no_room_leaves_the_title_alone() -> None:
    title = "Ochtendeditie " + "x" * 70
    assert subject_line(title, _event(HEADLINE)) == title
