"""Share images: drawn on a kept copy of their heading, the same bytes as drawn whole."""

from __future__ import annotations

import io
from collections.abc import Callable

from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from digest.publish import share
from digest.publish.share import share_png


def _drawn_whole(site: str, title: str, subtitle: str, contents: str) -> bytes:
    """The image drawn from a blank canvas, every line in order (the plain rule)."""
    image = Image.new("P", (share.WIDTH, share.HEIGHT), share.BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, share.WIDTH, 14), fill=share.ACCENT)
    y = share._lines(draw, site, share._font(34), share.MUTED, share.MARGIN, 1) + 28
    y = share._lines(draw, title, share._font(64), share.INK, y, 2) + 16
    if subtitle:
        y = share._lines(draw, subtitle, share._font(40), share.ACCENT, y, 1) + 28
    if contents:
        room = max(1, (share.HEIGHT - share.MARGIN - y) // 48)
        share._lines(draw, contents, share._font(36), share.INK, y, room)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def test_share_images_equal_the_image_drawn_whole() -> None:
    share._heading.cache_clear()
    cases = [
        ("Digest", "Ochtendeditie", "maandag 4 januari 2021", "Groenland (3) · Overig (8)"),
        ("Digest", "Ochtendeditie", "dinsdag 5 januari 2021", "Iran (4) · Gaza (2) · " * 12),
        ("Digest", "Avondeditie", "dinsdag 5 januari 2021", ""),
        ("Digest", "Ochtendeditie", "", "Zeeland (1)"),
        ("Het Ochtendbericht", "Een heel lange titel " * 6, "woensdag", "Brussel (9)"),
        ("Digest", "Archief", "", ""),
    ]
    for case in [*cases, *cases]:  # the second round from kept headings
        assert share_png(*case) == _drawn_whole(*case), case


def _filled(words: list[str], fits: Callable[[str], bool]) -> list[str]:
    """The plain rule: each word goes on the line while the line still fits."""
    lines: list[str] = []
    for word in words:
        if lines and fits(f"{lines[-1]} {word}"):
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines or [""]


@given(st.lists(st.text("abcdé·()0123456789", min_size=1, max_size=14), max_size=40),
       st.integers(min_value=3, max_value=60))  # fmt: skip
def test_wrapping_by_halving_gives_the_lines_of_filling_word_by_word(
    words: list[str], room: int
) -> None:
    def fits(text: str) -> bool:
        return len(text) <= room

    assert share.wrap(words, fits) == _filled(words, fits)


def test_wrapping_measures_a_few_times_per_line() -> None:
    measured: list[str] = []

    def fits(text: str) -> bool:
        measured.append(text)
        return len(text) <= 40

    words = "Groenland (3) · Iran (4) · Venezuela (2) · Zeeland (5) · Overig (7)".split() * 3
    lines = share.wrap(words, fits)
    assert lines == _filled(words, lambda text: len(text) <= 40)
    assert len(measured) <= 6 * len(lines) < len(words)
