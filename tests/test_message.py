"""The RFC 5322 message: structure, list headers, header safety."""

from __future__ import annotations

import email
import email.policy
from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from digest.deliver.message import (
    build_message,
    header_text,
    list_unsubscribe,
    make_sender,
    message_bytes,
    message_id,
    parse_address,
)
from digest.errors import DeliveryError
from digest.render.outputs import RenderedEdition, personalise, render_edition
from tests.delivery_helpers import make_edition

WHEN = datetime(2026, 1, 21, 6, 0, 5, tzinfo=UTC)
TOKEN = "WzEsImFiYyJd.aW5ZGg." + "x" * 120  # long, as signed tokens are
UNSUBSCRIBE = f"https://news.example.org/unsubscribe/{TOKEN}"


def rendered() -> RenderedEdition:
    return render_edition(
        make_edition(), locale="nl", site_title="Digest", base_url="https://news.example.org"
    )


def parsed(
    part: RenderedEdition | None = None, *, name: str | None = "Anna", seven_bit: bool = False
) -> tuple[bytes, EmailMessage]:
    sender = make_sender(
        "Digest <digest@example.org>",
        "Redactie <redactie@example.org>",
        site_title="Digest",
        edition_name="ochtend",
    )
    filled = personalise(
        part or rendered(),
        name=name,
        unsubscribe_url=UNSUBSCRIBE,
        preferences_url="https://news.example.org/preferences/abc",
    )
    msg = build_message(
        filled,
        sender=sender,
        to_email="anna@example.org",
        to_name=name,
        message_id=message_id("ochtend-2026-01-21T0700", 42, sender.domain),
        list_unsubscribe=list_unsubscribe(UNSUBSCRIBE, "unsubscribe@example.org", TOKEN),
        date=WHEN,
        seven_bit=seven_bit,
    )
    raw = message_bytes(msg)
    back = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(back, EmailMessage)
    return raw, back


def test_a_message_is_multipart_alternative_with_text_then_html() -> None:
    _, msg = parsed()
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None
    assert "Goedemorgen Anna," in text.get_content()
    assert UNSUBSCRIBE in text.get_content()
    assert f'href="{UNSUBSCRIBE}"' in html.get_content()
    preheader = rendered().preheader
    assert preheader and preheader in html.get_content()


def test_the_headers_bulk_senders_need() -> None:
    raw, msg = parsed()
    assert msg["From"] == "Digest <digest@example.org>"
    assert msg["To"] == "Anna <anna@example.org>"
    assert msg["Reply-To"] == "Redactie <redactie@example.org>"
    assert msg["Subject"] == rendered().subject
    assert msg["Date"] == "Wed, 21 Jan 2026 06:00:05 +0000"
    assert msg["Message-ID"] == "<ochtend-2026-01-21T0700.42@example.org>"
    assert msg["List-Id"] == "Digest <ochtend.example.org>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["List-Unsubscribe"] == (
        f"<{UNSUBSCRIBE}>, <mailto:unsubscribe@example.org?subject=unsubscribe%20{TOKEN}>"
    )
    # the long link stays one unencoded word on the wire, not an RFC 2047 encoded-word
    assert f"List-Unsubscribe: <{UNSUBSCRIBE}>".encode() in raw
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))


def test_the_message_id_is_the_same_for_every_attempt() -> None:
    assert message_id("e", 7, "example.org") == message_id("e", 7, "example.org")
    assert message_id("e", 7, "example.org") != message_id("e", 8, "example.org")


def test_no_header_can_be_injected_through_subject_or_name() -> None:
    hostile = replace(rendered(), subject="Nieuws\r\nBcc: spy@example.net\nX-Evil: 1")
    raw, msg = parsed(hostile, name="Anna\r\nBcc: spy@example.net")
    assert msg["Bcc"] is None and msg["X-Evil"] is None
    assert msg["Subject"] == "Nieuws Bcc: spy@example.net X-Evil: 1"
    assert b"\r\nBcc:" not in raw
    assert header_text("a\r\n\tb\x00c") == "a b c"


def test_an_empty_subject_is_refused() -> None:
    with pytest.raises(DeliveryError, match="subject is empty"):
        parsed(replace(rendered(), subject=" \r\n "))


def test_seven_bit_parts_are_quoted_printable() -> None:
    raw, msg = parsed(seven_bit=True)
    assert all(p["Content-Transfer-Encoding"] == "quoted-printable" for p in msg.iter_parts())
    assert max(raw) < 128
    text = msg.get_body(("plain",))
    assert text is not None and "Goedemorgen Anna," in text.get_content()


def test_sender_addresses_come_from_config_and_bad_ones_are_named() -> None:
    sender = make_sender(
        "news@example.org", None, site_title='De "Digest" <nl>', edition_name="avond"
    )
    assert sender.reply_to is None and sender.domain == "example.org"
    assert sender.list_id == "De Digest nl <avond.example.org>"
    with pytest.raises(DeliveryError, match=r"'delivery\.from'"):
        parse_address("Digest", "delivery.from")
    with pytest.raises(DeliveryError, match="one address"):
        parse_address("a@example.org, b@example.org", "delivery.reply_to")


def test_list_unsubscribe_without_mailto_is_the_link_alone() -> None:
    assert list_unsubscribe(UNSUBSCRIBE) == f"<{UNSUBSCRIBE}>"
