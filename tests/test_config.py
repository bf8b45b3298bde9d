from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from digest.config import DEFAULT_CONFIG, config_from_dict, load_config, parse_duration
from digest.errors import ConfigError


def test_shipped_config_loads_with_paths_relative_to_it() -> None:
    config = load_config(DEFAULT_CONFIG)
    assert [e.name for e in config.editions] == ["ochtend"]
    assert config.resolve(Path("../seeds")) == DEFAULT_CONFIG.parent.parent / "seeds"
    assert config.database_url == f"sqlite:///{DEFAULT_CONFIG.parent.parent / 'var/digest.db'}"


def test_environment_overrides_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGEST_DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert load_config(DEFAULT_CONFIG).database_url == "postgresql+psycopg://u@h/db"


def test_config_env_var_picks_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "digest.toml"
    path.write_text('[site]\ntitle = "Elders"\n')
    monkeypatch.setenv("DIGEST_CONFIG", str(path))
    assert load_config().site.title == "Elders"


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    data = {
        "site": {"timezone": "Mars/Olympus", "colour": "blue"},
        "delivery": {"backend": "pigeon"},
        "sources": [{"name": "x"}],
        "editions": [{"name": "Ochtend!", "title": "t", "cron": "7 uur"}],
    }
    with pytest.raises(ConfigError) as info:
        config_from_dict(data, tmp_path / "digest.toml")
    problems = info.value.problems
    text = "\n".join(problems)
    assert "Config value 'site.timezone': unknown time zone 'Mars/Olympus'" in text
    assert "Config value 'site.colour': unknown key" in text
    assert "Config value 'delivery.backend'" in text
    assert "Config value 'sources[0]': give exactly one of 'path' or 'url'" in text
    assert "Config value 'editions[0].name'" in text
    assert "Config value 'editions[0].cron': '7 uur' is not a valid cron expression" in text
    assert len(problems) == 6
    assert str(tmp_path / "digest.toml") in str(info.value)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # a near miss is named, in a table, a list's table and under an alias
        ({"site": {"lcoale": "nl"}}, "'site.lcoale': unknown key; write 'locale' if you meant"),
        (
            {"editions": [{"name": "a", "title": "A", "cron": "0 7 * * *", "mni_briefs": 1}]},
            "'editions[0].mni_briefs': unknown key; write 'min_briefs' if you meant",
        ),
        ({"delivery": {"frmo": "a@example.org"}}, "'delivery.frmo': unknown key; write 'from'"),
        ({"deliveyr": {}}, "'deliveyr': unknown key; write 'delivery' if you meant"),
        ({"site": {"zzzz": 1}}, "'site.zzzz': unknown key; check the spelling against the README"),
        # the value out of range is quoted
        (
            {"editions": [{"name": "a", "title": "A", "cron": "0 7 * * *", "min_briefs": -3}]},
            "'editions[0].min_briefs': -3 is too small; write 0 or more",
        ),
        # an absurd page size (a tester's pass: accepted, one page of everything)
        (
            {"archive": {"per_page": 100000000000000000000}},
            "'archive.per_page': 100000000000000000000 is too large; write 1000 or less",
        ),
        # a list of values and a list of tables are written differently
        (
            {"archive": {"topics": "x"}},
            """'archive.topics': must be a list; write a list in brackets, e.g. ["..."]""",
        ),
        ({"editions": "x"}, "'editions': must be a list; write [[editions]] tables"),
        # a source's path is a key like any other (only the config's own is not)
        ({"sources": [{"name": "s", "paht": "x"}]}, "'sources[0].paht': unknown key; write 'path'"),
        # a value as the file wrote it, and braces in it are only text
        ({"delivery": {"smtp": {"port": False}}}, "'delivery.smtp.port': false is too small"),
        ({"site": {"timezone": "{oops}"}}, "'site.timezone': unknown time zone '{oops}'"),
        ({"site": {"timezone": "Mars/{0}"}}, "'site.timezone': unknown time zone 'Mars/{0}'"),
    ],
)
def test_config_messages_name_the_value_and_the_likely_key(
    data: dict[str, object], expected: str, tmp_path: Path
) -> None:
    """Found by a tester: -3 was not quoted, 'lcoale' got no suggestion, and a
    list of keywords was told to be written as [[topics]] tables."""
    with pytest.raises(ConfigError) as info:
        config_from_dict(data, tmp_path / "digest.toml")
    assert any(p.startswith(f"Config value {expected}") for p in info.value.problems), (
        info.value.problems
    )


def test_missing_and_broken_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[site\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(broken)


def test_duplicate_edition_names_are_refused(tmp_path: Path) -> None:
    editions = [{"name": "ochtend", "title": "a"}, {"name": "ochtend", "title": "b"}]
    with pytest.raises(ConfigError, match="repeated: ochtend"):
        config_from_dict({"editions": editions}, tmp_path / "d.toml")


def test_unknown_edition_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="no edition 'middag'; known: ochtend"):
        load_config(DEFAULT_CONFIG).edition("middag")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15m", timedelta(minutes=15)),
        ("24h", timedelta(hours=24)),
        ("2d", timedelta(days=2)),
        ("1w", timedelta(weeks=1)),
        ("30s", timedelta(seconds=30)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


def test_bad_duration_says_how_to_write_one() -> None:
    with pytest.raises(ValueError, match=r"write e\.g\. '15m'"):
        parse_duration("een kwartier")


def test_an_installed_digest_without_a_site_says_to_run_init(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import digest.config

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DIGEST_CONFIG", raising=False)
    monkeypatch.setattr(digest.config, "in_checkout", lambda: False)
    with pytest.raises(ConfigError, match="run `digest init` to write one"):
        load_config()


def test_in_a_checkout_the_default_is_its_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DIGEST_CONFIG", raising=False)
    assert load_config().path == DEFAULT_CONFIG
    assert DEFAULT_CONFIG.parent.name == "config" and not DEFAULT_CONFIG.is_symlink()


def test_archive_topics_locale_and_alternates(tmp_path: Path) -> None:
    archive = {"topics": ["stikstof", " Mark  Rutte "], "locale": "en",
               "alternates": {"nl": "https://example.org/archief"}}  # fmt: skip
    config = config_from_dict({"archive": archive}, tmp_path / "digest.toml")
    assert config.archive.topics == ["stikstof", "Mark Rutte"]
    assert config.archive.locale == "en" and config.archive.topic_min == 3
    bad = {"topics": ["", "x", "X"], "locale": "fr", "alternates": {"de": "https://e.org/"}}
    with pytest.raises(ConfigError) as info:
        config_from_dict({"archive": bad}, tmp_path / "digest.toml")
    message = str(info.value)
    for part in ("archive.topics", "empty keyword", "archive.locale", "archive.alternates", "'de'"):
        assert part in message, part
