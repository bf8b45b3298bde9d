"""What each segment and each recipient gets: the edition rendered once per
segment, and per recipient the signed links, list headers and Message-ID."""

from __future__ import annotations

import jinja2

from digest.config import Config
from digest.deliver import Addressee
from digest.deliver.message import Sender, list_unsubscribe, message_id
from digest.deliver.segments import SegmentKey, segment_edition
from digest.errors import DeliveryError
from digest.model import Edition
from digest.render import markup
from digest.render.environment import make_environment
from digest.render.outputs import RenderedEdition, render_edition
from digest.tokens import TokenSigner


class Renderer:
    """Renders the edition once per segment and keeps it."""

    def __init__(self, edition: Edition, config: Config, archive_url: str | None = None) -> None:
        self.edition = edition
        self.config = config
        self.archive_url = archive_url  # the edition's page, for "Bekijk online"
        self._cache: dict[SegmentKey, RenderedEdition] = {}
        self._envs: dict[str, jinja2.Environment | None] = {}

    def _environment(self, locale: str) -> jinja2.Environment | None:
        """The configured templates' environment (None: digest's own, cached by render)."""
        if locale not in self._envs:
            site = self.config.site
            folders = [self.config.resolve(site.templates)] if site.templates else None
            self._envs[locale] = make_environment(folders, locale) if folders else None
        return self._envs[locale]

    def __call__(self, key: SegmentKey) -> RenderedEdition:
        if key not in self._cache:
            self._cache[key] = render_edition(
                segment_edition(self.edition, key),
                locale=key.locale,
                site_title=self.config.site.title,
                base_url=self.config.site.base_url,
                archive_url=self.archive_url,
                env=self._environment(key.locale),
            )
        return self._cache[key]

    @property
    def renders(self) -> int:
        return len(self._cache)


class Links:
    """Each recipient's signed links, headers and Message-ID."""

    def __init__(self, config: Config, signer: TokenSigner, edition_id: str, sender: Sender):
        base = config.site.base_url.rstrip("/")
        if markup.safe_url(base) is None or not base.startswith(("https://", "http://")):
            raise DeliveryError(
                f"Config value 'site.base_url': {base!r} must be an http(s) URL; "
                "the unsubscribe and preference links are made from it"
            )
        self.base = base
        self.mailto = config.delivery.unsubscribe_mailto
        self.signer = signer
        self.edition_id = edition_id
        self.domain = sender.domain

    def addressee(
        self, subscriber_id: int, email: str, name: str | None, first_name: str | None = None
    ) -> Addressee:
        token, preferences = self.signer.mail_tokens(subscriber_id, email)
        unsubscribe = f"{self.base}/unsubscribe/{token}"
        return Addressee(
            subscriber_id=subscriber_id,
            email=email,
            name=name,
            unsubscribe_url=unsubscribe,
            preferences_url=f"{self.base}/preferences/{preferences}",
            list_unsubscribe=list_unsubscribe(unsubscribe, self.mailto, token),
            message_id=message_id(self.edition_id, subscriber_id, self.domain),
            first_name=first_name,
        )
