"""A light ``digest run``: what it loads and what it keeps between processes.

``digest run`` on wire files must not load what only other sources or other
databases need (HTTP clients, the feed parser, Alembic once the schema is
current, SQLAlchemy's PostgreSQL dialect): behaviour, not time (the bench
``bench/bench_run.py`` measures the time). Compiled templates kept between
processes must never serve a template whose source changed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from digest.config import PROJECT_ROOT
from digest.render.environment import make_environment
from digest.store import MIGRATIONS, open_store, schema_head

DIGEST = str(Path(sys.executable).parent / "digest")
NOT_FOR_WIRE_FILES = (
    "alembic",
    "httpx",
    "httpcore",
    "feedparser",
    "readability",
    "sqlalchemy.dialects.postgresql",
    "psycopg",
    "sendgrid",
)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """The repository's config and seeds in a fresh folder, subscribers imported."""
    shutil.copytree(PROJECT_ROOT / "config", tmp_path / "config")
    shutil.copytree(PROJECT_ROOT / "seeds", tmp_path / "seeds")
    config = tmp_path / "config" / "digest.toml"
    csv = tmp_path / "config" / "subscribers.example.csv"
    subprocess.run(
        [DIGEST, "--config", str(config), "subscribers", "import", str(csv)],
        env=_env(tmp_path),
        check=True,
        capture_output=True,
    )
    return config


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ, DIGEST_SECRET_KEY="light-run-secret-key-0123456789ab")
    env.pop("DIGEST_CONFIG", None)
    env.pop("DIGEST_DATABASE_URL", None)
    env["TMPDIR"] = str(tmp_path)  # its own template cache
    return env


def _run_and_list_modules(config: Path, env: dict[str, str]) -> tuple[str, set[str]]:
    probe = (
        "import sys\n"
        "from digest.cli import main\n"
        f"code = main(['--config', {str(config)!r}, 'run'])\n"
        "print('MODULES', ' '.join(sorted(sys.modules)))\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    out, _, modules = done.stdout.rpartition("MODULES ")
    return out, set(modules.split())


def test_a_run_on_wire_files_loads_no_network_feed_or_migration_code(site: Path) -> None:
    out, loaded = _run_and_list_modules(site, _env(site.parent.parent))
    assert "source seeds: 2 files: 16 new" in out
    assert re.search(r"ochtend@\S+: done: 16 stories", out), out  # it did build and send
    heavy = sorted(
        m for m in loaded if any(m == h or m.startswith(h + ".") for h in NOT_FOR_WIRE_FILES)
    )
    assert heavy == []
    assert len(list((site.parent.parent / "var" / "outbox").glob("*.eml"))) == 6


def test_the_second_run_uses_the_first_runs_compiled_templates(site: Path) -> None:
    env = _env(site.parent.parent)
    _run_and_list_modules(site, env)
    caches = [p for p in Path(env["TMPDIR"]).glob("_jinja2-cache-*/__digest_*.cache")]
    assert len(caches) >= 10  # mail and archive templates, compiled once
    before = {p: p.stat().st_mtime_ns for p in caches}
    _run_and_list_modules(site, env)  # nothing due: renders nothing; a fresh build does
    subprocess.run(
        [DIGEST, "--config", str(site), "build", "--out", str(site.parent / "built")],
        env=env,
        check=True,
        capture_output=True,
    )
    assert {p: p.stat().st_mtime_ns for p in caches} == before  # read, not rewritten


def test_a_changed_template_is_compiled_anew_not_served_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # gettempdir() reads TMPDIR again
    from digest.render import environment

    environment._bytecode_cache.cache_clear()
    folder = tmp_path / "templates"
    folder.mkdir()
    page = folder / "page.txt"
    page.write_text("eerst {{ n }}\n", encoding="utf-8")
    assert make_environment([folder]).get_template("page.txt").render(n=1) == "eerst 1\n"
    page.write_text("daarna {{ n }}\n", encoding="utf-8")
    assert make_environment([folder]).get_template("page.txt").render(n=2) == "daarna 2\n"
    assert len(list((tmp_path / "tmp").glob("_jinja2-cache-*/__digest_*.cache"))) == 1
    environment._bytecode_cache.cache_clear()


def test_a_temp_folder_others_may_write_to_means_no_cache_not_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    from digest.render import environment

    shared = tmp_path / "tmp" / f"_jinja2-cache-{os.getuid()}"
    shared.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    monkeypatch.setattr(os, "chmod", lambda *_a, **_k: None)  # cannot make it private
    shared.chmod(0o777)
    environment._bytecode_cache.cache_clear()
    try:
        env = make_environment()
        assert env.bytecode_cache is None
        assert env.from_string("{{ 1 + 1 }}").render() == "2"
    finally:
        environment._bytecode_cache.cache_clear()


def test_schema_head_from_file_names_is_alembics_head() -> None:
    scripts = ScriptDirectory(str(MIGRATIONS))
    assert schema_head() == scripts.get_current_head()
    for revision in scripts.walk_revisions():
        path = Path(revision.path)
        assert path.name.startswith(f"{revision.revision}_"), path.name


def test_a_current_database_opens_without_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'd.db'}"
    open_store(url).close()  # creates it (Alembic runs here)
    probe = (
        "import sys\n"
        "from digest.store import open_store\n"
        f"open_store({url!r}).close()\n"
        "print(any(m.split('.')[0] == 'alembic' for m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
