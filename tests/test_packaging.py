"""digest installs like a Python tool: a wheel that carries its templates,
default config, seeds, catalogs and migrations, and declares what it imports."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from collections.abc import Iterable
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "var", "build", "dist", "test-artifacts", "*.egg-info", "__pycache__",
    ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis",
)  # fmt: skip


def _normal(name: str) -> str:
    """A distribution's name as PEP 503 compares them (``ahocorasick_rs`` = ``ahocorasick-rs``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _names(requirements: Iterable[str]) -> set[str]:
    return {_normal(re.split(r"[\s\[<>=!~;]", r, maxsplit=1)[0]) for r in requirements}


def _imported(folders: Iterable[Path]) -> set[str]:
    """Top-level names of the third-party modules the files in ``folders`` import."""
    found: set[str] = set()
    for folder in folders:
        for path in folder.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    found.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"digest", "tests", "bench", "scripts"}


def _undeclared(modules: set[str], declared: set[str]) -> list[str]:
    distributions = packages_distributions()
    missing = []
    for module in sorted(modules):
        names = {_normal(d) for d in distributions.get(module, [module])}
        if not names & declared:
            missing.append(f"{module} (from {', '.join(sorted(names))})")
    return missing


def test_every_package_digest_imports_is_a_declared_dependency() -> None:
    declared = _names(PYPROJECT["project"]["dependencies"])
    assert _undeclared(_imported([ROOT / "digest"]), declared) == []


def test_every_package_the_tests_import_is_declared_for_them() -> None:
    extras = PYPROJECT["project"]["optional-dependencies"]
    declared = _names([*PYPROJECT["project"]["dependencies"], *extras["test"]])
    assert _undeclared(_imported([ROOT / "tests"]), declared) == []


def test_the_linters_are_pinned() -> None:
    pins = {r.split("==")[0]: r for r in PYPROJECT["project"]["optional-dependencies"]["test"]}
    assert "==" in pins["ruff"] and "==" in pins["mypy"]


def test_the_licence_is_an_spdx_expression() -> None:
    assert PYPROJECT["project"]["license"] == "MIT"


def test_the_packaged_copies_are_the_checkouts_folders() -> None:
    """digest/resources holds links to the top-level folders, never a second copy."""
    resources = ROOT / "digest" / "resources"
    for name in ("templates", "config", "seeds"):
        assert (resources / name).is_symlink(), name
        assert (resources / name).resolve() == ROOT / name


# --- a wheel in a fresh virtualenv, away from the checkout -------------------------------


def build_wheel(tmp_path: Path) -> Path:
    """The wheel of a copy of the checkout (so the build leaves no files in it)."""
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, symlinks=True, ignore=COPY_IGNORE)
    dist = tmp_path / "dist"
    pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    subprocess.run(
        [*pip, "-w", str(dist), str(source)],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("digest-*.whl")
    return wheel


def fresh_venv(tmp_path: Path, wheel: Path) -> Path:
    """A virtualenv with the wheel installed. Its dependencies come from this
    environment's site-packages, added as a plain path: the editable install's
    hook (a .pth file there) is not run, so nothing of the checkout is importable."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps"]
    subprocess.run(
        [*pip, str(wheel)],
        check=True,
        capture_output=True,
    )
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    dependencies = sysconfig.get_paths()["purelib"]
    (Path(purelib) / "digest-test-dependencies.pth").write_text(dependencies + "\n", "utf-8")
    return venv


def test_the_wheel_carries_the_files_digest_reads(tmp_path: Path) -> None:
    names = set(zipfile.ZipFile(build_wheel(tmp_path)).namelist())
    for needed in (
        "digest/resources/templates/email/edition.html",
        "digest/resources/templates/archive/index.html",
        "digest/resources/config/digest.toml",
        "digest/resources/config/regions.toml",
        "digest/resources/starter/digest.toml",
        "digest/resources/seeds/000_3642c77eb3872996.txt",
        "digest/locale/nl/LC_MESSAGES/messages.mo",
        "digest/migrations/env.py",
        "digest/data/gazetteer.json",
    ):
        assert needed in names, needed


@pytest.mark.slow
def test_a_wheel_in_a_fresh_virtualenv_inits_ingests_and_runs_an_edition(tmp_path: Path) -> None:
    venv = fresh_venv(tmp_path, build_wheel(tmp_path))
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "HOME": str(home),
        "DIGEST_SECRET_KEY": "wheel-test-secret-key-0123456789",
        "LANG": "C.UTF-8",
    }

    def digest(*args: str, cwd: Path = home, code: int = 0) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(venv / "bin" / "digest"), *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == code, (args, done.stdout, done.stderr)
        return done

    probe = "import digest, sys; print(digest.__file__, *sorted(sys.modules), *sys.path)"
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", probe],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert where[0].startswith(str(venv))
    dependencies = Path(sysconfig.get_paths()["purelib"])
    inside = [p for p in where if p.startswith(str(ROOT)) and Path(p) != dependencies]
    assert inside == [], "the checkout is on the path"
    assert not [m for m in where if m.startswith("__editable__")], "the editable hook ran"
    assert not (dependencies / "digest").exists()  # the dependencies hold no digest

    lost = digest("briefs", code=1)
    assert "run `digest init`" in lost.stderr and len(lost.stderr.splitlines()) == 1

    assert "wrote" in digest("init", "krant").stdout
    site = home / "krant"
    assert {"digest.toml", "regions.toml", "seeds"} <= {p.name for p in site.iterdir()}
    assert "already exists" in digest("init", "krant", code=2).stderr

    digest("ingest", "--captured-at", "2026-01-21T06:50+01:00", cwd=site)
    digest("subscribers", "add", "lezer@example.org", "--active", cwd=site)
    ran = digest("run", "--at", "2026-01-21T07:00:30+01:00", cwd=site)
    assert "ochtend@2026-01-21T07:00: done" in ran.stdout, ran.stdout
    mails = list((site / "var" / "outbox").rglob("*.eml"))
    assert len(mails) == 1
    assert "lezer@example.org" in mails[0].read_text(encoding="utf-8")
    assert (site / "var" / "archive" / "index.html").is_file()
