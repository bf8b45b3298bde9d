"""The archive's CSS and JavaScript, written under content-hashed names
(``assets/archive.3f9c1a2b7e.css``) so browsers may cache them for ever.

The stylesheet is the edition partials' CSS (shared with the mail) followed
by the archive's own; both come from the template loader, so a user's
``[site] templates`` folder can override either.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import jinja2

from digest.errors import PublishError

STYLESHEETS = ("partials/edition.css", "archive/archive.css")
SCRIPTS = {"search": "archive/search.js", "offline": "archive/offline.js"}


@dataclass(frozen=True, slots=True)
class Assets:
    """Asset files by output path, and the paths pages link to."""

    files: dict[str, bytes]
    css: str
    scripts: dict[str, str]

    @property
    def key(self) -> str:
        """Changes when any asset changes (pages link to the hashed names)."""
        return "|".join(sorted(self.files))


def hashed_name(stem: str, suffix: str, data: bytes) -> str:
    """``assets/<stem>.<10 hex digits of sha256>.<suffix>``."""
    return f"assets/{stem}.{hashlib.sha256(data).hexdigest()[:10]}.{suffix}"


def _source(env: jinja2.Environment, name: str) -> str:
    if env.loader is None:
        raise PublishError("the archive's template environment has no loader")
    try:
        return env.loader.get_source(env, name)[0]
    except jinja2.TemplateNotFound as exc:
        raise PublishError(f"asset {name} not found in the template folders") from exc


def build_assets(env: jinja2.Environment) -> Assets:
    """Read the stylesheets and scripts from the template folders and name them by hash."""
    css = "\n".join(_source(env, name) for name in STYLESHEETS).encode()
    files = {hashed_name("archive", "css", css): css}
    scripts = {}
    for stem, name in SCRIPTS.items():
        data = _source(env, name).encode()
        path = hashed_name(stem, "js", data)
        files[path] = data
        scripts[stem] = path
    return Assets(files, next(iter(files)), scripts)
