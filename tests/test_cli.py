"""The command line as an operator meets it: every command checks the whole
configuration before it does anything, and every failure is one line."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest

from digest.cli import cli, main
from digest.commands import REGISTRY, load_command
from digest.config import PROJECT_ROOT

SECRET = "cli-tests-secret-key-0123456789"
REGIONS = (PROJECT_ROOT / "config" / "regions.toml").read_text(encoding="utf-8")
SEEDS = PROJECT_ROOT / "seeds"
# What must never reach an operator: a library's wording, regexes or class names.
LIBRARY_WORDS = ("pattern", "Input should", "problem(s)", "instance of", "Traceback", "pydantic")


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return str(value)


def toml(data: dict[str, Any]) -> str:
    """Enough of a TOML writer for these configs: tables, arrays of tables, values."""
    lines: list[str] = []

    def table(prefix: str, body: dict[str, Any]) -> None:
        lines.extend(f"{k} = {toml_value(v)}" for k, v in body.items() if not _is_table(v))
        for key, value in body.items():
            if isinstance(value, dict):
                lines.append(f"[{prefix}{key}]")
                table(f"{prefix}{key}.", value)
            elif _is_table(value):
                for entry in value:
                    lines.append(f"[[{prefix}{key}]]")
                    table(f"{prefix}{key}.", entry)

    table("", data)
    return "\n".join(lines) + "\n"


def _is_table(value: Any) -> bool:
    return isinstance(value, dict) or (
        isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)
    )


def good_config() -> dict[str, Any]:
    return {
        "site": {"base_url": "https://digest.example.org", "timezone": "Europe/Amsterdam"},
        "storage": {"url": "sqlite:///var/digest.db"},
        "sources": [{"name": "seeds", "path": str(SEEDS), "every": "15m"}],
        "editions": [{"name": "ochtend", "title": "Ochtendeditie", "cron": "0 7 * * *"}],
        "delivery": {"backend": "outbox", "from": "Digest <digest@example.org>"},
        "archive": {"dir": "var/archive", "base_url": "https://digest.example.org/archief"},
    }


def write_site(root: Path, changes: dict[str, Any], regions: str = REGIONS) -> Path:
    """A site in ``root``: ``changes`` are dotted keys set on the good config."""
    data = good_config()
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        node: Any = data
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[last] = value
    (root / "digest.toml").write_text(toml(data), encoding="utf-8")
    (root / "regions.toml").write_text(regions, encoding="utf-8")
    return root / "digest.toml"


def bad_regions(old: str, new: str) -> str:
    assert old in REGIONS
    return REGIONS.replace(old, new, 1)


# (changes to digest.toml, regions.toml text, the keys each reported line must name)
BAD_CONFIGS: dict[str, tuple[dict[str, Any], str, list[str]]] = {
    "hour 25": ({"editions.0.cron": "0 25 * * *"}, REGIONS, ["editions[0].cron"]),
    "cron that never fires": ({"editions.0.cron": "0 7 31 2 *"}, REGIONS, ["editions[0].cron"]),
    "four-field cron": ({"editions.0.cron": "0 7 * *"}, REGIONS, ["editions[0].cron"]),
    "three bad values": (
        {"site.timezone": "Mars/Olympus", "delivery.backend": "pigeon", "sources.0.every": "0m"},
        REGIONS,
        ["site.timezone", "sources[0].every", "delivery.backend"],
    ),
    "no edition": ({"editions": []}, REGIONS, ["editions"]),
    "from not an address": ({"delivery.from": "not an address"}, REGIONS, ["delivery.from"]),
    "bad reply_to": ({"delivery.reply_to": "redactie@"}, REGIONS, ["delivery.reply_to"]),
    "site url no scheme": ({"site.base_url": "digest.example.org"}, REGIONS, ["site.base_url"]),
    "archive url not http": ({"archive.base_url": "ftp://x.org/a"}, REGIONS, ["archive.base_url"]),
    "source every 0m": ({"sources.0.every": "0m"}, REGIONS, ["sources[0].every"]),
    "window not a duration": ({"editions.0.window": "een dag"}, REGIONS, ["editions[0].window"]),
    "misfire 0s": ({"schedule": {"misfire_grace": "0s"}}, REGIONS, ["schedule.misfire_grace"]),
    "unknown time zone": ({"site.timezone": "Europe/Amsterdm"}, REGIONS, ["site.timezone"]),
    "misspelt key": ({"site.titel": "Digest"}, REGIONS, ["site.titel"]),
    "edition name with capitals": ({"editions.0.name": "Ochtend"}, REGIONS, ["editions[0].name"]),
    "number as text": ({"archive.per_page": "twenty"}, REGIONS, ["archive.per_page"]),
    "bad country code": (
        {},
        bad_regions('countries = ["GL"]', 'countries = ["XG"]'),
        ["regions[0].countries"],
    ),
    "duplicate region id": (
        {},
        bad_regions('id = "iran"', 'id = "groenland"'),
        ["regions[1].id"],
    ),
    "both files bad": (
        {"editions.0.cron": "0 25 * * *"},
        bad_regions('countries = ["GL"]', 'countries = ["XG"]'),
        ["editions[0].cron", "regions[0].countries"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_CONFIGS))
def test_a_bad_config_is_reported_whole_and_nothing_is_written(
    case: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    changes, regions, keys = BAD_CONFIGS[case]
    config = write_site(tmp_path, changes, regions)
    monkeypatch.setenv("DIGEST_SECRET_KEY", SECRET)
    monkeypatch.delenv("DIGEST_DATABASE_URL", raising=False)
    assert main(["--config", str(config), "run"]) == 1
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == len(keys), captured.err
    for line, key in zip(lines, keys, strict=True):
        file = tmp_path / ("regions.toml" if key.startswith("regions") else "digest.toml")
        assert line.startswith(f"digest: error: {file}: Config value '{key}': "), line
        assert not any(word in line for word in LIBRARY_WORDS), line
        assert re.search(r"\b(write|use|add|give|check)\b", line), f"no advice: {line}"
    assert captured.out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["digest.toml", "regions.toml"]


def test_a_missing_regions_file_is_reported_beside_the_settings_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by a tester: with a bad time zone as well, the missing regions file
    was reported only once the time zone was fixed."""
    config = write_site(tmp_path, {"site.timezone": "Mars/Olympus", "site.regions": "nope.toml"})
    monkeypatch.setenv("DIGEST_SECRET_KEY", SECRET)
    assert main(["--config", str(config), "briefs"]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2, lines
    assert "Config value 'site.timezone'" in lines[0]
    assert lines[1] == (
        f"digest: error: {tmp_path / 'nope.toml'}: file not found; "
        "create it or point [site] regions at another file"
    )


def test_a_regions_file_beside_a_symlinked_site_is_found_as_the_config_finds_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A deploy layout: site/ is a link into releases/1/, the regions file sits
    beside site/ ("../regions.toml", ".." taken from the link's own path, as
    Config.resolve does). Found by a reviewer: only the settings' problem is real."""
    (tmp_path / "releases" / "1").mkdir(parents=True)
    config = write_site(
        tmp_path / "releases" / "1",
        {"site.timezone": "Mars/Olympus", "site.regions": "../regions.toml"},
    )
    (tmp_path / "regions.toml").write_text(REGIONS, encoding="utf-8")
    (tmp_path / "site").symlink_to(config.parent)
    monkeypatch.setenv("DIGEST_SECRET_KEY", SECRET)
    assert main(["--config", str(tmp_path / "site" / "digest.toml"), "briefs"]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and "Config value 'site.timezone'" in lines[0], lines


def test_a_regions_path_with_a_nul_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_site(tmp_path, {"site.timezone": "Mars/Olympus", "site.regions": "a-b"})
    text = config.read_text(encoding="utf-8")  # TOML's own escape: the file holds no NUL
    config.write_text(text.replace('"a-b"', '"a\\u0000b"'), encoding="utf-8")
    monkeypatch.setenv("DIGEST_SECRET_KEY", SECRET)
    assert main(["--config", str(config), "briefs"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.splitlines()) == 2, err
    assert "cannot be read" in err.splitlines()[1]


SITE_COMMANDS = sorted(set(REGISTRY) - {"init"})


@pytest.mark.parametrize("command", SITE_COMMANDS)
def test_every_command_checks_both_files_before_doing_anything(
    command: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    changes, regions, keys = BAD_CONFIGS["both files bad"]
    config = write_site(tmp_path, changes, regions)
    monkeypatch.setenv("DIGEST_SECRET_KEY", SECRET)
    args = {"parse": [str(SEEDS)], "explain": [str(SEEDS / "000_3642c77eb3872996.txt")]}
    args["subscribers"] = ["list"]
    args["editions"] = ["list"]
    args["consent"] = ["verify"]
    assert main(["--config", str(config), command, *args.get(command, [])]) == 1
    assert len(capsys.readouterr().err.splitlines()) == len(keys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["digest.toml", "regions.toml"]


def test_help_needs_no_valid_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_site(tmp_path, {"editions": []})
    assert main(["--config", str(config), "run", "--help"]) == 0
    assert "Usage: digest run" in capsys.readouterr().out


# --- secrets ----------------------------------------------------------------------------

SIGNING_COMMANDS = [["run"], ["schedule"], ["send"], ["serve", "--port", "8999"]]


@pytest.mark.parametrize("args", SIGNING_COMMANDS, ids=lambda a: a[0])
def test_commands_that_send_or_sign_refuse_to_start_without_the_key(
    args: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Nothing is due at this hour-less moment, which is when run and schedule
    # used to start and exit 0 without the key.
    config = write_site(tmp_path, {"editions.0.cron": "0 7 1 1 *"})
    monkeypatch.delenv("DIGEST_SECRET_KEY", raising=False)
    assert main(["--config", str(config), *args]) == 1
    err = capsys.readouterr().err
    assert err.startswith("digest: error: DIGEST_SECRET_KEY is not set"), err
    assert len(err.splitlines()) == 1
    assert not (tmp_path / "var").exists()


@pytest.mark.parametrize(
    ("delivery", "variable"),
    [
        ({"backend": "sendgrid"}, "SENDGRID_API_KEY"),
        ({"backend": "smtp", "smtp": {"username": "digest"}}, "DIGEST_SMTP_PASSWORD"),
    ],
    ids=["sendgrid", "smtp"],
)
@pytest.mark.parametrize("command", ["run", "send", "schedule"])
def test_a_missing_delivery_secret_stops_sending_commands_before_any_work(
    delivery: dict[str, Any],
    variable: str,
    command: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Before, `digest run` built, recorded and published the edition, then failed
    # to deliver it.
    changes = {f"delivery.{key}": value for key, value in delivery.items()}
    config = write_site(tmp_path, changes)
    monkeypatch.setenv("DIGEST_SECRET_KEY", SECRET)
    for name in ("SENDGRID_API_KEY", "DIGEST_SMTP_PASSWORD", "DIGEST_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    assert main(["--config", str(config), command]) == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and f"{variable} is not set" in err, err
    assert not (tmp_path / "var").exists()


# --- one-line errors --------------------------------------------------------------------


def test_bad_arguments_are_usage_errors_with_the_choices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(write_site(tmp_path, {}))
    monkeypatch.setenv("DIGEST_SECRET_KEY", SECRET)
    for args, expected in [
        (["build", "avond"], "Invalid value for EDITION: no edition 'avond'; choose from: ochtend"),
        (["run", "avond"], "Invalid value for EDITION: no edition 'avond'; choose from: ochtend"),
        (["send", "avond"], "Invalid value for EDITION: no edition 'avond'; choose from: ochtend"),
        (
            ["briefs", "--region", "oekraine"],
            "Invalid value for --region: no region 'oekraine'; "
            "choose from: groenland, iran, venezuela",
        ),
    ]:
        assert main(["--config", config, *args]) == 2, args
        err = capsys.readouterr().err
        assert err.splitlines()[-1] == f"Error: {expected}", err
        assert "configuration" not in err


def test_an_unreachable_database_is_one_line_without_its_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(write_site(tmp_path, {}))
    for url in (
        "postgresql+psycopg://digest:hunter2secret@127.0.0.1:1/digest",
        "postgresql+psycopg//digest:hunter2secret@127.0.0.1:1/digest",  # mistyped
        "postgres+psycopg://digest:hunter2secret@127.0.0.1:1/digest",  # no such driver
    ):
        monkeypatch.setenv("DIGEST_DATABASE_URL", url)
        assert main(["--config", config, "briefs"]) == 1
        err = capsys.readouterr().err
        assert len(err.splitlines()) == 1, err
        assert err.startswith("digest: error: "), err
        assert "hunter2secret" not in err and "Background on this error" not in err


def damage(database: Path) -> None:
    """Overwrite pages in the middle of a SQLite file, keeping its header."""
    with sqlite3.connect(database) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = database.stat().st_size
    with database.open("r+b") as handle:
        for offset in range(8192, size, 4096):  # every page but the first two
            handle.seek(offset + 100)
            handle.write(bytes(range(256)) * 8)


@pytest.mark.parametrize(
    "args",
    [["briefs"], ["build"], ["ingest"], ["classify"], ["run"]],
    ids=lambda a: "-".join(a),
)
def test_a_damaged_database_is_one_line_in_every_command(
    args: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = str(write_site(tmp_path, {}))
    monkeypatch.setenv("DIGEST_SECRET_KEY", SECRET)
    monkeypatch.delenv("DIGEST_DATABASE_URL", raising=False)
    assert main(["--config", config, "ingest", "--captured-at", "2026-01-21T06:00+01:00"]) == 0
    damage(tmp_path / "var" / "digest.db")
    capsys.readouterr()
    main(["--config", config, *args, *(["--at", "2026-01-21T07:00+01:00"] * (args == ["run"]))])
    err = [line for line in capsys.readouterr().err.splitlines() if "error" in line.lower()]
    assert err, "a damaged database went unnoticed"
    assert all(line.startswith("digest: error: ") for line in err), err
    assert any("damaged" in line and "backup" in line for line in err), err


@pytest.mark.parametrize(
    ("changes", "args"),
    [
        ({"storage.url": "sqlite:///blocker/digest.db"}, ["briefs"]),
        ({"archive.dir": "blocker/archive"}, ["publish"]),
        ({"delivery.outbox": {"dir": "blocker/outbox"}}, ["send"]),
    ],
    ids=["database", "archive", "outbox"],
)
def test_a_folder_that_cannot_be_made_is_one_line(
    changes: dict[str, Any],
    args: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "blocker").write_text("a file where a folder should be\n", encoding="utf-8")
    config = str(write_site(tmp_path, changes))
    monkeypatch.setenv("DIGEST_SECRET_KEY", SECRET)
    monkeypatch.delenv("DIGEST_DATABASE_URL", raising=False)
    if args == ["send"]:
        assert main(["--config", config, "subscribers", "add", "a@example.org", "--active"]) == 0
        # (its files not beside the blocked outbox, where they go by default)
        build = ["build", "--at", "2026-01-21T07:00+01:00", "--out", str(tmp_path / "built")]
        assert main(["--config", config, "ingest", "--captured-at", "2026-01-21T06:00+01:00"]) == 0
        assert main(["--config", config, *build]) == 0
        capsys.readouterr()
    assert main(["--config", config, *args]) == 1
    err = capsys.readouterr().err
    assert err.startswith("digest: error: ") and "blocker" in err, err
    assert "Traceback" not in err


# --- the command registry ---------------------------------------------------------------


def test_the_listed_summaries_are_each_commands_own() -> None:
    for name, (_, _, summary) in REGISTRY.items():
        command = load_command(name)
        assert command.name == name
        first = " ".join((command.help or "").split("\n\n")[0].split())
        assert summary == first, name


def test_group_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in REGISTRY:
        assert re.search(rf"^  {name}\s", out, re.M), name
    assert set(cli.list_commands(click.Context(cli))) == set(REGISTRY)


def test_a_summary_that_lists_a_groups_commands_lists_them_all() -> None:
    """``digest subscribers`` said "add, import, list, editions, consent, remove,
    export": not ``prune`` (found by a tester)."""
    for name, (_, _, summary) in REGISTRY.items():
        command = load_command(name)
        if not isinstance(command, click.Group):
            continue
        words = set(re.findall(r"\w+", summary))
        names = set(command.list_commands(click.Context(command)))
        if len(names & words) >= 2:  # the summary lists the group's commands
            assert names <= words, (name, names - words)


# --- a fast command line: what --help imports (the bench measures the time) -------------

HEAVY = ("sqlalchemy", "alembic", "pydantic", "jinja2", "apscheduler", "babel", "email_validator")


def _modules_after(*args: str) -> set[str]:
    probe = (
        "import sys\n"
        "from digest.cli import main\n"
        f"code = main({list(args)!r})\n"
        "print(' '.join(sorted(sys.modules)))\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(done.stdout.split("\n")[-2].split())


@pytest.mark.parametrize("args", [["--help"], *([name, "--help"] for name in sorted(REGISTRY))])
def test_help_imports_no_stage_and_no_heavy_library(args: list[str]) -> None:
    loaded = _modules_after(*args)
    assert not [m for m in loaded if m.split(".")[0] in HEAVY], args
    stages = {"ingest", "classify", "store", "edition", "render", "deliver", "publish"}
    assert not [m for m in loaded if m.split(".")[:2][-1] in stages and m.startswith("digest.")]


def test_the_commands_package_imports_on_its_own() -> None:
    for module in ("digest.commands", "digest.commands.app", "digest.commands.run"):
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
