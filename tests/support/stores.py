"""Store fixtures: a real SQLite file, and the same tests on real PostgreSQL.

``store`` is parametrised over both backends, so every test that takes it runs
once on a SQLite file in tmp_path and once on a fresh PostgreSQL database
(from tests.support.postgres, which skips with its reason where no server
binaries are installed).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from digest.store import Store, open_store


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """A migrated store on a fresh SQLite file."""
    store = open_store(f"sqlite:///{tmp_path / 'digest.db'}")
    yield store
    store.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL for a fresh, empty database of each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'digest.db'}"
    return str(request.getfixturevalue("fresh_postgres_url"))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A migrated store on each backend."""
    opened = open_store(store_url)
    yield opened
    opened.close()
