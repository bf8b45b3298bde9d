from __future__ import annotations

import time
from datetime import timedelta

import pytest

from digest.tokens import MissingSecretError, TokenError, TokenSigner, address_hash, secret_key

SIGNER = TokenSigner("a-test-secret-that-is-long-enough")
EMAILS = {7: "anna@example.nl", 8: "bert@example.nl"}


def test_round_trip_gives_the_subscriber() -> None:
    token = SIGNER.make("unsubscribe", 7, "anna@example.nl")
    assert SIGNER.read("unsubscribe", token, EMAILS) == 7


def test_altered_token_is_refused() -> None:
    token = SIGNER.make("unsubscribe", 7, "anna@example.nl")
    altered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(TokenError, match="not valid"):
        SIGNER.read("unsubscribe", altered, EMAILS)


def test_token_from_another_key_is_refused() -> None:
    forged = TokenSigner("another-secret-of-enough-length").make(
        "unsubscribe", 7, "anna@example.nl"
    )
    with pytest.raises(TokenError):
        SIGNER.read("unsubscribe", forged, EMAILS)


def test_token_for_another_purpose_is_refused() -> None:
    token = SIGNER.make("preferences", 7, "anna@example.nl")
    with pytest.raises(TokenError):
        SIGNER.read("unsubscribe", token, EMAILS)


def test_token_for_another_address_is_refused() -> None:
    token = SIGNER.make("unsubscribe", 7, "anna@example.nl")
    with pytest.raises(TokenError, match="not valid for this address"):
        SIGNER.read("unsubscribe", token, {7: "someone-else@example.nl"})


def test_expired_token_is_refused() -> None:
    token = SIGNER.make("confirm", 7, "anna@example.nl")
    time.sleep(1.1)
    with pytest.raises(TokenError, match="expired"):
        SIGNER.read("confirm", token, EMAILS, max_age=timedelta(seconds=0))


def test_missing_or_short_secret_is_refused_with_advice() -> None:
    with pytest.raises(MissingSecretError, match="DIGEST_SECRET_KEY is not set"):
        secret_key({})
    with pytest.raises(MissingSecretError, match="too short"):
        secret_key({"DIGEST_SECRET_KEY": "short"})
    assert secret_key({"DIGEST_SECRET_KEY": "x" * 32}) == "x" * 32


def test_a_token_from_a_hashed_address_reads_like_any_other() -> None:
    hashed = address_hash(" Anna@Example.NL")  # addresses compare normalised
    token = SIGNER.make_hashed("preferences", 7, hashed)
    assert SIGNER.read("preferences", token, EMAILS) == 7
    assert "anna" not in token.lower()  # the address itself is not in the link
    with pytest.raises(TokenError, match="not valid for this address"):
        SIGNER.read("preferences", token, {7: "bert@example.nl"})
