"""The one-shot signing path makes exactly the tokens itsdangerous makes."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from itsdangerous import TimestampSigner

from digest.tokens import TokenError, TokenSigner, _PurposeSigner, address_hash

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


@pytest.mark.parametrize("stamp", [0, 1_767_225_600, 2**31 + 7])
@pytest.mark.parametrize(
    ("subscriber_id", "email"), [(1, "a@example.org"), (987654, " Zoë@Example.org ")]
)
def test_a_mails_tokens_made_in_one_go_equal_and_verify_as_those_made_one_by_one(
    stamp: int, subscriber_id: int, email: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: stamp)
    signer = TokenSigner(SECRET)
    unsubscribe, preferences = signer.mail_tokens(subscriber_id, email)
    assert unsubscribe == signer.make("unsubscribe", subscriber_id, email)
    assert preferences == signer.make("preferences", subscriber_id, email)
    assert library_signer("unsubscribe").unsign(unsubscribe) == library_signer(
        "unsubscribe"
    ).unsign(signer.make("unsubscribe", subscriber_id, email))
    assert library_signer("preferences").validate(preferences)
    assert not library_signer("preferences").validate(unsubscribe)


def test_a_mails_tokens_read_back_like_any_other_and_only_for_their_purpose() -> None:
    signer = TokenSigner(SECRET)
    unsubscribe, preferences = signer.mail_tokens(7, "lotte@example.org")
    owner = {7: "lotte@example.org"}
    assert signer.read("unsubscribe", unsubscribe, owner) == 7
    assert signer.read("preferences", preferences, owner) == 7
    for purpose, token in [("preferences", unsubscribe), ("unsubscribe", preferences)]:
        with pytest.raises(TokenError):
            signer.read(purpose, token, owner)  # type: ignore[arg-type]
    with pytest.raises(TokenError):
        signer.read("unsubscribe", unsubscribe, {7: "other@example.org"})


@pytest.mark.parametrize("email", ["a@example.org", " Zoë@Example.org ", "x+y/z@example.org"])
def test_the_address_hash_is_urlsafe_base64_of_sha256s_first_96_bits(email: str) -> None:
    digest = hashlib.sha256(email.strip().casefold().encode()).digest()[:12]
    assert address_hash(email) == base64.urlsafe_b64encode(digest).decode()
