"""The one-shot signing path makes exactly the tokens itsdangerous makes."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from itsdangerous import TimestampSigner

from digest.tokens import TokenSigner, _PurposeSigner, address_hash

SECRET = "one-shot-secret-0123456789"


def library_signer(purpose: str) -> TimestampSigner:
    """itsdangerous' own signer with the key digest derives for ``purpose``."""
    key = hmac.new(SECRET.encode(), f"digest.token.{purpose}".encode(), hashlib.sha256).digest()
    return TimestampSigner(key, key_derivation="none", digest_method=hashlib.sha256)


@pytest.mark.parametrize("purpose", ["confirm", "preferences", "unsubscribe"])
@pytest.mark.parametrize("stamp", [0, 1_767_225_600, 1_767_225_601, 2**31 + 7])
def test_new_path_tokens_equal_the_library_path(
    purpose: str, stamp: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: stamp)
    ours = _PurposeSigner(SECRET, purpose)
    theirs = library_signer(purpose)
    for subscriber_id, email in [(1, "a@example.org"), (987654, "Zoë@Example.org ")]:
        value = f"{subscriber_id}.{address_hash(email)}"
        assert ours.sign(value) == theirs.sign(value)
        assert theirs.unsign(ours.sign(value)) == value.encode()


def test_tokens_made_twice_in_one_second_are_identical_and_read_back() -> None:
    signer = TokenSigner(SECRET)
    first = signer.make("unsubscribe", 42, "reader@example.org")
    assert signer.read("unsubscribe", first, {42: "reader@example.org"}) == 42
    assert library_signer("unsubscribe").validate(first)
    assert not library_signer("preferences").validate(first)
