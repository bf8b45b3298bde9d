"""Events: the labelled sets, scored pair by pair.

``tests/data/events.toml``, ``tests/data/events_heldout.toml`` (held-out
set 1) and ``tests/data/events_heldout2.toml`` (held-out set 2), each held-out
set written blind and first scored after the rules were frozen, are the sets
the rules are now chosen on, all three together (README, "Events").
Run with ``-s`` to see the figures; the tests fail when precision or recall
falls below what the rules reach now.
"""

from __future__ import annotations

import itertools
import random
import tomllib
from pathlib import Path
from typing import Any

import pytest

from digest.classify.classifier import Classifier
from digest.classify.regions import load_regions
from digest.edition import cluster
from digest.edition.cluster import bags, cluster_texts, similar_pairs
from digest.edition.eventkinds import KindFinder, agree
from digest.edition.reference import FLOOR_ZIPF, reference_share
from digest.model import Item

ROOT = Path(__file__).resolve().parent.parent


def load(name: str) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = tomllib.loads((ROOT / "tests/data" / name).read_text("utf-8"))[
        "brief"
    ]
    return cases


CASES = load("events.toml")
# What the rules in digest/edition/cluster.py reach on each set (see README,
# "Events"), as (precision, recall). On the labelled set the earlier rules gave
# 0.921 / 0.967. The held-out set's first score, with the rules frozen before it
# was merged, was 0.609 / 0.378 (the earlier rules: 0.471 / 0.432); after two
# rules made since (place names are not split, reporting nouns and units are no
# terms) 0.700 / 0.378. The held-out set is no longer unseen for those two.
# Since then both sets are development sets, and the threshold 0.32 was chosen
# on them together: labelled 0.968 / 1.000, held-out set 1 0.727 / 0.432 (at
# 0.34 recall was 0.967 and 0.378, below these floors). Held-out set 2
# (tests/data/events_heldout2.toml) was merged after those rules were frozen;
# its first, blind score was 0.688 / 0.306 (at 0.34 it would have been
# 0.750 / 0.250). Then average linkage (a pair joins two groups only when their
# mean cosine is at least the threshold) and the threshold 0.20 were chosen on
# all three sets together: labelled 0.938 / 1.000, held-out set 1
# 0.781 / 0.676, held-out set 2 0.733 / 0.611. All three are development sets now.
# Held-out set 3 (tests/data/events_heldout3.toml, 74 briefs, written blind by
# another hand) was merged after those rules were frozen (17:36, 4130160); its
# first, blind score was 0.769 / 0.588 (the earlier rules, single link at 0.32:
# 0.818 / 0.353). Do not tune against it.
# Then two rules and the threshold 0.17, chosen on the first three sets: two
# groups join only if every brief of one shares a word that is not a place
# with every brief of the other and no two differ in kind, and a compound's
# first part qualifies its kind (presidents- and gouverneursverkiezingen):
# labelled 0.968 / 1.000, held-out set 1 0.812 / 0.703, held-out set 2
# 0.833 / 0.694; held-out set 3, scored but not tuned on, 0.727 / 0.627
# (F1 0.673 against 0.666).
FLOORS = {
    "events.toml": (0.96, 0.99),
    "events_heldout.toml": (0.81, 0.70),
    "events_heldout2.toml": (0.83, 0.69),
    "events_heldout3.toml": (0.72, 0.62),
}


def countries_of(cases: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    classifier = Classifier(load_regions(ROOT / "config/regions.toml"))
    items = [
        Item("brief", None, c.get("dateline"), ("ANP",), c["text"], None, None, "events")
        for c in cases
    ]
    return [classifier.classify(item).countries for item in items]


def pair_scores(cases: list[dict[str, Any]]) -> tuple[int, int, int]:
    """True positive, false positive and false negative pairs of the clustering."""
    groups = cluster_texts(
        [c["text"] for c in cases],
        [c["section"] for c in cases],
        countries_of(cases),
        regional=[c["section"] != "overig" for c in cases],
    )
    label = {i: n for n, group in enumerate(groups) for i in group}
    tp = fp = fn = 0
    for i, j in itertools.combinations(range(len(cases)), 2):
        same, joined = cases[i]["event"] == cases[j]["event"], label[i] == label[j]
        tp += same and joined
        fp += joined and not same
        fn += same and not joined
    return tp, fp, fn


def test_the_labelled_set_is_large_and_has_clusters_and_near_misses() -> None:
    events = [c["event"] for c in CASES]
    assert len(CASES) >= 60
    assert sum(events.count(e) > 1 for e in set(events)) >= 15
    by_section: dict[str, set[str]] = {}
    for case in CASES:
        by_section.setdefault(case["section"], set()).add(case["event"])
    assert all(len(found) >= 4 for found in by_section.values())


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_precision_and_recall_on_the_labelled_sets(name: str) -> None:
    cases = load(name)
    tp, fp, fn = pair_scores(cases)
    precision, recall = tp / ((tp + fp) or 1), tp / (tp + fn)
    print(f"\nevents ({name}): {len(cases)} briefs, pairs tp={tp} fp={fp} fn={fn}, "
          f"precision {precision:.3f}, recall {recall:.3f}")  # fmt: skip
    floor_precision, floor_recall = FLOORS[name]
    assert precision >= floor_precision
    assert recall >= floor_recall


def test_scoring_counts_a_wrong_join_and_a_missed_one() -> None:
    same = "Storm Ingrid legt het treinverkeer in het noorden van het land stil."
    cases = [
        {"event": "a", "section": "overig", "text": same},
        {"event": "b", "section": "overig", "text": same},
        {"event": "c", "section": "overig", "text": "Ajax ontslaat trainer Heitinga."},
        {"event": "c", "section": "overig", "text": "Feyenoord verkoopt Ueda."},
    ]
    assert pair_scores(cases) == (0, 1, 1)


def test_compounds_share_their_parts() -> None:
    crisis, land = bags(["De Groenlandcrisis duurt voort.", "Troepen naar Groenland."])
    assert "groenland" in crisis and "groenland" in land


def test_a_place_name_is_not_split_into_words_of_the_corpus() -> None:
    # "groen" (green light) and "schip" are words of these texts; Groenland
    # and Schiphol are names, not compounds of them.
    found = bags(["Groen licht voor Groenland.", "Een schip bij Schiphol.", "Groenland, Schiphol."])
    assert "groen" not in found[2] and "schip" not in found[2]
    assert found[2]["groenland"] == 1.0


def test_reporting_nouns_and_units_are_no_terms() -> None:
    (bag,) = bags(["Een woordvoerder meldt het persbureau: 110 kilometer per uur, 20 euro."])
    assert not {"woordvoerder", "persbureau", "kilometer", "per", "euro"} & set(bag)


def test_an_inflected_compound_head_counts_through_its_stem() -> None:
    # "verkiezing" is not a word of these texts, only "verkiezingen": the head is
    # found by stem (herverkies ends with verkies).
    reelection, elections = bags(["De herverkiezing van Maduro.", "De verkiezingen in Venezuela."])
    assert "verkies" in reelection and "verkies" in elections


def test_one_shared_word_is_not_an_event() -> None:
    texts = ["Venezuela wint de honkbalfinale.", "Venezuela krijgt een nieuwe grondwet."]
    assert similar_pairs(texts, threshold=0.0) == []


def test_a_brief_like_one_brief_of_an_event_does_not_bridge_it_to_another() -> None:
    # The middle brief is like both others (cosines 0.89 and 0.37), the outer
    # two share nothing: under single link all three were one event; by the
    # mean cosine the strike joins the storm's two briefs only if it is like
    # both (here (0.37 + 0) / 2 < THRESHOLD).
    texts = [
        "Storm Ingrid velt bomen in Friesland, dijkwachten rukken uit langs de Waddenkust "
        "en veerboten naar Ameland blijven liggen.",
        "Storm Ingrid velt bomen in Friesland langs de Waddenkust, veerboten naar Ameland "
        "blijven liggen en dijkwachten rukken uit; de treinstaking hindert reizigers.",
        "De treinstaking hindert reizigers in het hele land; vakbonden eisen loonsverhoging "
        "van NS en schrappen ritten.",
    ]
    assert similar_pairs(texts) == [(0, 1), (1, 2)]
    assert cluster_texts(texts) == [[0, 1], [2]]


def plain_average_linkage(
    texts: list[str], groups: list[str], threshold: float
) -> set[frozenset[int]]:
    """The lexical tier by the plain rule: pairs most similar first, two groups
    joined when the mean of every cross pair's cosine is at least the threshold
    and every cross pair shares a term that is not a place and agrees in kind."""
    vectors = cluster._vectors(bags(texts))
    places = cluster._places(texts)
    finder = KindFinder(cluster._stem)
    kinds = [finder.qualified(map(cluster._stem, cluster.words(t))) for t in texts]

    def cosine(i: int, j: int) -> float:
        return sum(w * vectors[j].get(t, 0.0) for t, w in vectors[i].items())

    def related(i: int, j: int) -> bool:
        shared = set(vectors[i]) & set(vectors[j])
        return bool(shared - places) and agree(kinds[i], kinds[j])

    pairs = sorted(similar_pairs(texts, threshold=threshold), key=lambda p: (-cosine(*p), p))
    member = {i: frozenset([i]) for i in range(len(texts))}
    for i, j in pairs:
        a, b = member[i], member[j]
        if a == b or groups[i] != groups[j]:
            continue
        if sum(cosine(x, y) for x in a for y in b) >= threshold * len(a) * len(b) and all(
            related(x, y) for x in a for y in b
        ):
            for k in a | b:
                member[k] = a | b
    return set(member.values())


@pytest.mark.parametrize("name", sorted(FLOORS))
@pytest.mark.parametrize("threshold", [0.16, 0.20, 0.24])
def test_summed_vectors_give_the_plain_mean_of_cross_cosines(name: str, threshold: float) -> None:
    cases = load(name)
    texts, groups = [c["text"] for c in cases], [c["section"] for c in cases]
    found = {frozenset(g) for g in cluster_texts(texts, groups, threshold=threshold)}
    assert found == plain_average_linkage(texts, groups, threshold)


@pytest.mark.parametrize("SIZE", [200])
def test_two_large_events_sharing_words_cluster_as_by_the_plain_rule(SIZE: int) -> None:
    """Many pairs between the same two groups: a failed comparison is kept and
    not computed again (until either group grows); the groups stay the plain
    rule's. Invented words, so no shipped frequency decides."""
    rng = random.Random(7)
    syllables = "ka lo mi ne ru ta vo sel dam berg rijk stad haven wet raad zorg".split()
    common = "regering minister leger protest president parlement economie".split()
    events = [["".join(rng.choices(syllables, k=3)) for _ in range(40)] for _ in range(2)]
    texts = []
    for _ in range(SIZE):
        own = events[rng.randrange(2)]
        words = (rng.choice(own) if rng.random() < 0.2 else rng.choice(common) for _ in range(40))
        texts.append(" ".join(words) + ".")
    groups = ["a"] * len(texts)
    found = {frozenset(g) for g in cluster_texts(texts, groups)}
    assert found == plain_average_linkage(texts, groups, cluster.THRESHOLD)
    assert len(found) < len(texts)  # some did join


def test_in_a_small_edition_an_event_that_is_most_of_it_still_joins() -> None:
    """Three of four briefs on one event: its words are in more than half of the
    texts, which in a large edition keeps a word from proposing pairs (the
    reviewer found that such an edition showed three entries)."""
    texts = [
        "Denemarken stuurt extra militairen en fregatten naar Groenland, meldt Kopenhagen.",
        "Kopenhagen stuurt fregatten en extra militairen naar Groenland.",
        "De Deense regering stuurt militairen en twee fregatten naar Groenland.",
        "In Nuuk is een nieuwe haven geopend voor vissersboten en vrachtschepen.",
    ]
    assert sorted(cluster_texts(texts)) == [[0, 1, 2], [3]]


def test_different_sections_never_join() -> None:
    text = "Storm Ingrid legt het treinverkeer in het noorden van het land stil."
    assert cluster_texts([text, text]) == [[0, 1]]
    assert cluster_texts([text, text], ["a", "b"]) == [[0], [1]]


def test_place_names_alone_never_join(monkeypatch: pytest.MonkeyPatch) -> None:
    # Two rare place names and their countries, nothing else in common: what
    # happened must give at least half the threshold.
    texts = [
        "Colombia sluit de grens met Venezuela na schoten op grenswachten.",
        "Colombia en Venezuela spelen vanavond de halve finale van de Copa.",
    ]
    countries = [("CO", "VE"), ("CO", "VE")]
    assert similar_pairs(texts, countries) == []
    monkeypatch.setattr(cluster, "PLACE_SHARE", 0.0)
    assert similar_pairs(texts, countries) == [(0, 1)]


def test_briefs_of_different_kinds_of_event_never_join(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [
        "Door storm Ingrid rijden er dinsdag geen treinen in het noorden van het land.",
        "Door de treinstaking rijden er dinsdag in het hele land geen treinen.",
    ]
    assert similar_pairs(texts) == []
    monkeypatch.setattr(cluster._Texts, "agree", lambda self, i, j: True)
    assert similar_pairs(texts) == [(0, 1)]


def test_a_brief_joins_a_group_only_sharing_what_happened_with_each_of_its_briefs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The labelled set's governors' elections share "Maduro" and "houdt" with the
    # first brief on the blockade and only places with the second: by the mean
    # alone the three were one event.
    texts = [
        "Venezuela houdt in mei gouverneursverkiezingen in alle drieëntwintig deelstaten. "
        "De regeringspartij van Maduro heeft haar kandidaten al aangewezen.",
        "De Amerikaanse marine houdt olietankers voor de kust van Venezuela tegen. "
        "Washington wil de olie-export van de regering-Maduro stilleggen.",
        "Venezuela noemt de Amerikaanse blokkade van zijn olietankers piraterij en vraagt "
        "de VN-Veiligheidsraad om een spoedzitting.",
    ]
    countries = [("VE",), ("VE", "US"), ("VE", "US")]
    assert (0, 1) in similar_pairs(texts, countries)
    assert cluster_texts(texts, countries=countries) == [[0], [1, 2]]
    monkeypatch.setattr(cluster._Texts, "content", lambda self, index: {"x"})
    assert cluster_texts(texts, countries=countries) == [[0, 1, 2]]


def test_elections_of_different_offices_are_different_events() -> None:
    texts = [
        "Maduro wint de presidentsverkiezingen, zegt de kiesraad in Caracas.",
        "Maduro wil de gouverneursverkiezingen winnen, zegt de kiesraad in Caracas.",
        "De kiesraad in Caracas telt de stemmen van de verkiezingen die Maduro won.",
    ]
    assert similar_pairs(texts) == [(0, 2), (1, 2)]


def test_a_brief_without_a_kind_of_event_may_join_one_with_a_kind() -> None:
    texts = [
        "De staking van het grondpersoneel op Schiphol duurt tot donderdag.",
        "Het grondpersoneel van Schiphol legt tot donderdag het werk neer.",
    ]
    assert similar_pairs(texts) == [(0, 1)]


def test_common_dutch_words_weigh_less_than_rare_ones_the_edition_has_as_often(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # "land" and "Ingrid" are each in two of the four texts; Dutch at large says
    # which of them tells an event.
    texts = ["Storm Ingrid over het land.", "Ingrid raakt het land.", "Een brief.", "Nog een."]
    vectors = cluster._vectors(bags(texts))
    assert vectors[0]["land"] < 0.75 * vectors[0]["ingrid"]
    assert reference_share("land") > 50 * reference_share("ingrid")
    monkeypatch.setattr(cluster, "reference_share", lambda term: 0.01)
    vectors = cluster._vectors(bags(texts))
    assert vectors[0]["land"] == pytest.approx(vectors[0]["ingrid"])


def test_reference_shares_of_unknown_words_and_countries() -> None:
    floor = reference_share("xqzwvk")
    assert floor == pytest.approx(100 * 10 ** (FLOOR_ZIPF - 9))
    assert reference_share("@US") > reference_share("@GL") > floor / 10
    assert 0 < reference_share("de") <= 1
