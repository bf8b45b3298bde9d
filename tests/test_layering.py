"""The folders show the pipeline: a stage imports only the stages below it.

Read from the source (every ``import``, at module level, in functions and
under ``TYPE_CHECKING``), so a lazy import cannot hide a reversed dependency.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "digest"

# Lowest first. The shared core (top-level modules) may be imported by every stage
# and imports only itself; a stage imports the core and the stages of lower rank.
STAGES: dict[str, int] = {
    "classify": 1,
    "store": 2,
    "ingest": 3,
    "edition": 4,
    "render": 5,
    "deliver": 6,
    "publish": 6,
    "schedule": 7,
    "web": 8,
    "commands": 9,
    "cli": 10,
}
CORE = 0
CLI_LAYER = {"cli", "commands"}


def _stage(module: str) -> str | None:
    """``ingest`` for ``digest.ingest.wire``; ``None`` for the core."""
    parts = module.split(".")
    if len(parts) < 2:
        return None
    if parts[1] == "migrations":  # the store's schema history
        return "store"
    return parts[1] if parts[1] in STAGES else None


def _rank(module: str) -> int:
    stage = _stage(module)
    return CORE if stage is None else STAGES[stage]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module (digest's own and others) that ``path`` imports."""
    package = (
        _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    )
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _own(modules: set[str]) -> set[str]:
    """The ones that are digest's modules or packages (not names imported from them)."""
    return {m for m in modules if m == "digest" or (m.startswith("digest.") and _exists(m))}


def _exists(module: str) -> bool:
    path = PACKAGE.parent.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def test_every_stage_of_the_layout_is_known() -> None:
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    folders.discard("migrations")
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    assert folders <= set(STAGES), f"a package without a rank: {folders - set(STAGES)}"
    assert modules - {"cli"} == {
        "clock",
        "config",
        "errors",
        "files",
        "model",
        "subscribers",
        "tokens",
    }, "the shared core is small; a new module belongs in a stage"


@pytest.mark.parametrize("path", _sources(), ids=lambda p: _module_name(p))
def test_a_stage_imports_only_lower_stages(path: Path) -> None:
    source = _module_name(path)
    wrong = []
    for target in sorted(_own(_imports(path))):
        if _stage(target) == _stage(source):
            continue  # within one stage (or within the core)
        if _rank(target) >= _rank(source):
            wrong.append(target)
    assert not wrong, f"{source} (rank {_rank(source)}) imports higher or equal stages: {wrong}"


@pytest.mark.parametrize("path", _sources(), ids=lambda p: _module_name(p))
def test_only_the_cli_layer_imports_click(path: Path) -> None:
    if _stage(_module_name(path)) in CLI_LAYER:
        return
    assert not {m for m in _imports(path) if m == "click" or m.startswith("click.")}


def test_every_stage_says_what_it_takes_and_gives() -> None:
    for init in sorted(PACKAGE.glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc, f"{init} has no docstring"
        assert " in, " in doc.splitlines()[0] and "out" in doc.splitlines()[0], (
            f"{init}: the first line says what the stage takes in and gives out"
        )


def test_the_command_modules_import_on_their_own() -> None:
    for module in ("digest.commands", "digest.cli"):
        done = subprocess.run(
            [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
