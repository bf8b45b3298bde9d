"""One mail as RFC 5322: ``multipart/alternative`` (text, then HTML) with the
list headers bulk senders need (Gmail and Yahoo, 2024).

Pure: the date is an argument. Every header value passes through
:func:`header_text`, so no CR or LF from an edition, a name or the config can
start a header of its own.
"""

from __future__ import annotations

import email.policy
import re
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address, BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import quote

from digest.errors import DeliveryError
from digest.render.outputs import RenderedEdition


class _HeaderClasses(HeaderRegistry):
    """The standard registry builds a new class for every header it handles;
    this one builds each class once (a third of the cost of a message)."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        if key not in self._made:
            self._made[key] = super().__getitem__(name)
        return self._made[key]


# Long header values (signed links) must not be folded into encoded-words.
POLICY = email.policy.default.clone(max_line_length=998, header_factory=_HeaderClasses())
WIRE_POLICY = email.policy.SMTP.clone(max_line_length=998, header_factory=_HeaderClasses())
ONE_CLICK = "List-Unsubscribe=One-Click"
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def header_text(value: str) -> str:
    """``value`` on one line: control characters (CR, LF, tab...) and line or
    paragraph separators become spaces, runs of white space one space."""
    if value.isascii() and value.isprintable():  # the usual case: nothing to replace
        return " ".join(value.split())
    return " ".join(_CONTROL.sub(" ", value).split())


def parse_address(text: str, field: str) -> Address:
    """``Name <addr@domain>`` or ``addr@domain`` from the config, or DeliveryError."""
    try:
        parsed = POLICY.header_factory("to", header_text(text)).addresses
    except (ValueError, IndexError) as exc:
        raise DeliveryError(f"Config value '{field}': {text!r} is not an address") from exc
    if len(parsed) != 1 or not parsed[0].domain or "." not in parsed[0].domain:
        raise DeliveryError(
            f"Config value '{field}': {text!r} must be one address like 'Digest <news@example.org>'"
        )
    address: Address = parsed[0]
    return address


@dataclass(frozen=True, slots=True)
class Sender:
    """What every message of one send shares: From, Reply-To and List-Id."""

    from_: Address
    reply_to: Address | None
    list_id: str

    @property
    def domain(self) -> str:
        return self.from_.domain


def make_sender(
    from_text: str, reply_to: str | None, *, site_title: str, edition_name: str
) -> Sender:
    """The sender of an edition; ``List-Id`` is ``Title <name.from-domain>``."""
    sender = parse_address(from_text, "delivery.from")
    replies = parse_address(reply_to, "delivery.reply_to") if reply_to else None
    label = f"{edition_name}.{sender.domain}"
    title = header_text(site_title).replace("<", "").replace(">", "").replace('"', "")
    list_id = f"{title} <{label}>" if title else f"<{label}>"
    return Sender(sender, replies, list_id)


def message_id(edition_id: str, subscriber_id: int, domain: str) -> str:
    """``<edition.subscriber@domain>``: the same for every attempt at one mail, so a
    resend after an uncertain outcome is recognisably the same message."""
    return f"<{edition_id}.{subscriber_id}@{domain}>"


def list_unsubscribe(url: str, mailto: str | None = None, token: str | None = None) -> str:
    """The ``List-Unsubscribe`` value: the HTTPS link, then a mailto when configured."""
    links = [f"<{header_text(url)}>"]
    if mailto:
        subject = quote(f"unsubscribe {token}" if token else "unsubscribe")
        links.append(f"<mailto:{header_text(mailto)}?subject={subject}>")
    return ", ".join(links)


def subject_line(subject: str) -> str:
    """The edition's subject on one line; an empty one is refused."""
    line = header_text(subject)
    if not line:
        raise DeliveryError("the edition's subject is empty; check templates/email/subject.txt")
    return line


def build_message(
    part: RenderedEdition,
    *,
    sender: Sender,
    to_email: str,
    to_name: str | None,
    message_id: str,
    list_unsubscribe: str,
    date: datetime,
    seven_bit: bool = False,
) -> EmailMessage:
    """One personalised edition as a ``multipart/alternative`` message.

    ``part`` must already be personalised (:func:`digest.render.personalise`);
    its HTML carries the preheader as its first, hidden, text. Parts are 8-bit
    where their lines allow (readable as files), else quoted-printable;
    ``seven_bit`` forces quoted-printable (for relays without 8BITMIME).
    """
    msg = EmailMessage(policy=POLICY)
    msg["From"] = sender.from_
    msg["To"] = Address(header_text(to_name or ""), addr_spec=to_email)
    if sender.reply_to is not None:
        msg["Reply-To"] = sender.reply_to
    msg["Subject"] = subject_line(part.subject)
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    msg["List-Id"] = sender.list_id
    msg["List-Unsubscribe"] = header_text(list_unsubscribe)
    msg["List-Unsubscribe-Post"] = ONE_CLICK
    msg["Precedence"] = "bulk"
    msg["Auto-Submitted"] = "auto-generated"
    cte = "quoted-printable" if seven_bit else None
    msg.set_content(part.text, cte=cte)
    msg.add_alternative(part.html, subtype="html", cte=cte)
    return msg


def message_bytes(msg: EmailMessage) -> bytes:
    """The message as sent on the wire (CRLF line ends)."""
    return msg.as_bytes(policy=WIRE_POLICY)
