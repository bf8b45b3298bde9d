"""The web app's own mails, one recipient each: "confirm your sign-up" (with a
signed, expiring link) and "you already subscribe" (with the preferences link,
sent instead when an active subscriber signs up again, so the page never tells
who is subscribed).

They are rendered from ``templates/web/mail/`` with the one Jinja environment
and handed to the configured delivery backend as a batch of one, with the same
headers, links and Message-ID scheme as an edition.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import jinja2

from digest.config import Config
from digest.deliver import Backend, Batch, Outcome, make_backend
from digest.deliver.message import make_sender
from digest.deliver.send import Links
from digest.errors import DeliveryError
from digest.render import markup
from digest.render.i18n import translations
from digest.render.outputs import RenderedEdition
from digest.subscribers import Subscriber
from digest.tokens import MAX_AGE, Purpose, TokenSigner


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated where it is used."""
    return message


SUBJECTS = {
    "confirm": N_("Confirm your subscription to %(site)s"),
    "active": N_("You already subscribe to %(site)s"),
}
LIST_NAME = "aanmelding"  # List-Id label and SendGrid category of these mails
_DELIVERED = (Outcome.SENT, Outcome.SANDBOX)


@dataclass(frozen=True, slots=True)
class MailParts:
    subject: str
    html: str
    text: str


class Mailer:
    """Renders and sends the web app's mails through one delivery backend.

    ``backend`` is used for every mail (one at a time); without it each mail
    gets a fresh backend from ``[delivery]``.
    """

    def __init__(
        self,
        config: Config,
        signer: TokenSigner,
        environment: Callable[[str], jinja2.Environment],
        backend: Backend | None = None,
    ) -> None:
        self.config, self.signer, self.environment = config, signer, environment
        self.backend = backend
        self.base = config.site.base_url.rstrip("/")
        self.sender = make_sender(
            config.delivery.from_,
            config.delivery.reply_to,
            site_title=config.site.title,
            edition_name=LIST_NAME,
        )
        self._lock = threading.Lock()

    def link(self, purpose: Purpose, subscriber: Subscriber) -> str:
        """The absolute URL of a signed ``confirm``/``preferences``/``unsubscribe`` link."""
        token = self.signer.make(purpose, subscriber.id, subscriber.email)
        return f"{self.base}/{purpose}/{token}"

    def render(self, kind: str, subscriber: Subscriber) -> MailParts:
        """Subject, HTML and text of a ``kind`` mail, with the name marker left in."""
        env = self.environment(subscriber.locale)
        site = markup.one_line(self.config.site.title)
        purpose: Purpose = "confirm" if kind == "confirm" else "preferences"
        context = {
            "site_title": site,
            "link": self.link(purpose, subscriber),
            "valid_days": MAX_AGE["confirm"].days,
        }
        subject = translations(subscriber.locale).gettext(SUBJECTS[kind]) % {"site": site}
        html = env.get_template(f"web/mail/{kind}.html").render(context, subject=subject)
        text = env.get_template(f"web/mail/{kind}.txt").render(context)
        return MailParts(subject, html, text)

    def send(self, kind: str, subscriber: Subscriber, *, now: datetime) -> None:
        """Send one mail; DeliveryError when the backend did not take it."""
        parts = self.render(kind, subscriber)
        mail_id = f"{kind}-{now:%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"
        links = Links(self.config, self.signer, mail_id, self.sender)
        to = links.addressee(
            subscriber.id, subscriber.email, subscriber.name, subscriber.first_name
        )
        rendered = RenderedEdition(
            mail_id, subscriber.locale, parts.subject, "", parts.html, parts.text, ""
        )
        batch = Batch(mail_id, LIST_NAME, rendered, self.sender, (to,), now)
        with self._lock:
            backend = self.backend or make_backend(self.config)
            with backend:
                result = backend.send(batch).get(subscriber.id)
        if result is None or result.outcome not in _DELIVERED:
            reason = result.reason if result is not None else "no result"
            raise DeliveryError(
                f"the {kind} mail to subscriber {subscriber.id} was not sent by "
                f"{backend.name}: {reason}"
            )
