"""The application every command works with (config, store, regions), and click helpers."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

import click

from digest import __version__
from digest.config import Config, load_config
from digest.errors import ConfigError

if TYPE_CHECKING:
    from digest.classify.regions import Region
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
        return load_config(self.config_path)

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
        from digest.classify.classifier import Classifier

        # Stories classified under other rules (or another release) are redone.
        rules = f"{__version__}|{self.regions!r}".encode()
        return Classifier(self.regions).annotate, hashlib.sha256(rules).hexdigest()[:16]

    def require_region(self, region_id: str) -> None:
        known = [r.id for r in self.regions]
        if region_id not in known:
            raise ConfigError(
                str(self.config.resolve(self.config.site.regions)),
                [f"no region {region_id!r}; known: {', '.join(known)}"],
            )

    def close(self) -> None:
        for closer in self._closers:
            closer.close()


pass_app = click.make_pass_decorator(App)


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
