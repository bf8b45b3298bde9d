"""The SendGrid backend: one ``POST /v3/mail/send`` per batch of up to
``[delivery.sendgrid] batch_size`` (at most 1000) personalizations.

The segment's edition is sent once per request with substitution tags where
the personalisation markers were (tags with a random part new to each request
and absent from its content, so no brief can spell one); each personalization carries the
recipient's values for them (escaped for HTML and for text as
:func:`digest.render.personalise` escapes them), its own ``List-Unsubscribe``
and ``Message-ID`` headers, and ``custom_args`` naming the edition and the
subscriber (event webhooks report them back). The key comes from
``SENDGRID_API_KEY`` only, and the HTTP client's debug log, which would
print it, is kept quiet. Requests go through :mod:`digest.deliver.transport`
(one kept-alive connection, orjson bodies) with the URL and headers the
``sendgrid`` client set up.
"""

from __future__ import annotations

import functools
import html
import http.client
import logging
import os
import secrets
from email.headerregistry import Address
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Self
from urllib.error import URLError

from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient

from digest import clock
from digest.deliver import Addressee, Backend, Batch, Outcome, Result, register
from digest.deliver.message import ONE_CLICK, subject_line
from digest.deliver.transport import KeptAlive
from digest.errors import DeliveryError
from digest.render import markup
from digest.render.environment import MARKERS

if TYPE_CHECKING:
    from digest.config import Config, SendgridConfig

API_KEY_ENV = "SENDGRID_API_KEY"
CATEGORY = "digest"


def tag(marker: str, part: str, nonce: str) -> str:
    """The substitution tag standing for ``marker`` in the ``part`` ("html"/"text")
    of a request whose tags carry ``nonce``."""
    return f"%digest-{nonce}-{marker}-{part}%"


def new_nonce(*contents: str) -> str:
    """A random tag nonce for one request, found in none of ``contents``: SendGrid
    replaces a tag wherever it occurs, so content must not be able to spell one
    (a brief saying ``%digest-name-text%`` would otherwise get each name)."""
    while True:
        nonce = secrets.token_hex(8)
        if not any(nonce in content for content in contents):
            return nonce


def tagged(content: str, part: str, nonce: str) -> str:
    """Rendered content with every personalisation marker replaced by its tag."""
    for marker in MARKERS:
        content = content.replace(
            f"{markup.MARK_OPEN}{marker}{markup.MARK_CLOSE}", tag(marker, part, nonce)
        )
    return content


def _one_line(value: str) -> str:
    """:func:`digest.render.markup.one_line`, quicker for printable ASCII (links, most
    names), which has no control or marker characters to remove."""
    if value.isascii() and value.isprintable():
        return " ".join(value.split())
    return markup.one_line(value)


def substitutions(to: Addressee, nonce: str) -> dict[str, str]:
    """The recipient's value for every tag: one line each, HTML-escaped for the
    HTML part. The same values :func:`digest.render.personalise` fills in
    (a test holds the two together), without a regex pass over the edition."""
    name = to.greeting  # whom the greeting names, as personalise does
    plain = {
        "name": f" {name}" if name else "",
        "unsubscribe_url": _one_line(to.unsubscribe_url),
        "preferences_url": _one_line(to.preferences_url),
    }
    values: dict[str, str] = {}
    for marker, text_tag, html_tag in _tags(nonce):
        value = plain[marker]
        values[text_tag] = value
        values[html_tag] = html.escape(value, quote=True)
    return values


@functools.lru_cache(maxsize=4)
def _tags(nonce: str) -> tuple[tuple[str, str, str], ...]:
    """(marker, its text tag, its HTML tag) for every marker: made once per request."""
    return tuple((m, tag(m, "text", nonce), tag(m, "html", nonce)) for m in MARKERS)


def _address(address: Address) -> dict[str, str]:
    entry = {"email": address.addr_spec}
    if address.display_name:
        entry["name"] = address.display_name
    return entry


def personalization(batch: Batch, to: Addressee, nonce: str) -> dict[str, Any]:
    recipient = {"email": to.email, **({"name": to.name} if to.name else {})}
    return {
        "to": [recipient],
        "substitutions": substitutions(to, nonce),
        "headers": {
            "List-Unsubscribe": to.list_unsubscribe,
            "List-Unsubscribe-Post": ONE_CLICK,
            "Message-ID": to.message_id,
        },
        "custom_args": {"edition_id": batch.edition_id, "subscriber_id": str(to.subscriber_id)},
    }


def request_body(batch: Batch, settings: SendgridConfig) -> dict[str, Any]:
    """The mail-send request for ``batch``."""
    rendered = batch.rendered
    subject = subject_line(rendered.subject)
    nonce = new_nonce(rendered.text, rendered.html, subject)
    body: dict[str, Any] = {
        "personalizations": [personalization(batch, to, nonce) for to in batch.recipients],
        "from": _address(batch.sender.from_),
        "subject": subject,
        "content": [
            {"type": "text/plain", "value": tagged(rendered.text, "text", nonce)},
            {"type": "text/html", "value": tagged(rendered.html, "html", nonce)},
        ],
        "headers": {"List-Id": batch.sender.list_id},
        "categories": [CATEGORY, batch.edition_name],
        "custom_args": {"edition_id": batch.edition_id},
        "mail_settings": {"sandbox_mode": {"enable": settings.sandbox}},
    }
    if batch.sender.reply_to is not None:
        body["reply_to"] = _address(batch.sender.reply_to)
    if settings.asm_group_id is not None:
        body["asm"] = {"group_id": settings.asm_group_id}
    return body


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date)."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - clock.now()).total_seconds())


def provider_message(error: HTTPError) -> str:
    """SendGrid's own error text: ``message (field)`` for each error it listed."""
    try:
        listed = error.to_dict.get("errors", [])
        texts = [
            f"{e.get('message')} ({e.get('field')})" if e.get("field") else str(e.get("message"))
            for e in listed
        ]
    except (ValueError, AttributeError, UnicodeDecodeError):
        texts = []
    return "; ".join(texts) or str(getattr(error, "reason", "")) or "no details"


@register
class SendGridBackend(Backend):
    """Posts one request per batch, as the ``sendgrid`` package configures it."""

    name = "sendgrid"

    def __init__(self, settings: SendgridConfig, api_key: str) -> None:
        self.settings = settings
        self.claim_size = self.batch_size = settings.batch_size
        self.client = SendGridAPIClient(api_key=api_key, host=settings.host)
        self.client.client.timeout = settings.timeout
        self.transport = KeptAlive(self.client.client.mail.send, settings.timeout)
        # python_http_client logs request headers (the API key) at DEBUG.
        logging.getLogger("python_http_client").setLevel(logging.WARNING)

    @classmethod
    def from_config(cls, config: Config) -> Self:
        key = os.environ.get(API_KEY_ENV, "").strip()
        if not key:
            raise DeliveryError(
                f"Config value 'delivery.backend' is 'sendgrid' but {API_KEY_ENV} is not set: "
                "export your SendGrid API key"
            )
        return cls(config.delivery.sendgrid, key)

    def send(self, batch: Batch) -> dict[int, Result]:
        result = self._post(request_body(batch, self.settings))
        return {to.subscriber_id: result for to in batch.recipients}

    def _post(self, body: dict[str, Any]) -> Result:
        where = f"SendGrid at {self.settings.host}"
        try:
            response = self.transport.post(body)
        except HTTPError as exc:
            return self._refused(exc, where)
        except URLError as exc:  # raised before the request was complete: nothing sent
            return Result(Outcome.RETRY, f"{where} cannot be reached: {exc.reason}")
        except (OSError, http.client.HTTPException) as exc:  # sent, but no answer
            reason = f"no answer from {where} within {self.settings.timeout:g} s: {exc!r}"
            return Result(Outcome.UNCERTAIN, reason)
        provider_id = response.headers.get("X-Message-Id")
        if response.status_code == 200 and self.settings.sandbox:
            return Result(Outcome.SANDBOX, "sandbox mode: validated by SendGrid, not delivered")
        return Result(Outcome.SENT, provider_id=provider_id)

    def close(self) -> None:
        self.transport.close()

    def _refused(self, exc: HTTPError, where: str) -> Result:
        status = int(exc.status_code)
        message = provider_message(exc)
        if status in (401, 403):
            raise DeliveryError(
                f"{where} refused the API key ({status}: {message}); check {API_KEY_ENV}"
            ) from exc
        if status == 429 or status >= 500:
            wait = retry_after(exc.headers.get("Retry-After") if exc.headers else None)
            return Result(Outcome.RETRY, f"{where} answered {status}: {message}", wait)
        return Result(Outcome.FAILED, f"{where} refused the batch ({status}): {message}")
