"""The weekly overview and the Extra editie, one behaviour at a time, through the CLI:
config errors as one line, the Extra editie once however many runs overlap, quiet
hours deferring it, readers from before edition choices getting neither kind; and
the pure rules (bursts, quiet hours, weekday numbers in cron)."""

from __future__ import annotations

import itertools
import os
import random
import subprocess
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from digest.cli import main
from digest.config import PROJECT_ROOT, crontab
from digest.edition.extra import find_burst, is_quiet, released_at
from digest.model import Story as StoredStory
from digest.schedule.slots import cron_trigger
from digest.store import open_store
from digest.store.subscribers import import_subscribers
from digest.subscribers import ImportRow
from tests.support.smtp_server import SmtpServer
from tests.test_fortnight import SECRET, Fortnight, Story, local, word, write_site
from tests.test_run import DIGEST

AMS = ZoneInfo("Europe/Amsterdam")


def burst(stories: list[Story], at: datetime, place: str = "NUUK", count: int = 5) -> list[int]:
    """``count`` new briefs from ``place``, four minutes apart from ``at`` on."""
    rng = random.Random(at.toordinal())
    numbers = []
    for n in range(count):
        own = " ".join(word(rng) for _ in range(8))
        story = Story(len(stories), place, f"storm bij {place.title()} {own}")
        story.versions.append((at + timedelta(minutes=4 * n), 10 + n))
        numbers.append(story.number)
        stories.append(story)
    return numbers


@pytest.fixture
def fortnight(
    tmp_path: Path, store_url: str, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> Fortnight:
    """The fortnight's site (both kinds configured) on each backend, with a reader of
    the Extra editie, one of the morning edition and one from before edition choices."""
    monkeypatch.setenv("DIGEST_SECRET_KEY", SECRET)
    monkeypatch.setenv("DIGEST_DATABASE_URL", store_url)
    write_site(tmp_path, smtp_server)
    monkeypatch.setenv("DIGEST_CONFIG", str(tmp_path / "digest.toml"))
    for address, editions in (("extra@example.nl", "extra"), ("ochtend@example.nl", "ochtend")):
        assert main(["subscribers", "add", address, "--active", "--editions", editions]) == 0
    # A reader from before edition choices (NULL: every regular edition).
    store = open_store(store_url)
    try:
        import_subscribers(store, [ImportRow(1, "oud@example.nl", None, None)], now=local(0, 6))
    finally:
        store.close()
    stories = [Story(0, "DEN HAAG", "de gemeente opent een nieuw stadhuis in het centrum")]
    stories[0].versions.append((local(1, 6, 30), 1))
    return Fortnight(tmp_path, smtp_server, stories)


def received(smtp: SmtpServer) -> Counter[tuple[str, str]]:
    found: Counter[tuple[str, str]] = Counter()
    for got in smtp.handler.messages:
        edition = got.message["Message-ID"].strip("<>").split("@")[0].rsplit(".", 1)[0]
        for rcpt in got.rcpt_tos:
            found[(rcpt, edition)] += 1
    return found


def run(fortnight: Fortnight, at: datetime, capsys: pytest.CaptureFixture[str]) -> str:
    fortnight.capture(at)
    code = main(["run", "--at", at.isoformat()])
    said = capsys.readouterr()
    assert code == 0, said.err
    return said.out


def test_overlapping_runs_send_the_extra_editie_once_and_only_to_who_chose_it(
    fortnight: Fortnight, capsys: pytest.CaptureFixture[str]
) -> None:
    run(fortnight, local(1, 7), capsys)  # the morning edition
    numbers = burst(fortnight.stories, local(1, 10, 10))
    fortnight.capture(local(1, 11))
    env = {**os.environ, "DIGEST_CONFIG": str(fortnight.config)}
    at = local(1, 11).isoformat()
    runs = [
        subprocess.Popen([DIGEST, "run", "--at", at], env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    said = [r.communicate(timeout=240)[0] for r in runs]
    assert [r.returncode for r in runs] == [0, 0, 0], said
    assert sum("extra@2026-02-03T11:00: done:" in out for out in said) == 1, said
    again = run(fortnight, local(1, 11, 30), capsys)  # later: the same news fires nothing
    assert "extra@" not in again
    got = received(fortnight.smtp)
    assert got[("extra@example.nl", "extra-2026-02-03T1100")] == 1
    assert not [key for key in got if key[1].startswith("extra") and key[0] != "extra@example.nl"]
    assert got[("oud@example.nl", "ochtend-2026-02-03T0700")] == 1, got  # NULL: regular only
    evening = run(fortnight, local(1, 18), capsys)
    assert "avond@2026-02-03T18:00: done:" in evening
    mail = next(
        m.message
        for m in fortnight.smtp.handler.messages
        if "oud@example.nl" in m.rcpt_tos and "avond-2026-02-03T1800" in m.message["Message-ID"]
    )
    body = mail.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert " ".join(text.split()).count("al gemeld (11:00)") >= len(numbers)


def test_a_burst_in_quiet_hours_waits_for_their_end(
    fortnight: Fortnight, capsys: pytest.CaptureFixture[str]
) -> None:
    run(fortnight, local(1, 18), capsys)
    burst(fortnight.stories, local(1, 22, 40))
    for at in (local(1, 23), local(2, 2), local(2, 5, 59)):
        assert "extra@" not in run(fortnight, at, capsys), at
    fired = run(fortnight, local(2, 6, 10), capsys)
    assert "extra@2026-02-04T06:00: done:" in fired  # its slot: the end of the quiet hours
    assert received(fortnight.smtp)[("extra@example.nl", "extra-2026-02-04T0600")] == 1


@pytest.mark.parametrize(
    ("table", "said"),
    [
        (
            'kind = "extra"\ncron = "0 7 * * *"',
            "Config value 'editions.x.cron': only for kind = 'regular' or 'weekly', not 'extra'",
        ),
        ('kind = "extra"\nquiet_hours = "22-7"', "'22-7' is not a span of clock times"),
        ('kind = "weekly"\nwithin_minutes = 5', "'editions.x.within_minutes': only for kind"),
        ('kind = "monthly"', "Config value 'editions[1].kind': write one of 'regular', 'weekly'"),
        ('kind = "extra"\ndaily_cap = 0', "'editions[1].daily_cap': 0 is too small; write 1"),
    ],
)
def test_a_bad_kind_setting_is_one_line_naming_the_key(
    tmp_path: Path, table: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "digest.toml"
    config.write_text(
        '[[editions]]\nname = "ochtend"\ntitle = "O"\n'
        f'[[editions]]\nname = "x"\ntitle = "X"\n{table}\n',
        encoding="utf-8",
    )
    # a good regions file beside it: a missing one would be a second problem, reported too
    (tmp_path / "regions.toml").write_text(
        (PROJECT_ROOT / "config" / "regions.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    code = main(["--config", str(config), "run"])
    err = capsys.readouterr().err
    assert code == 1 and said in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def stored(number: int, seen: datetime, region: str = "groenland", text: str = "") -> StoredStory:
    return StoredStory(
        id=f"s{number}", kind="brief", title=None, dateline="NUUK", agencies=("ANP",),
        text=text or f"bericht {number}", published_at=seen, section=None, source="t",
        first_seen=seen, last_seen=seen, regions=(region,),
    )  # fmt: skip


def test_a_burst_fires_at_the_moment_its_briefs_came_close_enough() -> None:
    t0 = datetime(2026, 2, 3, 9, 0, tzinfo=UTC)
    spread = [stored(n, t0 + timedelta(minutes=70 * n)) for n in range(4)]
    assert find_burst(spread, {"groenland"}, min_briefs=3, within=timedelta(minutes=60)) is None
    close = [
        *spread,
        stored(9, t0 + timedelta(minutes=215)),
        stored(10, t0 + timedelta(minutes=220)),
    ]
    fired = find_burst(close, {"groenland"}, min_briefs=3, within=timedelta(minutes=60))
    assert fired is not None and fired.moment == t0 + timedelta(minutes=220)
    assert fired.story_ids == {"s3", "s9", "s10"}
    other = [stored(n, t0, region="iran") for n in range(5)]
    assert find_burst(other, {"groenland"}, min_briefs=3, within=timedelta(minutes=60)) is None
    word = [stored(1, t0, text="Een Aardbeving bij Nuuk"), stored(2, t0, text="aardbevingen")]
    hit = find_burst(
        word, set(), min_briefs=3, within=timedelta(minutes=1), keywords=["aardbeving"]
    )
    assert hit is not None and hit.story_ids == {"s1"}  # a whole word, any case


def test_quiet_hours_pass_midnight_and_release_at_their_end() -> None:
    span = (22 * 60, 7 * 60)
    late = datetime(2026, 3, 28, 23, 30, tzinfo=AMS)
    assert is_quiet(late, span, AMS) and not is_quiet(late.replace(hour=7), span, AMS)
    # the night the clocks go forward: still 07:00 on the wall clock
    assert released_at(late, span, AMS) == datetime(2026, 3, 29, 7, 0, tzinfo=AMS)
    early = datetime(2026, 3, 29, 3, 30, tzinfo=AMS)
    assert released_at(early, span, AMS) == datetime(2026, 3, 29, 7, 0, tzinfo=AMS)
    noon = datetime(2026, 3, 29, 12, 0, tzinfo=AMS)
    assert released_at(noon, span, AMS) == noon and released_at(noon, None, AMS) == noon


def test_cron_weekday_numbers_are_crons_own_zero_is_sunday() -> None:
    assert crontab("0 9 * * 0") == "0 9 * * sun"
    assert crontab("0 7 * * 1-5") == "0 7 * * mon,tue,wed,thu,fri"
    assert crontab("0 7 * * *") == "0 7 * * *" and crontab("0 7 * * sat") == "0 7 * * sat"
    after = datetime(2026, 2, 2, tzinfo=UTC)  # a Monday
    fire = cron_trigger("0 9 * * 0", AMS).get_next_fire_time(None, after)
    assert fire is not None and fire.strftime("%A %d") == "Sunday 08"
    assert cron_trigger("0 9 * * 7", AMS).get_next_fire_time(None, after) == fire


def test_the_stream_helpers_make_no_burst_by_chance() -> None:
    from tests.test_fortnight import make_news

    stories, _ = make_news(random.Random(1))
    stream = [s for s in stories if "orkaan" not in s.body and "aardbeving" not in s.body]
    gaps = [b.versions[0][0] - a.versions[0][0] for a, b in itertools.pairwise(stream)]
    assert min(g for g in gaps if g > timedelta(0)) >= timedelta(minutes=70)


def test_an_extra_editie_whose_mail_server_was_down_is_sent_by_the_next_run(
    fortnight: Fortnight, capsys: pytest.CaptureFixture[str]
) -> None:
    run(fortnight, local(1, 7), capsys)
    burst(fortnight.stories, local(1, 10, 10))
    fortnight.smtp.handler.queued_failures += ["451 4.3.0 try again later"] * 20
    fortnight.capture(local(1, 11))
    assert main(["run", "--at", local(1, 11).isoformat()]) == 1  # the send failed
    assert "extra@2026-02-03T11:00" in capsys.readouterr().err
    fortnight.smtp.handler.queued_failures.clear()
    again = run(fortnight, local(1, 11, 30), capsys)
    assert "extra@2026-02-03T11:00: done:" in again
    assert run(fortnight, local(1, 12), capsys).count("extra@") == 0
    assert received(fortnight.smtp)[("extra@example.nl", "extra-2026-02-03T1100")] == 1
