"""Story lines: the topical tier that joins a region's briefs on one conflict."""

from __future__ import annotations

from digest.edition.cluster import cluster_texts
from digest.edition.storyline import home_countries, storyline_pairs, tense

# The four Groenland briefs of the seeds, shortened: pairwise they share too
# few words for the lexical tier, but each names a foreign state and tension.
TROOPS = "Ook Duitsland stuurt militairen naar Groenland. Denemarken versterkt het eiland."
TARIFFS = "De Duitse en Franse ministers noemen het bezweren van de Groenlandcrisis cruciaal."
WARNING = "Dreigen met importheffingen is geen aanpak, zegt Kallas tegen VS en Deense minister."
TRUMP = "Trump wil niet zeggen of een Amerikaanse militaire bezetting van Groenland mogelijk is."
ICE = "Onderzoekers uit Kopenhagen zien de ijskap sneller smelten dan ooit gemeten."
COUNTRIES = [("DE", "DK", "GL"), ("DE", "FR", "GL"), ("US", "DK", "GL"), ("US", "GL"), ("DK", "GL")]


def test_tension_terms_are_found_inside_compounds() -> None:
    assert tense("het bezweren van de Groenlandcrisis")
    assert tense("Dreigen met importheffingen")
    assert not tense("De ijskap smelt sneller dan gemeten.")


def test_the_home_country_is_the_one_most_briefs_name() -> None:
    assert home_countries(COUNTRIES) == {"GL"}
    assert home_countries([("US", "VE"), ("VE", "US")]) == {"US", "VE"}
    assert home_countries([]) == set()


def test_a_shared_foreign_state_and_tension_make_one_story_line() -> None:
    texts = [TROOPS, TARIFFS, WARNING, TRUMP, ICE]
    groups = cluster_texts(texts, ["gl"] * 5, COUNTRIES, regional=[True] * 5)
    assert sorted(groups) == [[0, 1, 2, 3], [4]]


def test_no_story_line_without_tension_or_outside_a_region() -> None:
    texts = [TROOPS, ICE]
    countries = [COUNTRIES[0], COUNTRIES[4]]
    assert storyline_pairs(texts, ["gl", "gl"], countries, [True, True]) == []
    three = [TROOPS, TROOPS.replace("Ook Duitsland", "Duitsland"), ICE]
    countries = [("DE", "GL"), ("DE", "GL"), ("GL",)]
    assert storyline_pairs(three, ["gl"] * 3, countries, [True] * 3) == [(0, 1)]
    assert storyline_pairs(three, ["overig"] * 3, countries, [False] * 3) == []
