"""The geometry of a region's bar chart (briefs per day), drawn as inline SVG
by ``templates/archive/chart.html``. Pure: counts in, rectangles out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

WIDTH = 600
HEIGHT = 160
TOP = 16  # room for the maximum's label
BOTTOM = 22  # room for the date labels
GAP = 2
NOON = time(12)


@dataclass(frozen=True, slots=True)
class Bar:
    day: datetime  # noon of the day, naive: for date formatting
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class Chart:
    """Bars left (oldest) to right (newest) in a ``WIDTH`` x ``HEIGHT`` view box."""

    bars: tuple[Bar, ...]
    maximum: int
    total: int
    busiest: Bar | None
    width: int = WIDTH
    height: int = HEIGHT
    baseline: float = HEIGHT - BOTTOM

    @property
    def first(self) -> datetime:
        return self.bars[0].day

    @property
    def last(self) -> datetime:
        return self.bars[-1].day


def bar_chart(counts: Sequence[tuple[date, int]]) -> Chart:
    """Bars scaled to the busiest day; a day with briefs is at least 2 units tall."""
    if not counts:
        raise ValueError("a chart needs at least one day")
    maximum = max(count for _, count in counts)
    plot = HEIGHT - TOP - BOTTOM
    step = WIDTH / len(counts)
    bars = []
    for index, (day, count) in enumerate(counts):
        height = max(plot * count / maximum, 2.0) if count else 0.0
        top = HEIGHT - BOTTOM - height
        left, width = round(index * step + GAP / 2, 2), round(step - GAP, 2)
        noon = datetime.combine(day, NOON)
        bars.append(Bar(noon, count, left, round(top, 2), width, round(height, 2)))
    busiest = max(reversed(bars), key=lambda b: b.count) if maximum else None
    return Chart(tuple(bars), maximum, sum(c for _, c in counts), busiest)
