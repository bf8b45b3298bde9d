"""``digest parse`` driven in-process: JSON, table, capture times, bad files, --strict."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from digest.cli import cli, main

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted(str(path) for path in (ROOT / "seeds").glob("*.txt"))
SNAPSHOTS = Path(__file__).resolve().parent / "data" / "snapshots"
CAPTURED = "2026-01-20T14:00:00+01:00"
REGIONS = ROOT / "config" / "regions.toml"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A config whose site zone is Tokyo, so zone handling is visible (with the
    default regions beside it: parse classifies its items)."""
    path = tmp_path / "digest.toml"
    path.write_text('[site]\ntimezone = "Asia/Tokyo"\n', encoding="utf-8")
    shutil.copy(REGIONS, tmp_path / "regions.toml")  # every command checks both files
    return path


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def test_json_of_the_seeds() -> None:
    result = run("parse", *SEEDS, "--captured-at", CAPTURED, "--json")
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)
    assert len(items) == 16
    assert [item["kind"] for item in items].count("article") == 2
    assert items[1]["dateline"] == "BRUSSEL"
    assert items[1]["published_at"] == "2026-01-20T13:45:00+01:00"
    assert {item["source"] for item in items} == set(SEEDS)
    assert set(items[0]) >= {
        "kind", "title", "dateline", "agencies", "text", "published_at", "section",
        "regions", "countries", "source",
    }  # fmt: skip
    assert "Oekraïens" in result.stdout  # not \u-escaped
    assert result.stderr == ""


def test_json_items_carry_their_regions_and_countries() -> None:
    """The README promises classified items; the keys were once always empty."""
    result = run("parse", *SEEDS, "--captured-at", CAPTURED, "--json")
    items = json.loads(result.stdout)
    by_place = {(item["dateline"], item["text"][:20]): item for item in items}
    assert sum(bool(item["regions"]) for item in items) == 9
    assert all(item["countries"] for item in items if item["regions"])
    tehran = next(item for (place, _), item in by_place.items() if place == "TEHERAN")
    assert tehran["regions"] == ["iran"]
    assert "IR" in tehran["countries"]
    assert {r for item in items for r in item["regions"]} == {"groenland", "iran", "venezuela"}


def test_table_without_json() -> None:
    result = run("parse", SEEDS[0], "--captured-at", CAPTURED)
    lines = result.stdout.splitlines()
    assert result.exit_code == 0
    assert lines[0].startswith("undated           article  MOSKOU (ANP/RTR)")
    assert lines[0].endswith("Rusland: 71 militairen gedood door Oekraïens offensief")
    assert lines[2].startswith("2026-01-20 13:39  brief    WASHINGTON (ANP)")
    assert lines[-1] == "items: 8 (articles: 1, briefs: 7)"


def test_default_capture_time_is_the_file_mtime_in_the_site_zone(
    tmp_path: Path, config: Path
) -> None:
    page = tmp_path / "page.txt"
    page.write_text("OSLO (ANP) - Tekst.\n1 uur geleden\nBERGEN (ANP) - Tekst.\n09:12", "utf-8")
    mtime = datetime(2026, 1, 20, 3, 0, tzinfo=UTC)  # 12:00 in Tokyo
    os.utime(page, (mtime.timestamp(), mtime.timestamp()))
    result = run("--config", str(config), "parse", str(page), "--json")
    items = json.loads(result.stdout)
    assert [item["published_at"] for item in items] == [
        "2026-01-20T11:00:00+09:00",
        "2026-01-20T09:12:00+09:00",
    ]


def test_capture_time_without_offset_is_in_the_site_zone(tmp_path: Path, config: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text("OSLO (ANP) - Tekst.\n15 minuten geleden\n", encoding="utf-8")
    at = ("--captured-at", "2026-01-20T12:00")
    result = run("--config", str(config), "parse", str(page), "--json", *at)
    assert result.exit_code == 0
    assert json.loads(result.stdout)[0]["published_at"] == "2026-01-20T11:45:00+09:00"


def test_bad_files_are_reported_by_name_and_the_rest_parsed(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    missing = tmp_path / "missing.txt"
    result = run("parse", str(missing), SEEDS[0], str(empty), "--json", "--captured-at", CAPTURED)
    assert result.exit_code == 1
    assert len(json.loads(result.stdout)) == 8
    errors = result.stderr.splitlines()
    assert len(errors) == 2
    assert errors[0].startswith(f"digest: error: {missing}: ")
    assert errors[1].startswith(f"digest: error: {empty}: ")


def test_warnings_are_printed_and_strict_makes_them_fatal() -> None:
    page = str(SNAPSHOTS / "titled.txt")
    relaxed = run("parse", page, "--json", "--captured-at", CAPTURED)
    strict = run("parse", page, "--json", "--captured-at", CAPTURED, "--strict")
    expected = f"digest: warning: {page}:47: item has no time (truncated page?); kept undated\n"
    assert (relaxed.exit_code, relaxed.stderr) == (0, expected)
    assert (strict.exit_code, strict.stderr) == (1, expected)
    assert json.loads(strict.stdout) == json.loads(relaxed.stdout)


def test_bad_capture_time_is_a_usage_error() -> None:
    result = run("parse", SEEDS[0], "--captured-at", "gisteren")
    assert result.exit_code == 2
    assert "not an ISO 8601 time" in result.stderr


def test_parse_has_help() -> None:
    result = run("parse", "--help")
    assert result.exit_code == 0
    assert "Parse wire-text snapshot FILES" in result.stdout


def test_console_entry_point_exits_non_zero_on_a_bad_file(tmp_path: Path) -> None:
    assert main(["parse", str(tmp_path / "missing.txt"), "--captured-at", CAPTURED]) == 1
