"""Kinds of event (digest/edition/eventkinds.py): found by stem, compounds by their head."""

from __future__ import annotations

from digest.edition.cluster import _stem, words
from digest.edition.eventkinds import KINDS, KindFinder, agree

FINDER = KindFinder(_stem)


def kinds(text: str) -> frozenset[str]:
    return FINDER.kinds(_stem(w) for w in words(text))


def test_a_kind_is_found_in_any_form_and_as_a_compound_head() -> None:
    assert kinds("Het personeel staakt donderdag.") == {"staking"}
    assert kinds("Door de treinstaking rijden er geen treinen.") == {"staking"}
    assert kinds("De presidentsverkiezingen in Venezuela.") == {"verkiezing"}
    assert kinds("Storm Ingrid bereikt de kust; de stormen houden aan.") == {"noodweer"}


def test_a_word_that_only_starts_with_a_kind_is_not_that_kind() -> None:
    # The head of a Dutch compound is its end: a fire brigade is no fire, a
    # striker in football no attack.
    assert kinds("De brandweer rukte uit.") == frozenset()
    assert kinds("Feyenoord verkoopt zijn aanvaller.") == frozenset()


def test_one_event_told_in_other_words_keeps_a_kind_in_common() -> None:
    assert kinds("Een explosie in de fabriek.") == kinds("De brand in de fabriek.")
    assert kinds("De storm trekt over het land.") == kinds("Overstromingen in het zuiden.")
    assert set(KINDS) >= {"staking", "noodweer", "verkiezing"}


def test_two_kinds_in_one_brief_are_both_found() -> None:
    assert kinds("Na de aardbeving brak brand uit.") == {"aardbeving", "brand"}


def qualified(text: str) -> frozenset[tuple[str, str]]:
    return FINDER.qualified(_stem(w) for w in words(text))


def test_a_compounds_first_part_qualifies_its_kind() -> None:
    assert qualified("De presidentsverkiezingen.") == {("verkiezing", "presidents")}
    assert qualified("De gouverneursverkiezingen.") == {("verkiezing", "gouverneurs")}
    # A first part under five letters says no more than the kind: a forest fire is a fire.
    assert qualified("Een bosbrand bij Ede.") == {("brand", "")}
    assert qualified("Verkiezingen in mei.") == {("verkiezing", "")}


def test_kinds_agree_unqualified_or_with_the_same_first_part() -> None:
    president = qualified("De presidentsverkiezingen.")
    governors = qualified("De gouverneursverkiezingen.")
    plain = qualified("De verkiezingen.")
    assert not agree(president, governors)
    assert agree(president, plain) and agree(governors, plain)
    assert agree(president, qualified("Na de presidentsverkiezingen."))
    assert agree(president, frozenset())  # a brief without a kind agrees with any
    assert not agree(plain, qualified("De staking."))
