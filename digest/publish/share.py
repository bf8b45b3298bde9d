"""Share images: a 1200×630 PNG per edition for OpenGraph and Twitter cards.

Pure (bytes out): the site's name, the edition's title and date, and its
contents line (each section with its count) drawn with Pillow's bundled
font, so the image looks the same on every machine and the same edition
always gives the same bytes. The site's own image (``share.png`` at the
root) names the site alone; pages that are not about one edition use it.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from functools import cache, lru_cache

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1200, 630
MARGIN = 72
BACKGROUND = (253, 252, 249)
INK = (27, 42, 58)
MUTED = (89, 89, 89)
ACCENT = (179, 38, 30)
_Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


FONT = "DejaVuSans.ttf"  # Debian's fonts-dejavu-core (.ci/system-deps.sh): Dutch letters, ë ï é


@cache
def _font(size: int) -> _Font:
    try:
        return ImageFont.truetype(FONT, size)
    except OSError:  # not installed: Pillow's own font (lacks some accented letters)
        return ImageFont.load_default(size=size)


def share_png(site: str, title: str, subtitle: str, contents: str) -> bytes:
    """The image: ``site`` small at the top, ``title`` large, ``subtitle`` (a date)
    and ``contents`` wrapped below; text that does not fit ends in "…"."""
    heading, y = _heading(site, title)
    image = heading.copy()  # the palette too: drawing goes on as on the original
    draw = ImageDraw.Draw(image)
    if subtitle:
        y = _lines(draw, subtitle, _font(40), ACCENT, y, 1) + 28
    if contents:
        _lines(draw, contents, _font(36), INK, y, max(1, (HEIGHT - MARGIN - y) // 48))
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


@lru_cache(maxsize=8)
def _heading(site: str, title: str) -> tuple[Image.Image, int]:
    """The image with its bar, ``site`` and ``title`` drawn, and the next free y:
    an archive's editions share a few titles, so each is drawn once per process."""
    image = Image.new("P", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 14), fill=ACCENT)
    y = _lines(draw, site, _font(34), MUTED, MARGIN, 1) + 28
    return image, _lines(draw, title, _font(64), INK, y, 2) + 16


def _lines(draw: ImageDraw.ImageDraw, text: str, font: _Font, fill: tuple[int, int, int],
           y: int, most: int) -> int:  # fmt: skip
    """Draw ``text`` wrapped to the width in at most ``most`` lines; the next free y."""
    room = WIDTH - 2 * MARGIN
    lines = wrap(text.split(), lambda shown: draw.textlength(shown, font=font) <= room)
    if len(lines) > most:
        lines = lines[:most]
        last = lines[-1]
        while last and draw.textlength(last + " …", font=font) > room:
            last = last.rsplit(" ", 1)[0] if " " in last else last[:-1]
        lines[-1] = last + " …"
    size = int(getattr(font, "size", 20))
    for shown in lines:
        draw.text((MARGIN, y), shown, font=font, fill=fill)
        y += int(size * 1.25)
    return y


def wrap(words: Sequence[str], fits: Callable[[str], bool]) -> list[str]:
    """``words`` in lines, each as many words as ``fits`` (a word too wide gets a
    line of its own): what filling each line word by word gives, found by halving,
    so a line costs a few measurements instead of one per word (a line only gets
    wider with each word)."""
    lines: list[str] = []
    start = 0
    while start < len(words):
        low, high = start + 1, len(words)  # words[start:low] is a line, fitting or not
        while low < high:
            middle = (low + high + 1) // 2
            if fits(" ".join(words[start:middle])):
                low = middle
            else:
                high = middle - 1
        lines.append(" ".join(words[start:low]))
        start = low
    return lines or [""]
