"""Signed tokens for the links in every mail: confirm, preferences, unsubscribe.

A token is ``ID.ADDRESS.TIME.SIGNATURE``: the subscriber id, a hash of their
address (so a token made for one address is refused for another, and after
an address change), when it was made, and an HMAC-SHA256 over all three with
a key of its own per purpose (so a token for one purpose is refused for
another). itsdangerous' ``TimestampSigner`` signs and checks it. The key
comes from the environment only and is never logged.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, base64_encode, want_bytes
from itsdangerous.encoding import int_to_bytes

from digest.errors import DigestError

SECRET_ENV = "DIGEST_SECRET_KEY"
MIN_SECRET_LENGTH = 16
Purpose = Literal["confirm", "preferences", "unsubscribe"]
# How long a link stays valid: confirmation links expire soon; links in mails
# must keep working for as long as a reader may keep the mail.
MAX_AGE: dict[str, timedelta] = {
    "confirm": timedelta(days=2),
    "preferences": timedelta(days=365),
    "unsubscribe": timedelta(days=365 * 2),
}


class TokenError(DigestError):
    """A token is forged, altered, expired, or for another purpose or address."""


class MissingSecretError(DigestError):
    """No signing key in the environment."""


def secret_key(environ: Mapping[str, str] | None = None) -> str:
    """The signing key from ``DIGEST_SECRET_KEY``; refuses to go on without one."""
    value = (environ if environ is not None else os.environ).get(SECRET_ENV, "")
    if len(value) < MIN_SECRET_LENGTH:
        raise MissingSecretError(
            f"{SECRET_ENV} is {'too short' if value else 'not set'}: export a random value of "
            f"at least {MIN_SECRET_LENGTH} characters, e.g. "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    return value


def address_hash(email: str) -> str:
    """96 bits of SHA-256 of the normalised address, URL-safe (16 characters)."""
    digest = hashlib.sha256(email.strip().casefold().encode()).digest()[:12]
    return base64.urlsafe_b64encode(digest).decode("ascii")


class _PurposeSigner(TimestampSigner):
    """itsdangerous' TimestampSigner with HMAC-SHA256 under one purpose's key.

    The key is derived once (itsdangerous would derive it again, and set up a
    new HMAC, for every signature; a fan-out signs two per recipient): signing
    is one ``hmac.digest`` call. Checking is itsdangerous' own, so every token made
    here is also checked against the library's HMAC.
    """

    def __init__(self, secret: str, purpose: str) -> None:
        key = hmac.new(secret.encode(), f"digest.token.{purpose}".encode(), hashlib.sha256)
        super().__init__(key.digest(), key_derivation="none", digest_method=hashlib.sha256)
        self._key = key.digest()
        self._sep = want_bytes(self.sep)
        self._stamp = (-1, b"")

    def sign(self, value: str | bytes) -> bytes:
        """``TimestampSigner.sign``, encoding the time once per second."""
        timestamp = self.get_timestamp()
        if timestamp != self._stamp[0]:
            self._stamp = (timestamp, base64_encode(int_to_bytes(timestamp)))
        signed = want_bytes(value) + self._sep + self._stamp[1]
        return signed + self._sep + self.get_signature(signed)

    def get_signature(self, value: str | bytes) -> bytes:
        """One-shot ``hmac.digest`` (OpenSSL in one call), the bytes itsdangerous makes."""
        mac = hmac.digest(self._key, want_bytes(value), "sha256")
        return base64.urlsafe_b64encode(mac).rstrip(b"=")


@functools.lru_cache(maxsize=16)
def _signer(secret: str, purpose: str) -> _PurposeSigner:
    return _PurposeSigner(secret, purpose)


def _payload(value: bytes) -> tuple[int, str] | None:
    """(subscriber id, address hash) from a verified payload; None when malformed."""
    id_text, _, hashed = value.decode("ascii", "replace").partition(".")
    if not (id_text.isascii() and id_text.isdigit() and hashed.isascii()) or len(hashed) != 16:
        return None
    return int(id_text), hashed


@dataclass(frozen=True, slots=True)
class TokenSigner:
    """Makes and reads tokens with one key."""

    secret: str

    def make(self, purpose: Purpose, subscriber_id: int, email: str) -> str:
        return self.make_hashed(purpose, subscriber_id, address_hash(email))

    def make_hashed(self, purpose: Purpose, subscriber_id: int, hashed: str) -> str:
        """:meth:`make` for an address already hashed with :func:`address_hash`
        (a mail's links share one hash)."""
        return _signer(self.secret, purpose).sign(f"{subscriber_id}.{hashed}").decode("ascii")

    def read(
        self,
        purpose: Purpose,
        token: str,
        email_of: Mapping[int, str] | None = None,
        max_age: timedelta | None = None,
    ) -> int:
        """The subscriber id in ``token``; raises TokenError when it is not valid.

        ``email_of`` maps ids to current addresses: the token must match one.
        """
        age = max_age if max_age is not None else MAX_AGE[purpose]
        try:
            value = _signer(self.secret, purpose).unsign(token, max_age=int(age.total_seconds()))
        except SignatureExpired as exc:
            raise TokenError(f"this {purpose} link has expired; ask for a new one") from exc
        except (BadSignature, ValueError, TypeError) as exc:
            raise TokenError(f"this {purpose} link is not valid") from exc
        payload = _payload(value)
        if payload is None:
            raise TokenError(f"this {purpose} link is not valid")
        subscriber_id, hashed = payload
        if email_of is not None:
            current = email_of.get(subscriber_id)
            if current is None or not hmac.compare_digest(address_hash(current), hashed):
                raise TokenError(f"this {purpose} link is not valid for this address")
        return subscriber_id
