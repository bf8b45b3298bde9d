"""Real parts for the test suite: PostgreSQL, a SendGrid look-alike, SMTP and a browser.

Each module is a pytest plugin registered by ``tests/conftest.py``; its fixtures are
documented in their docstrings. Helpers shared by several of them live here.
"""

from __future__ import annotations

import socket
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
"""The project checkout (the folder holding pyproject.toml)."""

ARTIFACTS_DIR = PROJECT_ROOT / "test-artifacts"
"""Where tests save screenshots and other files to look at (gitignored)."""


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port on ``host`` that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port
