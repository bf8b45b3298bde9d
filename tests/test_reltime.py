"""Dutch relative and clock times resolve to the span the wording allows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from digest.ingest.reltime import TimeSpan, is_calendar_day, parse_time

AMS = ZoneInfo("Europe/Amsterdam")
CAPTURED = datetime(2026, 1, 20, 14, 0, tzinfo=AMS)
SECOND = timedelta(seconds=1)


def ago(**kwargs: float) -> datetime:
    return CAPTURED - timedelta(**kwargs)


def local(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=AMS)


@pytest.mark.parametrize(
    ("wording", "earliest", "latest"),
    [
        ("zojuist", ago(seconds=59), CAPTURED),
        ("Zonet", ago(seconds=59), CAPTURED),
        ("minder dan een minuut geleden", ago(seconds=59), CAPTURED),
        ("30 seconden geleden", ago(seconds=30), ago(seconds=30)),
        ("1 seconde geleden", ago(seconds=1), ago(seconds=1)),
        ("15 minuten geleden", ago(minutes=16) + SECOND, ago(minutes=15)),
        ("een minuut geleden", ago(minutes=2) + SECOND, ago(minutes=1)),
        ("1 minuut geleden", ago(minutes=2) + SECOND, ago(minutes=1)),
        ("een kwartier geleden", ago(minutes=30) + SECOND, ago(minutes=15)),
        ("een half uur geleden", ago(minutes=60) + SECOND, ago(minutes=30)),
        ("anderhalf uur geleden", ago(minutes=120) + SECOND, ago(minutes=90)),
        ("1 uur geleden", ago(minutes=120) + SECOND, ago(minutes=60)),
        ("Een uur geleden", ago(minutes=120) + SECOND, ago(minutes=60)),
        ("drie uur geleden", ago(hours=4) + SECOND, ago(hours=3)),
        ("1 dag geleden", ago(days=2) + SECOND, ago(days=1)),
        ("3 dagen geleden", ago(days=4) + SECOND, ago(days=3)),
        ("1 week geleden", ago(weeks=2) + SECOND, ago(weeks=1)),
        ("2 weken geleden", ago(weeks=3) + SECOND, ago(weeks=2)),
        ("1 maand geleden", local(2025, 11, 20, 14, 0, 1), local(2025, 12, 20, 14, 0)),
        ("2 maanden geleden", local(2025, 10, 20, 14, 0, 1), local(2025, 11, 20, 14, 0)),
        ("1 jaar geleden", local(2024, 1, 20, 14, 0, 1), local(2025, 1, 20, 14, 0)),
        ("2 jaren geleden", local(2023, 1, 20, 14, 0, 1), local(2024, 1, 20, 14, 0)),
        ("gisteren", local(2026, 1, 19, 0, 0), local(2026, 1, 19, 23, 59, 59)),
        ("gisteren 14:30", local(2026, 1, 19, 14, 30), local(2026, 1, 19, 14, 30)),
        ("Gisteren om 21.05 uur", local(2026, 1, 19, 21, 5), local(2026, 1, 19, 21, 5)),
        ("eergisteren", local(2026, 1, 18, 0, 0), local(2026, 1, 18, 23, 59, 59)),
        ("vandaag", local(2026, 1, 20, 0, 0), CAPTURED),
        ("vandaag 09:12", local(2026, 1, 20, 9, 12), local(2026, 1, 20, 9, 12)),
        ("09:12", local(2026, 1, 20, 9, 12), local(2026, 1, 20, 9, 12)),
        ("15:30", local(2026, 1, 19, 15, 30), local(2026, 1, 19, 15, 30)),
        ("21 januari 2025 09:15", local(2025, 1, 21, 9, 15), local(2025, 1, 21, 9, 15)),
        ("19 jan. 2026, 09:15", local(2026, 1, 19, 9, 15), local(2026, 1, 19, 9, 15)),
        ("21-01-2025 09:15", local(2025, 1, 21, 9, 15), local(2025, 1, 21, 9, 15)),
        ("2025-12-31 23:59", local(2025, 12, 31, 23, 59), local(2025, 12, 31, 23, 59)),
        ("maandag 3 november 2025", local(2025, 11, 3, 0, 0), local(2025, 11, 3, 23, 59, 59)),
        ("31 december", local(2025, 12, 31, 0, 0), local(2025, 12, 31, 23, 59, 59)),
        ("20 januari", local(2026, 1, 20, 0, 0), CAPTURED),
    ],
)
def test_wording_resolves_to_span(wording: str, earliest: datetime, latest: datetime) -> None:
    assert parse_time(wording, CAPTURED) == TimeSpan(earliest, latest)


@pytest.mark.parametrize(
    "text", ["", "geleden", "ergens vorige week", "25:00", "12:60", "3 dagen", "net"]
)
def test_non_times_are_not_read(text: str) -> None:
    assert parse_time(text, CAPTURED) is None


def test_impossible_date_is_none() -> None:
    assert parse_time("31-02-2026 10:00", CAPTURED) is None
    assert parse_time("30 februari 2026", CAPTURED) is None


def test_hours_ago_count_real_time_across_a_dst_change() -> None:
    after_change = datetime(2026, 3, 29, 4, 0, tzinfo=AMS)  # clocks went 02:00 -> 03:00
    span = parse_time("2 uur geleden", after_change)
    assert span is not None
    assert span.latest.astimezone(UTC) == datetime(2026, 3, 29, 0, 0, tzinfo=UTC)
    assert span.latest.utcoffset() == timedelta(hours=1)


def test_month_shift_clamps_the_day() -> None:
    captured = datetime(2026, 3, 31, 12, 0, tzinfo=AMS)
    span = parse_time("1 maand geleden", captured)
    assert span is not None and span.latest == datetime(2026, 2, 28, 12, 0, tzinfo=AMS)


def test_clock_times_are_local_to_the_capture_zone() -> None:
    utc_capture = CAPTURED.astimezone(UTC)  # 13:00 UTC
    span = parse_time("13:30", utc_capture)
    assert span is not None and span.latest == datetime(2026, 1, 19, 13, 30, tzinfo=UTC)


def test_calendar_day_recognises_page_dates_only() -> None:
    assert is_calendar_day("dinsdag 20 januari 2026")
    assert is_calendar_day("20-01-2026")
    assert not is_calendar_day("20-01-2026 09:15")
    assert not is_calendar_day("15 minuten geleden")
    assert not is_calendar_day("Politiek")


@pytest.mark.parametrize(
    "text",
    [
        "31 december 9999",
        "31-12-9999 23:59",
        "9999-12-31",
        "1 januari 0001 00:05",  # in UTC this is a moment before year 1
        "1 januari 0001",
        "01-01-1800",
        "9999 weken geleden",
    ],
)
def test_dates_out_of_range_are_none_not_an_overflow(text: str) -> None:
    assert parse_time(text, CAPTURED) is None
    assert parse_time(text, CAPTURED.astimezone(UTC)) is None


def test_the_range_edges_still_read() -> None:
    assert parse_time("1 januari 1900 12:00", CAPTURED) is not None
    assert parse_time("200 jaar geleden", CAPTURED) is None
