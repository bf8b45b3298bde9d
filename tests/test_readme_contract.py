"""The README's promises, used as a user would: every documented command and option
exists, and every documented JSON key is there (and filled) in the real output.

Read from the README itself, so a command, option or key that drifts from what the
README says fails here (``digest parse --json`` once printed ``"regions": []`` for
every item while the README promised them filled).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
SEEDS = sorted(str(path) for path in (ROOT / "seeds").glob("*.txt"))
CAPTURED = "2026-01-20T14:00:00+01:00"
ROW = re.compile(r"^\| `digest (?P<name>[a-z]+)(?P<usage>[^`]*)` \|", re.MULTILINE)


def section(title: str) -> str:
    """The README text from the heading ``title`` to the next heading of any level."""
    start = README.index(title)
    rest = README[start + len(title) :]
    found = re.search(r"^#{2,3} ", rest, re.MULTILINE)
    return rest[: found.start()] if found else rest


def documented_commands() -> list[tuple[str, list[str], list[str]]]:
    """(command, its subcommands, its options) for each row of the commands table."""
    rows = []
    for match in ROW.finditer(section("## Commands")):
        usage = match.group("usage").replace("\\|", "|")
        words = usage.split()
        subcommands = words[0].split("|") if words and "|" in words[0] else []
        options = re.findall(r"--[a-z][a-z-]*", usage)
        rows.append((match.group("name"), subcommands, options))
    return rows


def keys_in_table(text: str) -> list[str]:
    return re.findall(r"^\| `([a-z_]+)` \|", text, re.MULTILINE)


def invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, f"digest {' '.join(args)}: {result.output}"
    return result.stdout


def test_the_readme_documents_the_commands() -> None:
    names = [name for name, _, _ in documented_commands()]
    assert {"parse", "ingest", "briefs", "build", "send", "run", "serve"} <= set(names)


@pytest.mark.parametrize(
    ("name", "subcommands", "options"), documented_commands(), ids=lambda v: str(v)
)
def test_every_documented_command_and_option_exists(
    name: str, subcommands: list[str], options: list[str]
) -> None:
    shown = invoke(name, "--help")
    for option in options:
        assert option in shown, f"README documents `digest {name} {option}`; --help lacks it"
    for sub in subcommands:
        invoke(name, sub, "--help")
    assert "--config" in invoke("--help")  # every command takes --config (a group option)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A site with the default regions and a store of its own."""
    config = tmp_path / "digest.toml"
    config.write_text(
        f'[site]\nregions = "{ROOT / "config" / "regions.toml"}"\n'
        f'[storage]\nurl = "sqlite:///{tmp_path / "digest.db"}"\n'
        '[[editions]]\nname = "ochtend"\ntitle = "Ochtendeditie"\ncron = "0 7 * * *"\n'
        'window = "24h"\n',
        encoding="utf-8",
    )
    return config


def test_parse_json_has_every_documented_key_filled_as_documented(site: Path) -> None:
    keys = keys_in_table(section("### `digest parse --json`"))
    assert {"regions", "countries", "published_at"} <= set(keys)
    items = json.loads(
        invoke("--config", str(site), "parse", *SEEDS, "--captured-at", CAPTURED, "--json")
    )
    for item in items:
        assert set(keys) <= set(item), set(keys) - set(item)
    assert any(item["regions"] for item in items), "README: regions of the configured regions"
    assert all(item["countries"] for item in items if item["regions"])
    assert {item["source"] for item in items} == set(SEEDS)


def test_briefs_and_build_json_have_the_documented_keys(site: Path) -> None:
    words = section("### `digest parse --json`")
    parse_keys = set(keys_in_table(words))
    story_extra = re.search(r"same keys per story plus (.*?)\.", words, re.DOTALL)
    assert story_extra is not None
    extra = set(re.findall(r"`([a-z_]+)`", story_extra.group(1)))
    invoke("--config", str(site), "ingest", *SEEDS, "--captured-at", CAPTURED)
    stories = json.loads(invoke("--config", str(site), "briefs", "--json"))
    assert stories, "ingested stories are listed"
    for story in stories:
        assert parse_keys | extra <= set(story), (parse_keys | extra) - set(story)
    built = re.search(r"`digest build --json` prints the\s+edition: (.*?)\.", words, re.DOTALL)
    assert built is not None
    edition_keys = set(re.findall(r"`([a-z_]+)`", built.group(1)))
    edition = json.loads(
        invoke(
            "--config",
            str(site),
            "build",
            "--at",
            "2026-01-20T14:05+01:00",
            "--out",
            str(site.parent / "out"),
            "--json",
        )
    )
    assert edition_keys <= set(edition), edition_keys - set(edition)
    assert set(edition["window"]) == {"start", "end"}
    brief = edition["sections"][0]["briefs"][0]
    assert {"story_id", "dateline", "text", "published_at", "band"} <= set(brief)
    assert {"region_id", "title", "briefs"} <= set(edition["sections"][0])
