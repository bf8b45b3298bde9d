"""The application every command works with (config, store, regions), and click helpers."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from digest import __version__
from digest.errors import ConfigError

if TYPE_CHECKING:
    from digest.classify.regions import Region
    from digest.config import Config, EditionConfig
    from digest.model import Item
    from digest.store import Store


@dataclass
class App:
    """What every command needs, loaded lazily: config, store."""

    config_path: str | None
    strict: bool = False
    quiet: bool = False
    _closers: list[Any] = field(default_factory=list)

    @cached_property
    def config(self) -> Config:
        from digest.config import load_config

        return load_config(self.config_path)

    def check(self) -> None:
        """Load and validate both files (settings, then regions) before any work;
        one ConfigError lists every problem of both."""
        try:
            _ = self.config
        except ConfigError as exc:
            raise ConfigError.combine([exc, *self._regions_problems(exc.path)]) from exc
        _ = self.regions

    def _regions_problems(self, config_file: str) -> list[ConfigError]:
        """The regions file's problems when the settings are bad (so both are reported)."""
        from digest.classify.regions import load_regions
        from digest.config import SiteConfig, read_toml, resolve_beside

        try:
            site = read_toml(Path(config_file), "").get("site", {})
            default = str(SiteConfig.model_fields["regions"].default)
            name = site.get("regions", default) if isinstance(site, dict) else None
            if isinstance(name, str):  # a missing regions file is one of the problems too
                load_regions(resolve_beside(Path(config_file).parent, Path(name)))
        except ConfigError as exc:
            return [] if exc.path == config_file else [exc]
        return []

    @cached_property
    def store(self) -> Store:
        from digest.store import open_store

        store = open_store(self.config.database_url)
        self._closers.append(store)
        return store

    @cached_property
    def regions(self) -> tuple[Region, ...]:
        from digest.classify.regions import load_regions

        return load_regions(self.config.resolve(self.config.site.regions))

    @cached_property
    def classification(self) -> tuple[Callable[[Item], Item], str]:
        """The annotate function for items and the fingerprint of the region rules."""
        import hashlib

        from digest.classify.labeller import Labeller

        # Stories classified under other rules (or another release) are redone.
        rules = f"{__version__}|{self.regions!r}".encode()
        return Labeller(self.regions), hashlib.sha256(rules).hexdigest()[:16]

    def require_region(self, region_id: str, param: str = "--region") -> None:
        """A usage error naming the valid choices unless ``region_id`` is configured."""
        known = [r.id for r in self.regions]
        if region_id not in known:
            raise click.BadParameter(
                f"no region {region_id!r}; choose from: {', '.join(known)}", param_hint=param
            )

    def edition_config(self, name: str | None, param: str = "EDITION") -> EditionConfig:
        """The named edition (or the first); a usage error naming the valid choices."""
        if name is None or any(e.name == name for e in self.config.editions):
            return self.config.edition(name)
        known = ", ".join(e.name for e in self.config.editions)
        raise click.BadParameter(f"no edition {name!r}; choose from: {known}", param_hint=param)

    def require_secrets(self) -> None:
        """Refuse to start a command that sends without the keys it will need:
        DIGEST_SECRET_KEY (signed links) and the delivery backend's own
        (SENDGRID_API_KEY, DIGEST_SMTP_PASSWORD), each named when missing."""
        from digest.deliver import make_backend
        from digest.tokens import secret_key

        secret_key()
        make_backend(self.config)  # not opened: only reads its settings and secrets

    def close(self) -> None:
        for closer in self._closers:
            closer.close()


F = TypeVar("F", bound=Callable[..., Any])


def pass_app(command: F) -> F:
    """Pass the App as the first argument, after checking the whole configuration:
    every command that works on a site refuses to start on a bad one."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        app = click.get_current_context().find_object(App)
        assert app is not None, "commands run under the digest group"
        app.check()
        return command(app, *args, **kwargs)

    return functools.update_wrapper(wrapper, command)  # type: ignore[return-value]


class InstantParam(click.ParamType):  # type: ignore[type-arg]
    """A click option type for ISO 8601 instants; zone-less ones stay naive so
    the command can place them in the site's zone with ``in_zone``."""

    name = "ISO8601"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            self.fail(f"{value!r} is not an ISO 8601 time; write e.g. 2026-01-21T07:00+01:00")


INSTANT = InstantParam()
