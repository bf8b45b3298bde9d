"""Atomic writes: whole or absent, and readable like the archive (not mkstemp's 0600)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from digest.files import write_atomic
from digest.render.outputs import RenderedEdition, write_outputs


@pytest.fixture
def umask() -> Iterator[int]:
    old = os.umask(0o022)
    yield 0o022
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_an_atomic_write_is_world_readable_less_the_umask(tmp_path: Path, umask: int) -> None:
    target = tmp_path / "a.txt"
    write_atomic(target, b"x")
    assert mode(target) == 0o644
    os.umask(0o027)
    write_atomic(target, b"y")
    assert mode(target) == 0o640 and target.read_bytes() == b"y"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]  # no temporary file left


def test_build_outputs_are_world_readable(tmp_path: Path, umask: int) -> None:
    rendered = RenderedEdition("e", "nl", "Onderwerp", "kop", "<p>h</p>", "t", "m")
    for path in write_outputs(rendered, "2026-01-21-ochtend", tmp_path, "https://x.example"):
        assert mode(path) == 0o644
