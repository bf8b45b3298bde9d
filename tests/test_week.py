"""A simulated week, as readers live it: what every subscriber got, story by story.

Wire snapshots are generated and "captured" every 15 minutes for a week; the
site has a morning and an evening edition; it is installed on an evening (a
first run), one morning run dies after building (a crash) and is caught up,
one evening is missed for three hours, and runs are repeated and forced. Then
the outbox mails and the archive are read back as a reader would:

* each subscriber got each story at most once, plus once per real update,
  marked "bijgewerkt" with what changed;
* every story of a subscriber's regions that was on the wire before the last
  run reached them (nothing lost);
* every mailed edition is in the archive with the same stories;
* no mail, page, feed or Markdown file states an age measured when it was built.
"""

from __future__ import annotations

import email
import os
import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from digest.commands.app import App
from digest.config import PROJECT_ROOT
from digest.schedule.job import RunReport, run_job
from digest.store import open_store
from digest.store.subscribers import import_subscribers
from digest.subscribers import ImportRow

AMS = ZoneInfo("Europe/Amsterdam")
START = datetime(2026, 2, 2, 12, 0, tzinfo=AMS)  # a Monday; news from noon on
DAYS = 7
CAPTURE_EVERY = timedelta(minutes=15)
ON_PAGE = timedelta(hours=3)  # a wire page shows the briefs of its last three hours
SECRET = "week-tests-secret-key-0123456789"
PLACES = {"NUUK": "groenland", "TEHERAN": "iran", "CARACAS": "venezuela", "DEN HAAG": None}
MARKER = re.compile(r"Bericht (\d{4}):")
AGES = re.compile(
    r"\b(?:minuten? geleden|uur geleden|dagen? geleden|zojuist|afgelopen uur|"
    r"minutes? ago|hours? ago|just now|past hour)\b",
    re.IGNORECASE,
)
READERS = {  # address -> regions (None: everything)
    "alles@example.nl": None,
    "iran@example.nl": frozenset({"iran"}),
    "noord@example.nl": frozenset({"groenland", "venezuela"}),
}
WORDS = (
    "haven brug markt raad school station dijk polder rivier sluis kanaal veer tunnel "
    "akker bos duin heide kust meer plein straat toren wijk boer bakker visser leraar "
    "arts dokter rechter minister burgemeester wethouder agent brandweer ambulance trein "
    "bus tram fiets auto schip vliegtuig storm regen sneeuw ijs wind zon mist hagel "
    "begroting belasting subsidie pensioen woning huur energie gas stroom water voedsel "
    "oogst export import handel fabriek bedrijf winkel bank beurs munt schuld lening"
).split()


@dataclass
class Story:
    """One generated story: where and when, and its versions (time, figure)."""

    number: int
    place: str
    words: list[str]
    versions: list[tuple[datetime, int]] = field(default_factory=list)

    @property
    def region(self) -> str | None:
        return PLACES[self.place]

    def text(self, figure: int) -> str:
        body = " ".join(self.words)
        return f"Bericht {self.number:04d}: {body}. Er zijn {figure} mensen bij betrokken."

    def on_page(self, captured: datetime) -> tuple[datetime, int] | None:
        """The version a page captured at ``captured`` shows, if any."""
        shown = [v for v in self.versions if captured - ON_PAGE < v[0] <= captured]
        return shown[-1] if shown else None


def make_stories(rng: random.Random) -> list[Story]:
    stories = []
    moment, number = START + timedelta(minutes=7), 0
    end = START + timedelta(days=DAYS)
    while moment < end:
        story = Story(number, rng.choice(list(PLACES)), rng.sample(WORDS, 12))
        story.versions.append((moment, rng.randint(10, 90)))
        if number % 5 == 0:  # one in five is updated hours later with a new figure
            later = moment + timedelta(hours=rng.randint(4, 20))
            story.versions.append((later, story.versions[0][1] + rng.randint(5, 40)))
        stories.append(story)
        moment += timedelta(minutes=rng.randint(30, 70))
        number += 1
    return stories


def snapshot(stories: list[Story], captured: datetime) -> str:
    """A wire page: the briefs of the last hours, newest first, each with its age."""
    shown = [(s, v) for s in stories if (v := s.on_page(captured)) is not None]
    shown.sort(key=lambda sv: sv[1][0], reverse=True)
    lines = []
    for story, (published, figure) in shown:
        minutes = int((captured - published).total_seconds() // 60)
        age = f"{minutes} minuten geleden" if minutes < 60 else f"{minutes // 60} uur geleden"
        lines += [f"{story.place} (ANP) - {story.text(figure)}", age]
    return "\n".join(lines) + "\n"


@dataclass
class Week:
    root: Path
    stories: list[Story]
    written_until: datetime = START

    @property
    def wire(self) -> Path:
        return self.root / "wire"

    @property
    def config(self) -> Path:
        return self.root / "digest.toml"

    def capture_until(self, moment: datetime) -> None:
        """Write every snapshot captured up to ``moment`` (mtime = capture time)."""
        captured = self.written_until + CAPTURE_EVERY
        while captured <= moment:
            path = self.wire / f"{captured:%Y%m%dT%H%M}.txt"
            path.write_text(snapshot(self.stories, captured), encoding="utf-8")
            os.utime(path, (captured.timestamp(), captured.timestamp()))
            self.written_until = captured
            captured += CAPTURE_EVERY

    def run(self, at: datetime, **kwargs: Any) -> RunReport:
        self.capture_until(at)
        app = App(str(self.config))
        try:
            return run_job(app, None, at, now=lambda: at, **kwargs)
        finally:
            app.close()


def write_site(root: Path) -> None:
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
kind = "wire"
[[editions]]
name = "ochtend"
title = "Ochtendeditie"
cron = "0 7 * * *"
window = "24h"
[[editions]]
name = "avond"
title = "Avondeditie"
cron = "0 18 * * *"
window = "12h"
[delivery]
backend = "outbox"
from = "Digest <digest@example.org>"
[delivery.outbox]
dir = "outbox"
[archive]
dir = "archive"
base_url = "https://digest.example.org/archief"
""",
        encoding="utf-8",
    )
    store = open_store(f"sqlite:///{root / 'digest.db'}")
    try:
        rows = [ImportRow(n, a, None, r) for n, (a, r) in enumerate(READERS.items(), start=1)]
        import_subscribers(store, rows, now=START)
    finally:
        store.close()


def at(day: int, hour: int, minute: int = 0, second: int = 30) -> datetime:
    base = (START + timedelta(days=day)).replace(hour=hour, minute=minute, second=second)
    return base


def live_the_week(week: Week, monkeypatch: pytest.MonkeyPatch) -> list[RunReport]:
    reports = [week.run(at(0, 19, 57))]  # installed on the first evening: a first run
    for day in range(1, DAYS):
        for hour in (7, 18):
            if day == 3 and hour == 7:
                reports += crash_and_catch_up(week, monkeypatch, day)
            elif day == 5 and hour == 18:
                reports.append(week.run(at(day, 21, 0)))  # down 18:00-21:00, caught up late
            else:
                reports.append(week.run(at(day, hour)))
                reports.append(week.run(at(day, hour, 10)))  # cron's next try: nothing new
    reports.append(week.run(at(DAYS - 1, 18, 20), force=True))  # a deliberate re-run
    return reports


def crash_and_catch_up(week: Week, monkeypatch: pytest.MonkeyPatch, day: int) -> list[RunReport]:
    """The 07:00 run dies after building and publishing, before delivering (as if
    killed); its claim is left running and the run at 07:40 takes it over."""

    def die(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt("killed")

    with monkeypatch.context() as patch:
        patch.setattr("digest.schedule.steps.deliver_edition", die)
        with pytest.raises(KeyboardInterrupt):
            week.run(at(day, 7))
    return [week.run(at(day, 7, 40))]


# --- reading it back --------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    edition: str
    number: int
    updated: bool
    text: str


def text_part(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no text part")


def parts_of(message: Message) -> Iterator[str]:
    """Every text part of a mail (plain text and HTML), decoded."""
    for part in message.walk():
        payload = part.get_payload(decode=True)
        if part.get_content_maintype() == "text" and isinstance(payload, bytes):
            yield payload.decode(part.get_content_charset() or "utf-8")


def briefs_of(text: str) -> Iterator[tuple[int, bool, str]]:
    """(story number, marked updated, the brief's lines) for each brief of a mail's text."""
    # the first block is the head of the mail: "In het kort" quotes briefs, it is none
    # "* " opens a brief shown whole, "  - " one of an event's briefs by its first sentence
    for block in re.split(r"\n(?=\* |  - )", text)[1:]:
        found = MARKER.search(block)
        if found:
            unwrapped = " ".join(block.split())
            yield int(found.group(1)), "bijgewerkt" in unwrapped, unwrapped


def mails(root: Path) -> dict[str, list[Received]]:
    """Address -> what they received, in the order the editions went out."""
    got: dict[str, list[Received]] = defaultdict(list)
    for path in sorted((root / "outbox").glob("*.eml"), key=lambda p: p.stat().st_mtime_ns):
        message = email.message_from_bytes(path.read_bytes())
        edition = path.name.split(".")[0]
        for number, updated, text in briefs_of(text_part(message)):
            got[str(message["To"]).split("<")[-1].rstrip(">")].append(
                Received(edition, number, updated, text)
            )
    return got


def archive_page(root: Path, edition_id: str) -> Path:
    name, _, stamp = edition_id.partition("-")
    day = datetime.strptime(stamp, "%Y-%m-%dT%H%M")
    return root / "archive" / f"{day:%Y/%m/%d}" / name / "index.html"


# --- the test ------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_week_of_editions_sends_every_story_once_and_archives_what_was_mailed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGEST_SECRET_KEY", SECRET)
    monkeypatch.delenv("DIGEST_DATABASE_URL", raising=False)
    write_site(tmp_path)
    week = Week(tmp_path, make_stories(random.Random(20260202)))
    reports = live_the_week(week, monkeypatch)
    assert all(r.ok for r in reports), [r.failures for r in reports if not r.ok]
    got = mails(tmp_path)
    assert set(got) == set(READERS)
    by_number = {s.number: s for s in week.stories}
    last_run = week.written_until
    for address, regions in READERS.items():
        received = got[address]
        counts = Counter(r.number for r in received)
        for number, times in counts.items():
            story = by_number[number]
            assert regions is None or story.region in regions, (address, number)
            assert times <= len(story.versions), (address, number, times)
            copies = [r for r in received if r.number == number]
            assert not copies[0].updated, (address, number)  # the first time is new
            for copy in copies[1:]:  # a second time only for an update, saying what changed
                old, new = story.versions[0][1], story.versions[1][1]
                assert copy.updated and f"‘{old}’ → ‘{new}’" in copy.text, (address, copy)
        expected = {
            s.number
            for s in week.stories
            if s.versions[0][0] <= last_run and (regions is None or s.region in regions)
        }
        assert expected <= set(counts), (address, sorted(expected - set(counts))[:10])
    updates = sum(r.updated for r in got["alles@example.nl"])
    assert updates >= 10  # the week had real updates, and they were shown as such

    # Every mailed edition is in the archive with the same stories (the reader of
    # everything got every story of the edition), and nothing else is archived.
    mailed: dict[str, set[int]] = defaultdict(set)
    for copy in got["alles@example.nl"]:
        mailed[copy.edition].add(copy.number)
    for edition_id, numbers in mailed.items():
        page = archive_page(tmp_path, edition_id).read_text(encoding="utf-8")
        assert {int(n) for n in MARKER.findall(page)} == numbers, edition_id
    archived = {p.parent for p in (tmp_path / "archive").glob("2026/*/*/*/index.html")}
    assert archived == {archive_page(tmp_path, e).parent for e in mailed}

    # Nothing that outlives its build states an age measured when it was built.
    outputs = [*(tmp_path / "outbox").glob("*.eml"), *(tmp_path / "archive").rglob("*")]
    for path in outputs:
        if path.is_file() and path.suffix in {".eml", ".html", ".xml", ".md", ".json"}:
            if path.suffix == ".eml":
                text = "\n".join(parts_of(email.message_from_bytes(path.read_bytes())))
            else:
                text = path.read_text(encoding="utf-8")
            found = AGES.search(text)
            assert found is None, (path, found and text[found.start() - 80 : found.end() + 20])
