"""Building and recording editions: JSON form, the store ledger, ``digest build``."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select

from digest.cli import main
from digest.config import PROJECT_ROOT, Config, config_from_dict
from digest.edition.build import build_edition
from digest.errors import StoreError
from digest.model import Item
from digest.store import Store, open_store
from digest.store.editions import (
    edition_from_json,
    edition_to_json,
    list_editions,
    load_edition,
    previous_edition,
    record_edition,
    replace_edition,
    window_stories,
)
from digest.store.schema import deliveries, edition_stories, subscribers
from digest.store.stories import SnapshotMeta, store_items
from tests.sample_edition import NOTE, REGIONS, SLOT, sample_edition
from tests.test_render import check_golden

CAPTURED = SLOT - timedelta(minutes=10)  # 06:50 in Amsterdam


def item(text: str, minutes: int, regions: tuple[str, ...] = (), dateline: str = "NUUK") -> Item:
    return Item(
        "brief",
        None,
        dateline,
        ("ANP",),
        text,
        (CAPTURED - timedelta(minutes=minutes)).astimezone(UTC),
        "Buitenland",
        "snap.txt",
        regions=regions,
    )


ITEMS = [
    item("Groenland kiest een nieuw parlement na weken van campagne.", 15, ("groenland",)),
    item("Denemarken stuurt extra schepen naar de kust van Groenland.", 70, ("groenland",)),
    item("Iran zegt dat het internet geleidelijk wordt hersteld.", 23, ("iran",), "TEHERAN"),
    item("Frankrijk wil de begroting buiten het parlement om doordrukken.", 54, (), "PARIJS"),
]


def put(store: Store, items: list[Item], captured: datetime, checksum: str) -> None:
    # UTC in, as the store keeps it: SQLite keeps wall-clock time and drops the zone.
    captured = captured.astimezone(UTC)
    with store.begin() as conn:
        store_items(conn, SnapshotMeta(f"{checksum}.txt", checksum, captured), items, captured)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = open_store(f"sqlite:///{tmp_path / 'digest.db'}")
    put(opened, ITEMS, CAPTURED, "first")
    return opened


def config(tmp_path: Path, **edition: Any) -> Config:
    data = {
        "site": {
            "base_url": "https://digest.example.org",
            "regions": str(PROJECT_ROOT / "config" / "regions.toml"),
        },
        "storage": {"url": f"sqlite:///{tmp_path / 'digest.db'}"},
        "editions": [{"name": "ochtend", "title": "Ochtendeditie", "window": "24h", **edition}],
    }
    return config_from_dict(data, tmp_path / "digest.toml")


# --- JSON ----------------------------------------------------------------------


def test_edition_json_round_trips_exactly() -> None:
    edition = sample_edition(NOTE)
    data = json.loads(json.dumps(edition_to_json(edition)))
    assert edition_from_json(data) == edition


def test_edition_json_has_the_public_keys() -> None:
    data = edition_to_json(sample_edition())
    assert data["name"] == "ochtend"
    assert data["time"] == "2026-01-21T07:00:00+01:00"
    assert data["window"] == {
        "start": "2026-01-20T07:00:00+01:00",
        "end": "2026-01-21T07:00:00+01:00",
    }
    section = data["sections"][0]
    assert (section["region_id"], section["title"]) == ("groenland", "Groenland")
    brief = section["briefs"][0]
    assert brief["story_id"] == "grl001"
    assert brief["dateline"] == "WASHINGTON"
    assert brief["published_at"] == "2026-01-21T06:45:00+01:00"
    assert brief["band"] == "hour"
    assert {"text", "updated"} <= brief.keys()
    assert data["sections"][-1]["region_id"] is None


def test_unknown_stored_format_is_an_error() -> None:
    data = edition_to_json(sample_edition()) | {"format": 99}
    with pytest.raises(StoreError, match="format 99"):
        edition_from_json(data)


# --- the store ledger ---------------------------------------------------------


def test_window_stories_are_the_ones_first_seen_in_the_window(store: Store) -> None:
    assert len(window_stories(store, SLOT - timedelta(hours=1), SLOT)) == 4
    assert window_stories(store, CAPTURED, SLOT) == []
    later = CAPTURED + timedelta(hours=2)
    put(
        store,
        [item("Een nieuw bericht uit Nuuk over de visserij.", 5, ("groenland",))],
        later,
        "second",
    )
    fresh = window_stories(store, SLOT, later + timedelta(minutes=1))
    assert [s.text for s in fresh] == ["Een nieuw bericht uit Nuuk over de visserij."]


def test_recorded_edition_is_immutable(store: Store, tmp_path: Path) -> None:
    first = build_edition(store, config(tmp_path), config(tmp_path).editions[0], REGIONS, at=SLOT)
    assert first.status == "recorded"
    assert load_edition(store, first.edition.id) == first.edition
    other = replace(first.edition, title="Iets anders")
    assert record_edition(store, other) == first.edition
    again = build_edition(store, config(tmp_path), config(tmp_path).editions[0], REGIONS, at=SLOT)
    assert again.status == "existing"
    assert again.edition == first.edition


def test_recording_lists_exact_stories_per_section(store: Store, tmp_path: Path) -> None:
    built = build_edition(store, config(tmp_path), config(tmp_path).editions[0], REGIONS, at=SLOT)
    with store.begin() as conn:
        rows = conn.execute(
            select(edition_stories.c.section, edition_stories.c.position, edition_stories.c.band)
            .where(edition_stories.c.edition_id == built.edition.id)
            .order_by(edition_stories.c.section, edition_stories.c.position)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("groenland", 0, "hour"),
        ("groenland", 1, "today"),
        ("iran", 0, "hour"),
        ("overig", 0, "today"),
    ]


def test_next_edition_starts_where_the_previous_ended(store: Store, tmp_path: Path) -> None:
    cfg = config(tmp_path)
    build_edition(store, cfg, cfg.editions[0], REGIONS, at=SLOT)
    later = SLOT + timedelta(hours=11)
    put(
        store,
        [item("Nieuw uit Teheran over de onderhandelingen.", 0, ("iran",), "TEHERAN")],
        later - timedelta(hours=1),
        "second",
    )
    second = build_edition(store, cfg, cfg.editions[0], REGIONS, at=later)
    assert second.edition.window_start == SLOT
    assert second.edition.story_count == 1
    assert previous_edition(store, "ochtend", before=later) == load_edition(
        store, "ochtend-2026-01-21T0700"
    )
    assert [e.id for e in list_editions(store)] == [
        "ochtend-2026-01-21T0700",
        "ochtend-2026-01-21T1800",
    ]
    assert previous_edition(store, "avond", before=later) is None


def test_stories_stored_after_the_edition_of_their_window_come_in_the_next_one(
    store: Store, tmp_path: Path
) -> None:
    """A snapshot captured before an edition was built but stored after it (copied
    late, a source that was down): its new story and its new wording of a story that
    edition carried come in the next edition, once. They reached no edition at all,
    while the run said "no new or updated briefs" (a tester's pass)."""
    cfg = config(tmp_path)
    assert build_edition(store, cfg, cfg.editions[0], REGIONS, at=SLOT).edition.story_count == 4
    reworded = replace(ITEMS[0], text=ITEMS[0].text + " De opkomst was hoog.")
    fresh = item("Groenland wil een gesprek met Washington over de basis.", 5, ("groenland",))
    put(store, [fresh, reworded], SLOT - timedelta(minutes=5), "late")  # captured 06:55
    later = SLOT + timedelta(hours=11)
    second = build_edition(store, cfg, cfg.editions[0], REGIONS, at=later)
    briefs = {b.story.text: b.updated for s in second.edition.sections for b in s.briefs}
    assert briefs == {fresh.text: False, reworded.text: True}
    third = build_edition(store, cfg, cfg.editions[0], REGIONS, at=later + timedelta(hours=12))
    assert third.status == "skipped"  # nothing twice


def test_too_little_news_is_skipped_and_not_recorded(store: Store, tmp_path: Path) -> None:
    cfg = config(tmp_path, min_briefs=5)
    result = build_edition(store, cfg, cfg.editions[0], REGIONS, at=SLOT)
    assert result.status == "skipped"
    assert (
        result.skipped
        == "edition ochtend-2026-01-21T0700: only 4 new briefs, fewer than min_briefs=5"
    )
    assert list_editions(store) == []


def test_rebuild_replaces_an_unsent_edition_but_not_a_sent_one(
    store: Store, tmp_path: Path
) -> None:
    cfg = config(tmp_path)
    first = build_edition(store, cfg, cfg.editions[0], REGIONS, at=SLOT, note_markdown="Eerste")
    rebuilt = build_edition(
        store, cfg, cfg.editions[0], REGIONS, at=SLOT, note_markdown="Tweede", rebuild=True
    )
    assert rebuilt.status == "rebuilt"
    assert load_edition(store, first.edition.id).note_markdown == "Tweede"  # type: ignore[union-attr]
    with store.begin() as conn:
        sub = conn.execute(
            insert(subscribers).values(
                email="a@example.org",
                locale="nl",
                status="active",
                created_at=SLOT,
                updated_at=SLOT,
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        conn.execute(
            insert(deliveries).values(
                edition_id=first.edition.id, subscriber_id=sub, segment="all", status="sent"
            )
        )
    with pytest.raises(StoreError, match="cannot be rebuilt"):
        replace_edition(store, rebuilt.edition)


# --- the command ---------------------------------------------------------------


def write_config(tmp_path: Path) -> Path:
    path = tmp_path / "digest.toml"
    path.write_text(
        f"""
[site]
title = "Digest"
base_url = "https://digest.example.org"
regions = "{PROJECT_ROOT / "config" / "regions.toml"}"

[storage]
url = "sqlite:///{tmp_path / "digest.db"}"

[[editions]]
name = "ochtend"
title = "Ochtendeditie"
window = "24h"
""",
        encoding="utf-8",
    )
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_build_command_writes_files_and_prints_json(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = str(write_config(tmp_path))
    out_dir = tmp_path / "out"
    code, out, err = run(
        capsys,
        "--config",
        cfg,
        "build",
        "--at",
        "2026-01-21T07:00",
        "--out",
        str(out_dir),
        "--json",
    )
    assert code == 0, err
    data = json.loads(out)
    assert (data["id"], data["status"], data["time"]) == (
        "ochtend-2026-01-21T0700",
        "recorded",
        "2026-01-21T07:00:00+01:00",
    )
    assert [s["region_id"] for s in data["sections"]] == ["groenland", "iran", None]
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "2026-01-21-ochtend.html",
        "2026-01-21-ochtend.md",
        "2026-01-21-ochtend.txt",
    ]
    html = (out_dir / "2026-01-21-ochtend.html").read_text(encoding="utf-8")
    assert "\ue000" not in html and 'href="https://digest.example.org"' in html
    code, out, err = run(
        capsys, "--config", cfg, "build", "--at", "2026-01-21T07:00", "--out", str(out_dir)
    )
    assert code == 0
    assert out.startswith("ochtend-2026-01-21T0700: 4 stories in 3 sections (existing)")
    assert re.fullmatch(
        r"pre-flight: html [\d.]+ KB of 102 KB, subject \d+ of 78 characters: ok\n", err
    )


def test_build_command_english_and_note(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = str(write_config(tmp_path))
    note = tmp_path / "note.md"
    note.write_text("Een *bijzondere* editie. <script>alert(1)</script>", encoding="utf-8")
    args = [
        "--config",
        cfg,
        "build",
        "--at",
        "2026-01-21T07:00+01:00",
        "--out",
        str(tmp_path),
        "--locale",
        "en",
        "--note",
        str(note),
    ]
    code, _, err = run(capsys, *args)
    assert code == 0, err
    html = (tmp_path / "2026-01-21-ochtend.html").read_text(encoding="utf-8")
    assert 'lang="en"' in html and "Between " in html and "<em" in html and "<script" not in html
    assert "Groenland kiest een nieuw parlement" in html


def test_build_command_reports_unknown_edition(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "--config", str(write_config(tmp_path)), "build", "middag")
    assert code == 2  # a usage error naming the valid choices
    assert "Invalid value for EDITION: no edition 'middag'; choose from: ochtend" in err


def test_build_command_says_why_it_skips(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys,
        "--config",
        str(write_config(tmp_path)),
        "build",
        "--at",
        "2026-01-21T07:00",
        "--out",
        str(tmp_path / "o"),
    )
    assert code == 0
    assert "no new or updated briefs" in err and out == ""
    assert not (tmp_path / "o").exists()


# --- the seeds, end to end -----------------------------------------------------


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_seeds_build_into_the_expected_sections(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], locale: str
) -> None:
    cfg = str(write_config(tmp_path))
    seeds = str(PROJECT_ROOT / "seeds")
    code, _, err = run(
        capsys, "--config", cfg, "ingest", seeds, "--captured-at", "2026-01-21T05:50:00+00:00"
    )
    assert code == 0, err
    out_dir = tmp_path / "out"
    code, out, err = run(
        capsys,
        "--config",
        cfg,
        "build",
        "--at",
        "2026-01-21T07:00:00+01:00",
        "--out",
        str(out_dir),
        "--json",
        "--locale",
        locale,
    )
    assert code == 0, err
    sections = [(s["title"], len(s["briefs"])) for s in json.loads(out)["sections"]]
    assert sections[:3] == [("Groenland", 4), ("Iran", 3), ("Venezuela", 2)]
    assert sections[3][0] == "Overig" and len(sections) == 4
    for suffix in ("html", "txt", "md"):
        body = (out_dir / f"2026-01-21-ochtend.{suffix}").read_text(encoding="utf-8")
        check_golden(f"seeds-{locale}.{suffix}", body)
    markdown = (out_dir / "2026-01-21-ochtend.md").read_text(encoding="utf-8")
    groenland = markdown.split("## Groenland")[1].split("\n## ")[0]
    assert groenland.count("\n#### ") == 1, "the four Groenland briefs are one event"
    assert groenland.count("(ANP") == 4


def test_build_without_at_builds_the_slot_digest_run_would(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not an edition for the current minute: the latest cron time (07:00) not after now."""
    cfg = str(write_config(tmp_path))
    zone = ZoneInfo("Europe/Amsterdam")
    before = datetime.now(zone)
    code, out, err = run(capsys, "--config", cfg, "build", "--out", str(tmp_path / "o"), "--json")
    assert code == 0, err
    data = json.loads(out)
    now = datetime.now(zone)
    days = {
        moment.date() if moment.hour >= 7 else moment.date() - timedelta(days=1)
        for moment in (before, now)  # the command ran between the two readings
    }
    assert data["id"] in {f"ochtend-{day:%Y-%m-%d}T0700" for day in days}
    assert datetime.fromisoformat(data["time"]).astimezone(zone).strftime("%H:%M") == "07:00"
    assert now - datetime.fromisoformat(data["window"]["end"]) < timedelta(minutes=5)


def test_nothing_written_names_times_in_the_site_zone_to_the_minute(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = str(write_config(tmp_path))
    code, _, err = run(capsys, "--config", cfg, "build", "--at", "2026-03-02T07:00:00.123456")
    assert code == 0
    assert "no new or updated briefs between" in err
    assert "2026-03-02 07:00 CET" in err
    assert ".123456" not in err and "+00:00" not in err
