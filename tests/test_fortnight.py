"""A simulated fortnight with five readers of different edition choices.

News is generated and "captured" on a wire page; the first week runs as cron
would run it (`digest run --at ...` every hour, through the real command line),
the second as `digest schedule` would (APScheduler's own triggers on a fake
clock, :mod:`tests.test_schedule`'s ManualScheduler). The site has a morning and
an evening edition, a weekly overview on Sundays and an Extra editie. Bursts of
news fire the Extra editie: one by day, one inside the quiet hours (deferred to
their end), three on one day (the daily cap of two drops the third) and one by
keyword. Mail goes to a real SMTP server (aiosmtpd) that records every message,
so a mail sent twice would be seen twice. Then:

* each reader got exactly the editions they chose, each once, nothing else;
* the Extra editie fired where expected and never repeated a story, and the
  next regular edition marks those stories "al gemeld" (English: "already reported");
* each weekly overview ranks the week's biggest event first and is archived.
"""

from __future__ import annotations

import email.policy
import os
import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import apscheduler.executors.base
import apscheduler.schedulers.base
import pytest
from apscheduler.executors.debug import DebugExecutor

from digest.cli import main
from digest.commands.app import App
from digest.config import PROJECT_ROOT
from digest.schedule.service import configure_scheduler
from digest.store import open_store
from digest.store.editions import list_editions
from tests.support.smtp_server import SmtpServer
from tests.test_schedule import FakeClock, ManualScheduler

AMS = ZoneInfo("Europe/Amsterdam")
START = datetime(2026, 2, 2, 6, 0, tzinfo=AMS)  # a Monday
DAYS = 14
SECRET = "fortnight-tests-secret-key-0123456789"
PLACES = {"NUUK": "groenland", "TEHERAN": "iran", "CARACAS": "venezuela", "DEN HAAG": None}
ON_PAGE = timedelta(hours=3)
MARKER = re.compile(r"Bericht (\d{4}):")
READERS: dict[str, tuple[str, str]] = {  # address -> (editions, locale)
    "ochtend@example.nl": ("ochtend", "nl"),
    "beide@example.nl": ("ochtend,avond", "nl"),
    "week@example.nl": ("weekoverzicht", "nl"),
    "extra@example.nl": ("ochtend,extra", "nl"),
    "english@example.nl": ("avond,extra", "en"),
}
SYLLABLES = "ba be bo da de do ka ke ko la le lo ma me mo na ne no pa pe po ra re ro sa".split()
# Five briefs of a burst share these words and four of the burst's own (one event);
# each adds words of its own, so that they are five stories (not revisions of one).
EVENT = "orkaan zware windstoten weerdienst waarschuwt"


def word(rng: random.Random) -> str:
    """A made-up word: stories of the stream share no telling words by chance."""
    return "".join(rng.choice(SYLLABLES) for _ in range(3))


@dataclass
class Story:
    number: int
    place: str
    body: str
    versions: list[tuple[datetime, int]] = field(default_factory=list)

    def text(self, figure: int) -> str:
        return f"Bericht {self.number:04d}: {self.body}. Er zijn {figure} mensen bij betrokken."

    def on_page(self, captured: datetime) -> tuple[datetime, int] | None:
        shown = [v for v in self.versions if captured - ON_PAGE < v[0] <= captured]
        return shown[-1] if shown else None


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return (START + timedelta(days=day)).replace(hour=hour, minute=minute)


# Bursts: (day, hour, minute, place, what). Five briefs about one event, four minutes apart.
BURSTS = [
    (1, 10, 10, "NUUK", "by day: fires at the next hourly run"),
    (3, 23, 10, "TEHERAN", "in quiet hours: deferred to 06:00"),
    (5, 9, 10, "CARACAS", "first of the day"),
    (5, 12, 10, "NUUK", "second of the day"),
    (5, 15, 10, "TEHERAN", "third of the day: over the daily cap"),
    (8, 10, 10, "CARACAS", "in the scheduler's week"),
]
KEYWORD_AT = (9, 14, 20)  # one brief with the keyword "aardbeving" (scheduler's week)


def make_news(rng: random.Random) -> tuple[list[Story], dict[int, list[int]]]:
    """The stream (one brief every 70-100 minutes from 06:00 to 23:00), bursts and the
    keyword brief; returns the stories and, per burst index, its story numbers."""
    stories: list[Story] = []
    for day in range(DAYS):
        moment = local(day, 6, 7)
        while moment < local(day, 23):
            body = " ".join(word(rng) for _ in range(12))
            story = Story(len(stories), rng.choice(list(PLACES)), body)
            story.versions.append((moment, rng.randint(10, 90)))
            if story.number % 4 == 0:  # updated an hour later (a revision, seen by the weekly)
                story.versions.append((moment + timedelta(hours=1), story.versions[0][1] + 7))
            stories.append(story)
            moment += timedelta(minutes=rng.randint(70, 100))
    bursts: dict[int, list[int]] = {}
    for index, (day, hour, minute, place, _) in enumerate(BURSTS):
        event = " ".join(word(rng) for _ in range(4))  # what this burst is about
        for n in range(5):
            own = " ".join(word(rng) for _ in range(5))
            story = Story(len(stories), place, f"{EVENT} {event} {place.title()} {own}")
            story.versions.append((local(day, hour, minute) + timedelta(minutes=4 * n), 40 + n))
            bursts.setdefault(index, []).append(story.number)
            stories.append(story)
    day, hour, minute = KEYWORD_AT
    quake = Story(len(stories), "DEN HAAG", "lichte aardbeving gevoeld in het zuiden van het land")
    quake.versions.append((local(day, hour, minute), 3))
    stories.append(quake)
    bursts[len(BURSTS)] = [quake.number]
    return stories, bursts


def page(stories: list[Story], captured: datetime) -> str:
    shown = [(s, v) for s in stories if (v := s.on_page(captured)) is not None]
    shown.sort(key=lambda sv: (sv[1][0], sv[0].number), reverse=True)
    lines = []
    for story, (published, figure) in shown:
        minutes = int((captured - published).total_seconds() // 60)
        age = f"{minutes} minuten geleden" if minutes < 60 else f"{minutes // 60} uur geleden"
        lines += [f"{story.place} (ANP) - {story.text(figure)}", age]
    return "\n".join(lines) + "\n"


@dataclass
class Fortnight:
    root: Path
    smtp: SmtpServer
    stories: list[Story]

    @property
    def config(self) -> Path:
        return self.root / "digest.toml"

    def capture(self, moment: datetime) -> None:
        """The wire page as captured at ``moment`` (one file, rewritten; mtime = capture)."""
        path, text = self.root / "wire" / "anp.txt", page(self.stories, moment)
        if not text.strip():
            return  # a page with nothing on it is not written (the last one stays)
        path.write_text(text, encoding="utf-8")
        os.utime(path, (moment.timestamp(), moment.timestamp()))


def write_site(root: Path, smtp: SmtpServer) -> None:
    (root / "wire").mkdir()
    (root / "digest.toml").write_text(
        f"""
[site]
title = "Digest"
base_url = "https://digest.example.org"
regions = "{PROJECT_ROOT / "config" / "regions.toml"}"
[storage]
url = "sqlite:///{root / "digest.db"}"
[[sources]]
name = "wire"
path = "wire"
every = "1h"
[[editions]]
name = "ochtend"
title = "Ochtendeditie"
cron = "0 7 * * *"
[[editions]]
name = "avond"
title = "Avondeditie"
cron = "0 18 * * *"
window = "12h"
[[editions]]
name = "weekoverzicht"
title = "Weekoverzicht"
kind = "weekly"
cron = "0 9 * * 0"
top = 2
[[editions]]
name = "extra"
title = "Extra editie"
kind = "extra"
min_briefs = 4
within_minutes = 30
keywords = ["aardbeving"]
quiet_hours = "22:00-06:00"
daily_cap = 2
[delivery]
backend = "smtp"
from = "Digest <digest@example.org>"
[delivery.smtp]
host = "{smtp.host}"
port = {smtp.port}
security = "none"
[archive]
dir = "archive"
base_url = "https://digest.example.org/archief"
""",
        encoding="utf-8",
    )


def run_cli_week(fortnight: Fortnight, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """Days 0-6 as cron runs it: `digest run --at` on the hour, a capture just before."""
    failures = []
    moment = local(0, 7)  # installed on the first morning
    while moment < local(7, 0):
        fortnight.capture(moment)
        code = main(["run", "--quiet", "--at", moment.isoformat()])
        said = capsys.readouterr()
        if code != 0:
            failures.append(f"{moment}: {said.err.strip()}")
        moment += timedelta(hours=1)
    return failures


def run_scheduled_week(fortnight: Fortnight, monkeypatch: pytest.MonkeyPatch) -> None:
    """Days 7-13 as `digest schedule` runs it: APScheduler's triggers on a fake clock
    (captures every 15 minutes; the source job reads the wire every hour)."""
    clock = FakeClock(local(7, 0, 5))

    class FakeDatetime(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> FakeDatetime:
            return clock.instant.astimezone(tz) if tz else clock.instant  # type: ignore[return-value]

    monkeypatch.setattr(apscheduler.schedulers.base, "datetime", FakeDatetime)
    monkeypatch.setattr(apscheduler.executors.base, "datetime", FakeDatetime)
    app = App(str(fortnight.config))
    scheduler = ManualScheduler()
    try:
        configure_scheduler(scheduler, app, now=clock, executor=DebugExecutor())
        scheduler.start()
        while clock.instant < local(14, 0):
            clock.set(clock.instant + timedelta(minutes=15))
            fortnight.capture(clock.instant)
            scheduler._process_jobs()
    finally:
        scheduler.shutdown()
        app.close()


@dataclass(frozen=True)
class Mail:
    to: str
    edition: str
    text: str


def received(smtp: SmtpServer) -> list[Mail]:
    mails = []
    for got in smtp.handler.messages:
        message = email.message_from_bytes(got.raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        edition = str(message["Message-ID"]).strip("<>").split("@")[0].rsplit(".", 1)[0]
        body = message.get_body(("plain",))
        assert body is not None
        for rcpt in got.rcpt_tos:
            text = str(body.get_content()).replace("\r\n", "\n")
            mails.append(Mail(rcpt.lower(), edition, text))
    return mails


def numbers(text: str) -> list[int]:
    return [int(n) for n in MARKER.findall(text)]


def brief_blocks(text: str) -> dict[int, str]:
    """Story number -> the (unwrapped) block of its brief in a mail's text."""
    found = {}
    # "* " opens a brief shown whole, "  - " one of an event's briefs by its first sentence
    for block in re.split(r"\n(?=\* |  - )", text)[1:]:
        marker = MARKER.search(block)
        if marker:
            found[int(marker.group(1))] = " ".join(block.split())
    return found


@pytest.mark.slow
def test_a_fortnight_sends_each_reader_the_editions_they_chose_once(
    tmp_path: Path,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DIGEST_SECRET_KEY", SECRET)
    monkeypatch.delenv("DIGEST_DATABASE_URL", raising=False)
    write_site(tmp_path, smtp_server)
    monkeypatch.setenv("DIGEST_CONFIG", str(tmp_path / "digest.toml"))
    for address, (editions, locale) in READERS.items():
        code = main(["subscribers", "add", address, "--active", "--editions", editions,
                     "--locale", locale])  # fmt: skip
        assert code == 0, capsys.readouterr()
    capsys.readouterr()
    stories, bursts = make_news(random.Random(20260202))
    fortnight = Fortnight(tmp_path, smtp_server, stories)
    failures = run_cli_week(fortnight, capsys)
    assert failures == []
    run_scheduled_week(fortnight, monkeypatch)

    store = open_store(f"sqlite:///{tmp_path / 'digest.db'}")
    try:
        recorded = list_editions(store)
    finally:
        store.close()
    by_name: dict[str, list[str]] = defaultdict(list)
    for edition in recorded:
        by_name[edition.name].append(edition.id)
    assert len(by_name["ochtend"]) == DAYS and len(by_name["avond"]) == DAYS
    assert by_name["weekoverzicht"] == [
        "weekoverzicht-2026-02-08T0900",
        "weekoverzicht-2026-02-15T0900",
    ]
    # The Extra editie: the day's burst at the next run, the quiet one at the end of the
    # quiet hours, two of the three of day 5 (the cap), the scheduler's two (burst, keyword).
    assert by_name["extra"] == [
        "extra-2026-02-03T1100",
        "extra-2026-02-06T0600",
        "extra-2026-02-07T1000",
        "extra-2026-02-07T1300",
        "extra-2026-02-10T1105",
        "extra-2026-02-11T1505",
    ]

    mails = received(smtp_server)
    per_reader: dict[str, Counter[str]] = defaultdict(Counter)
    for mail in mails:
        per_reader[mail.to][mail.edition] += 1
    for address, (editions, _) in READERS.items():
        chosen = editions.split(",")
        expected = {e for name in chosen for e in by_name[name]}
        assert set(per_reader[address]) == expected, address
        assert all(count == 1 for count in per_reader[address].values()), address
    assert set(per_reader) == set(READERS)  # nobody else got anything

    texts = {(m.to, m.edition): m.text for m in mails}
    # The Extra editie never repeats a story, and carries each fired burst whole.
    extra_numbers = [
        n for e in by_name["extra"] for n in brief_blocks(texts["extra@example.nl", e])
    ]
    assert len(extra_numbers) == len(set(extra_numbers))
    fired = {0: 0, 1: 1, 2: 2, 3: 3, 5: 4, 6: 5}  # burst index -> extra edition index
    for burst, index in fired.items():
        got = set(brief_blocks(texts["extra@example.nl", by_name["extra"][index]]))
        assert set(bursts[burst]) <= got, (burst, sorted(got))
    assert not set(bursts[4]) & set(extra_numbers)  # over the cap: dropped
    # The next regular edition marks what the Extra editie carried "al gemeld".
    quiet_morning = texts["ochtend@example.nl", "ochtend-2026-02-06T0700"]
    blocks = brief_blocks(quiet_morning)
    for number in bursts[1]:
        assert "al gemeld (06:00)" in blocks[number], blocks.get(number)
    evening = brief_blocks(texts["english@example.nl", "avond-2026-02-07T1800"])
    for number in bursts[3]:  # sent at 13:00, in English
        assert "already reported (1:00 PM)" in evening[number], evening.get(number)
    for number in bursts[4]:  # over the cap: in the evening edition as plain news
        assert number in evening and "already reported" not in evening[number]
    english = texts["english@example.nl", by_name["extra"][0]]
    assert "You receive Digest" in english and "Extra editie" in english
    # The weekly overview: the week's biggest event of a region first, archived.
    week_one = texts["week@example.nl", "weekoverzicht-2026-02-08T0900"]
    assert "De week van 1 februari tot 8 februari" in week_one
    rule = "=" * 72
    groenland = week_one.split(f"GROENLAND\n{rule}\n", 1)[1].split(f"\n{rule}", 1)[0]
    # the two bursts at Nuuk are one event of ten reports: the week's biggest there
    first = groenland.split("\n2. ")[0]
    assert first.lstrip().startswith("1. ") and "(10 berichten)" in first
    # its latest state: the newest three briefs, then how many came before
    assert set(brief_blocks(first)) == set(bursts[3][-3:]) and "+7 eerdere berichten" in first
    assert "\n3. " not in groenland  # top = 2
    archived = tmp_path / "archive" / "2026" / "02" / "08" / "weekoverzicht" / "index.html"
    assert "weekly-weight" in archived.read_text(encoding="utf-8")
    others = [m for m in mails if m.to != "week@example.nl"]
    assert not any(m.edition.startswith("weekoverzicht") for m in others)
