"""What every request handler shares: config, store, signer, mailer, limits,
templates; and the two things every handler does with them: read a signed
link, render a page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import jinja2
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from starlette.requests import Request
from starlette.responses import HTMLResponse

from digest.classify.regions import Region
from digest.config import Config
from digest.deliver import Backend
from digest.render.environment import make_environment
from digest.store import Store
from digest.subscribers import Subscriber
from digest.tokens import Purpose, TokenError, TokenSigner
from digest.web.mail import Mailer

if TYPE_CHECKING:
    from digest.web.editor import EditorLogin
from digest.web.records import subscriber_by_id
from digest.web.security import CSRF_FIELD, RateLimits, SlidingWindow, csrf_token


@dataclass
class Web:
    """The web app's state (``app.state.web``)."""

    config: Config
    store: Store
    signer: TokenSigner
    regions: tuple[Region, ...]
    limits: RateLimits
    by_address: SlidingWindow
    by_client: SlidingWindow
    webhook_key: EllipticCurvePublicKey | None
    now: Callable[[], datetime]
    backend: Backend | None = None
    editor: EditorLogin | None = None  # the editor page's login; None: the page is off
    _environments: dict[str, jinja2.Environment] = field(default_factory=dict)
    mailer: Mailer = field(init=False)

    def __post_init__(self) -> None:
        self.mailer = Mailer(self.config, self.signer, self.environment, self.backend)

    @property
    def base_path(self) -> str:
        """The path of ``[site] base_url`` (``""`` at the root of a host): page links start here."""
        return urlsplit(self.config.site.base_url).path.rstrip("/")

    @property
    def https(self) -> bool:
        return self.config.site.base_url.lower().startswith("https://")

    def environment(self, locale: str) -> jinja2.Environment:
        """The one Jinja environment for ``locale``: ``[site] templates`` first."""
        if locale not in self._environments:
            site = self.config.site
            folders = [self.config.resolve(site.templates)] if site.templates else None
            self._environments[locale] = make_environment(folders, locale)
        return self._environments[locale]

    def verified(self, purpose: Purpose, token: str) -> Subscriber:
        """The subscriber a signed link is for; TokenError when it is forged,
        altered, expired, for another purpose, or for an address no longer theirs."""
        subscriber_id = self.signer.read(purpose, token)
        found = subscriber_by_id(self.store, subscriber_id)
        self.signer.read(purpose, token, {found.id: found.email} if found else {})
        if found is None:  # read() refused it already; this tells mypy
            raise TokenError(f"this {purpose} link is not valid for this address")
        return found

    def path(self, purpose: Purpose, subscriber: Subscriber) -> str:
        """A page link with a fresh signed token, relative to this host."""
        token = self.signer.make(purpose, subscriber.id, subscriber.email)
        return f"{self.base_path}/{purpose}/{token}"

    def page(
        self,
        request: Request,
        template: str,
        context: dict[str, Any] | None = None,
        *,
        status: int = 200,
        locale: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> HTMLResponse:
        """Render ``templates/<template>`` as a whole page."""
        chosen = locale or self.config.site.locale
        values = {
            "site_title": self.config.site.title,
            "base_path": self.base_path,
            "csrf_field": CSRF_FIELD,
            "csrf": csrf_token(request),
            **(context or {}),
        }
        html = self.environment(chosen).get_template(template).render(values)
        return HTMLResponse(html, status_code=status, headers=headers)


def web_of(request: Request) -> Web:
    web: Web = request.app.state.web
    return web
