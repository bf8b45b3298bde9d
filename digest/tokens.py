"""Signed tokens for the links in every mail: confirm, preferences, unsubscribe.

A token names one subscriber *and* a hash of their address, so a token made
for one address is refused for another (and after an address change). The
key comes from the environment only and is never logged.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

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
    return hashlib.sha256(email.strip().casefold().encode()).hexdigest()[:24]


@functools.lru_cache(maxsize=16)
def _serializer(secret: str, purpose: str) -> URLSafeTimedSerializer:
    # Building a serializer derives its keys; a fan-out signs two links per
    # recipient, so each (key, purpose) pair is built once.
    return URLSafeTimedSerializer(secret, salt=f"digest.{purpose}")


@dataclass(frozen=True, slots=True)
class TokenSigner:
    """Makes and reads tokens with one key."""

    secret: str

    def _serializer(self, purpose: Purpose) -> URLSafeTimedSerializer:
        return _serializer(self.secret, purpose)

    def make(self, purpose: Purpose, subscriber_id: int, email: str) -> str:
        return str(self._serializer(purpose).dumps([subscriber_id, address_hash(email)]))

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
            subscriber_id, hashed = self._serializer(purpose).loads(
                token, max_age=int(age.total_seconds())
            )
        except SignatureExpired as exc:
            raise TokenError(f"this {purpose} link has expired; ask for a new one") from exc
        except (BadSignature, ValueError, TypeError) as exc:
            raise TokenError(f"this {purpose} link is not valid") from exc
        if not isinstance(subscriber_id, int) or not isinstance(hashed, str):
            raise TokenError(f"this {purpose} link is not valid")
        if email_of is not None:
            current = email_of.get(subscriber_id)
            if current is None or not hmac.compare_digest(address_hash(current), hashed):
                raise TokenError(f"this {purpose} link is not valid for this address")
        return subscriber_id
