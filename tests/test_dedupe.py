from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from digest.model import Item
from digest.store import dedupe

T0 = datetime(2026, 1, 21, 9, 0, tzinfo=UTC)


def brief(
    text: str, dateline: str | None = "TEHERAN", at: datetime | None = T0, title: str | None = None
) -> Item:
    return Item("brief", title, dateline, ("ANP",), text, at, "Buitenland", "s.txt")


def test_content_hash_ignores_case_space_and_unicode_form() -> None:
    a = brief("Iran zegt dat het internet  wordt hersteld.")
    b = brief("iran zegt dat het internet wordt hersteld.")
    c = brief("Iran zegt dat het internet wordt hersteld!")
    assert dedupe.content_hash(a) == dedupe.content_hash(b)
    assert dedupe.content_hash(a) != dedupe.content_hash(c)


def test_content_hash_depends_on_dateline() -> None:
    assert dedupe.content_hash(brief("x")) != dedupe.content_hash(brief("x", dateline="NUUK"))


def test_reworded_brief_with_new_figures_is_a_revision() -> None:
    old = "In Iran zijn in 2025 zeker 1500 doodstraffen uitgevoerd door het regime."
    new = "In Iran zijn in 2025 zeker 1600 doodstraffen uitgevoerd door het regime, meldt Türk."
    candidate = dedupe.Candidate("s1", "brief", "TEHERAN", None, T0, dedupe.signature(old))
    item = brief(new, at=T0 + timedelta(hours=2))
    assert dedupe.best_match(item, dedupe.signature(new), [candidate]) == candidate


def test_other_story_from_same_place_is_not_a_revision() -> None:
    one = "Iran zegt dat het internet in het land deze week geleidelijk wordt hersteld."
    two = "De executie van een Iraanse demonstrant is uitgesteld, meldt Hengaw."
    candidate = dedupe.Candidate("s1", "brief", "TEHERAN", None, T0, dedupe.signature(one))
    assert dedupe.best_match(brief(two), dedupe.signature(two), [candidate]) is None


def test_same_words_elsewhere_or_much_later_are_not_revisions() -> None:
    text = "Iran zegt dat het internet in het land deze week geleidelijk wordt hersteld."
    sig = dedupe.signature(text)
    elsewhere = dedupe.Candidate("s1", "brief", "GENÈVE", None, T0, sig)
    later = dedupe.Candidate("s2", "brief", "TEHERAN", None, T0 - timedelta(days=3), sig)
    assert dedupe.best_match(brief(text), sig, [elsewhere, later]) is None


def test_undated_items_without_dateline_match_only_by_title() -> None:
    text = "Zelensky zegt dat 3000 Noord-Koreaanse militairen zijn gedood of gewond."
    sig = dedupe.signature(text)
    same = dedupe.Candidate("s1", "article", None, "Zelensky claimt", None, sig)
    item = Item("article", "Zelensky claimt", None, (), text, None, None, "s")
    other = Item("article", "Iets anders", None, (), text, None, None, "s")
    assert dedupe.best_match(item, sig, [same]) == same
    assert dedupe.best_match(other, sig, [same]) is None


def test_reconcile_intersects_the_intervals_of_two_captures() -> None:
    # "1 uur geleden" at 10:00 → (08:00, 09:00]; "1 uur geleden" at 10:30 → (08:30, 09:30]
    a = (T0 - timedelta(hours=1), T0)
    b = (T0 - timedelta(minutes=30), T0 + timedelta(minutes=30))
    assert dedupe.reconcile(*a, *b) == (T0 - timedelta(minutes=30), T0)


def test_reconcile_keeps_known_bounds_when_one_side_is_undated() -> None:
    a = (T0 - timedelta(hours=1), T0)
    assert dedupe.reconcile(*a, None, None) == a
    assert dedupe.reconcile(None, None, *a) == a


def test_reconcile_keeps_the_first_interval_when_captures_contradict() -> None:
    a = (T0 - timedelta(hours=1), T0)
    b = (T0 + timedelta(hours=2), T0 + timedelta(hours=3))
    assert dedupe.reconcile(*a, *b) == a


def test_story_id_is_stable_prefix_of_first_revision_hash() -> None:
    digest_ = dedupe.content_hash(brief("x"))
    assert dedupe.story_id(digest_) == digest_[:16]


@given(st.text(alphabet=st.sampled_from("aB é\u00a0\t\n\x1f\u2028\u3000 ﬁI\u0130x.")))
def test_normalise_is_nfkc_casefold_with_single_spaces(text: str) -> None:
    # The short cut for texts already spaced singly must give what the rule gives.
    folded = unicodedata.normalize("NFKC", text).casefold()
    assert dedupe.normalise(text) == " ".join(folded.split())


def test_normalise_keeps_a_singly_spaced_text_and_folds_the_rest() -> None:
    assert dedupe.normalise("De Regering zegt") == "de regering zegt"
    assert dedupe.normalise(" De  Regering\n\nzegt\u00a0nu ") == "de regering zegt nu"
    assert dedupe.normalise("a\u2028b") == "a b"
    assert dedupe.normalise("") == ""
