"""Edition slots from cron expressions in the site zone, across both DST changes."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digest.schedule.slots import (
    ON_TIME,
    ScheduleError,
    catch_up_grace,
    cron_trigger,
    due_slot,
    fire_times,
    latest_slot,
    slots_between,
)

AMS = ZoneInfo("Europe/Amsterdam")
GRACE = timedelta(hours=6)
EDITIONS = {"ochtend": "0 7 * * *", "nacht": "30 2 * * *"}


def local(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=AMS)


def test_slot_key_is_the_edition_and_the_local_wall_clock_time() -> None:
    slot = due_slot("ochtend", "0 7 * * *", AMS, local(2026, 1, 21, 7, 3), grace=GRACE)
    assert slot is not None
    assert slot.key == "ochtend@2026-01-21T07:00"
    assert slot.at == datetime(2026, 1, 21, 6, 0, tzinfo=UTC)


def test_fall_back_fires_a_0230_job_twice_but_gives_one_slot() -> None:
    trigger = cron_trigger("30 2 * * *", AMS)
    day = local(2026, 10, 25, 0, 0)
    fires = list(fire_times(trigger, day, day + timedelta(days=1)))
    assert [f.astimezone(UTC).hour for f in fires] == [0, 1]  # 02:30 CEST and 02:30 CET
    slots = slots_between("nacht", "30 2 * * *", AMS, day, day + timedelta(days=1))
    assert [s.key for s in slots] == ["nacht@2026-10-25T02:30"]
    assert slots[0].at == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # the first 02:30


def test_second_fall_back_firing_maps_to_the_same_slot_as_the_first() -> None:
    first = due_slot(
        "nacht", "30 2 * * *", AMS, datetime(2026, 10, 25, 0, 30, tzinfo=UTC), grace=GRACE
    )
    second = due_slot(
        "nacht", "30 2 * * *", AMS, datetime(2026, 10, 25, 1, 30, tzinfo=UTC), grace=GRACE
    )
    assert first is not None and second is not None
    assert first == second


def test_spring_forward_runs_a_0230_edition_once_at_0330() -> None:
    day = local(2026, 3, 29, 0, 0)
    slots = slots_between("nacht", "30 2 * * *", AMS, day, day + timedelta(days=1))
    assert [s.key for s in slots] == ["nacht@2026-03-29T02:30"]
    assert slots[0].at.astimezone(AMS) == local(2026, 3, 29, 3, 30)
    before = due_slot("nacht", "30 2 * * *", AMS, local(2026, 3, 29, 3, 29), grace=GRACE)
    assert before is None  # 03:29 CEST comes before the shifted slot; the 28th's is too old
    assert due_slot("nacht", "30 2 * * *", AMS, local(2026, 3, 29, 3, 30), grace=GRACE) == slots[0]


@pytest.mark.parametrize("start", [local(2026, 3, 28, 0, 0), local(2026, 10, 24, 0, 0)])
def test_clock_walked_through_a_dst_change_gives_each_edition_once_per_day(
    start: datetime,
) -> None:
    """Every five minutes for three days around the change, each edition asks what
    is due; every distinct slot seen is one run. Each local day has exactly one."""
    runs: dict[tuple[str, str], set[str]] = defaultdict(set)
    moment = start
    while moment < start + timedelta(days=3):
        for name, cron in EDITIONS.items():
            slot = due_slot(name, cron, AMS, moment, grace=GRACE)
            if slot is not None:
                runs[(name, f"{slot.local:%Y-%m-%d}")].add(slot.key)
        moment = (moment.astimezone(UTC) + timedelta(minutes=5)).astimezone(AMS)
    days = sorted({day for _, day in runs})
    assert len(days) == 3
    for name in EDITIONS:
        for day in days:
            assert len(runs[(name, day)]) == 1, (name, day)


def test_only_the_latest_missed_slot_is_due_after_two_days_down() -> None:
    at = local(2026, 1, 23, 7, 40)
    slot = due_slot("ochtend", "0 7 * * *", AMS, at, grace=timedelta(days=3))
    assert slot is not None and slot.key == "ochtend@2026-01-23T07:00"


def test_a_slot_older_than_the_grace_is_missed_for_good() -> None:
    assert due_slot("ochtend", "0 7 * * *", AMS, local(2026, 1, 23, 13, 1), grace=GRACE) is None
    assert due_slot("ochtend", "0 7 * * *", AMS, local(2026, 1, 23, 12, 59), grace=GRACE)


def test_catch_up_none_allows_only_a_late_start() -> None:
    grace = catch_up_grace("none", GRACE)
    assert grace == ON_TIME
    assert due_slot("ochtend", "0 7 * * *", AMS, local(2026, 1, 23, 7, 0, 30), grace=grace)
    assert due_slot("ochtend", "0 7 * * *", AMS, local(2026, 1, 23, 7, 40), grace=grace) is None
    assert catch_up_grace("latest", GRACE) == GRACE


def test_latest_slot_looks_back_as_far_as_the_cron_needs() -> None:
    slot = latest_slot("schrikkel", "0 7 29 2 *", AMS, local(2026, 1, 3, 12, 0))
    assert slot is not None and slot.key == "schrikkel@2024-02-29T07:00"


def test_a_bad_cron_expression_names_the_edition() -> None:
    with pytest.raises(ScheduleError, match=r"edition 'ochtend': cron '61 7 \* \* \*'"):
        due_slot("ochtend", "61 7 * * *", AMS, local(2026, 1, 3, 12, 0), grace=GRACE)


def test_an_instant_without_zone_is_refused() -> None:
    with pytest.raises(ScheduleError, match="no time zone"):
        due_slot("ochtend", "0 7 * * *", AMS, datetime(2026, 1, 3, 12, 0), grace=GRACE)


@given(
    minutes=st.integers(min_value=0, max_value=60 * 24 * 365 * 2),
    grace_minutes=st.integers(min_value=1, max_value=60 * 48),
)
def test_a_due_slot_always_lies_within_the_grace_before_the_instant(
    minutes: int, grace_minutes: int
) -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    grace = timedelta(minutes=grace_minutes)
    slot = due_slot("ochtend", "0 7 * * *", AMS, at, grace=grace)
    if slot is None:
        assert grace < timedelta(hours=25)
    else:
        assert at - grace < slot.at <= at
        assert slot.local.hour == 7 and slot.local.minute == 0
