from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from digest.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
CAPTURED = "2026-01-21T10:00:00+01:00"
GOOD = "TEHERAN (ANP/AFP) - Iran zegt dat het internet wordt hersteld.\n15 minuten geleden\n"


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DIGEST_DATABASE_URL", f"sqlite:///{tmp_path / 'digest.db'}")
    return CliRunner()


def test_ingest_seeds_then_again_changes_nothing(runner: CliRunner) -> None:
    first = runner.invoke(cli, ["ingest", str(SEEDS), "--captured-at", CAPTURED, "--per-file"])
    assert first.exit_code == 0, first.output
    assert "000_3642c77eb3872996.txt: 8 new, 0 known, 0 updated" in first.output
    assert first.output.splitlines()[-1] == (
        "2 files: 16 new, 0 already known, 0 updated, 0 failed"
    )
    again = runner.invoke(cli, ["ingest", str(SEEDS), "--captured-at", CAPTURED])
    assert again.output.strip() == "2 files: 0 new, 16 already known, 0 updated, 0 failed"


def test_default_sources_are_the_seeds(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["ingest", "--captured-at", CAPTURED])
    assert result.exit_code == 0, result.output
    assert "16 new" in result.output


def test_briefs_json_has_parse_keys_plus_story_fields(runner: CliRunner) -> None:
    runner.invoke(cli, ["ingest", str(SEEDS), "--captured-at", CAPTURED])
    result = runner.invoke(cli, ["briefs", "--json"])
    stories = json.loads(result.output)
    assert len(stories) == 16
    keys = {
        "id",
        "kind",
        "title",
        "dateline",
        "agencies",
        "text",
        "published_at",
        "section",
        "regions",
        "countries",
        "source",
        "first_seen",
        "last_seen",
    }
    assert all(keys <= set(s) for s in stories)
    dated = [s["published_at"] for s in stories if s["published_at"]]
    assert dated == sorted(dated, reverse=True)
    groenland = runner.invoke(cli, ["briefs", "--json", "--region", "groenland"])
    assert len(json.loads(groenland.output)) == 4


def test_briefs_texts_start_in_one_column(runner: CliRunner) -> None:
    """Found by a tester: a story with a region tag had its text further right."""
    runner.invoke(cli, ["ingest", str(SEEDS), "--captured-at", CAPTURED])
    lines = runner.invoke(cli, ["briefs"]).output.splitlines()
    stories = {
        s["id"]: s["text"][:60] for s in json.loads(runner.invoke(cli, ["briefs", "--json"]).output)
    }
    starts = {line.index(stories[line.split()[0]]) for line in lines}
    assert len(lines) == 16 and len(starts) == 1, lines
    assert any("[groenland]" in line for line in lines)


def test_briefs_since_filters(runner: CliRunner) -> None:
    runner.invoke(cli, ["ingest", str(SEEDS), "--captured-at", CAPTURED])
    result = runner.invoke(cli, ["briefs", "--json", "--since", "2026-01-21T09:30:00+01:00"])
    datelines = [s["dateline"] for s in json.loads(result.output) if s["kind"] == "brief"]
    assert datelines == ["BRUSSEL", "WASHINGTON", "JERUZALEM"]  # 15, 21, 23 minutes old


def test_unknown_region_is_one_clear_error(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["briefs", "--region", "atlantis"])
    assert result.exit_code == 2  # a usage error naming the valid choices
    choices = "choose from: groenland, iran, venezuela"
    assert f"Invalid value for --region: no region 'atlantis'; {choices}" in result.output


def test_mixed_folder_names_each_bad_file_and_ingests_the_good(
    runner: CliRunner, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SEEDS / "000_3642c77eb3872996.txt", folder / "a_good.txt")
    (folder / "b_empty.txt").write_bytes(b"")
    (folder / "c_binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    (folder / "d_latin1.txt").write_bytes(GOOD.replace("Iran", "Irán").encode("cp1252"))
    other = "NUUK (ANP) - Groenland kiest op dinsdag een nieuw parlement.\n2 uur geleden\n"
    (folder / "e_page.html").write_text(f"<!doctype html><html><body><p>{other}</p></body></html>")
    missing = tmp_path / "missing.txt"
    result = runner.invoke(
        cli, ["ingest", str(folder), str(missing), "--captured-at", CAPTURED, "--per-file"]
    )
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("digest: error:")]
    assert [e.split(": ")[2].rsplit("/", 1)[-1] for e in errors] == [
        "b_empty.txt",
        "c_binary.txt",
        "missing.txt",
    ]
    assert "d_latin1.txt: not UTF-8; decoded as Windows-1252" in result.stderr
    assert "e_page.html: HTML page; using its visible text" in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout.splitlines()[-1] == "6 files: 10 new, 0 already known, 0 updated, 3 failed"


def test_strict_turns_warnings_into_failure(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "old.txt"
    path.write_bytes(GOOD.replace("Iran", "Irán").encode("cp1252"))
    assert runner.invoke(cli, ["ingest", str(path)]).exit_code == 0
    path2 = tmp_path / "old2.txt"
    path2.write_bytes(GOOD.replace("Iran", "Iraan").encode("cp1252") + b"\xe9")
    result = runner.invoke(cli, ["ingest", "--strict", str(path2)])
    assert result.exit_code == 1
    assert "warning" in result.stderr


def test_every_command_has_help(runner: CliRunner) -> None:
    names = cli.list_commands(click.Context(cli))
    assert {"ingest", "briefs", "build", "send", "run", "init"} <= set(names)
    for name in names:
        command = cli.get_command(click.Context(cli), name)
        assert command is not None and command.help, f"digest {name} has no help text"
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, name


def test_changed_regions_reclassify_stored_stories(runner: CliRunner, tmp_path: Path) -> None:
    config_dir = tmp_path / "config"
    shutil.copytree(ROOT / "config", config_dir)
    config = str(config_dir / "digest.toml")
    first = runner.invoke(
        cli, ["--config", config, "ingest", str(SEEDS), "--captured-at", CAPTURED]
    )
    assert first.exit_code == 0, first.output
    regions = config_dir / "regions.toml"
    regions.write_text(
        regions.read_text()
        + '\n[[regions]]\nid = "rusland"\nname = "Rusland"\ncountries = ["RU"]\n'
    )
    result = runner.invoke(cli, ["--config", config, "classify"])
    assert result.output.strip() == "16 stories re-classified"
    assert runner.invoke(cli, ["--config", config, "classify"]).output.strip() == (
        "0 stories re-classified"
    )
    listed = runner.invoke(cli, ["--config", config, "briefs", "--json", "--region", "rusland"])
    assert [s["dateline"] for s in json.loads(listed.output)] == ["KOERSK", "MOSKOU"]


@pytest.mark.timeout(30)
def test_a_fifo_and_an_odd_file_name_are_named_and_the_good_files_stored(
    runner: CliRunner, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    odd = os.fsdecode(bytes(folder) + b"/bericht-\xff.txt")
    Path(odd).write_text(GOOD, encoding="utf-8")
    other = "NUUK (ANP) - Groenland kiest een nieuw parlement.\n20 minuten geleden\n"
    (folder / "b.txt").write_text(other, encoding="utf-8")
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    result = runner.invoke(
        cli, ["ingest", str(folder), str(fifo), "--captured-at", CAPTURED, "--per-file"]
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "pipe.txt: is not a regular file" in result.output
    assert "in/bericht-\\xff.txt: " in result.output
    briefs = json.loads(runner.invoke(cli, ["briefs", "--json"]).output)
    assert sorted(b["source"].rsplit("/", 1)[-1] for b in briefs) == ["b.txt", "bericht-\\xff.txt"]


def test_a_parser_failure_loses_that_file_only(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from digest.ingest import pages

    real = pages.parse_snapshot  # type: ignore[attr-defined]  # patched where it is used

    def fragile(text: str, *args: object) -> object:
        if "Iran" in text:
            raise OverflowError("date value out of range")
        return real(text, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(pages, "parse_snapshot", fragile)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(GOOD, encoding="utf-8")
    (folder / "b.txt").write_text(
        "NUUK (ANP) - Groenland kiest een nieuw parlement.\n20 minuten geleden\n", encoding="utf-8"
    )
    result = runner.invoke(cli, ["ingest", str(folder), "--captured-at", CAPTURED])
    assert result.exit_code == 1
    assert "a.txt: cannot be parsed (OverflowError: date value out of range)" in result.output
    assert result.output.splitlines()[-1].startswith("2 files: 1 new")
