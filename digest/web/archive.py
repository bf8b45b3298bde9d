"""The static archive served by ``digest serve`` under the path of ``[archive] base_url``,
so that the default configuration's links (``http://localhost:8000/archief/``) work."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from digest.config import Config

# The archive runs its own scripts (search) and Pagefind's WebAssembly; nothing else.
ARCHIVE_POLICY = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)


class _ArchivePolicy:
    """Sets the archive's Content-Security-Policy (the web app's forbids scripts) and
    keeps redirects on this host."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, _relative(v) if k == b"location" else v)
                    for k, v in message.get("headers", [])
                    if k != b"content-security-policy"
                ]
                headers.append((b"content-security-policy", ARCHIVE_POLICY.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_policy)


def _relative(location: bytes) -> bytes:
    """A folder's "add the slash" redirect as a path only: Starlette builds it from
    the Host header, which the client chooses."""
    parts = urlsplit(location.decode("latin-1"))
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return (path if path.startswith("/") and not path.startswith("//") else "/").encode("latin-1")


def archive_mount(config: Config) -> Mount | None:
    """The archive folder at the path of ``[archive] base_url`` (``/archief``); ``None``
    when that path is the site root (the archive is then served elsewhere)."""
    path = urlsplit(config.archive.base_url).path.rstrip("/")
    if not path:
        return None
    # Not resolved: the archive is a symlink that each publish swaps atomically.
    folder = Path(os.path.normpath(config.base_dir / config.archive.dir))
    files = StaticFiles(directory=folder, html=True, check_dir=False)
    return Mount(path, app=_ArchivePolicy(files), name="archive")
