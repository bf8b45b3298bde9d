"""Feeds through every command (issue 15): ``digest parse``, ``explain`` and
``ingest`` recognise an RSS or Atom file by its content, whatever it is called,
and ``digest ingest`` without arguments names every configured source."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import cli
from digest.ingest.pages import looks_like_feed

FEEDS = Path(__file__).parent / "data" / "feeds"
CAPTURED = "2026-01-21T10:00:00+01:00"


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DIGEST_DATABASE_URL", f"sqlite:///{tmp_path / 'digest.db'}")
    return CliRunner()


@pytest.fixture
def disguised(tmp_path: Path) -> list[Path]:
    """The RSS and Atom test feeds under names that say nothing (.txt, .html)."""
    rss = tmp_path / "regio.txt"
    atom = tmp_path / "buitenland.html"
    shutil.copy(FEEDS / "regio_zeeland.rss.xml", rss)
    shutil.copy(FEEDS / "anp_buitenland.atom.xml", atom)
    return [rss, atom]


def test_feeds_are_known_by_their_content() -> None:
    assert looks_like_feed((FEEDS / "regio_zeeland.rss.xml").read_bytes())
    assert looks_like_feed((FEEDS / "anp_buitenland.atom.xml").read_bytes())
    assert looks_like_feed(b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- x -->\n<rss version="2.0">')
    assert looks_like_feed(b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">')
    assert not looks_like_feed(b"<!doctype html><html><body><p>feed</p></body></html>")
    assert not looks_like_feed(b"NUUK (ANP) - Groenland <feed> kiest.")


def test_parse_reads_rss_and_atom_files_as_feeds(runner: CliRunner, disguised: list[Path]) -> None:
    for path in disguised:
        result = runner.invoke(cli, ["parse", "--json", "--captured-at", CAPTURED, str(path)])
        assert result.exit_code == 0, result.output
        items = json.loads(result.stdout)
        assert items, path
        assert all(item["source"] == str(path) for item in items)
        assert any(item["dateline"] for item in items)


def test_explain_reads_feeds(runner: CliRunner, disguised: list[Path]) -> None:
    for path in disguised:
        result = runner.invoke(cli, ["explain", "--json", str(path)])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout), path


def test_ingest_stores_feed_files(runner: CliRunner, disguised: list[Path]) -> None:
    result = runner.invoke(cli, ["ingest", "--per-file", *map(str, disguised)])
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[-1]
    assert first.startswith("2 files: ") and " 0 new" not in first
    again = runner.invoke(cli, ["ingest", *map(str, disguised)])
    assert again.stdout.strip().startswith("2 files: 0 new")


def test_ingest_without_arguments_names_every_source(
    runner: CliRunner, tmp_path: Path, disguised: list[Path]
) -> None:
    wire = tmp_path / "wire"
    wire.mkdir()
    (wire / "a.txt").write_text(
        "NUUK (ANP) - Groenland kiest een nieuw parlement.\n20 minuten geleden\n", "utf-8"
    )
    shutil.copy(Path(__file__).parent.parent / "config" / "regions.toml", tmp_path)
    config = tmp_path / "digest.toml"
    config.write_text(
        "\n".join(
            [
                "[[sources]]",
                'name = "draad"',
                f'path = "{wire}"',
                "[[sources]]",
                'name = "regio"',
                'kind = "feed"',
                f'path = "{disguised[0]}"',
                "[[sources]]",
                'name = "kapot"',
                'kind = "feed"',
                f'path = "{tmp_path / "missing.xml"}"',
            ]
        ),
        "utf-8",
    )
    result = runner.invoke(cli, ["--config", str(config), "ingest"])
    assert result.exit_code == 1, (result.output, result.exception)  # one source unread
    lines = result.stdout.splitlines()
    assert len(lines) == 4, result.output
    assert lines[0].startswith("source draad: 1 file: 1 new")
    assert lines[1].startswith("source regio: ") and "new" in lines[1]
    assert lines[2].startswith("source kapot: ")
    assert lines[-1] == "3 sources: 2 read, 1 with errors"
    assert "source 'kapot'" in result.stderr and "missing.xml" in result.stderr
