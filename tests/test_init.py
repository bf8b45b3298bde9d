"""``digest init``: a starter site that every other command accepts as it is."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from digest.cli import main
from digest.commands.init import starter_files
from digest.config import load_config

ROOT = Path(__file__).resolve().parent.parent


def test_init_writes_a_site_that_loads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "krant"
    assert main(["init", str(site)]) == 0
    out = capsys.readouterr().out
    assert f"wrote {site / 'digest.toml'}" in out and "2 sample snapshots" in out
    assert "DIGEST_SECRET_KEY" in out
    assert sorted(p.name for p in (site / "seeds").iterdir()) == sorted(
        p.name for p in (ROOT / "seeds").glob("*.txt")
    )
    config = load_config(site / "digest.toml")
    assert config.resolve(config.sources[0].path or Path()) == site / "seeds"
    assert config.database_url == f"sqlite:///{site / 'var' / 'digest.db'}"
    assert main(["--config", str(site / "digest.toml"), "briefs"]) == 0  # both files check out


def test_the_starter_config_is_commented_and_names_every_table() -> None:
    text = (starter_files()["digest.toml"]).read_text(encoding="utf-8")
    tables = set(tomllib.loads(text))
    assert {"site", "storage", "sources", "editions", "delivery", "archive"} <= tables
    assert text.count("#") > 30
    assert "DIGEST_SECRET_KEY" in text


def test_init_never_overwrites_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "digest.toml").write_text("# mine\n", encoding="utf-8")
    assert main(["init", str(tmp_path)]) == 2
    assert "already exists; pass --force" in capsys.readouterr().err
    assert (tmp_path / "digest.toml").read_text(encoding="utf-8") == "# mine\n"
    assert not (tmp_path / "regions.toml").exists()
    assert main(["init", str(tmp_path), "--force"]) == 0
    assert (tmp_path / "digest.toml").read_text(encoding="utf-8") != "# mine\n"


def test_a_site_in_the_current_folder_is_found_without_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DIGEST_CONFIG", raising=False)
    assert main(["init"]) == 0
    (tmp_path / "digest.toml").write_text(
        (tmp_path / "digest.toml")
        .read_text(encoding="utf-8")
        .replace('title = "Digest"', 'title = "De Krant"'),
        encoding="utf-8",
    )
    assert load_config().site.title == "De Krant"


def test_a_new_sites_builds_and_previews_stay_in_its_own_var(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by a tester with the wheel: `digest build` and `digest preview` wrote
    to var/ in the folder above the site (a default of ../var, the checkout's)."""
    site = tmp_path / "krant"
    assert main(["init", str(site)]) == 0
    monkeypatch.setenv("DIGEST_SECRET_KEY", "a-test-key-that-is-long-enough-0123456789")
    config = ["--config", str(site / "digest.toml")]
    at = ["--at", "2026-01-21T07:05+01:00"]
    assert main([*config, "ingest", "--captured-at", "2026-01-21T07:00+01:00"]) == 0
    assert main([*config, "build", *at]) == 0
    assert main([*config, "preview", *at]) == 0
    # --at 07:05 names the 07:00 edition, as build took it (it wanted 07:00 exactly)
    capsys.readouterr()
    assert main([*config, "send", "--status", *at]) == 0
    assert "ochtend-2026-01-21T0700: 0 subscribers in the ledger" in capsys.readouterr().out
    # a new site has no readers: the send says how to add them (it said only "0 sent")
    assert main([*config, "send", *at]) == 0
    assert "no active subscriber gets this edition: add readers with" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["krant"]  # nothing beside the site
    assert {p.suffix for p in (site / "var" / "editions").iterdir()} == {".html", ".txt", ".md"}
    assert any((site / "var" / "preview").glob("*.html"))
