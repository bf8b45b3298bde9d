"""SendGrid's Event Webhook: bounces, blocks, spam reports and unsubscribes
marked on the subscriber, each event once; and every event that proves
SendGrid accepted a message settles its uncertain delivery row as sent
(:mod:`digest.deliver.settle`).

The request is verified with the ``sendgrid`` package's own helper (ECDSA
P-256 over timestamp + body, public key from ``SENDGRID_WEBHOOK_PUBLIC_KEY``)
before anything is read; an unsigned, badly signed or unverifiable request
gets 403 and changes nothing, and so does a signed timestamp more than
:data:`MAX_AGE` away from our clock (a captured request cannot be replayed
later). A body over the web app's limit gets 413 unread (see
:mod:`digest.web.security`); one that is not a JSON list or nests deeper than
:data:`MAX_DEPTH` gets 400. Events are
deduplicated by ``sg_event_id`` in the ``webhook_events`` table.
"""

from __future__ import annotations

import binascii
import hashlib
import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from sendgrid.helpers.eventwebhook import EventWebhook
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from digest.deliver.settle import settle_from_event
from digest.errors import DigestError
from digest.store import Store
from digest.web.context import web_of
from digest.web.records import apply_event, event_seen, remember_event

log = logging.getLogger(__name__)

MAX_AGE = timedelta(minutes=5)
MAX_DEPTH = 16  # a list of flat events is 3 deep
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_NOT_BRACKET = re.compile(rb"[^\[\]{}]")
PUBLIC_KEY_ENV = "SENDGRID_WEBHOOK_PUBLIC_KEY"
SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
EVENT_STATUS: Mapping[str, str] = {
    "bounce": "bounced",  # SendGrid's bounce event covers both type "bounce" and "blocked"
    "blocked": "bounced",
    "spamreport": "complained",
    "unsubscribe": "unsubscribed",
    "group_unsubscribe": "unsubscribed",
}
# A drop says why SendGrid did not even try; only these reasons are about the address.
DROP_STATUS: Mapping[str, str] = {
    "bounced address": "bounced",
    "invalid": "bounced",
    "spam reporting address": "complained",
    "unsubscribed address": "unsubscribed",
}


class WebhookKeyError(DigestError):
    """The configured webhook verification key cannot be used."""


def load_public_key(text: str) -> EllipticCurvePublicKey:
    """The verification key as SendGrid shows it (base64 DER, no PEM lines)."""
    body = "".join(
        line for line in text.strip().splitlines() if line and not line.startswith("-----")
    )
    try:
        key = EventWebhook().convert_public_key_to_ecdsa(body)
    except (ValueError, TypeError) as exc:
        raise WebhookKeyError(
            f"{PUBLIC_KEY_ENV} is not a public key: copy the verification key from "
            "SendGrid's Mail Settings > Signed Event Webhook Requests"
        ) from exc
    if not isinstance(key, EllipticCurvePublicKey):
        raise WebhookKeyError(f"{PUBLIC_KEY_ENV} is not an elliptic-curve (ECDSA) public key")
    return key


def public_key_from_env(environ: Mapping[str, str] | None = None) -> EllipticCurvePublicKey | None:
    text = (environ if environ is not None else os.environ).get(PUBLIC_KEY_ENV, "").strip()
    return load_public_key(text) if text else None


def verified(
    key: EllipticCurvePublicKey | None, payload: bytes, signature: str | None, timestamp: str | None
) -> bool:
    """Whether SendGrid signed ``timestamp + payload`` with the key's private half."""
    if key is None or not signature or not timestamp:
        return False
    try:
        ok = EventWebhook().verify_signature(payload.decode("utf-8"), signature, timestamp, key)
    except (UnicodeDecodeError, binascii.Error, ValueError, TypeError):
        return False
    return bool(ok)


def status_for(event: Mapping[str, Any]) -> str | None:
    """The subscriber status an event calls for, or None for events we keep no record of."""
    kind = str(event.get("event", ""))
    if kind == "dropped":
        return DROP_STATUS.get(str(event.get("reason", "")).strip().lower())
    return EVENT_STATUS.get(kind)


def event_key(event: Mapping[str, Any]) -> str:
    """``sg_event_id``, or a digest of the event for one without it."""
    given = event.get("sg_event_id")
    if isinstance(given, str) and given:
        return given[:128]
    canonical = json.dumps(event, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class EventCounts:
    applied: int = 0
    duplicate: int = 0
    ignored: int = 0
    settled: int = 0  # uncertain deliveries the event proved sent


def handle_events(store: Store, events: list[Any], *, now: datetime) -> EventCounts:
    """Apply each new event's status to its subscriber, then remember the event.

    Only events that call for a status are remembered. Applying is idempotent,
    so an event is remembered after it took effect: a crash in between means
    SendGrid retries and it is applied again.
    """
    counts = EventCounts()
    for event in events:
        if isinstance(event, dict) and settle_from_event(store, event, now=now):
            counts.settled += 1
        status = status_for(event) if isinstance(event, dict) else None
        if status is None or not isinstance(event.get("email"), str):
            counts.ignored += 1  # opens, deliveries...: nothing to record
            continue
        key = event_key(event)
        if event_seen(store, key):
            counts.duplicate += 1
            continue
        email = event["email"].strip().lower()
        if apply_event(store, email, status, now=now) is None:
            counts.ignored += 1  # not (or no longer) a subscriber
        else:
            counts.applied += 1
        remember_event(store, key, str(event["event"]), email, now=now)
    return counts


def fresh(timestamp: str | None, now: datetime) -> bool:
    """Whether a signed Unix ``timestamp`` lies within :data:`MAX_AGE` of ``now``."""
    try:
        signed = datetime.fromtimestamp(int(timestamp or ""), now.tzinfo)
    except (ValueError, OverflowError, OSError):
        return False
    return abs(now - signed) <= MAX_AGE


def nesting_depth(payload: bytes) -> int:
    """How deep the brackets of a JSON text nest (strings skipped), in one pass."""
    depth = deepest = 0
    for bracket in _NOT_BRACKET.sub(b"", _JSON_STRING.sub(b'""', payload)):
        depth += 1 if bracket in b"[{" else -1
        deepest = max(deepest, depth)
    return deepest


def parse_events(payload: bytes) -> list[Any]:
    """The JSON list of events; HTTPException 400 for anything else."""
    if nesting_depth(payload) > MAX_DEPTH:
        raise HTTPException(400, "json nested too deep")
    try:
        events = json.loads(payload)
    except (ValueError, RecursionError) as exc:
        raise HTTPException(400, "json") from exc
    if not isinstance(events, list):
        raise HTTPException(400, "json")
    return events


async def sendgrid_events(request: Request) -> Response:
    web = web_of(request)
    payload = await request.body()  # capped by the body-limit middleware (413)
    signature = request.headers.get(SIGNATURE_HEADER)
    timestamp = request.headers.get(TIMESTAMP_HEADER)
    if not verified(web.webhook_key, payload, signature, timestamp):
        log.warning("SendGrid webhook: refused a request whose signature does not verify")
        raise HTTPException(403, "signature")
    if not fresh(timestamp, web.now()):
        log.warning("SendGrid webhook: refused a signed request of %s (replayed?)", timestamp)
        raise HTTPException(403, "stale timestamp")
    events = parse_events(payload)
    counts = await run_in_threadpool(handle_events, web.store, events, now=web.now())
    log.info("SendGrid webhook: %s", counts)
    return JSONResponse(
        {
            "applied": counts.applied,
            "duplicate": counts.duplicate,
            "ignored": counts.ignored,
            "settled": counts.settled,
        }
    )
