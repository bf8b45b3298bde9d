"""Shared fixtures: the real parts in tests/support (see each module's docstring)."""

from __future__ import annotations

import pytest

pytest_plugins = [
    "tests.support.postgres",
    "tests.support.sendgrid_server",
    "tests.support.smtp_server",
    "tests.support.browser",
    "tests.support.stores",
]

_MARK_BY_FIXTURE = {
    "postgres_server": "postgres",
    "browser": "browser",
}


def pytest_configure(config: pytest.Config) -> None:
    # The implicit-TLS test server requires AUTH; aiosmtpd cannot tell that the
    # connection is already encrypted and warns about AUTH without STARTTLS.
    config.addinivalue_line(
        "filterwarnings", "ignore:Requiring AUTH while not requiring TLS:UserWarning"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests by the real parts they use, so ``-m "not browser"`` etc. select them,
    and run browser tests last: Playwright's sync API leaves its event loop marked as
    running in the main thread, so ``asyncio.run`` fails in any test after it starts.
    """
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        for fixture, mark in _MARK_BY_FIXTURE.items():
            if fixture in fixtures:
                item.add_marker(mark)
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
